//! A replay plan: what one side of a comparison sent to the database, ready to run
//! again. The build writes a plan for each side from its capture; the build's check
//! and the page's Run both execute it with `Session::replay`, so the two cannot
//! replay a side differently.
//!
//! A plan holds the library's connection set-up (as the runner recorded it), then
//! every statement in order: transaction control, the driver's own `BEGIN` and
//! `COMMIT`, statements the database refused on purpose (with SQLite's message), and
//! parameters exactly as the capture holds them.

use crate::{EngineError, Outcome, Session, Value};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// What the library sent on its new connection before the section's code ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub setup: Vec<Step>,
    /// What the section sent, in order.
    pub steps: Vec<Step>,
}

impl Plan {
    /// Whether the plan, by its statements' first words, only reads: a set-up that
    /// can run again (PRAGMAs and SELECTs), and steps that are queries or
    /// transaction control, not a PRAGMA that changes the connection.
    pub fn only_reads(&self) -> bool {
        const SET_UP: [&str; 2] = ["PRAGMA", "SELECT"];
        const READS: [&str; 9] = [
            "SELECT",
            "WITH",
            "VALUES",
            "BEGIN",
            "COMMIT",
            "END",
            "ROLLBACK",
            "SAVEPOINT",
            "RELEASE",
        ];
        self.setup
            .iter()
            .all(|step| SET_UP.contains(&verb(&step.sql).as_str()))
            && self
                .steps
                .iter()
                .all(|step| READS.contains(&verb(&step.sql).as_str()))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub sql: String,
    /// One parameter list; for `many`, a list of them, one per execution.
    #[serde(default = "no_parameters")]
    pub params: serde_json::Value,
    /// Run once per parameter list (`executemany`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub many: bool,
    /// SQLite refused the statement when it was captured, with these words; the
    /// replay must be refused alike, and then goes on, as SQLite does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

fn no_parameters() -> serde_json::Value {
    serde_json::Value::Array(Vec::new())
}

impl Step {
    /// The parameter lists to run the statement with: one, or one per execution.
    pub fn parameter_sets(&self) -> Result<Vec<Vec<Value>>, String> {
        parameter_sets(&self.params, self.many)
    }
}

/// A statement's parameters as captured (JSON) turned into the lists to run it with:
/// one list, or one per execution of an `executemany` (`many`). The capture reader
/// and the replay share it.
pub fn parameter_sets(params: &serde_json::Value, many: bool) -> Result<Vec<Vec<Value>>, String> {
    let parse = |v: &serde_json::Value| {
        serde_json::from_value::<Vec<Value>>(v.clone())
            .map_err(|e| format!("unreadable parameters {v}: {e}"))
    };
    if many {
        let sets = params.as_array().ok_or_else(|| {
            format!("the parameters of an `executemany` must be a list of lists, not {params}")
        })?;
        sets.iter().map(parse).collect()
    } else {
        Ok(vec![parse(params)?])
    }
}

/// The plans of a panel's sides in the compact form a page carries: every distinct
/// SQL text and parameter list once, the steps pointing at them. A bulk load sends
/// the same `INSERT` hundreds of times, and both sides of a panel often the same
/// rows: written out plainly, the plans alone made a chapter too heavy to load.
///
/// In JSON: `{"sql": [text, ...], "params": [json_text, ...], "sides": [{"setup":
/// [step, ...], "steps": [step, ...]}, ...]}`, where a step is `[sql, params]`,
/// `[sql, params, 1]` for an `executemany`, or `[sql, params, many, refusal]` for a
/// statement the database refused (`sql` and `params` are indexes). Parameter lists
/// are kept as their JSON text, so that `100.0` stays a real number wherever the
/// page reads them. theme/ormcompare.js reads this form to show a step's text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanSet {
    pub sql: Vec<String>,
    pub params: Vec<String>,
    pub sides: Vec<PackedPlan>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PackedPlan {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub setup: Vec<PackedStep>,
    pub steps: Vec<PackedStep>,
}

/// A step of a `PlanSet`: indexes into its texts, then `many` and the refusal.
#[derive(Debug, Clone, PartialEq)]
pub struct PackedStep {
    pub sql: usize,
    pub params: usize,
    pub many: bool,
    pub refused: Option<String>,
}

impl Serialize for PackedStep {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let len = match (&self.refused, self.many) {
            (Some(_), _) => 4,
            (None, true) => 3,
            (None, false) => 2,
        };
        let mut seq = serializer.serialize_seq(Some(len))?;
        seq.serialize_element(&self.sql)?;
        seq.serialize_element(&self.params)?;
        if len > 2 {
            seq.serialize_element(&u8::from(self.many))?;
        }
        if let Some(refused) = &self.refused {
            seq.serialize_element(refused)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for PackedStep {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let items: Vec<serde_json::Value> = Vec::deserialize(deserializer)?;
        let index = |i: usize| {
            items
                .get(i)
                .and_then(serde_json::Value::as_u64)
                .map(|n| n as usize)
                .ok_or_else(|| D::Error::custom("a step starts with two indexes, [sql, params]"))
        };
        Ok(PackedStep {
            sql: index(0)?,
            params: index(1)?,
            many: items.get(2).and_then(serde_json::Value::as_u64) == Some(1),
            refused: items
                .get(3)
                .and_then(serde_json::Value::as_str)
                .map(str::to_string),
        })
    }
}

impl PlanSet {
    /// The sides' plans, packed.
    pub fn pack(plans: &[Plan]) -> PlanSet {
        let mut set = PlanSet::default();
        let mut sql_index = std::collections::HashMap::new();
        let mut params_index = std::collections::HashMap::new();
        let mut pack = |step: &Step, set: &mut PlanSet| {
            let sql = *sql_index.entry(step.sql.clone()).or_insert_with(|| {
                set.sql.push(step.sql.clone());
                set.sql.len() - 1
            });
            let text = crate::json_text(&step.params);
            let params = *params_index.entry(text.clone()).or_insert_with(|| {
                set.params.push(text);
                set.params.len() - 1
            });
            PackedStep {
                sql,
                params,
                many: step.many,
                refused: step.refused.clone(),
            }
        };
        for plan in plans {
            let setup = plan.setup.iter().map(|s| pack(s, &mut set)).collect();
            let steps = plan.steps.iter().map(|s| pack(s, &mut set)).collect();
            set.sides.push(PackedPlan { setup, steps });
        }
        set
    }

    /// The plan of side `side`, unpacked.
    pub fn plan(&self, side: usize) -> Result<Plan, String> {
        let packed = self
            .sides
            .get(side)
            .ok_or_else(|| format!("no side {side} in this plan"))?;
        let unpack = |step: &PackedStep| -> Result<Step, String> {
            let sql = self
                .sql
                .get(step.sql)
                .ok_or("a step points past the SQL texts")?;
            let params = self
                .params
                .get(step.params)
                .ok_or("a step points past the parameter lists")?;
            Ok(Step {
                sql: sql.clone(),
                params: serde_json::from_str(params)
                    .map_err(|e| format!("unreadable parameters {params}: {e}"))?,
                many: step.many,
                refused: step.refused.clone(),
            })
        };
        Ok(Plan {
            setup: packed.setup.iter().map(unpack).collect::<Result<_, _>>()?,
            steps: packed.steps.iter().map(unpack).collect::<Result<_, _>>()?,
        })
    }
}

/// Where a replay parted from what the plan says happened.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayError {
    /// `None` for the connection set-up, else the step (0-based).
    pub step: Option<usize>,
    pub sql: String,
    pub message: String,
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step {
            None => write!(f, "the connection set-up ("),
            Some(i) => write!(f, "statement {} (", i + 1),
        }?;
        write!(f, "`{}`) {}", short(&self.sql), self.message)
    }
}

/// What a step gave when it ran as the plan expects: its outcome, or the refusal
/// the plan expects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Replayed {
    Ran(Outcome),
    Refused(String),
}

impl Session {
    /// Runs one step: once, or once per parameter list for `many` (rows changed are
    /// summed; the last execution's rows are kept).
    pub fn run_step(&mut self, step: &Step) -> Result<Outcome, EngineError> {
        let sets = step.parameter_sets().map_err(EngineError::Sql)?;
        let mut last = Outcome::Changed(0);
        let mut changed = 0;
        for set in &sets {
            last = self.run(&step.sql, set)?;
            if let Outcome::Changed(n) = last {
                changed += n;
            }
        }
        Ok(match last {
            Outcome::Changed(_) => Outcome::Changed(changed),
            rows => rows,
        })
    }

    /// Runs the plan's set-up, then its steps before `upto`, as they ran when the
    /// book was captured: every step must do what the plan says (run, or be refused
    /// with the same words). `each` sees every step's index and what it gave, and
    /// may stop the replay with a complaint of its own (the build compares rows).
    pub fn replay(
        &mut self,
        plan: &Plan,
        upto: usize,
        each: impl FnMut(usize, &Step, &Replayed) -> Result<(), String>,
    ) -> Result<(), ReplayError> {
        for step in &plan.setup {
            self.expect(step).map_err(|message| ReplayError {
                step: None,
                sql: step.sql.clone(),
                message,
            })?;
        }
        self.replay_steps(plan, upto, each)
    }

    /// `replay` without the set-up, on a session that already ran this same set-up
    /// and only plans that left it as they found it (`left_as_found`). Running the
    /// set-up again would change nothing but cost: a PRAGMA that sets a flag expires
    /// every statement the connection compiled, and SQLite compiles each again.
    pub fn replay_steps(
        &mut self,
        plan: &Plan,
        upto: usize,
        mut each: impl FnMut(usize, &Step, &Replayed) -> Result<(), String>,
    ) -> Result<(), ReplayError> {
        for (index, step) in plan.steps.iter().take(upto).enumerate() {
            let fail = |message| ReplayError {
                step: Some(index),
                sql: step.sql.clone(),
                message,
            };
            let replayed = self.expect(step).map_err(fail)?;
            each(index, step, &replayed).map_err(fail)?;
        }
        Ok(())
    }

    /// Whether replaying `plan` left this session as a fresh one with the same
    /// set-up would be, so that it can replay another plan with that set-up (the
    /// build keeps such sessions: a fresh copy of the database costs more than most
    /// replays). That holds when the plan only reads (`Plan::only_reads`), SQLite
    /// prepared every step read-only, and no transaction is left open.
    pub fn left_as_found(&self, plan: &Plan) -> bool {
        let conn = self.connection();
        plan.only_reads()
            && plan.steps.iter().all(|step| {
                conn.prepare_cached(&step.sql)
                    .is_ok_and(|statement| statement.readonly())
            })
            && conn.is_autocommit()
    }

    fn expect(&mut self, step: &Step) -> Result<Replayed, String> {
        match (self.run_step(step), &step.refused) {
            (Ok(outcome), None) => Ok(Replayed::Ran(outcome)),
            (Err(e), Some(expected)) if e.to_string() == *expected => {
                Ok(Replayed::Refused(expected.clone()))
            }
            (Err(e), Some(expected)) => Err(format!(
                "was refused when the book was captured with `{expected}`, but now with `{e}`"
            )),
            (Err(e), None) => Err(format!("failed: {e}")),
            (Ok(_), Some(expected)) => Err(format!(
                "was refused when the book was captured with `{expected}`, but ran; the \
                 SQLite versions disagree, or the capture was edited"
            )),
        }
    }
}

/// A statement's first keyword, upper-cased.
pub fn verb(sql: &str) -> String {
    sql.trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
}

/// The start of a statement, for messages.
pub fn short(sql: &str) -> String {
    let flat: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 60 {
        format!("{}…", flat.chars().take(60).collect::<String>())
    } else {
        flat
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DemoDb, Limits};

    const SCHEMA: &str = "CREATE TABLE p (id INTEGER PRIMARY KEY); \
                          CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER NOT NULL REFERENCES p(id));";
    const LIMITS: Limits = Limits {
        max_rows: 100,
        max_steps: 1_000_000,
    };
    const FOREIGN_KEY: &str = "FOREIGN KEY constraint failed";

    fn step(sql: &str, params: serde_json::Value, refused: Option<&str>) -> Step {
        Step {
            sql: sql.into(),
            params,
            many: false,
            refused: refused.map(str::to_string),
        }
    }

    /// A step without parameters that runs.
    fn plain(sql: &str) -> Step {
        step(sql, serde_json::json!([]), None)
    }

    /// A side as Django sends it: foreign keys on, a refused insert, a count after.
    fn django_like(setup: bool) -> Plan {
        Plan {
            setup: if setup {
                vec![plain("PRAGMA foreign_keys = ON")]
            } else {
                vec![]
            },
            steps: vec![
                step(
                    "INSERT INTO c (p_id) VALUES (?)",
                    serde_json::json!([99]),
                    Some(FOREIGN_KEY),
                ),
                plain("SELECT count(*) AS n FROM c"),
            ],
        }
    }

    fn session() -> Session {
        DemoDb::build(SCHEMA, "").unwrap().fresh(LIMITS).unwrap()
    }

    #[test]
    fn the_set_up_makes_the_refusal_happen_again() {
        let mut seen = Vec::new();
        session()
            .replay(&django_like(true), 2, |i, _, r| {
                seen.push((i, r.clone()));
                Ok(())
            })
            .unwrap();
        assert_eq!(seen[0], (0, Replayed::Refused(FOREIGN_KEY.into())));
        let Replayed::Ran(Outcome::Rows(table)) = &seen[1].1 else {
            panic!("{seen:?}")
        };
        assert_eq!(table.rows, vec![vec![Value::Integer(0)]]);
        // Without the library's set-up, SQLite's default (foreign keys off) accepts
        // the insert, and the replay says so instead of going on.
        let error = session()
            .replay(&django_like(false), 2, |_, _, _| Ok(()))
            .unwrap_err();
        assert_eq!(error.step, Some(0));
        assert!(error.message.contains("but ran"), "{error}");
    }

    #[test]
    fn replaying_the_steps_alone_leaves_the_set_up_to_the_session() {
        // The set-up ran on this session before (a kept session): its steps replay
        // as after the set-up, and the refusal happens again.
        let mut kept = session();
        kept.replay(
            &Plan {
                setup: django_like(true).setup,
                steps: vec![],
            },
            0,
            |_, _, _| Ok(()),
        )
        .unwrap();
        let mut seen = Vec::new();
        kept.replay_steps(&django_like(true), 2, |i, _, r| {
            seen.push((i, r.clone()));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen[0], (0, Replayed::Refused(FOREIGN_KEY.into())));
        // On a session that never ran it, the steps alone run without it.
        let error = session()
            .replay_steps(&django_like(true), 2, |_, _, _| Ok(()))
            .unwrap_err();
        assert!(error.message.contains("but ran"), "{error}");
    }

    #[test]
    fn only_a_session_that_only_read_is_left_as_found() {
        let read = Plan {
            setup: vec![plain("PRAGMA foreign_keys = ON")],
            steps: vec![
                plain("BEGIN"),
                plain("SELECT count(*) FROM c"),
                plain("COMMIT"),
            ],
        };
        let mut s = session();
        s.replay(&read, 3, |_, _, _| Ok(())).unwrap();
        assert!(s.left_as_found(&read));
        let with = |sql: &str| Plan {
            steps: vec![step(sql, serde_json::json!([]), None)],
            ..read.clone()
        };
        for changes in [
            "INSERT INTO p VALUES (7)",
            "WITH x AS (SELECT 8) INSERT INTO p SELECT * FROM x",
            "CREATE TEMP TABLE t (a)",
            "PRAGMA foreign_keys = OFF",
            "BEGIN",
        ] {
            let plan = with(changes);
            let mut s = session();
            s.replay(&plan, 1, |_, _, _| Ok(())).unwrap();
            assert!(!s.left_as_found(&plan), "{changes}");
        }
        let odd_setup = Plan {
            setup: vec![plain("CREATE TEMP TABLE t (a)")],
            steps: vec![],
        };
        assert!(!session().left_as_found(&odd_setup));
    }

    #[test]
    fn many_runs_once_per_parameter_list_and_sums_the_changes() {
        let mut s = session();
        s.run("INSERT INTO p VALUES (1)", &[]).unwrap();
        let insert = Step {
            many: true,
            ..step(
                "INSERT INTO c (p_id) VALUES (?)",
                serde_json::json!([[1], [1], [1]]),
                None,
            )
        };
        assert_eq!(s.run_step(&insert).unwrap(), Outcome::Changed(3));
        let bad = Step {
            many: true,
            ..step("SELECT ?", serde_json::json!(3), None)
        };
        assert!(s.run_step(&bad).is_err());
    }

    #[test]
    fn a_plan_set_keeps_each_text_once_and_unpacks_to_the_same_plans() {
        let insert = || step("INSERT INTO p VALUES (?)", serde_json::json!([1.0]), None);
        let first = Plan {
            setup: vec![plain("PRAGMA foreign_keys = ON")],
            steps: vec![
                insert(),
                insert(),
                step("SELECT 1", serde_json::json!([]), Some("no")),
            ],
        };
        let second = Plan {
            setup: vec![],
            steps: vec![Step {
                many: true,
                ..step("INSERT INTO p VALUES (?)", serde_json::json!([[1.0]]), None)
            }],
        };
        let set = PlanSet::pack(&[first.clone(), second.clone()]);
        assert_eq!(set.sql.len(), 3);
        assert_eq!(set.params, vec!["[]", "[1.0]", "[[1.0]]"]);
        let json = serde_json::to_string(&set).unwrap();
        assert!(
            json.contains(r#""steps":[[1,1],[1,1],[2,0,0,"no"]]"#),
            "{json}"
        );
        assert!(json.contains(r#""steps":[[1,2,1]]"#), "{json}");
        let back: PlanSet = serde_json::from_str(&json).unwrap();
        assert_eq!(back.plan(0).unwrap(), first);
        assert_eq!(back.plan(1).unwrap(), second);
        assert!(back.plan(2).is_err());
        let broken: PlanSet =
            serde_json::from_str(r#"{"sql": [], "params": [], "sides": [{"steps": [[5, 0]]}]}"#)
                .unwrap();
        assert!(broken.plan(0).is_err());
        assert!(serde_json::from_str::<PlanSet>(
            r#"{"sql": [], "params": [], "sides": [{"steps": [["x"]]}]}"#
        )
        .is_err());
    }

    #[test]
    fn the_plan_is_json_with_parameters_kept_as_written() {
        let plan: Plan = serde_json::from_str(
            r#"{"steps": [{"sql": "SELECT ? / 3", "params": [100.0]}, {"sql": "COMMIT"}]}"#,
        )
        .unwrap();
        assert_eq!(
            plan.steps[0].parameter_sets().unwrap(),
            vec![vec![Value::Real(100.0)]]
        );
        assert_eq!(plan.steps[1].params, serde_json::json!([]));
        let mut s = session();
        let mut got = None;
        s.replay(&plan, 1, |_, _, r| {
            got = Some(r.clone());
            Ok(())
        })
        .unwrap();
        let Some(Replayed::Ran(Outcome::Rows(table))) = got else {
            panic!()
        };
        // 100.0 stayed a real number: SQLite divided without truncating.
        assert!(matches!(table.rows[0][0], Value::Real(_)));
    }
}
