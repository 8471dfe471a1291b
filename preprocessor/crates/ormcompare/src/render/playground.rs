use super::{code_block, esc, PageContext};
use crate::syntax::Starter;
use demo_engine::TableInfo;
use std::fmt::Write;

/// The free SQL console: starter queries, an editor (theme/ormcompare.js turns
/// the first starter into one), and the tables beside it. Without JavaScript it
/// still lists the starters and the schema.
pub fn render_playground(starters: &[Starter], tables: &[TableInfo], page: &PageContext) -> String {
    let mut out = format!(
        "<div class=\"ormc ormc-playground\" id=\"playground\"{}><div class=\"ormc-playground-grid\">\
         <div class=\"ormc-playground-console\"><div class=\"ormc-starters\"><span class=\"ormc-label\">Starter queries</span>",
        page.attr()
    );
    for starter in starters {
        let _ = write!(
            out,
            " <button type=\"button\" class=\"ormc-starter\" data-sql=\"{}\">{}</button>",
            esc(&starter.sql),
            esc(&starter.title)
        );
    }
    out.push_str("</div><ol class=\"ormc-stmts\">");
    let first = &starters[0].sql;
    let _ = write!(
        out,
        "<li class=\"ormc-stmt ormc-console\" data-sql=\"{}\">",
        esc(first)
    );
    code_block(&mut out, "sql", first, "ormc-sql");
    out.push_str("</li></ol></div><aside class=\"ormc-playground-schema\"><div class=\"ormc-label\">Tables</div><ul>");
    for table in tables {
        let columns: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        let _ = write!(
            out,
            "<li><b>{}</b> <span>{}</span></li>",
            esc(&table.name),
            esc(&columns.join(", "))
        );
    }
    out.push_str("</ul></aside></div></div>");
    out
}
