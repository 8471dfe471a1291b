//! A plain SQL block (`sql run`): each statement and what it gave, and, for a
//! `fails` block, SQLite's words refusing its last statement. The block's
//! statements form a plan, so a Run in the page replays the ones before it.

use super::sql::{render_refused, render_sql};
use super::{esc, island, plan_island, PageContext};
use crate::layout::Layout;
use demo_engine::html::render_outcome;
use demo_engine::plan::{Plan, Step};
use demo_engine::Outcome;
use std::fmt::Write;

/// `ran`: the statements and what each gave; `refused`: the last statement and
/// SQLite's message, for a `fails` block.
pub fn render_sql_run(
    id: Option<&str>,
    ran: &[(String, Outcome)],
    refused: Option<(&str, &str)>,
    page: &PageContext,
) -> String {
    let mut out = String::from("<div class=\"ormc ormc-sqlrun\"");
    if let Some(id) = id {
        let _ = write!(out, " id=\"{}\"", esc(&format!("sql-{id}")));
    }
    out.push_str(&page.attr());
    out.push('>');
    // The statements and their results, kept out of the search index as the
    // panels' are (the SQL the book shows first stays outside, `islands`).
    let mut list = String::from("<ol class=\"ormc-stmts\" data-side=\"0\">");
    for (index, (sql, outcome)) in ran.iter().enumerate() {
        open(&mut list, index);
        render_sql(&mut list, sql, Layout::Unknown);
        render_outcome(&mut list, outcome, page.shown);
        list.push_str("</li>");
    }
    if let Some((sql, message)) = refused {
        open(&mut list, ran.len());
        render_sql(&mut list, sql, Layout::Unknown);
        render_refused(&mut list, message);
        list.push_str("</li>");
    }
    list.push_str("</ol>");
    island(&mut out, &list);
    let steps = ran
        .iter()
        .map(|(sql, _)| (sql.as_str(), None))
        .chain(refused.map(|(sql, message)| (sql, Some(message))))
        .map(|(sql, refused)| Step {
            sql: sql.to_string(),
            params: serde_json::json!([]),
            many: false,
            refused: refused.map(str::to_string),
        })
        .collect();
    plan_island(
        &mut out,
        &[Plan {
            setup: Vec::new(),
            steps,
        }],
    );
    out.push_str("</div>");
    out
}

fn open(out: &mut String, index: usize) {
    let _ = write!(
        out,
        "<li class=\"ormc-stmt\" data-step=\"{index}\" data-steps=\"1\">"
    );
}
