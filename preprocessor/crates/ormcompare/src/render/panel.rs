use super::sql::{render_params, render_refused, render_sql, sql_attrs};
use super::{attr, code_block, pre, text, Deferred};
use crate::capture::{Capture, Origin, SectionCapture, Statement};
use crate::checks::{plural, Passed};
use crate::replay::Replayed;
use crate::syntax::{Compare, Section};
use demo_engine::html::{render_table, row_count};
use std::fmt::Write;

/// One side of a comparison: the block's section, its capture, and what the
/// build got when it replayed the capture.
pub struct SideView<'a> {
    pub section: &'a Section,
    pub capture: &'a SectionCapture,
    pub replayed: &'a [Replayed],
}

/// The whole comparison panel: the sides next to each other (stacked on narrow
/// screens, by CSS), then the checks that held.
pub fn render_compare(
    compare: &Compare,
    capture: &Capture,
    sides: &[SideView<'_>],
    passed: &[Passed],
    shown_rows: usize,
) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<div class=\"ormc\" id=\"{}\" data-sides=\"{}\"><div class=\"ormc-sides\">",
        attr(&format!("cmp-{}", compare.id)),
        sides.len()
    );
    for side in sides {
        render_side(&mut out, capture, side, shown_rows);
    }
    out.push_str("</div>");
    if !passed.is_empty() {
        out.push_str("<ul class=\"ormc-checks\" title=\"Checked when the book was built\">");
        for Passed(check) in passed {
            let _ = write!(out, "<li>{}</li>", text(check));
        }
        out.push_str("</ul>");
    }
    out.push_str("</div>");
    out
}

fn render_side(out: &mut String, capture: &Capture, side: &SideView<'_>, shown_rows: usize) {
    let kind = side.section.kind;
    let version = capture
        .versions
        .get(kind.library())
        .map(String::as_str)
        .unwrap_or("");
    let queries = side.capture.query_count;
    let _ = write!(
        out,
        "<section class=\"ormc-side\" data-kind=\"{}\"><header class=\"ormc-head\">\
         <span class=\"ormc-lib\">{} <span class=\"ormc-version\">{}</span></span>\
         <span class=\"ormc-badge\" title=\"Statements the ORM sent, not counting BEGIN, COMMIT and savepoints\">{queries} {}</span></header>",
        attr(kind.key()),
        text(kind.title()),
        text(version),
        plural(queries, "query", "queries"),
    );
    code_block(out, "python", &side.section.code, "ormc-code");

    if !side.capture.statements.is_empty() {
        let mut deferred = Deferred::default();
        out.push_str("<ol class=\"ormc-stmts\">");
        for (statement, replayed) in side.capture.statements.iter().zip(side.replayed) {
            render_statement(out, statement, replayed, shown_rows, &mut deferred);
        }
        out.push_str("</ol>");
        deferred.write(out);
    } else {
        out.push_str("<p class=\"ormc-none\">No SQL was sent.</p>");
    }

    if !side.capture.stdout.is_empty() {
        let _ = write!(
            out,
            "<div class=\"ormc-printed\"><div class=\"ormc-label\">Printed</div><pre>{}</pre></div>",
            pre(side.capture.stdout.trim_end_matches('\n'))
        );
    }
    if let Some(error) = &side.capture.error {
        let _ = write!(
            out,
            "<div class=\"ormc-raised\"><div class=\"ormc-label\">Raised</div><pre>{}: {}</pre></div>",
            text(&error.kind),
            pre(&error.message)
        );
    }
    if let Some(result) = &side.capture.result {
        let _ = write!(
            out,
            "<div class=\"ormc-result\"><div class=\"ormc-label\">Result · {}</div>",
            row_count(result.total_rows)
        );
        render_table(out, result, shown_rows);
        out.push_str("</div>");
    }
    out.push_str("</section>");
}

fn render_statement(
    out: &mut String,
    statement: &Statement,
    replayed: &Replayed,
    shown: usize,
    deferred: &mut Deferred,
) {
    if statement.origin == Origin::Driver {
        let _ = write!(
            out,
            "<li class=\"ormc-stmt\" data-origin=\"driver\"><code class=\"language-sql\">{}</code> \
             <span class=\"ormc-note\">issued by Python's sqlite3 module</span></li>",
            text(statement.sql.trim())
        );
        return;
    }
    let kind = if statement.is_transaction_control() {
        "tx"
    } else {
        "query"
    };
    let refused_attr = match replayed {
        Replayed::Refused(message) => format!(" data-refused=\"{}\"", attr(message)),
        _ => String::new(),
    };
    let _ = write!(
        out,
        "<li class=\"ormc-stmt\" data-origin=\"orm\" data-kind=\"{kind}\"{}{refused_attr}>",
        sql_attrs(&statement.sql, Some((&statement.params, statement.many)))
    );
    render_sql(out, &statement.sql);
    render_params(out, &statement.params, statement.many);
    match replayed {
        Replayed::Rows(table) => {
            let mut html = String::new();
            render_table(&mut html, table, shown);
            let _ = write!(
                out,
                "<details class=\"ormc-rows\" data-deferred=\"{}\"><summary>Returned {}</summary></details>",
                deferred.add(html),
                row_count(table.total_rows)
            );
        }
        Replayed::Changed(n) if statement.changes_rows() => {
            let _ = write!(
                out,
                "<div class=\"ormc-changed\">{} changed</div>",
                row_count(*n)
            );
        }
        Replayed::Changed(_) => {}
        Replayed::Refused(message) => {
            render_refused(out, message);
        }
    }
    out.push_str("</li>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::SnippetError;
    use crate::syntax::{Expect, SectionKind};
    use demo_engine::{Table, Value};
    use std::collections::BTreeMap;

    fn statement(sql: &str, origin: Origin, rows: Option<Vec<Vec<Value>>>) -> Statement {
        Statement {
            sql: sql.into(),
            params: serde_json::json!(["<p>"]),
            many: false,
            origin,
            columns: rows.as_ref().map(|_| vec!["name".to_string()]),
            total_rows: rows.as_ref().map(Vec::len),
            rows,
            refused: None,
        }
    }

    #[test]
    fn a_side_shows_code_statements_params_rows_output_and_count() {
        let section = Section {
            kind: SectionKind::Django,
            code: "print('<b>')\nCustomer.objects.all()\n".into(),
            line: 3,
            expect: Expect::default(),
        };
        let rows = vec![vec![Value::Text("<i>Ada</i>".into())]];
        let captured = SectionCapture {
            kind: "django".into(),
            query_count: 1,
            setup: vec![],
            statements: vec![
                statement("BEGIN ", Origin::Driver, None),
                statement(
                    "SELECT name FROM customers WHERE name <> ?",
                    Origin::Orm,
                    Some(rows.clone()),
                ),
            ],
            result: Some(Table {
                columns: vec!["name".into()],
                rows: rows.clone(),
                total_rows: 1,
            }),
            stdout: "<b>\n".into(),
            error: Some(SnippetError {
                kind: "ValueError".into(),
                message: "<bad>".into(),
                line: Some(1),
                by_runner: false,
            }),
        };
        let replayed = vec![
            Replayed::Changed(0),
            Replayed::Rows(Table {
                columns: vec!["name".into()],
                rows,
                total_rows: 1,
            }),
        ];
        let compare = Compare {
            id: "x".into(),
            line: 1,
            same_rows: false,
            sections: vec![section.clone()],
        };
        let capture = Capture {
            id: "x".into(),
            input_hash: String::new(),
            versions: BTreeMap::from([("django".into(), "5.2.19".into())]),
            sections: vec![captured.clone()],
            checksum: String::new(),
        };
        let html = render_compare(
            &compare,
            &capture,
            &[SideView {
                section: &section,
                capture: &captured,
                replayed: &replayed,
            }],
            &[Passed("Django ORM: 1 query".into())],
            10,
        );
        assert!(html.starts_with("<div class=\"ormc\" id=\"cmp-x\" data-sides=\"1\">"));
        assert!(html.contains("Django ORM <span class=\"ormc-version\">5.2.19</span>"));
        assert!(html.contains(">1 query</span>"));
        assert!(html.contains("issued by Python's sqlite3 module"));
        assert!(html.contains("print('&lt;b&gt;')"));
        assert!(html.contains("&lt;i&gt;Ada&lt;/i&gt;"));
        assert!(html.contains("[\"&lt;p&gt;\"]"));
        assert!(html.contains("<details class=\"ormc-rows\" data-deferred=\"0\"><summary>Returned 1 row</summary></details>"));
        assert!(html
            .contains("<script type=\"application/json\" class=\"ormc-deferred\">[\"<div class="));
        assert!(html.contains("data-sql=\"SELECT name FROM customers WHERE name &lt;&gt; ?\""));
        assert!(html.contains("ValueError: &lt;bad&gt;"));
        assert!(html.contains("<li>Django ORM: 1 query</li>"));
        for raw in ["<b>", "<i>", "<p>", "<bad>"] {
            assert!(!html.contains(raw), "{raw} was not escaped");
        }
        assert!(
            !html.contains('\n'),
            "raw HTML blocks must not hold newlines"
        );
    }
}
