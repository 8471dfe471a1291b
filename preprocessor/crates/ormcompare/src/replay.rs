//! Replays captured statements on the build's own SQLite and checks that the
//! rows agree with what the ORM received at capture time.

use crate::capture::{SectionCapture, Statement};
use crate::syntax::SectionKind;
use demo_engine::{DemoDb, Limits, Outcome, Table};

/// What one captured statement gave when the build ran it.
#[derive(Debug, Clone, PartialEq)]
pub enum Replayed {
    Rows(Table),
    Changed(usize),
}

/// Runs a section's statements in order on a fresh copy of the demo database,
/// after the library's own connection set-up. The error names the statement
/// (1-based) and what went wrong.
pub fn replay_section(
    db: &DemoDb,
    limits: Limits,
    kind: SectionKind,
    section: &SectionCapture,
) -> Result<Vec<Replayed>, String> {
    let mut session = db.fresh(limits).map_err(|e| e.to_string())?;
    for setup in kind.connection_setup() {
        session
            .run(setup, &[])
            .map_err(|e| format!("connection set-up `{setup}` failed: {e}"))?;
    }
    let mut replayed = Vec::with_capacity(section.statements.len());
    for (index, statement) in section.statements.iter().enumerate() {
        let number = index + 1;
        let fail =
            |what: String| format!("statement {number} (`{}`) {what}", short(&statement.sql));
        let mut changed = 0;
        let mut rows = None;
        for params in statement.parameter_sets().map_err(&fail)? {
            match session.run(&statement.sql, &params) {
                Ok(Outcome::Changed(n)) => changed += n,
                Ok(Outcome::Rows(table)) => rows = Some(table),
                Err(e) => return Err(fail(format!("failed in the build's SQLite: {e}"))),
            }
        }
        let outcome = match rows {
            Some(table) => Replayed::Rows(check_rows(statement, table).map_err(&fail)?),
            None => Replayed::Changed(changed),
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
