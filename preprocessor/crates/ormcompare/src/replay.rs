//! Replays captured statements on the build's own SQLite and checks that the
//! rows agree with what the ORM received at capture time.

use crate::capture::{SectionCapture, Statement};
use demo_engine::{DemoDb, Limits, Outcome, Session, Table};

/// What one captured statement gave when the build ran it.
#[derive(Debug, Clone, PartialEq)]
pub enum Replayed {
    Rows(Table),
    Changed(usize),
    /// SQLite refused it, at capture time and again in the build, with this message.
    Refused(String),
}

/// Runs a section's statements in order on a fresh copy of the demo database,
/// after the connection set-up the library ran. The error names the statement
/// (1-based) and what went wrong.
pub fn replay_section(
    db: &DemoDb,
    limits: Limits,
    section: &SectionCapture,
) -> Result<Vec<Replayed>, String> {
    let mut session = db.fresh(limits).map_err(|e| e.to_string())?;
    // The set-up is replayed for what it does to the connection (PRAGMAs); what its
    // reads returned describes the capture machine's SQLite (Django asks whether it
    // was compiled with the math functions), which the build's need not share.
    replay_statements(
        &mut session,
        &section.setup,
        "connection set-up statement",
        false,
    )?;
    replay_statements(&mut session, &section.statements, "statement", true)
}

fn replay_statements(
    session: &mut Session,
    statements: &[Statement],
    what: &str,
    compare_rows: bool,
) -> Result<Vec<Replayed>, String> {
    let mut replayed = Vec::with_capacity(statements.len());
    for (index, statement) in statements.iter().enumerate() {
        let number = index + 1;
        let fail =
            |failure: String| format!("{what} {number} (`{}`) {failure}", short(&statement.sql));
        let mut changed = 0;
        let mut rows = None;
        let mut refusal = None;
        for params in statement.parameter_sets().map_err(&fail)? {
            match session.run(&statement.sql, &params) {
                Ok(Outcome::Changed(n)) => changed += n,
                Ok(Outcome::Rows(table)) => rows = Some(table),
                Err(e) => {
                    refusal = Some(e.to_string());
                    break;
                }
            }
        }
        let outcome = match (refusal, &statement.refused) {
            (None, None) => match rows {
                Some(table) if compare_rows => {
                    Replayed::Rows(check_rows(statement, table).map_err(&fail)?)
                }
                Some(table) => Replayed::Rows(table),
                None => Replayed::Changed(changed),
            },
            (Some(built), Some(captured)) if built == *captured => Replayed::Refused(built),
            (Some(built), Some(captured)) => {
                return Err(fail(format!(
                    "was refused at capture time with `{captured}` but in the build's \
                     SQLite with `{built}`"
                )))
            }
            (Some(built), None) => {
                return Err(fail(format!("failed in the build's SQLite: {built}")))
            }
            (None, Some(captured)) => {
                return Err(fail(format!(
                    "was refused at capture time with `{captured}` but ran in the build's \
                     SQLite; the SQLite versions disagree, or the capture was edited"
                )))
            }
        };
        replayed.push(outcome);
    }
    Ok(replayed)
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
    use crate::capture::Origin;

    const SCHEMA: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);";

    fn insert(name: serde_json::Value, refused: Option<&str>) -> Statement {
        Statement {
            sql: "INSERT INTO t (name) VALUES (?)".into(),
            params: serde_json::json!([name]),
            many: false,
            origin: Origin::Orm,
            columns: None,
            rows: None,
            total_rows: None,
            refused: refused.map(str::to_string),
        }
    }

    fn limits() -> Limits {
        Limits {
            max_rows: 100,
            max_steps: 1_000_000,
        }
    }

    fn replay_with(
        setup: Vec<Statement>,
        statements: Vec<Statement>,
    ) -> Result<Vec<Replayed>, String> {
        let db = DemoDb::build(SCHEMA, "").unwrap();
        let section = SectionCapture {
            kind: "sqlalchemy".into(),
            query_count: statements.len(),
            setup,
            statements,
            result: None,
            stdout: String::new(),
            error: None,
        };
        replay_section(&db, limits(), &section)
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
    fn the_recorded_set_up_runs_before_the_statements() {
        let with_keys_on = vec![sent("PRAGMA foreign_keys = ON", None)];
        let read = || vec![sent("PRAGMA foreign_keys", Some(vec![1.into()]))];
        assert!(replay_with(with_keys_on, read()).is_ok());
        // Without the set-up, SQLite's default (off) does not give the captured row.
        let error = replay_with(Vec::new(), read()).unwrap_err();
        assert!(error.contains("different rows"), "{error}");
        let bad_setup = vec![sent("PRAGMA nonsense(", None)];
        let error = replay_with(bad_setup, read()).unwrap_err();
        assert!(
            error.starts_with("connection set-up statement 1"),
            "{error}"
        );
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
            vec![Replayed::Refused(NOT_NULL.into()), Replayed::Changed(1)]
        );
    }

    #[test]
    fn a_refusal_must_happen_and_say_the_same() {
        let ran = replay(vec![insert("ok".into(), Some(NOT_NULL))]).unwrap_err();
        assert!(ran.contains("ran in the build's SQLite"), "{ran}");
        let other = replay(vec![insert(
            serde_json::Value::Null,
            Some("UNIQUE constraint failed"),
        )])
        .unwrap_err();
        assert!(other.contains(&format!("with `{NOT_NULL}`")), "{other}");
        let unexpected = replay(vec![insert(serde_json::Value::Null, None)]).unwrap_err();
        assert!(
            unexpected.contains("failed in the build's SQLite"),
            "{unexpected}"
        );
    }
}
