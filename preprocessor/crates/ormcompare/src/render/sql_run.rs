use super::attr;
use super::sql::{render_sql, sql_attrs};
use demo_engine::html::render_outcome;
use demo_engine::Outcome;
use std::fmt::Write;

/// A plain SQL block: each statement, and what it returned or changed.
pub fn render_sql_run(
    id: Option<&str>,
    statements: &[(String, Outcome)],
    shown_rows: usize,
) -> String {
    let mut out = String::new();
    out.push_str("<div class=\"ormc ormc-sqlrun\"");
    if let Some(id) = id {
        let _ = write!(out, " id=\"{}\"", attr(&format!("sql-{id}")));
    }
    out.push_str("><ol class=\"ormc-stmts\">");
    for (sql, outcome) in statements {
        let _ = write!(
            out,
            "<li class=\"ormc-stmt\" data-origin=\"book\"{}>",
            sql_attrs(sql, None)
        );
        render_sql(&mut out, sql);
        render_outcome(&mut out, outcome, shown_rows);
        out.push_str("</li>");
    }
    out.push_str("</ol></div>");
    out
}
