//! The in-page SQL runner: the book's engine (`demo-engine`) compiled to
//! WebAssembly. The page's worker script (theme/ormcompare-worker.js) calls it;
//! results come back as the same HTML the build renders.
//!
//! The demo database is compiled in from snippets/schema.sql and
//! snippets/fixtures.sql, so the browser runs on exactly the data the book
//! was built with, with no request beyond the module itself.

use demo_engine::html::render_outcome;
use demo_engine::{DemoDb, EngineError, Limits, Outcome, Session, Value};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

const SCHEMA: &str = include_str!("../../../../snippets/schema.sql");
const FIXTURES: &str = include_str!("../../../../snippets/fixtures.sql");

/// A statement to run first, as the book captured it (its rows are not shown).
#[derive(Debug, Deserialize)]
pub struct Step {
    pub sql: String,
    #[serde(default)]
    pub params: serde_json::Value,
    #[serde(default)]
    pub many: bool,
    /// The database refused it when the book was captured: its failure is expected.
    #[serde(default)]
    pub refused: bool,
}

/// What a Run gives back to the page.
#[derive(Debug, Serialize, PartialEq)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Answer {
    /// One HTML fragment per statement of the script, in the book's markup.
    Ok { html: Vec<String>, ms: f64 },
    /// Words for the reader, and which statement failed (1-based).
    Error { message: String, statement: usize },
}

/// The demo database and, when the reader keeps changes, their working copy.
#[wasm_bindgen]
pub struct Runner {
    db: DemoDb,
    kept: Option<Session>,
    limits: Limits,
    shown_rows: usize,
}

#[wasm_bindgen]
impl Runner {
    /// Builds the demo database once; every Run then starts from a copy of it.
    #[wasm_bindgen(constructor)]
    pub fn new(max_rows: usize, shown_rows: usize, max_steps: u64) -> Result<Runner, JsError> {
        let db = DemoDb::build(SCHEMA, FIXTURES).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Runner {
            db,
            kept: None,
            limits: Limits {
                max_rows,
                max_steps,
            },
            shown_rows,
        })
    }

    /// Runs `sql` after `before` (a JSON list of steps: what the same panel side
    /// sent earlier), on a fresh copy of the database, or on the kept copy when
    /// `keep` is true. `params` (JSON) binds `?` placeholders in a single
    /// statement; `many` runs it once per parameter list. Returns an `Answer` as JSON.
    pub fn run(&mut self, before: &str, sql: &str, params: &str, many: bool, keep: bool) -> String {
        let answer = self.answer(before, sql, params, many, keep);
        serde_json::to_string(&answer).unwrap_or_else(|e| {
            format!("{{\"status\":\"error\",\"message\":\"{e}\",\"statement\":0}}")
        })
    }

    /// Forgets the kept copy: the next Run starts from the fixtures again.
    pub fn reset(&mut self) {
        self.kept = None;
    }
}

impl Runner {
    pub fn answer(
        &mut self,
        before: &str,
        sql: &str,
        params: &str,
        many: bool,
        keep: bool,
    ) -> Answer {
        let start = now_ms();
        let session = match self.session(keep) {
            Ok(session) => session,
            Err(e) => return error(e.to_string(), 0),
        };
        let steps: Vec<Step> = if before.trim().is_empty() {
            Vec::new()
        } else {
            match serde_json::from_str(before) {
                Ok(steps) => steps,
                Err(e) => return error(format!("unreadable earlier statements: {e}"), 0),
            }
        };
        for step in &steps {
            let outcome = run_one(session, &step.sql, &step.params, step.many);
            if let (Err(e), false) = (outcome, step.refused) {
                return error(
                    format!("an earlier statement of this example failed: {e}"),
                    0,
                );
            }
        }
        let params: serde_json::Value = if params.trim().is_empty() {
            serde_json::Value::Array(Vec::new())
        } else {
            match serde_json::from_str(params) {
                Ok(p) => p,
                Err(e) => return error(format!("unreadable parameters: {e}"), 0),
            }
        };
        let outcomes = if params.as_array().is_some_and(|a| !a.is_empty()) {
            run_one(session, sql, &params, many).map(|o| vec![o])
        } else {
            session
                .run_script(sql)
                .map(|steps| steps.into_iter().map(|(_, o)| o).collect())
        };
        let shown = self.shown_rows;
        let answer = match outcomes {
            Ok(outcomes) if outcomes.is_empty() => {
                error("there is no SQL statement to run".into(), 0)
            }
            Ok(outcomes) => Answer::Ok {
                html: outcomes
                    .iter()
                    .map(|o| {
                        let mut html = String::new();
                        render_outcome(&mut html, o, shown);
                        html
                    })
                    .collect(),
                ms: now_ms() - start,
            },
            Err(e) => error(explain(&e), 1),
        };
        if !keep {
            self.kept = None;
        }
        answer
    }

    fn session(&mut self, keep: bool) -> Result<&mut Session, EngineError> {
        if !keep || self.kept.is_none() {
            self.kept = Some(self.db.fresh(self.limits)?);
        }
        Ok(self.kept.as_mut().expect("just set"))
    }
}

fn run_one(
    session: &mut Session,
    sql: &str,
    params: &serde_json::Value,
    many: bool,
) -> Result<Outcome, EngineError> {
    let sets: Vec<Vec<Value>> = if many {
        serde_json::from_value(params.clone())
    } else {
        serde_json::from_value(params.clone()).map(|one| vec![one])
    }
    .map_err(|e| EngineError::Sql(format!("unreadable parameters: {e}")))?;
    let mut last = Outcome::Changed(0);
    let mut changed = 0;
    for set in sets {
        last = session.run(sql, &set)?;
        if let Outcome::Changed(n) = last {
            changed += n;
        }
    }
    Ok(match last {
        Outcome::Changed(_) => Outcome::Changed(changed),
        rows => rows,
    })
}

/// SQLite's words, with a hint where a reader may not know what they mean.
fn explain(e: &EngineError) -> String {
    match e {
        EngineError::Sql(message) if message.starts_with("near ") => {
            format!("SQL syntax error {message}")
        }
        other => other.to_string(),
    }
}

fn error(message: String, statement: usize) -> Answer {
    Answer::Error { message, statement }
}

#[cfg(target_arch = "wasm32")]
fn now_ms() -> f64 {
    js_sys_now()
}

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    fn js_sys_now() -> f64;
}

#[cfg(not(target_arch = "wasm32"))]
fn now_ms() -> f64 {
    0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runner() -> Runner {
        Runner::new(200, 12, 2_000_000).unwrap()
    }

    fn html(answer: Answer) -> Vec<String> {
        match answer {
            Answer::Ok { html, .. } => html,
            Answer::Error { message, .. } => panic!("{message}"),
        }
    }

    #[test]
    fn runs_a_script_with_the_books_markup() {
        let out =
            html(runner().answer("", "SELECT count(*) AS n FROM customers;", "", false, false));
        assert_eq!(out.len(), 1);
        assert!(out[0]
            .starts_with("<div class=\"ormc-label\">1 row</div><div class=\"ormc-table-wrap\">"));
        assert!(out[0].contains("<td class=\"ormc-num\">12</td>"));
    }

    #[test]
    fn binds_captured_parameters_and_replays_earlier_steps() {
        let mut r = runner();
        let before = r#"[{"sql": "DELETE FROM customers WHERE city = ?", "params": ["London"]}]"#;
        let out = html(r.answer(
            before,
            "SELECT count(*) FROM customers WHERE city <> ?",
            "[\"Paris\"]",
            false,
            false,
        ));
        assert!(out[0].contains(">7</td>"), "{}", out[0]);
    }

    #[test]
    fn earlier_steps_the_book_shows_refused_may_fail_again() {
        let mut r = runner();
        let null_name =
            r#"{"sql": "INSERT INTO customers (name) VALUES (NULL)", "refused": REFUSED}"#;
        let count = "SELECT count(*) FROM customers";
        let expected = format!("[{}]", null_name.replace("REFUSED", "true"));
        assert!(html(r.answer(&expected, count, "", false, false))[0].contains(">12</td>"));
        let unexpected = format!("[{}]", null_name.replace("REFUSED", "false"));
        let Answer::Error { message, .. } = r.answer(&unexpected, count, "", false, false) else {
            panic!()
        };
        assert!(message.starts_with("an earlier statement"), "{message}");
    }

    #[test]
    fn changes_last_only_when_kept() {
        let mut r = runner();
        html(r.answer("", "DELETE FROM customers", "", false, true));
        let kept = html(r.answer("", "SELECT count(*) FROM customers", "", false, true));
        assert!(kept[0].contains(">0</td>"));
        let fresh = html(r.answer("", "SELECT count(*) FROM customers", "", false, false));
        assert!(fresh[0].contains(">12</td>"));
    }

    #[test]
    fn errors_are_words_not_panics() {
        let mut r = runner();
        let Answer::Error { message, .. } = r.answer("", "SELEC 1", "", false, false) else {
            panic!()
        };
        assert!(
            message.starts_with("SQL syntax error near \"SELEC\""),
            "{message}"
        );
        let runaway = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n";
        let Answer::Error { message, .. } = r.answer("", runaway, "", false, false) else {
            panic!()
        };
        assert!(message.starts_with("interrupted after"), "{message}");
        assert!(matches!(
            r.answer("", "  ", "", false, false),
            Answer::Error { .. }
        ));
    }
}
