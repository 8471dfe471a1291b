//! Result tables as HTML: one markup for the book's build-time tables and the
//! tables the browser shows after a Run, so the two look (and compare) the same.
//! Every value is escaped.

use crate::{Outcome, Table, Value};
use std::fmt::Write;

fn text(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_text(s)
}

/// A result table, cut at `shown` rows with a count of what was left out.
pub fn render_table(out: &mut String, table: &Table, shown: usize) {
    out.push_str("<div class=\"ormc-table-wrap\"><table class=\"ormc-table\"><thead><tr>");
    for column in &table.columns {
        let _ = write!(out, "<th>{}</th>", text(column));
    }
    out.push_str("</tr></thead><tbody>");
    for row in table.rows.iter().take(shown) {
        out.push_str("<tr>");
        for value in row {
            cell(out, value);
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    let left_out = table.total_rows.saturating_sub(shown.min(table.rows.len()));
    if left_out > 0 {
        let _ = write!(
            out,
            "<p class=\"ormc-cut\">… and {left_out} more {} not shown ({} in all)</p>",
            if left_out == 1 { "row" } else { "rows" },
            table.total_rows
        );
    }
    out.push_str("</div>");
}

fn cell(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("<td class=\"ormc-null\">NULL</td>"),
        Value::Integer(_) | Value::Real(_) => {
            let _ = write!(
                out,
                "<td class=\"ormc-num\">{}</td>",
                text(&value.to_string())
            );
        }
        _ => {
            let _ = write!(out, "<td>{}</td>", text(&value.to_string()));
        }
    }
}

/// What one statement gave: a row count and its table, or how many rows it changed.
pub fn render_outcome(out: &mut String, outcome: &Outcome, shown: usize) {
    match outcome {
        Outcome::Rows(table) => {
            let _ = write!(
                out,
                "<div class=\"ormc-label\">{}</div>",
                row_count(table.total_rows)
            );
            render_table(out, table, shown);
        }
        Outcome::Changed(n) => {
            let _ = write!(
                out,
                "<div class=\"ormc-changed\">{} changed</div>",
                row_count(*n)
            );
        }
    }
}

/// "3 rows", "1 row".
pub fn row_count(n: usize) -> String {
    format!("{n} {}", if n == 1 { "row" } else { "rows" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_and_counts_and_escapes() {
        let table = Table {
            columns: vec!["<b>".into()],
            rows: (0..5).map(|i| vec![Value::Integer(i)]).collect(),
            total_rows: 8,
        };
        let mut out = String::new();
        render_table(&mut out, &table, 2);
        assert!(out.contains("<th>&lt;b&gt;</th>"));
        assert_eq!(out.matches("<tr>").count(), 3);
        assert!(out.contains("… and 6 more rows not shown (8 in all)"));
    }

    #[test]
    fn null_is_visible() {
        let table = Table {
            columns: vec!["a".into()],
            rows: vec![vec![Value::Null]],
            total_rows: 1,
        };
        let mut out = String::new();
        render_table(&mut out, &table, 10);
        assert!(out.contains("<td class=\"ormc-null\">NULL</td>"));
        assert!(!out.contains("ormc-cut"));
    }
}
