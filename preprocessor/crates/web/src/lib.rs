//! The in-page SQL runner: the book's engine (`demo-engine`) compiled to
//! WebAssembly. The page's worker script (src/runner/worker.js) calls it; results
//! come back as the same HTML the build renders.
//!
//! A panel's Run replays the side's plan, the one the build replayed (the same
//! `Session::replay`), so a statement runs on the database as the ORM found it.
//! The demo database is compiled in from snippets/schema.sql and
//! snippets/fixtures.sql, so the browser runs on exactly the data the book was
//! built with, with no request beyond the module itself.

use demo_engine::html::{render_outcome, Shown};
use demo_engine::plan::{PlanSet, Step};
use demo_engine::{DemoDb, EngineError, Limits, Outcome, Session};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use wasm_bindgen::prelude::*;

const SCHEMA: &str = include_str!("../../../../snippets/schema.sql");
const FIXTURES: &str = include_str!("../../../../snippets/fixtures.sql");

/// The limits the build hands the page (book.toml's values).
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct PageLimits {
    #[serde(flatten)]
    pub engine: Limits,
    pub shown: Shown,
}

/// What a Run gives back to the page.
#[derive(Debug, Serialize, PartialEq)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Answer {
    /// One HTML fragment per statement run, in the book's markup.
    Ok { html: Vec<String>, ms: f64 },
    /// Words for the reader, and which statement failed (1-based; 0: none of them).
    Error { message: String, statement: usize },
}

/// The demo database and, for each example whose changes the reader keeps, their
/// working copy (by the example's key).
#[wasm_bindgen]
pub struct Runner {
    db: DemoDb,
    kept: HashMap<String, Session>,
    limits: PageLimits,
}

#[wasm_bindgen]
impl Runner {
    /// Builds the demo database once; every Run then starts from a copy of it.
    /// `limits` is the JSON the build wrote into the page.
    #[wasm_bindgen(constructor)]
    pub fn new(limits: &str) -> Result<Runner, JsError> {
        let limits: PageLimits = serde_json::from_str(limits)
            .map_err(|e| JsError::new(&format!("unreadable limits: {e}")))?;
        let db = DemoDb::build(SCHEMA, FIXTURES).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Runner {
            db,
            kept: HashMap::new(),
            limits,
        })
    }

    /// Runs steps `from..to` of side `side` of `plans` (a `PlanSet`, as the build
    /// wrote it), after the steps before them, on a fresh copy of the database. With
    /// a `keep` key, the copy is kept for the next Run with the same key; a kept copy
    /// gets only the chosen steps. `sql` and `params`, when not empty, replace what
    /// the chosen steps run: the reader's edit. Returns an `Answer` as JSON.
    #[allow(clippy::too_many_arguments)]
    pub fn run_plan(
        &mut self,
        plans: &str,
        side: usize,
        from: usize,
        to: usize,
        sql: &str,
        params: &str,
        keep: &str,
    ) -> String {
        to_json(&self.answer_plan(plans, side, from, to, sql, params, keep))
    }

    /// Runs SQL the reader typed (the playground), statement by statement, on a fresh
    /// copy, or the copy kept under `keep`. Returns an `Answer` as JSON.
    pub fn run_script(&mut self, sql: &str, keep: &str) -> String {
        to_json(&self.answer_script(sql, keep))
    }

    /// Forgets the copy kept under `keep`: its next Run starts from the fixtures.
    pub fn reset(&mut self, keep: &str) {
        self.kept.remove(keep);
    }
}

/// For a Run on PostgreSQL (PGlite, in src/runner/pg-worker.js): the steps to run
/// for steps `from..to` of side `side` of `plans`, after the set-up and the steps
/// before them, with the reader's edit (`sql`, `params`) in place of the chosen
/// ones. Returns `{"status": "ok", "steps": [...], "chosen": n}` (`postgres::PgRun`)
/// or an error `Answer`, as JSON.
#[wasm_bindgen]
pub fn pg_run(plans: &str, side: usize, from: usize, to: usize, sql: &str, params: &str) -> String {
    let run = serde_json::from_str::<PlanSet>(plans)
        .map_err(|e| format!("unreadable plan: {e}"))
        .and_then(|set| set.plan(side).map_err(|e| format!("unreadable plan: {e}")))
        .and_then(|plan| {
            if from >= to || to > plan.steps.len() {
                return Err(format!("no statements {}..{to} in this example", from + 1));
            }
            let chosen = edited(&plan.steps[from..to], sql, params)?;
            demo_engine::postgres::pg_run(&plan, from, &chosen)
        });
    pg_answer(run)
}

/// `pg_run` for steps `from..to` of side `side` of a capture file's text, as the
/// runner wrote it: the tests replay every PostgreSQL capture this way, with the
/// parameters read as the build reads them (`100.0` stays a real number, which
/// JavaScript's JSON cannot keep).
#[wasm_bindgen]
pub fn pg_run_capture(capture: &str, side: usize, from: usize, to: usize) -> String {
    #[derive(Deserialize)]
    struct Section {
        setup: Vec<Step>,
        statements: Vec<Step>,
    }
    #[derive(Deserialize)]
    struct Capture {
        sections: Vec<Section>,
    }
    let run = serde_json::from_str::<Capture>(capture)
        .map_err(|e| format!("unreadable capture: {e}"))
        .and_then(|capture| {
            let section = capture
                .sections
                .into_iter()
                .nth(side)
                .ok_or_else(|| format!("the capture has no side {}", side + 1))?;
            let plan = demo_engine::plan::Plan {
                setup: section.setup,
                steps: section.statements,
            };
            if from >= to || to > plan.steps.len() {
                return Err(format!("no statements {}..{to} in this side", from + 1));
            }
            demo_engine::postgres::pg_run(&plan, from, &plan.steps[from..to])
        });
    pg_answer(run)
}

/// What a statement gave on PostgreSQL, in the book's markup: `outcome` is
/// `{"columns": [...], "rows": [[...], ...]}` (values as captures hold them) or
/// `{"changed": n}`; rows past the book's limit are counted, not kept, as on SQLite.
#[wasm_bindgen]
pub fn render_pg_outcome(outcome: &str, limits: &str) -> Result<String, JsError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum PgOutcome {
        Rows {
            columns: Vec<String>,
            rows: Vec<Vec<demo_engine::Value>>,
        },
        Changed {
            changed: usize,
        },
    }
    let limits: PageLimits = serde_json::from_str(limits)
        .map_err(|e| JsError::new(&format!("unreadable limits: {e}")))?;
    let outcome: PgOutcome = serde_json::from_str(outcome)
        .map_err(|e| JsError::new(&format!("unreadable outcome: {e}")))?;
    let outcome = match outcome {
        PgOutcome::Rows { columns, mut rows } => {
            let total_rows = rows.len();
            rows.truncate(limits.engine.max_rows);
            Outcome::Rows(demo_engine::Table {
                columns,
                rows,
                total_rows,
            })
        }
        PgOutcome::Changed { changed } => Outcome::Changed(changed),
    };
    Ok(fragment(&outcome, limits.shown))
}

/// A PostgreSQL Run's steps as the worker reads them, or the error `Answer`.
fn pg_answer(run: Result<demo_engine::postgres::PgRun, String>) -> String {
    match run {
        Ok(run) => serde_json::json!({"status": "ok", "steps": run.steps, "chosen": run.chosen})
            .to_string(),
        Err(message) => to_json(&error(message, 0)),
    }
}

fn to_json(answer: &Answer) -> String {
    serde_json::to_string(answer).unwrap_or_else(|e| {
        format!(
            "{{\"status\":\"error\",\"message\":{},\"statement\":0}}",
            serde_json::Value::String(e.to_string())
        )
    })
}

impl Runner {
    #[allow(clippy::too_many_arguments)]
    pub fn answer_plan(
        &mut self,
        plans: &str,
        side: usize,
        from: usize,
        to: usize,
        sql: &str,
        params: &str,
        keep: &str,
    ) -> Answer {
        let start = now_ms();
        let plan = match serde_json::from_str::<PlanSet>(plans)
            .map_err(|e| e.to_string())
            .and_then(|set| set.plan(side))
        {
            Ok(plan) => plan,
            Err(e) => return error(format!("unreadable plan: {e}"), 0),
        };
        if from >= to || to > plan.steps.len() {
            return error(
                format!("no statements {}..{to} in this example", from + 1),
                0,
            );
        }
        let chosen = match edited(&plan.steps[from..to], sql, params).and_then(|steps| {
            steps
                .iter()
                .try_for_each(|s| s.parameter_sets().map(|_| ()))?;
            Ok(steps)
        }) {
            Ok(steps) => steps,
            Err(message) => return error(message, 0),
        };
        let fresh = keep.is_empty() || !self.kept.contains_key(keep);
        let shown = self.limits.shown;
        let session = match self.session(keep) {
            Ok(session) => session,
            Err(e) => return error(e.to_string(), 0),
        };
        if fresh {
            if let Err(e) = session.replay(&plan, from, |_, _, _| Ok(())) {
                return error(
                    format!("an earlier statement of this example did not replay: {e}"),
                    0,
                );
            }
        }
        let mut html = Vec::with_capacity(chosen.len());
        for (index, step) in chosen.iter().enumerate() {
            match session.run_step(step) {
                Ok(outcome) => html.push(fragment(&outcome, shown)),
                Err(e) => return error(explain(&e), index + 1),
            }
        }
        self.finish(keep);
        Answer::Ok {
            html,
            ms: now_ms() - start,
        }
    }

    pub fn answer_script(&mut self, sql: &str, keep: &str) -> Answer {
        let start = now_ms();
        let shown = self.limits.shown;
        let session = match self.session(keep) {
            Ok(session) => session,
            Err(e) => return error(e.to_string(), 0),
        };
        let script = session.run_script(sql, false);
        let answer = match script.failed {
            Some((_, e)) => error(explain(&e), script.ran.len() + 1),
            None if script.ran.is_empty() => error("there is no SQL statement to run".into(), 0),
            None => Answer::Ok {
                html: script.ran.iter().map(|(_, o)| fragment(o, shown)).collect(),
                ms: now_ms() - start,
            },
        };
        self.finish(keep);
        answer
    }

    /// The copy to run on: the one kept under `keep`, or a fresh one (kept under
    /// `keep` when there is a key, under "" for this Run only).
    fn session(&mut self, keep: &str) -> Result<&mut Session, EngineError> {
        if keep.is_empty() || !self.kept.contains_key(keep) {
            let fresh = self.db.fresh(self.limits.engine)?;
            self.kept.insert(keep.to_string(), fresh);
        }
        Ok(self.kept.get_mut(keep).expect("just set"))
    }

    fn finish(&mut self, keep: &str) {
        if keep.is_empty() {
            self.kept.remove("");
        }
    }
}

/// The chosen steps with the reader's edit: new SQL for each, and new parameters,
/// which for several steps (a group of the same statement) is a list with one entry
/// per step.
fn edited(chosen: &[Step], sql: &str, params: &str) -> Result<Vec<Step>, String> {
    let mut steps: Vec<Step> = chosen.to_vec();
    if !sql.trim().is_empty() {
        for step in &mut steps {
            step.sql = sql.to_string();
        }
    }
    if params.trim().is_empty() {
        return Ok(steps);
    }
    let value: serde_json::Value = serde_json::from_str(params).map_err(|e| {
        format!("the parameters are not JSON: {e}; write them as a list, [1, \"a\"]")
    })?;
    if steps.len() == 1 {
        steps[0].params = value;
    } else {
        let lists = value
            .as_array()
            .filter(|lists| lists.len() == steps.len())
            .ok_or_else(|| {
                format!(
                    "these {} executions need a list of {} parameter lists",
                    steps.len(),
                    steps.len()
                )
            })?;
        for (step, list) in steps.iter_mut().zip(lists) {
            step.params = list.clone();
        }
    }
    Ok(steps)
}

fn fragment(outcome: &Outcome, shown: Shown) -> String {
    let mut html = String::new();
    render_outcome(&mut html, outcome, shown);
    html
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

    const LIMITS: &str =
        r#"{"max_rows": 200, "max_steps": 2000000, "shown": {"rows": 12, "chars": 2000}}"#;

    fn runner() -> Runner {
        Runner::new(LIMITS).unwrap()
    }

    fn html(answer: Answer) -> Vec<String> {
        match answer {
            Answer::Ok { html, .. } => html,
            Answer::Error { message, .. } => panic!("{message}"),
        }
    }

    #[test]
    fn runs_a_script_with_the_books_markup() {
        let out = html(runner().answer_script("SELECT count(*) AS n FROM customers;", ""));
        assert_eq!(out.len(), 1);
        assert!(out[0]
            .starts_with("<div class=\"ormc-label\">1 row</div><div class=\"ormc-table-wrap\""));
        assert!(out[0].contains("<td class=\"ormc-num\">12</td>"));
    }

    /// A side as Django would send it, packed the way the build writes plans.
    fn plan(setup: bool) -> String {
        let plan: demo_engine::plan::Plan = serde_json::from_str(&if setup {
            PLAN.to_string()
        } else {
            PLAN.replace(r#""setup": [{"sql": "PRAGMA foreign_keys = ON"}],"#, "")
        })
        .unwrap();
        serde_json::to_string(&PlanSet::pack(&[plan])).unwrap()
    }

    const PLAN: &str = r#"{
        "setup": [{"sql": "PRAGMA foreign_keys = ON"}],
        "steps": [
            {"sql": "UPDATE customers SET city = 'Paris' WHERE city = ?", "params": ["London"]},
            {"sql": "INSERT INTO orders (customer_id, placed_on, status) VALUES (?, ?, ?)",
             "params": [999, "2024-01-01", "pending"], "refused": "FOREIGN KEY constraint failed"},
            {"sql": "SELECT count(*) FROM customers WHERE city <> ?", "params": ["Paris"]},
            {"sql": "SELECT name FROM customers WHERE id = ?", "params": [1]},
            {"sql": "SELECT name FROM customers WHERE id = ?", "params": [2]}
        ]}"#;

    #[test]
    fn a_run_replays_the_plan_with_its_parameters_and_set_up() {
        let mut r = runner();
        // Unchanged: the parameters stay bound, the refused insert is refused again.
        let out = html(r.answer_plan(&plan(true), 0, 2, 3, "", "", ""));
        assert!(out[0].contains(">7</td>"), "{}", out[0]);
        // A group of two executions of the same statement.
        let out = html(r.answer_plan(&plan(true), 0, 3, 5, "", "", ""));
        assert_eq!(out.len(), 2);
        assert!(out[1].contains("Alan Turing"), "{}", out[1]);
        // Edited: new parameters, one list per execution.
        let out = html(r.answer_plan(&plan(true), 0, 3, 5, "", "[[3], [4]]", ""));
        assert!(out[0].contains("Grace Hopper") && out[1].contains("Edsger Dijkstra"));
        let Answer::Error { message, .. } = r.answer_plan(&plan(true), 0, 3, 5, "", "[[3]]", "")
        else {
            panic!()
        };
        assert!(message.contains("list of 2 parameter lists"), "{message}");
    }

    #[test]
    fn without_the_set_up_the_page_would_accept_what_the_build_refused() {
        let Answer::Error { message, .. } = runner().answer_plan(&plan(false), 0, 2, 3, "", "", "")
        else {
            panic!()
        };
        assert!(message.contains("did not replay"), "{message}");
        assert!(message.contains("but ran"), "{message}");
    }

    #[test]
    fn changes_last_only_when_kept() {
        let mut r = runner();
        html(r.answer_script("DELETE FROM customers", "kept"));
        let kept = html(r.answer_script("SELECT count(*) FROM customers", "kept"));
        assert!(kept[0].contains(">0</td>"));
        let fresh = html(r.answer_script("SELECT count(*) FROM customers", ""));
        assert!(fresh[0].contains(">12</td>"));
    }

    #[test]
    fn errors_are_words_not_panics() {
        let mut r = runner();
        let Answer::Error { message, .. } = r.answer_script("SELEC 1", "") else {
            panic!()
        };
        assert!(
            message.starts_with("SQL syntax error near \"SELEC\""),
            "{message}"
        );
        let runaway = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n";
        let Answer::Error { message, .. } = r.answer_script(runaway, "") else {
            panic!()
        };
        assert!(message.starts_with("interrupted after"), "{message}");
        assert!(matches!(r.answer_script("  ", ""), Answer::Error { .. }));
        assert!(matches!(
            r.answer_plan("{", 0, 0, 1, "", "", ""),
            Answer::Error { .. }
        ));
        assert!(matches!(
            r.answer_plan(&plan(true), 0, 4, 9, "", "", ""),
            Answer::Error { .. }
        ));
        assert!(matches!(
            r.answer_plan(&plan(true), 0, 3, 4, "", "[1", ""),
            Answer::Error { .. }
        ));
    }
}
