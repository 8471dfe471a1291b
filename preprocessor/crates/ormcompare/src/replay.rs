//! Replays a captured side on the build's own SQLite and checks that the rows
//! agree with what the ORM received at capture time.
//!
//! The replay itself is the engine's (`Session::replay` over the side's `Plan`), the
//! same code the page runs; this module makes the plan from the capture and adds
//! the build's check of every statement's rows.

use crate::capture::{SectionCapture, Statement};
use demo_engine::plan::{Plan, Replayed, Step};
use demo_engine::{DemoDb, Limits, Outcome, Session, Table};
use std::collections::HashMap;
use std::sync::Mutex;

pub use demo_engine::plan::short;

/// The plan of a captured side: its connection set-up, then its statements.
pub fn plan_of(section: &SectionCapture) -> Plan {
    let step = |s: &Statement| Step {
        sql: s.sql.clone(),
        params: s.params.clone(),
        many: s.many,
        refused: s.refused.clone(),
    };
    Plan {
        setup: section.setup.iter().map(step).collect(),
        steps: section.statements.iter().map(step).collect(),
    }
}

/// Sessions on the demo database for replays. A fresh copy of the database costs a
/// copy of its pages and, at its first statement, a parse of its whole schema: a
/// fifth of a cold build's work. Most sides only read, and leave their session as
/// they found it (`Session::left_as_found`): those sessions are kept, by their
/// set-up, for the next side with the same set-up.
pub struct Sessions<'a> {
    db: &'a DemoDb,
    limits: Limits,
    idle: Mutex<HashMap<String, Vec<Session>>>,
}

impl<'a> Sessions<'a> {
    pub fn new(db: &'a DemoDb, limits: Limits) -> Sessions<'a> {
        Sessions {
            db,
            limits,
            idle: Mutex::new(HashMap::new()),
        }
    }

    /// What sessions are kept by: the plan's set-up.
    fn key(plan: &Plan) -> String {
        serde_json::to_string(&plan.setup).expect("steps serialize")
    }

    /// A session for `plan`, whose set-up is `key`: one a replay with the same set-up
    /// left as it found it (`Kept`), or a fresh one. A plan that writes gets a fresh
    /// one: it cannot give it back, and the kept ones, whose prepared statements the
    /// next sides often send again, stay for the plans that only read.
    fn take(&self, key: &str, plan: &Plan) -> Result<Taken, String> {
        let kept = if plan.only_reads() {
            self.idle
                .lock()
                .expect("never poisoned")
                .get_mut(key)
                .and_then(Vec::pop)
        } else {
            None
        };
        match kept {
            Some(session) => Ok(Taken::Kept(session)),
            None => self
                .db
                .fresh(self.limits)
                .map(Taken::Fresh)
                .map_err(|e| e.to_string()),
        }
    }

    /// Keeps `session` for the next replay if `plan` (whose set-up is `key`) left it
    /// as it found it.
    fn give_back(&self, key: String, plan: &Plan, session: Session) {
        if session.left_as_found(plan) {
            self.idle
                .lock()
                .expect("never poisoned")
                .entry(key)
                .or_default()
                .push(session);
        }
    }

    /// How many sessions wait for a replay.
    pub fn idle(&self) -> usize {
        self.idle
            .lock()
            .expect("never poisoned")
            .values()
            .map(Vec::len)
            .sum()
    }
}

/// A session from `Sessions::take`.
enum Taken {
    /// A fresh copy of the database: the plan's set-up runs first.
    Fresh(Session),
    /// A session that already ran the plan's set-up, and since then only plans that
    /// left it as they found it: the set-up is not run again (`replay_steps`).
    Kept(Session),
}

/// Replays a side on the demo database as it was built (a fresh copy, or a session
/// a replay left as it found it) and returns what each of its statements gave, with
/// the rows checked against the capture. The error names the statement (1-based)
/// and what went wrong.
pub fn replay_section(
    sessions: &Sessions<'_>,
    section: &SectionCapture,
) -> Result<Vec<Replayed>, String> {
    let plan = plan_of(section);
    let key = Sessions::key(&plan);
    let mut replayed = Vec::with_capacity(plan.steps.len());
    let mut check = |index: usize, _: &Step, outcome: &Replayed| {
        let shown = match outcome {
            Replayed::Ran(Outcome::Rows(built)) => Replayed::Ran(Outcome::Rows(check_rows(
                &section.statements[index],
                built.clone(),
            )?)),
            other => other.clone(),
        };
        replayed.push(shown);
        Ok(())
    };
    let upto = plan.steps.len();
    let session = match sessions.take(&key, &plan)? {
        Taken::Fresh(mut session) => session.replay(&plan, upto, &mut check).map(|()| session),
        Taken::Kept(mut session) => session
            .replay_steps(&plan, upto, &mut check)
            .map(|()| session),
    }
    .map_err(|e| e.to_string())?;
    sessions.give_back(key, &plan, session);
    Ok(replayed)
}

/// What each statement of a side gave as the capture recorded it, for a database the
/// build does not run (PostgreSQL): its rows, its refusal, or nothing known (rows
/// changed are only counted by a replay).
pub fn captured_outcomes(section: &SectionCapture) -> Vec<Replayed> {
    section
        .statements
        .iter()
        .map(|statement| match (&statement.refused, statement.table()) {
            (Some(message), _) => Replayed::Refused(message.clone()),
            (None, Some(table)) => Replayed::Ran(Outcome::Rows(table)),
            (None, None) => Replayed::Ran(Outcome::Changed(0)),
        })
        .collect()
}

/// The table to show for a statement whose rows the build got as `built`.
///
/// The rows must be the ones the ORM received. Where the SQL leaves the order of
/// some rows open (rows that tie under `ORDER BY`, or no `ORDER BY` at all), two
/// SQLite versions may legitimately return them in different orders: then the
/// rows must match as a multiset, and the page shows them in the order the ORM
/// received them.
fn check_rows(statement: &Statement, built: Table) -> Result<Table, String> {
    let Some(captured) = statement.table() else {
        return Ok(built);
    };
    if captured.columns != built.columns {
        return Err(format!(
            "returned columns {:?} at build time but {:?} at capture time",
            built.columns, captured.columns
        ));
    }
    if captured.same_rows(&built) {
        return Ok(built);
    }
    if captured.same_rows_in_any_order(&built) {
        return Ok(captured);
    }
    Err(format!(
        "returned different rows at build time ({} rows) than the ORM got at capture time \
         ({} rows); the SQLite versions may disagree, or the capture was edited by hand: \
         re-capture it",
        built.total_rows, captured.total_rows
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Origin;

    const SCHEMA: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);";
    const LIMITS: Limits = Limits {
        max_rows: 100,
        max_steps: 1_000_000,
    };

    fn insert(name: serde_json::Value, refused: Option<&str>) -> Statement {
        Statement {
            sql: "INSERT INTO t (name) VALUES (?)".into(),
            formatted: None,
            params: serde_json::json!([name]),
            many: false,
            origin: Origin::Orm,
            columns: None,
            rows: None,
            total_rows: None,
            refused: refused.map(str::to_string),
        }
    }

    /// A side that sent `setup`, then `statements`.
    fn side(setup: Vec<Statement>, statements: Vec<Statement>) -> SectionCapture {
        SectionCapture {
            kind: "sqlalchemy".into(),
            query_count: statements.len(),
            setup,
            statements,
            result: None,
            stdout: String::new(),
            error: None,
        }
    }

    fn replay_with(
        setup: Vec<Statement>,
        statements: Vec<Statement>,
    ) -> Result<Vec<Replayed>, String> {
        let db = DemoDb::build(SCHEMA, "").unwrap();
        replay_section(&Sessions::new(&db, LIMITS), &side(setup, statements))
    }

    fn replay(statements: Vec<Statement>) -> Result<Vec<Replayed>, String> {
        replay_with(Vec::new(), statements)
    }

    /// A statement with no parameters, as the runner records it.
    fn sent(sql: &str, rows: Option<Vec<serde_json::Value>>) -> Statement {
        serde_json::from_value(serde_json::json!({
            "sql": sql,
            "params": [],
            "many": false,
            "origin": "orm",
            "columns": rows.as_ref().map(|_| vec!["foreign_keys"]),
            "rows": rows.as_ref().map(|r| r.iter().map(|v| vec![v.clone()]).collect::<Vec<_>>()),
            "total_rows": rows.as_ref().map(Vec::len),
        }))
        .unwrap()
    }

    #[test]
    fn a_session_that_only_read_is_kept_for_the_next_side_with_the_same_set_up() {
        let db = DemoDb::build(SCHEMA, "").unwrap();
        let sessions = Sessions::new(&db, LIMITS);
        let keys_on = || vec![sent("PRAGMA foreign_keys = ON", None)];
        let read = || vec![sent("PRAGMA foreign_keys", Some(vec![1.into()]))];
        replay_section(&sessions, &side(keys_on(), vec![])).unwrap();
        assert_eq!(sessions.idle(), 1);
        // Taken by the next side with that set-up, and given back.
        replay_section(&sessions, &side(keys_on(), vec![])).unwrap();
        assert_eq!(sessions.idle(), 1);
        // Another set-up gets a fresh session: foreign keys are off there.
        let error = replay_section(&sessions, &side(vec![], read())).unwrap_err();
        assert!(error.contains("different rows"), "{error}");
        // A side that writes gets a fresh session and does not give it back: the
        // kept one waits for the next side that only reads, which starts from the
        // database as it was built.
        let write = side(keys_on(), vec![insert("x".into(), None)]);
        assert_eq!(
            replay_section(&sessions, &write).unwrap(),
            vec![Replayed::Ran(Outcome::Changed(1))]
        );
        assert_eq!(sessions.idle(), 1);
        // (`sent` names its one column foreign_keys.)
        let count = sent(
            "SELECT count(*) AS foreign_keys FROM t",
            Some(vec![0.into()]),
        );
        replay_section(&sessions, &side(keys_on(), vec![count.clone()])).unwrap();
        assert_eq!(sessions.idle(), 1);
        // A plan that reads by its words but writes (a `WITH ... INSERT`) is not
        // given back either.
        let cte = sent(
            "WITH v(n) AS (VALUES ('y')) INSERT INTO t (name) SELECT n FROM v",
            None,
        );
        replay_section(&sessions, &side(keys_on(), vec![cte])).unwrap();
        assert_eq!(sessions.idle(), 0);
        replay_section(&sessions, &side(keys_on(), vec![count])).unwrap();
    }

    #[test]
    fn the_recorded_set_up_runs_before_the_statements() {
        let with_keys_on = vec![sent("PRAGMA foreign_keys = ON", None)];
        let read = || vec![sent("PRAGMA foreign_keys", Some(vec![1.into()]))];
        assert!(replay_with(with_keys_on, read()).is_ok());
        // Without the set-up, SQLite's default (off) does not give the captured row.
        let error = replay_with(Vec::new(), read()).unwrap_err();
        assert!(error.contains("different rows"), "{error}");
        let bad_setup = vec![sent("PRAGMA nonsense(", None)];
        let error = replay_with(bad_setup, read()).unwrap_err();
        assert!(error.starts_with("the connection set-up"), "{error}");
    }

    const NOT_NULL: &str = "NOT NULL constraint failed: t.name";

    #[test]
    fn a_refusal_the_capture_recorded_is_expected_and_the_replay_goes_on() {
        let replayed = replay(vec![
            insert(serde_json::Value::Null, Some(NOT_NULL)),
            insert("ok".into(), None),
        ])
        .unwrap();
        assert_eq!(
            replayed,
            vec![
                Replayed::Refused(NOT_NULL.into()),
                Replayed::Ran(Outcome::Changed(1))
            ]
        );
    }

    #[test]
    fn a_refusal_must_happen_and_say_the_same() {
        let ran = replay(vec![insert("ok".into(), Some(NOT_NULL))]).unwrap_err();
        assert!(ran.contains("but ran"), "{ran}");
        let other = replay(vec![insert(
            serde_json::Value::Null,
            Some("UNIQUE constraint failed"),
        )])
        .unwrap_err();
        assert!(other.contains(&format!("now with `{NOT_NULL}`")), "{other}");
        let unexpected = replay(vec![insert(serde_json::Value::Null, None)]).unwrap_err();
        assert!(unexpected.contains("failed: NOT NULL"), "{unexpected}");
    }
}
