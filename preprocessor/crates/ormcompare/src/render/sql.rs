use super::{code_block, pre, text};
use sqlformat::{FormatOptions, Indent, QueryParams};
use std::fmt::Write;

/// SQL laid out for reading. The exact text sent stays one click away.
pub(crate) fn formatted(sql: &str) -> String {
    let options = FormatOptions {
        indent: Indent::Spaces(2),
        uppercase: Some(true),
        max_inline_arguments: Some(60),
        max_inline_top_level: Some(60),
        ..FormatOptions::default()
    };
    sqlformat::format(sql, &QueryParams::None, &options)
}

/// The formatted SQL, and the exact SQL behind a disclosure when they differ.
pub(crate) fn render_sql(out: &mut String, sql: &str) {
    let pretty = formatted(sql);
    code_block(out, "sql", &pretty, "ormc-sql");
    if pretty.trim() != sql.trim() {
        let _ = write!(
            out,
            "<details class=\"ormc-exact\"><summary>Exact SQL sent</summary>\
             <pre class=\"ormc-sql-exact\"><code class=\"language-sql\">{}</code></pre></details>",
            pre(sql)
        );
    }
}

/// Parameters as a Python-ish literal list, escaped.
pub(crate) fn render_params(out: &mut String, params: &serde_json::Value, many: bool) {
    let shown = match params.as_array() {
        Some(list) if list.is_empty() => return,
        _ => params.to_string(),
    };
    let label = if many {
        "Parameters, one list per execution"
    } else {
        "Parameters"
    };
    let _ = write!(
        out,
        "<div class=\"ormc-params\"><span class=\"ormc-label\">{label}</span> <span class=\"ormc-param-values\">{}</span></div>",
        text(&shown)
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
    fn exact_sql_is_kept_and_escaped() {
        let mut out = String::new();
        render_sql(&mut out, "select '<x>' from t where a = 1");
        assert!(out.contains("Exact SQL sent"));
        assert!(out.contains("&lt;x&gt;"));
        assert!(!out.contains("<x>"));
    }
}
