//! SQL laid out for reading: the formatter, and the layouts captures keep.
//!
//! Formatting is the slowest step of rendering a statement (`sqlformat` takes about
//! 200,000 instructions for one; a build shows 1,500 distinct texts), and what it
//! makes depends on the text alone. So a capture keeps each statement's layout,
//! made when the capture is written (`lay_out`); the build shows it once it has
//! checked that the layout holds the statement's tokens (`laid_out`), and formats
//! only SQL no capture holds (the book's own `sql run` blocks). A test checks that
//! every committed layout is the one the formatter makes now: after a change to the
//! formatter, `scripts/capture --relayout` lays the captures out again, without
//! running Python.

use crate::capture::Capture;
use demo_engine::postgres::{psycopg_marks, Mark};
use sqlformat::{FormatOptions, Indent, QueryParams};
use std::borrow::Cow;
use std::collections::HashMap;

/// What is known of a statement's layout.
#[derive(Debug, Clone, Copy)]
pub enum Layout<'a> {
    /// Recorded with its capture: the text to show (the SQL as sent, when the
    /// formatter changed nothing).
    Recorded(&'a str),
    /// None recorded (SQL the book runs itself): formatted when shown.
    Unknown,
}

/// The text to show for `sql`: its recorded layout when that differs from the SQL
/// only in whitespace between tokens, else the formatter's.
pub fn laid_out<'a>(sql: &'a str, layout: Layout<'a>) -> Cow<'a, str> {
    match layout {
        Layout::Recorded(text) if same_tokens(text, sql) => Cow::Borrowed(text),
        _ => Cow::Owned(formatted(sql)),
    }
}

/// Records the layout of every statement of `capture`, its set-ups' too, each
/// distinct text formatted once (a bulk load sends one `INSERT` hundreds of times).
pub fn lay_out(capture: &mut Capture) {
    let mut known: HashMap<String, Option<String>> = HashMap::new();
    for section in &mut capture.sections {
        for statement in section.setup.iter_mut().chain(&mut section.statements) {
            let layout = known
                .entry(statement.sql.clone())
                .or_insert_with_key(|sql| {
                    let pretty = formatted(sql);
                    (pretty != *sql).then_some(pretty)
                });
            statement.formatted = layout.clone();
        }
    }
}

/// SQL laid out for reading. The exact text sent stays one click away.
///
/// The formatter may only move whitespace between tokens: when its output differs
/// from the input in anything else (it once turned `ESCAPE '\'` into `ESCAPE ' \ '`),
/// the SQL is shown as sent.
pub fn formatted(sql: &str) -> String {
    let options = FormatOptions {
        indent: Indent::Spaces(2),
        max_inline_arguments: Some(60),
        max_inline_top_level: Some(60),
        ..FormatOptions::default()
    };
    let (protected, placeholders) = protect_placeholders(sql);
    let mut pretty = sqlformat::format(&protected, &QueryParams::None, &options);
    for (stand_in, placeholder) in placeholders.iter().rev() {
        pretty = pretty.replace(stand_in.as_str(), placeholder);
    }
    if same_tokens(&pretty, sql) {
        pretty
    } else {
        sql.to_string()
    }
}

/// psycopg's placeholders (`%s`, `%(name)s`) outside quotes, each swapped for a
/// stand-in the formatter reads as one name: it would split them (`% s`), and the
/// whitespace check below cannot see that. Returns the SQL and (stand-in,
/// placeholder) pairs, in order.
fn protect_placeholders(sql: &str) -> (String, Vec<(String, String)>) {
    let mut out = String::with_capacity(sql.len());
    let mut placeholders: Vec<(String, String)> = Vec::new();
    let mut copied = 0;
    for (range, mark) in psycopg_marks(sql) {
        if mark == Mark::Percent {
            continue;
        }
        let stand_in = format!("ormcph{}x", placeholders.len());
        if sql.contains(&stand_in) {
            return (sql.to_string(), Vec::new());
        }
        out.push_str(&sql[copied..range.start]);
        out.push_str(&stand_in);
        placeholders.push((stand_in, sql[range.clone()].to_string()));
        copied = range.end;
    }
    out.push_str(&sql[copied..]);
    (out, placeholders)
}

/// The characters of `sql` but whitespace outside quoted strings and identifiers.
fn tokens(sql: &str) -> impl Iterator<Item = char> + '_ {
    let mut quote: Option<char> = None;
    sql.chars().filter(move |&c| {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' || c == '`' => quote = Some(c),
            None if c.is_whitespace() => return false,
            None => {}
        }
        true
    })
}

/// Whether two texts differ only in whitespace between tokens.
pub fn same_tokens(a: &str, b: &str) -> bool {
    tokens(a).eq(tokens(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_for_reading() {
        let sql = "SELECT \"a\".\"id\", \"a\".\"name\" FROM \"a\" WHERE \"a\".\"id\" = ? ORDER BY \"a\".\"id\"";
        let pretty = formatted(sql);
        assert!(pretty.contains("\nFROM"), "{pretty}");
        assert!(pretty.contains("\nWHERE"), "{pretty}");
    }

    #[test]
    fn formatting_never_changes_what_was_sent() {
        let sql = "SELECT \"a\" FROM \"t\" WHERE \"a\" LIKE ? ESCAPE '\\'";
        let shown = formatted(sql);
        assert!(same_tokens(&shown, sql), "{shown}");
        assert!(shown.contains("ESCAPE '\\'"), "{shown}");
        assert!(same_tokens("a = 'x  y'", "a='x  y'"));
        assert!(!same_tokens("a = 'x  y'", "a='x y'"));
    }

    #[test]
    fn psycopg_placeholders_stay_whole() {
        let sql = "SELECT \"a\" FROM \"t\" WHERE \"a\" = %s AND b = %(pk_1)s::INTEGER \
                   AND c LIKE '%s' LIMIT %(param_2)s";
        let shown = formatted(sql);
        for whole in ["= %s", "%(pk_1)s::INTEGER", "LIKE '%s'", "%(param_2)s"] {
            assert!(shown.contains(whole), "{whole} in {shown}");
        }
        assert!(!shown.contains("ormcph"), "{shown}");
        // asyncpg's numbered placeholders were never split.
        assert!(formatted("SELECT a FROM t WHERE a = $1::INTEGER").contains("$1::INTEGER"));
    }

    #[test]
    fn a_capture_records_a_layout_only_where_the_formatter_changes_something() {
        let mut capture: Capture = serde_json::from_value(serde_json::json!({
            "id": "x", "input_hash": "", "versions": {},
            "sections": [{"kind": "django", "stdout": "", "result": null, "error": null,
                "setup": [{"sql": "PRAGMA foreign_keys = ON", "params": [], "many": false, "origin": "orm",
                           "columns": null, "rows": null, "total_rows": null}],
                "statements": [{"sql": "SELECT a, b FROM t WHERE c = ?", "params": [1], "many": false,
                                "origin": "orm", "columns": null, "rows": null, "total_rows": null}]}]
        }))
        .unwrap();
        lay_out(&mut capture);
        let section = &capture.sections[0];
        assert_eq!(section.setup[0].formatted, None);
        let laid = section.statements[0].formatted.as_deref().unwrap();
        assert!(laid.contains("\nFROM"), "{laid}");
        assert_eq!(
            laid_out(&section.statements[0].sql, section.statements[0].layout()),
            laid
        );
    }

    /// The layouts the book shows are the formatter's: after a change to it, the
    /// captures must be laid out again.
    #[test]
    fn the_committed_captures_hold_the_formatter_s_layouts() {
        use rayon::prelude::*;
        let snippets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../snippets");
        let targets = crate::targets::Targets::load(&snippets).unwrap();
        let files = crate::captures::committed_files(&snippets.join("captures"), &targets);
        assert!(files.len() > 100, "{} captures", files.len());
        let stale: Vec<String> = files
            .par_iter()
            .filter_map(|path| {
                let capture = crate::capture::read_file(path).unwrap().unwrap();
                let mut laid = capture.clone();
                lay_out(&mut laid);
                (laid != capture).then(|| path.display().to_string())
            })
            .collect();
        assert!(
            stale.is_empty(),
            "laid out by another formatter: {}; run `scripts/capture --relayout`",
            stale.join(", ")
        );
    }

    #[test]
    fn a_recorded_layout_is_shown_only_when_it_holds_the_statement_s_tokens() {
        let sql = "SELECT a FROM t WHERE b = 1";
        let laid = "SELECT\n  a\nFROM\n  t\nWHERE\n  b = 1";
        assert_eq!(laid_out(sql, Layout::Recorded(laid)), laid);
        // A layout that changes the SQL (here the value) is not shown.
        let other = laid_out(sql, Layout::Recorded("SELECT a FROM t WHERE b = 2"));
        assert!(other.contains("b = 1"), "{other}");
        assert_eq!(laid_out(sql, Layout::Unknown), formatted(sql));
    }
}
