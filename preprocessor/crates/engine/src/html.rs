//! HTML for results, and the one escaper for everything the book renders.
//!
//! Result tables use one markup for the book's build-time tables and the tables
//! the browser shows after a Run, so the two look (and compare) the same.
//!
//! `escape` is the only way text gets into the book's HTML, at build time and in
//! the page. Its output is safe as element content, inside `<pre>`, and inside a
//! double-quoted attribute, and it holds no line break: the build splices panels
//! into Markdown as raw HTML blocks, which end at the first blank line, so a value
//! holding one (a result cell, printed output, a message) would otherwise end the
//! block and let Markdown in the value become live.

use crate::{Outcome, Table, Value};
use std::fmt::Write;

/// `s` escaped for HTML: `&`, `<`, `>`, `"` and `'` as entities (by `html-escape`),
/// and line breaks as character references (`&#10;`, `&#13;`), which read as the
/// same characters.
pub fn escape(s: &str) -> String {
    let escaped = html_escape::encode_quoted_attribute(s);
    // Most values hold no line break: no second and third copy for them.
    if !escaped.contains(['\n', '\r']) {
        return escaped.into_owned();
    }
    escaped.replace('\n', "&#10;").replace('\r', "&#13;")
}

/// How much of a result a page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shown {
    /// Rows of a table; the rest are counted.
    pub rows: usize,
    /// Characters of one value; longer ones are cut, with a note.
    pub chars: usize,
}

/// `text` escaped, cut at `limit` characters with a note of how many were left out.
pub fn cut(text: &str, limit: usize) -> String {
    let count = text.chars().count();
    if count <= limit {
        return escape(text);
    }
    let kept: String = text.chars().take(limit).collect();
    format!(
        "{}<span class=\"ormc-more\">… {} more characters</span>",
        escape(&kept),
        count - limit
    )
}

/// A result table, cut at `shown.rows` rows with a count of what was left out.
///
/// The table sits in a region that scrolls sideways when it is wider than its
/// column (with a shadow on the side that has more columns); the page makes a
/// region that scrolls take keyboard focus (theme/ormcompare.js).
pub fn render_table(out: &mut String, table: &Table, shown: Shown) {
    out.push_str("<div class=\"ormc-table-wrap\"><table class=\"ormc-table\"><thead><tr>");
    for column in &table.columns {
        let _ = write!(out, "<th scope=\"col\">{}</th>", cut(column, shown.chars));
    }
    out.push_str("</tr></thead><tbody>");
    for row in table.rows.iter().take(shown.rows) {
        out.push_str("<tr>");
        for value in row {
            cell(out, value, shown.chars);
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    let left_out = table
        .total_rows
        .saturating_sub(shown.rows.min(table.rows.len()));
    if left_out > 0 {
        let _ = write!(
            out,
            "<p class=\"ormc-cut\">… and {left_out} more {} not shown ({} in all)</p>",
            plural(left_out, "row", "rows"),
            table.total_rows
        );
    }
}

fn cell(out: &mut String, value: &Value, chars: usize) {
    match value {
        Value::Null => out.push_str("<td class=\"ormc-null\">NULL</td>"),
        Value::Integer(_) | Value::Real(_) => {
            let _ = write!(
                out,
                "<td class=\"ormc-num\">{}</td>",
                cut(&value.to_string(), chars)
            );
        }
        _ => {
            let _ = write!(out, "<td>{}</td>", cut(&value.to_string(), chars));
        }
    }
}

/// What one statement gave: a row count and its table, or how many rows it changed.
pub fn render_outcome(out: &mut String, outcome: &Outcome, shown: Shown) {
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
    format!("{n} {}", plural(n, "row", "rows"))
}

pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOWN: Shown = Shown {
        rows: 10,
        chars: 100,
    };

    #[test]
    fn cuts_and_counts_and_escapes() {
        let table = Table {
            columns: vec!["<b>".into()],
            rows: (0..5).map(|i| vec![Value::Integer(i)]).collect(),
            total_rows: 8,
        };
        let mut out = String::new();
        render_table(&mut out, &table, Shown { rows: 2, ..SHOWN });
        assert!(out.contains("<th scope=\"col\">&lt;b&gt;</th>"));
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
        render_table(&mut out, &table, SHOWN);
        assert!(out.contains("<td class=\"ormc-null\">NULL</td>"));
        assert!(!out.contains("ormc-cut"));
    }

    #[test]
    fn escaped_text_holds_no_markup_and_no_line_break() {
        let hostile = "x\n\n[c](javascript:alert(1))\r\r<script>\"'&";
        let escaped = escape(hostile);
        assert_eq!(
            escaped,
            "x&#10;&#10;[c](javascript:alert(1))&#13;&#13;&lt;script&gt;&quot;&#x27;&amp;"
        );
        assert!(!escaped.contains(['\n', '\r', '<', '>', '"', '\'']));
    }

    #[test]
    fn long_values_are_cut_with_a_note() {
        let long = "é".repeat(150);
        let shown = cut(&long, 100);
        assert!(shown.starts_with(&"é".repeat(100)));
        assert!(shown.ends_with("<span class=\"ormc-more\">… 50 more characters</span>"));
        assert_eq!(cut("<short>", 100), "&lt;short&gt;");
    }
}
