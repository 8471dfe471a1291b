//! A comparison panel. It answers first: the checks the whole block passed, then
//! for each side its query count, its code, its result (or what it raised or
//! printed) and the checks that held; the statements follow, grouped
//! (`statements`). Sides stand next to each other, stacked on narrow pages (CSS).

use super::statements::Statements;
use super::upgrade::{render_change, render_marker};
use super::{code_block, esc, island, ui, PageContext};
use crate::capture::{Capture, SectionCapture};
use crate::checks::{plural, Checks, Passed};
use crate::replay::plan_of;
use crate::syntax::{Compare, Section};
use crate::upgrade::SideChange;
use demo_engine::html::{render_table, row_count, Shown};
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
    /// The driver that sent the statements no library asked for (`psycopg`).
    pub driver: &'a str,
    /// What the side does differently on each other database: its label and the
    /// differences in a few words (`upgrade::outcome_differences`).
    pub elsewhere: Vec<(&'a str, Vec<String>)>,
}

/// A comparison as captured on one database with the stack the prose describes.
pub struct DatabaseView<'a> {
    /// `sqlite`, as in snippets/targets.toml.
    pub name: &'a str,
    pub label: &'a str,
    pub capture: &'a Capture,
    pub sides: Vec<SideView<'a>>,
    pub checks: Checks,
    /// The build replayed it (SQLite): the page fetches a statement's rows with a
    /// replay of its own. Otherwise the rows go in the page as captured.
    pub replayed: bool,
}

/// The databases a comparison is not captured on (`db=`), and why (`db-note:`).
pub struct NotCaptured<'a> {
    pub labels: Vec<&'a str>,
    pub note: &'a str,
}

/// The panel's HTML, and its data: the sides' replay plans and the notes beside
/// statements of closed groups, which the page fetches from its chapter's data file
/// (`data_href`) on a reader's first Run or opened group.
///
/// `views` holds the comparison on each database it is captured on, the one shown
/// first first. The others go in the data file (`databases`), ready for the
/// panel's database switch: the page carries one database's panel only.
pub fn render_compare(
    compare: &Compare,
    views: &[DatabaseView<'_>],
    not_captured: Option<&NotCaptured<'_>>,
    page: &PageContext,
    data_href: &str,
) -> (String, serde_json::Value) {
    let shown = &views[0];
    let mut out = String::new();
    let _ = write!(
        out,
        "<div class=\"ormc ormc-compare\" id=\"{}\" data-sides=\"{}\" data-href=\"{}\" data-db=\"{}\"{}{}>",
        esc(&format!("cmp-{}", compare.id)),
        shown.sides.len(),
        esc(data_href),
        esc(shown.name),
        switch_attributes(views),
        page.attr()
    );
    out.push_str("<div class=\"ormc-bar\">");
    if let Some(not_captured) = not_captured {
        render_not_captured(&mut out, shown.label, not_captured);
    }
    out.push_str("</div><div class=\"ormc-view\">");
    let (view, mut data) = render_view(shown, page);
    island(&mut out, &view);
    out.push_str("</div></div>");
    // Each side's statement diff against the previous releases, for its marker.
    let upgrade: Vec<Option<String>> = shown
        .sides
        .iter()
        .map(|side| {
            side.upgrade.map(|change| {
                let mut html = String::new();
                render_change(&mut html, change);
                html
            })
        })
        .collect();
    if upgrade.iter().any(Option::is_some) {
        data["upgrade"] = serde_json::json!(upgrade);
    }
    if views.len() > 1 {
        let others: serde_json::Map<String, serde_json::Value> = views[1..]
            .iter()
            .map(|other| {
                let (html, mut other_data) = render_view(other, page);
                other_data["html"] = serde_json::Value::String(html);
                (other.name.to_string(), other_data)
            })
            .collect();
        data["databases"] = serde_json::Value::Object(others);
    }
    (out, data)
}

/// What the page's script builds the database switch from (its buttons only work
/// with the script, so the page does not carry them): each database's name and
/// label, in order. Nothing when there is one database.
fn switch_attributes(views: &[DatabaseView<'_>]) -> String {
    if views.len() < 2 {
        return String::new();
    }
    let names: Vec<&str> = views.iter().map(|v| v.name).collect();
    let labels: Vec<&str> = views.iter().map(|v| v.label).collect();
    format!(
        " data-dbs=\"{}\" data-db-labels=\"{}\"",
        esc(&names.join(" ")),
        esc(&labels.join("|"))
    )
}

fn render_not_captured(out: &mut String, label: &str, not_captured: &NotCaptured<'_>) {
    let _ = write!(
        out,
        "<details class=\"ormc-db-only\"><summary>{} only</summary><p>Not captured on {}: {}</p></details>",
        esc(label),
        esc(&not_captured.labels.join(" or ")),
        esc(not_captured.note)
    );
}

/// One database's view: the block's checks, then the sides; and its data.
fn render_view(view: &DatabaseView<'_>, page: &PageContext) -> (String, serde_json::Value) {
    let mut out = String::new();
    if !view.checks.block.is_empty() {
        render_checks(&mut out, &view.checks.block, "ormc-verdict");
    }
    out.push_str("<div class=\"ormc-sides\">");
    let mut notes = Notes::default();
    let rows_inline = (!view.replayed).then_some(page.shown);
    for (index, side) in view.sides.iter().enumerate() {
        let passed = view
            .checks
            .sections
            .get(index)
            .map_or(&[][..], Vec::as_slice);
        render_side(
            &mut out,
            index,
            view.capture,
            side,
            passed,
            rows_inline,
            page,
            &mut notes,
        );
    }
    out.push_str("</div>");
    let plans: Vec<_> = view
        .sides
        .iter()
        .map(|side| plan_of(side.capture))
        .collect();
    let data = serde_json::json!({
        "plans": PlanSet::pack(&plans),
        "notes": notes.to_json(),
    });
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

#[allow(clippy::too_many_arguments)]
fn render_side(
    out: &mut String,
    index: usize,
    capture: &Capture,
    side: &SideView<'_>,
    passed: &[Passed],
    rows_inline: Option<Shown>,
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
    for (label, differences) in &side.elsewhere {
        if !differences.is_empty() {
            let _ = write!(
                out,
                "<p class=\"ormc-elsewhere\"><span class=\"ormc-elsewhere-on\">On {}:</span> {}</p>",
                esc(label),
                esc(&differences.join(" · "))
            );
        }
    }
    code_block(out, "python", &side.section.code, "ormc-code");

    // The answer: what the code gave, and the checks that held.
    out.push_str("<div class=\"ormc-answer\">");
    if let Some(error) = &side.capture.error {
        let _ = write!(
            out,
            "<div class=\"ormc-raised\">{}<pre>{}: {}</pre></div>",
            ui("div", "ormc-label", "Raised"),
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
                "ormc-label",
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
            ui("div", "ormc-label", "Printed"),
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
        driver: side.driver,
        rows_inline,
    };
    if side.capture.statements.is_empty() && side.capture.setup.is_empty() {
        out.push_str(&ui("p", "ormc-none", "No SQL was sent."));
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
            15.0,
        )
    }

    fn section(kind: &str, code: &str) -> Section {
        Section {
            kind: SectionKind::named(kind).unwrap(),
            code: code.into(),
            line: 3,
            expect: Expect::default(),
        }
    }

    #[test]
    fn a_side_answers_first_then_shows_its_statements() {
        let section = section("django", "print('<b>')\nCustomer.objects.all()\n");
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
        let views = [DatabaseView {
            name: "sqlite",
            label: "SQLite",
            capture: &capture,
            sides: vec![SideView {
                section: &section,
                capture: &captured,
                replayed: &replayed,
                upgrade: None,
                upgrade_href: None,
                driver: "Python's sqlite3 module",
                elsewhere: vec![("PostgreSQL", vec!["2 queries, not 3".into()])],
            }],
            checks,
            replayed: true,
        }];
        let (html, data) = render_compare(&compare, &views, None, &page(), "ormc-data/ch.json");
        // The view is an island (`crate::islands`): read it as the page will.
        let html = crate::islands::load(&html);
        assert!(html.contains(
            "<p class=\"ormc-elsewhere\"><span class=\"ormc-elsewhere-on\">On PostgreSQL:</span> 2 queries, not 3</p>"
        ));
        // One database: no switch.
        assert!(!html.contains("data-dbs"));
        let data = data.to_string();
        assert!(html.starts_with(
            "<div class=\"ormc ormc-compare\" id=\"cmp-x\" data-sides=\"1\" \
             data-href=\"ormc-data/ch.json\" data-db=\"sqlite\" data-limits=\""
        ));
        assert!(html.contains("Django ORM <span class=\"ormc-version\">5.2.19</span>"));
        assert!(html.contains(">3 queries</span>"));
        // The answer comes before the statements.
        let result = html.find(">Result · 1 row<").unwrap();
        let statements = html.find(">SQL sent · 3 statements<").unwrap();
        assert!(result < statements);
        assert!(html.find("<li>3 queries</li>").unwrap() < statements);
        // The repeated statement is one entry, marked ×2.
        assert!(html.contains("data-step=\"1\" data-steps=\"2\""));
        assert!(html.contains("<strong>×2</strong> <span>the same statement, sent 2 times</span>"));
        assert!(html.contains(">sent by Python's sqlite3 module itself<"));
        assert!(html.contains("Connection set-up · 1 statement, before the code ran"));
        assert!(html.contains("<summary>Returned 1 row</summary>"));
        assert!(data.contains(
            "\"notes\":{\"sides\":[{\"setup\":[0],\"steps\":[0,1,1]}],\"texts\":[\"\",\"Returned 1 row\"]}"
        ));
        // Escaped; in the island, text keeps quotes as characters.
        assert!(html.contains("print('&lt;b&gt;')"));
        assert!(html.contains("&lt;i&gt;Ada&lt;/i&gt;"));
        assert!(html.contains("[\"&lt;p&gt;\"]"));
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
        // A blank line would end mdBook's raw HTML block.
        assert!(
            html.split('\n').all(|line| !line.trim().is_empty()),
            "raw HTML blocks must not hold a blank line"
        );
    }

    #[test]
    fn other_databases_wait_in_the_data_file_behind_a_switch() {
        let section = section("sqlalchemy", "session.scalars(select(Tag)).all()\n");
        let rows = vec![vec![Value::Text("<new>".into())]];
        let side = |sql: &str| SectionCapture {
            kind: "sqlalchemy".into(),
            query_count: 1,
            setup: vec![],
            statements: vec![
                statement("BEGIN", Origin::Driver, None),
                statement(sql, Origin::Orm, Some(rows.clone())),
            ],
            result: None,
            stdout: String::new(),
            error: None,
        };
        let (lite, pg) = (
            side("SELECT name FROM tags"),
            side("SELECT tags.name FROM tags"),
        );
        let capture = |section: &SectionCapture| Capture {
            id: "x".into(),
            input_hash: String::new(),
            versions: BTreeMap::from([("sqlalchemy".into(), "2.1.9".into())]),
            sections: vec![section.clone()],
            checksum: String::new(),
        };
        let (lite_capture, pg_capture) = (capture(&lite), capture(&pg));
        let replayed = [
            Replayed::Ran(Outcome::Changed(0)),
            Replayed::Ran(Outcome::Rows(lite.statements[1].table().unwrap())),
        ];
        let pg_outcomes = crate::replay::captured_outcomes(&pg);
        let view = |name, label, capture, side, replayed, driver, built| DatabaseView {
            name,
            label,
            capture,
            sides: vec![SideView {
                section: &section,
                capture: side,
                replayed,
                upgrade: None,
                upgrade_href: None,
                driver,
                elsewhere: vec![],
            }],
            checks: Checks::default(),
            replayed: built,
        };
        let views = [
            view(
                "sqlite",
                "SQLite",
                &lite_capture,
                &lite,
                &replayed[..],
                "sqlite3",
                true,
            ),
            view(
                "postgresql",
                "PostgreSQL",
                &pg_capture,
                &pg,
                &pg_outcomes[..],
                "psycopg",
                false,
            ),
        ];
        let compare = Compare {
            id: "x".into(),
            databases: Vec::new(),
            database_note: None,
            line: 1,
            same_rows: false,
            sections: vec![section.clone()],
        };
        let (html, data) = render_compare(&compare, &views, None, &page(), "d.json");
        let html = crate::islands::load(&html);
        assert!(html.contains(
            " data-db=\"sqlite\" data-dbs=\"sqlite postgresql\" data-db-labels=\"SQLite|PostgreSQL\""
        ));
        // The page carries the SQLite view only; its rows come from a replay in the page.
        assert!(html.contains("sent by sqlite3 itself"));
        assert!(html.contains("<details class=\"ormc-rows\" data-step=\"1\">"));
        assert!(!html.contains("tags.name"));
        // PostgreSQL's view, rendered and escaped, with the rows it captured.
        let other = &data["databases"]["postgresql"];
        let pg_html = other["html"].as_str().unwrap();
        assert!(pg_html.contains("sent by psycopg itself"));
        assert!(pg_html.contains("<details class=\"ormc-rows-inline\">"));
        assert!(pg_html.contains("&lt;new&gt;") && !pg_html.contains("<new>"));
        assert!(!pg_html.contains('\n'));
        assert!(other["plans"]["sql"]
            .to_string()
            .contains("SELECT tags.name FROM tags"));

        // Captured on one database only: the others' readers learn why.
        let only = NotCaptured {
            labels: vec!["PostgreSQL"],
            note: "PRAGMAs are <SQLite>'s own.",
        };
        let (html, data) = render_compare(&compare, &views[..1], Some(&only), &page(), "d.json");
        assert!(html.contains(
            "<details class=\"ormc-db-only\"><summary>SQLite only</summary><p>Not captured on \
             PostgreSQL: PRAGMAs are &lt;SQLite&gt;&#x27;s own.</p></details>"
        ));
        assert!(data.get("databases").is_none());
    }
}
