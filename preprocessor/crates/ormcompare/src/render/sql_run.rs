use super::attr;
use super::sql::{render_refused, render_sql, sql_attrs};
use demo_engine::html::render_outcome;
use demo_engine::Outcome;
use std::fmt::Write;

/// A plain SQL block: each statement, and what it returned or changed.
pub fn render_sql_run(
    id: Option<&str>,
    statements: &[(String, Outcome)],
    shown_rows: usize,
) -> String {
    let mut out = open(id);
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

/// A `sql run fails` block: its SQL, and SQLite's words refusing it.
pub fn render_sql_refused(id: Option<&str>, sql: &str, message: &str) -> String {
    let mut out = open(id);
    let _ = write!(
        out,
        "<li class=\"ormc-stmt\" data-origin=\"book\"{} data-refused=\"{}\">",
        sql_attrs(sql, None),
        attr(message)
    );
    render_sql(&mut out, sql);
    render_refused(&mut out, message);
    out.push_str("</li></ol></div>");
    out
}

fn open(id: Option<&str>) -> String {
    let mut out = String::from("<div class=\"ormc ormc-sqlrun\"");
    if let Some(id) = id {
        let _ = write!(out, " id=\"{}\"", attr(&format!("sql-{id}")));
    }
    out.push_str("><ol class=\"ormc-stmts\">");
    out
}
