//! A comparison panel. It answers first: the checks the whole block passed, then
//! for each side its query count, its code, its result (or what it raised or
//! printed) and the checks that held; the statements follow, grouped
//! (`statements`). Sides stand next to each other, stacked on narrow pages (CSS).

use super::statements::Statements;
use super::upgrade::{render_change, render_marker};
use super::{code_block, esc, ui, PageContext};
use crate::capture::{Capture, SectionCapture};
use crate::checks::{plural, Checks, Passed};
use crate::replay::plan_of;
use crate::syntax::{Compare, Section};
use crate::upgrade::SideChange;
use demo_engine::html::{render_table, row_count};
use demo_engine::plan::{PlanSet, Replayed};
use std::fmt::Write;

/// One side of a comparison: the block's section, its capture, and what the
/// build got when it replayed the capture.
pub struct SideView<'a> {
    pub section: &'a Section,
    pub capture: &'a SectionCapture,
    pub replayed: &'a [Replayed],
    /// What the previous releases did differently, if anything.
    pub upgrade: Option<&'a SideChange>,
    /// The comparison's entry on the upgrade page, relative to this page.
    pub upgrade_href: Option<&'a str>,
}

/// The panel's HTML, and its data: the sides' replay plans and the notes beside
/// statements of closed groups, which the page fetches from its chapter's data file
/// (`data_href`) on a reader's first Run or opened group.
pub fn render_compare(
    compare: &Compare,
    capture: &Capture,
    sides: &[SideView<'_>],
    checks: &Checks,
    page: &PageContext,
    data_href: &str,
) -> (String, serde_json::Value) {
    let mut out = String::new();
    let _ = write!(
        out,
        "<div class=\"ormc ormc-compare\" id=\"{}\" data-sides=\"{}\" data-href=\"{}\"{}>",
        esc(&format!("cmp-{}", compare.id)),
        sides.len(),
        esc(data_href),
        page.attr()
    );
    out.push_str("<div class=\"ormc-bar\">");
    if !checks.block.is_empty() {
        render_checks(&mut out, &checks.block, "ormc-verdict");
    }
    out.push_str("</div><div class=\"ormc-sides\">");
    let mut notes = Notes::default();
    for (index, side) in sides.iter().enumerate() {
        let passed = checks.sections.get(index).map_or(&[][..], Vec::as_slice);
        render_side(&mut out, index, capture, side, passed, page, &mut notes);
    }
    out.push_str("</div></div>");
    let plans: Vec<_> = sides.iter().map(|side| plan_of(side.capture)).collect();
    // Each side's statement diff against the previous releases, for its marker.
    let upgrade: Vec<Option<String>> = sides
        .iter()
        .map(|side| {
            side.upgrade.map(|change| {
                let mut html = String::new();
                render_change(&mut html, change);
                html
            })
        })
        .collect();
    let mut data = serde_json::json!({
        "plans": PlanSet::pack(&plans),
        "notes": notes.to_json(),
    });
    if upgrade.iter().any(Option::is_some) {
        data["upgrade"] = serde_json::json!(upgrade);
    }
    (out, data)
}

/// The words beside each statement of closed groups, every distinct one once:
/// `{"texts": [...], "sides": [{"setup": [i, ...], "steps": [i, ...]}]}`, where
/// `i` indexes `texts`.
#[derive(Default)]
struct Notes {
    texts: Vec<String>,
    sides: Vec<serde_json::Value>,
}

impl Notes {
    fn add_side(&mut self, setup: Vec<String>, steps: Vec<String>) {
        let mut index = |text: String| match self.texts.iter().position(|t| *t == text) {
            Some(i) => i,
            None => {
                self.texts.push(text);
                self.texts.len() - 1
            }
        };
        let setup: Vec<usize> = setup.into_iter().map(&mut index).collect();
        let steps: Vec<usize> = steps.into_iter().map(&mut index).collect();
        self.sides
            .push(serde_json::json!({ "setup": setup, "steps": steps }));
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "texts": self.texts, "sides": self.sides })
    }
}

fn render_checks(out: &mut String, passed: &[Passed], class: &str) {
    let _ = write!(
        out,
        "<ul class=\"ormc-checks {class}\" aria-label=\"Checked when the book was built\">"
    );
    for Passed(check) in passed {
        let _ = write!(out, "<li>{}</li>", esc(check));
    }
    out.push_str("</ul>");
}

fn render_side(
    out: &mut String,
    index: usize,
    capture: &Capture,
    side: &SideView<'_>,
    passed: &[Passed],
    page: &PageContext,
    notes: &mut Notes,
) {
    let kind = side.section.kind;
    let version = capture
        .versions
        .get(kind.library())
        .map(String::as_str)
        .unwrap_or("");
    let queries = side.capture.query_count;
    let _ = write!(
        out,
        "<section class=\"ormc-side\" data-side=\"{index}\" data-kind=\"{}\" style=\"border-top: {}\" aria-label=\"{}\">\
         <header class=\"ormc-head\"><span class=\"ormc-lib\">{} <span class=\"ormc-version\">{}</span></span>\
         <span class=\"ormc-badge\" title=\"Statements the library sent, not counting BEGIN, COMMIT and savepoints\">{queries} {}</span></header>",
        esc(kind.key()),
        esc(&kind.border()),
        esc(kind.title()),
        esc(kind.title()),
        esc(version),
        plural(queries, "query", "queries"),
    );
    if let Some(change) = side.upgrade {
        render_marker(out, kind.title(), change, side.upgrade_href);
    }
    code_block(out, "python", &side.section.code, "ormc-code");

    // The answer: what the code gave, and the checks that held.
    out.push_str("<div class=\"ormc-answer\">");
    if let Some(error) = &side.capture.error {
        let _ = write!(
            out,
            "<div class=\"ormc-raised\">{}<pre>{}: {}</pre></div>",
            ui("div", "ormc-label ", "Raised"),
            esc(&error.kind),
            esc(&error.message)
        );
    }
    if let Some(result) = &side.capture.result {
        let _ = write!(
            out,
            "<div class=\"ormc-result\">{}",
            ui(
                "div",
                "ormc-label ",
                &format!("Result · {}", row_count(result.total_rows))
            )
        );
        render_table(out, result, page.shown);
        out.push_str("</div>");
    }
    if !side.capture.stdout.is_empty() {
        let _ = write!(
            out,
            "<div class=\"ormc-printed\">{}<pre>{}</pre></div>",
            ui("div", "ormc-label ", "Printed"),
            demo_engine::html::cut(
                side.capture.stdout.trim_end_matches('\n'),
                20 * page.shown.chars
            )
        );
    }
    if !passed.is_empty() {
        render_checks(out, passed, "ormc-side-checks");
    }
    out.push_str("</div>");

    // The evidence: every statement, grouped.
    let statements = Statements {
        setup: &side.capture.setup,
        statements: &side.capture.statements,
        replayed: side.replayed,
    };
    if side.capture.statements.is_empty() && side.capture.setup.is_empty() {
        out.push_str(&ui("p", "ormc-none ", "No SQL was sent."));
    } else {
        statements.render(out);
    }
    let (setup, steps) = statements.notes();
    notes.add_side(setup, steps);
    out.push_str("</section>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{Origin, SnippetError, Statement};
    use crate::syntax::{Expect, SectionKind};
    use demo_engine::html::Shown;
    use demo_engine::{Limits, Outcome, Table, Value};
    use std::collections::BTreeMap;

    fn statement(sql: &str, origin: Origin, rows: Option<Vec<Vec<Value>>>) -> Statement {
        Statement {
            columns: rows.as_ref().map(|_| vec!["name".to_string()]),
            total_rows: rows.as_ref().map(Vec::len),
            rows,
            ..Statement::bare(sql, serde_json::json!(["<p>"]), origin)
        }
    }

    fn page() -> PageContext {
        PageContext::new(
            Limits {
                max_rows: 100,
                max_steps: 1000,
            },
            Shown {
                rows: 10,
                chars: 100,
            },
        )
    }

    #[test]
    fn a_side_answers_first_then_shows_its_statements() {
        let section = Section {
            kind: SectionKind::named("django").unwrap(),
            code: "print('<b>')\nCustomer.objects.all()\n".into(),
            line: 3,
            expect: Expect::default(),
        };
        let rows = vec![vec![Value::Text("<i>Ada</i>".into())]];
        let lazy = "SELECT name FROM customers WHERE name <> ?";
        let captured = SectionCapture {
            kind: "django".into(),
            query_count: 3,
            setup: vec![statement("PRAGMA foreign_keys = ON", Origin::Orm, None)],
            statements: vec![
                statement("BEGIN ", Origin::Driver, None),
                statement(lazy, Origin::Orm, Some(rows.clone())),
                statement(lazy, Origin::Orm, Some(rows.clone())),
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
        let table = Table {
            columns: vec!["name".into()],
            rows,
            total_rows: 1,
        };
        let replayed = vec![
            Replayed::Ran(Outcome::Changed(0)),
            Replayed::Ran(Outcome::Rows(table.clone())),
            Replayed::Ran(Outcome::Rows(table)),
        ];
        let compare = Compare {
            id: "x".into(),
            databases: Vec::new(),
            database_note: None,
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
        let checks = Checks {
            sections: vec![vec![Passed("3 queries".into())]],
            block: vec![],
        };
        let (html, data) = render_compare(
            &compare,
            &capture,
            &[SideView {
                section: &section,
                capture: &captured,
                replayed: &replayed,
                upgrade: None,
                upgrade_href: None,
            }],
            &checks,
            &page(),
            "ormc-data/ch.json",
        );
        let data = data.to_string();
        assert!(html.starts_with(
            "<div class=\"ormc ormc-compare\" id=\"cmp-x\" data-sides=\"1\" \
             data-href=\"ormc-data/ch.json\" data-limits=\""
        ));
        assert!(html.contains("Django ORM <span class=\"ormc-version\">5.2.19</span>"));
        assert!(html.contains(">3 queries</span>"));
        // The answer comes before the statements.
        let result = html.find("data-label=\"Result · 1 row\"").unwrap();
        let statements = html.find("data-label=\"SQL sent · 3 statements\"").unwrap();
        assert!(result < statements);
        assert!(html.find("<li>3 queries</li>").unwrap() < statements);
        // The repeated statement is one entry, marked ×2.
        assert!(html.contains("data-step=\"1\" data-steps=\"2\""));
        assert!(html.contains("<strong>×2</strong> <span class=\"ormc-ui\" data-label=\"the same statement, sent 2 times\">"));
        assert!(html.contains("data-label=\"sent by Python&#x27;s sqlite3 module itself\""));
        assert!(html.contains("Connection set-up · 1 statement, before the code ran"));
        assert!(html.contains("<summary class=\"ormc-ui\" data-label=\"Returned 1 row\" aria-label=\"Returned 1 row\"></summary>"));
        assert!(data.contains(
            "\"notes\":{\"sides\":[{\"setup\":[0],\"steps\":[0,1,1]}],\"texts\":[\"\",\"Returned 1 row\"]}"
        ));
        assert!(html.contains("print(&#x27;&lt;b&gt;&#x27;)"));
        assert!(html.contains("&lt;i&gt;Ada&lt;/i&gt;"));
        assert!(html.contains("[&quot;&lt;p&gt;&quot;]"));
        assert!(html.contains(" data-href=\"ormc-data/ch.json\""));
        assert!(data.contains("\"sql\":[\"PRAGMA foreign_keys = ON\",\"BEGIN \""));
        assert!(html.contains("ValueError: &lt;bad&gt;"));
        // JSON islands hold text as JSON strings, where only `</` could matter.
        let outside_islands: String = html
            .split("<script")
            .map(|part| {
                part.split_once("</script>")
                    .map_or(part, |(_, after)| after)
            })
            .collect();
        for raw in ["<b>", "<i>", "<p>", "<bad>"] {
            assert!(!outside_islands.contains(raw), "{raw} was not escaped");
        }
        assert!(
            !html.contains('\n'),
            "raw HTML blocks must not hold newlines"
        );
    }
}
