use super::{code_block, esc, ui};
use demo_engine::postgres::{is_copy, psycopg_marks, Mark};
use sqlformat::{FormatOptions, Indent, QueryParams};
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, LazyLock, Mutex};

/// SQL laid out for reading. The exact text sent stays one click away.
///
/// The formatter may only move whitespace between tokens: when its output differs
/// from the input in anything else (it once turned `ESCAPE '\'` into `ESCAPE ' \ '`),
/// the SQL is shown as sent.
pub(crate) fn formatted(sql: &str) -> String {
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
    if tokens_only(&pretty) == tokens_only(sql) {
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

/// The SQL with whitespace outside quoted strings and identifiers removed.
fn tokens_only(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    for c in sql.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' || c == '`' => quote = Some(c),
            None if c.is_whitespace() => continue,
            None => {}
        }
        out.push(c);
    }
    out
}

/// Statements and parameter lists longer than this (a bulk `INSERT` of hundreds of
/// rows) get the class `ormc-long`: they scroll inside their box, so the panel
/// keeps a height a reader can get past. Every other statement of the book is
/// shorter.
const LONG_SQL_LINES: usize = 80;
const LONG_PARAMS_CHARS: usize = 4000;

/// The formatted SQL, and a disclosure for the exact SQL when the two differ.
/// The exact text itself travels in the side's plan (a JSON island) and
/// theme/ormcompare.js shows it on demand, which keeps a second copy of every
/// statement out of mdBook's search index.
///
/// The HTML depends on the text alone, and a build shows the same statements again
/// and again (2,743 statements on the pages and in the other databases' views, 1,533
/// distinct texts): each text is formatted once per process (`sqlformat` is slow,
/// about 200,000 instructions a statement).
pub(crate) fn render_sql(out: &mut String, sql: &str) {
    static RENDERED: LazyLock<Mutex<HashMap<String, Arc<str>>>> = LazyLock::new(Default::default);
    let known = RENDERED.lock().expect("never poisoned").get(sql).cloned();
    let html = known.unwrap_or_else(|| {
        let html: Arc<str> = sql_html(sql).into();
        RENDERED
            .lock()
            .expect("never poisoned")
            .insert(sql.to_string(), Arc::clone(&html));
        html
    });
    out.push_str(&html);
}

fn sql_html(sql: &str) -> String {
    let mut out = String::new();
    let pretty = formatted(sql);
    let class = if pretty.lines().count() > LONG_SQL_LINES {
        "ormc-sql ormc-long"
    } else {
        "ormc-sql"
    };
    code_block(&mut out, "sql", &pretty, class);
    if pretty.trim() != sql.trim() {
        let _ = write!(
            out,
            "<details class=\"ormc-exact\">{}</details>",
            ui("summary", "", "Exact SQL sent")
        );
    }
    out
}

/// Parameters as the JSON list the driver got, escaped. A long list (a bulk load's
/// hundreds of values) is one click away instead: the page shows it from the side's
/// plan, which holds it anyway, so the page does not carry it twice.
/// A `COPY ... FROM STDIN` statement's parameter lists are the rows it sent.
pub(crate) fn render_params(out: &mut String, params: &serde_json::Value, many: bool, sql: &str) {
    let shown = match params.as_array() {
        Some(list) if list.is_empty() => return,
        _ => params.to_string(),
    };
    let copy = many && is_copy(sql);
    let (label, unit) = match (many, copy) {
        (true, true) => ("Rows sent as its data, one list per row", "rows"),
        (true, false) => ("Parameters, one list per execution", "lists"),
        _ => ("Parameters", "values"),
    };
    if shown.len() > LONG_PARAMS_CHARS {
        let count = params.as_array().map_or(0, Vec::len);
        let summary = format!("{label} · {count} {unit}");
        let _ = write!(
            out,
            "<details class=\"ormc-params ormc-long-params\">{}</details>",
            ui("summary", "", &summary)
        );
        return;
    }
    let _ = write!(
        out,
        "<div class=\"ormc-params\">{} <code class=\"ormc-param-values\">{}</code></div>",
        ui("span", "ormc-label", label),
        esc(&shown)
    );
}

/// The database's words refusing a statement the book shows failing on purpose.
pub(crate) fn render_refused(out: &mut String, message: &str) {
    let _ = write!(
        out,
        "<div class=\"ormc-refused\">{} {}</div>",
        ui("span", "ormc-label", "Refused by the database"),
        esc(message)
    );
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
        assert_eq!(tokens_only(&shown), tokens_only(sql), "{shown}");
        assert!(shown.contains("ESCAPE '\\'"), "{shown}");
        assert_eq!(tokens_only("a = 'x  y'"), "a='x  y'");
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
    fn long_statements_and_parameter_lists_scroll_in_their_box() {
        let mut short = String::new();
        render_sql(&mut short, "INSERT INTO t (a) VALUES (?), (?)");
        render_params(&mut short, &serde_json::json!([1, 2]), false, "INSERT");
        assert!(!short.contains("ormc-long"), "{short}");
        let tuples = vec!["(?, ?)"; 200].join(", ");
        let mut long = String::new();
        render_sql(&mut long, &format!("INSERT INTO t (a, b) VALUES {tuples}"));
        let values: Vec<serde_json::Value> = (0..2000).map(|i| serde_json::json!(i)).collect();
        render_params(
            &mut long,
            &serde_json::Value::Array(values),
            false,
            "INSERT",
        );
        assert!(
            long.contains("<pre class=\"ormc-sql ormc-long\">"),
            "{long}"
        );
        assert!(long.contains("<summary>Parameters · 2000 values</summary>"));
        assert!(!long.contains("1999"));
    }

    #[test]
    fn exact_sql_is_kept_and_escaped() {
        let mut out = String::new();
        render_sql(&mut out, "select '<x>' from t where a = 1");
        assert!(out.contains("<summary>Exact SQL sent</summary>"));
        assert!(out.contains("&lt;x&gt;"));
        assert!(!out.contains("<x>"));
    }
}
