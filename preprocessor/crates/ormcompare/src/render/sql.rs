use super::{code_block, esc, ui};
use crate::layout::{laid_out, Layout};
use demo_engine::postgres::is_copy;
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, LazyLock, Mutex};

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
/// The layout is the capture's (`layout`); the HTML depends on the text alone, and
/// a build shows the same statements again and again (2,743 statements on the pages
/// and in the other databases' views, 1,533 distinct texts), so each text's HTML is
/// made once per process.
pub(crate) fn render_sql(out: &mut String, sql: &str, layout: Layout<'_>) {
    static RENDERED: LazyLock<Mutex<HashMap<String, Arc<str>>>> = LazyLock::new(Default::default);
    let known = RENDERED.lock().expect("never poisoned").get(sql).cloned();
    let html = known.unwrap_or_else(|| {
        let html: Arc<str> = sql_html(sql, layout).into();
        RENDERED
            .lock()
            .expect("never poisoned")
            .insert(sql.to_string(), Arc::clone(&html));
        html
    });
    out.push_str(&html);
}

fn sql_html(sql: &str, layout: Layout<'_>) -> String {
    let mut out = String::new();
    let pretty = laid_out(sql, layout);
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
        _ => demo_engine::json_text(params),
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
    fn long_statements_and_parameter_lists_scroll_in_their_box() {
        let mut short = String::new();
        render_sql(
            &mut short,
            "INSERT INTO t (a) VALUES (?), (?)",
            Layout::Unknown,
        );
        render_params(&mut short, &serde_json::json!([1, 2]), false, "INSERT");
        assert!(!short.contains("ormc-long"), "{short}");
        let tuples = vec!["(?, ?)"; 200].join(", ");
        let mut long = String::new();
        render_sql(
            &mut long,
            &format!("INSERT INTO t (a, b) VALUES {tuples}"),
            Layout::Unknown,
        );
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
        render_sql(&mut out, "select '<x>' from t where a = 1", Layout::Unknown);
        assert!(out.contains("<summary>Exact SQL sent</summary>"));
        assert!(out.contains("&lt;x&gt;"));
        assert!(!out.contains("<x>"));
    }
}
