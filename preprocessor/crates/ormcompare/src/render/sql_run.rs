use super::attr;
use super::sql::{render_sql, sql_attrs};
use super::table::{render_table, row_count};
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
        match outcome {
            Outcome::Rows(table) => {
                let _ = write!(
                    out,
                    "<div class=\"ormc-label\">{}</div>",
                    row_count(table.total_rows)
                );
                render_table(&mut out, table, shown_rows);
            }
            Outcome::Changed(n) => {
                let _ = write!(
                    out,
                    "<div class=\"ormc-changed\">{} changed</div>",
                    row_count(*n)
                );
            }
        }
        out.push_str("</li>");
    }
    out.push_str("</ol></div>");
    out
}
