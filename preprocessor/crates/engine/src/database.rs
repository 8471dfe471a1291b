use crate::budget::{Budget, STEPS_PER_CALL};
use crate::{EngineError, Table, Value};
use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::{Batch, Connection, MAIN_DB};

/// How far one statement may go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Rows kept per result; the rest are counted, not kept.
    pub max_rows: usize,
    /// SQLite virtual-machine steps one statement may take before it is interrupted.
    pub max_steps: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_rows: 1_000,
            max_steps: 50_000_000,
        }
    }
}

/// The demo database, built once from its schema and fixtures and kept as a
/// serialized SQLite image, so each run starts from a fresh copy in microseconds.
pub struct DemoDb {
    image: Vec<u8>,
}

impl DemoDb {
    pub fn build(schema: &str, fixtures: &str) -> Result<DemoDb, EngineError> {
        let mut conn = Connection::open_in_memory().map_err(sql_error)?;
        conn.execute_batch(schema).map_err(sql_error)?;
        conn.execute_batch(fixtures).map_err(sql_error)?;
        let image = conn.serialize(MAIN_DB).map_err(sql_error)?.to_vec();
        Ok(DemoDb { image })
    }

    /// A new connection holding its own copy of the seeded database.
    pub fn fresh(&self, limits: Limits) -> Result<Session, EngineError> {
        let mut conn = Connection::open_in_memory().map_err(sql_error)?;
        conn.deserialize_read_exact(MAIN_DB, self.image.as_slice(), self.image.len(), false)
            .map_err(sql_error)?;
        // SQLite's documented default, whatever the build's compile-time flags say
        // (rusqlite's bundled SQLite turns foreign keys on): the same as Python's
        // sqlite3, so what a library leaves alone is replayed as it ran.
        conn.execute_batch("PRAGMA foreign_keys = OFF")
            .map_err(sql_error)?;
        let budget = Budget::new(limits.max_steps);
        conn.progress_handler(STEPS_PER_CALL as i32, Some(budget.handler()))
            .map_err(sql_error)?;
        Ok(Session {
            conn,
            limits,
            budget,
        })
    }
}

/// What a statement did: the rows it returned, or how many rows it changed.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Rows(Table),
    Changed(usize),
}

/// One fresh copy of the demo database.
pub struct Session {
    conn: Connection,
    limits: Limits,
    budget: Budget,
}

impl Session {
    /// Runs one statement with positional parameters.
    pub fn run(&mut self, sql: &str, params: &[Value]) -> Result<Outcome, EngineError> {
        self.budget.reset();
        let result = self.run_unbudgeted(sql, params);
        result.map_err(|e| self.explain(e))
    }

    /// Runs every statement of a script in order, stopping at the first error.
    /// Each statement gets its own budget.
    pub fn run_script(&mut self, sql: &str) -> Result<Vec<(String, Outcome)>, EngineError> {
        let mut outcomes = Vec::new();
        let mut batch = Batch::new(&self.conn, sql);
        loop {
            self.budget.reset();
            let next = batch.next();
            let statement = match next {
                Ok(Some(statement)) => statement,
                Ok(None) => break,
                Err(e) => return Err(explain(&self.budget, e)),
            };
            let mut statement = statement;
            // With no parameters bound, the expanded text is the statement's own text.
            let text = statement
                .expanded_sql()
                .unwrap_or_default()
                .trim()
                .to_string();
            let outcome = collect(&mut statement, &[], self.limits.max_rows)
                .map_err(|e| explain(&self.budget, e))?;
            outcomes.push((text, outcome));
        }
        Ok(outcomes)
    }

    fn run_unbudgeted(&mut self, sql: &str, params: &[Value]) -> rusqlite::Result<Outcome> {
        let mut statement = self.conn.prepare(sql)?;
        collect(&mut statement, params, self.limits.max_rows)
    }

    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }

    fn explain(&self, error: rusqlite::Error) -> EngineError {
        explain(&self.budget, error)
    }
}

fn collect(
    statement: &mut rusqlite::Statement<'_>,
    params: &[Value],
    max_rows: usize,
) -> rusqlite::Result<Outcome> {
    let columns: Vec<String> = statement.column_names().map(String::from).collect();
    if columns.is_empty() {
        let changed = statement.execute(rusqlite::params_from_iter(params))?;
        return Ok(Outcome::Changed(changed));
    }
    let mut rows = statement.query(rusqlite::params_from_iter(params))?;
    let mut table = Table {
        columns,
        rows: Vec::new(),
        total_rows: 0,
    };
    while let Some(row) = rows.next()? {
        table.total_rows += 1;
        if table.rows.len() < max_rows {
            let values = (0..table.columns.len())
                .map(|i| row.get_ref(i).map(Value::from_sqlite))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            table.rows.push(values);
        }
    }
    Ok(Outcome::Rows(table))
}

fn explain(budget: &Budget, error: rusqlite::Error) -> EngineError {
    if budget.exhausted() {
        return EngineError::BudgetExceeded {
            steps: budget.max_steps(),
        };
    }
    EngineError::Sql(sql_message(&error))
}

fn sql_error(error: rusqlite::Error) -> EngineError {
    EngineError::Sql(sql_message(&error))
}

/// SQLite's own words, without rusqlite's wrapping.
fn sql_message(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        rusqlite::Error::InvalidParameterCount(given, expected) => {
            format!("the statement takes {expected} parameters, {given} were given")
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);";
    const FIXTURES: &str = "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, NULL);";

    fn session(limits: Limits) -> Session {
        DemoDb::build(SCHEMA, FIXTURES)
            .unwrap()
            .fresh(limits)
            .unwrap()
    }

    #[test]
    fn select_with_parameters_returns_rows() {
        let mut s = session(Limits::default());
        let outcome = s
            .run("SELECT id, name FROM t WHERE id >= ?", &[Value::Integer(2)])
            .unwrap();
        let Outcome::Rows(table) = outcome else {
            panic!("expected rows")
        };
        assert_eq!(table.columns, vec!["id", "name"]);
        assert_eq!(
            table.rows,
            vec![
                vec![Value::Integer(2), Value::Text("b".into())],
                vec![Value::Integer(3), Value::Null],
            ]
        );
    }

    #[test]
    fn every_session_starts_from_the_fixtures() {
        let db = DemoDb::build(SCHEMA, FIXTURES).unwrap();
        let mut first = db.fresh(Limits::default()).unwrap();
        assert_eq!(
            first.run("DELETE FROM t", &[]).unwrap(),
            Outcome::Changed(3)
        );
        let mut second = db.fresh(Limits::default()).unwrap();
        let Outcome::Rows(table) = second.run("SELECT count(*) FROM t", &[]).unwrap() else {
            panic!("expected rows")
        };
        assert_eq!(table.rows, vec![vec![Value::Integer(3)]]);
    }

    #[test]
    fn foreign_keys_start_off_as_in_sqlites_default() {
        let db = DemoDb::build(
            "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p_id INTEGER REFERENCES p(id));",
            "",
        )
        .unwrap();
        let mut s = db.fresh(Limits::default()).unwrap();
        assert_eq!(
            s.run("INSERT INTO c VALUES (7)", &[]).unwrap(),
            Outcome::Changed(1)
        );
        s.run("PRAGMA foreign_keys = ON", &[]).unwrap();
        assert!(s.run("INSERT INTO c VALUES (8)", &[]).is_err());
    }

    #[test]
    fn big_results_are_cut_and_counted() {
        let mut s = session(Limits {
            max_rows: 10,
            ..Limits::default()
        });
        let sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) \
                   SELECT i FROM n";
        let Outcome::Rows(table) = s.run(sql, &[]).unwrap() else {
            panic!("expected rows")
        };
        assert_eq!(table.rows.len(), 10);
        assert_eq!(table.total_rows, 500);
        assert_eq!(table.rows_left_out(), 490);
    }

    #[test]
    fn endless_recursion_is_interrupted() {
        let mut s = session(Limits {
            max_rows: 10,
            max_steps: 200_000,
        });
        let sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) \
                   SELECT count(*) FROM n";
        let error = s.run(sql, &[]).unwrap_err();
        assert_eq!(error, EngineError::BudgetExceeded { steps: 200_000 });
        // The session is still usable afterwards.
        assert!(s.run("SELECT 1", &[]).is_ok());
    }

    #[test]
    fn sql_errors_carry_sqlites_message() {
        let mut s = session(Limits::default());
        let error = s.run("SELECT nope FROM t", &[]).unwrap_err();
        assert_eq!(error, EngineError::Sql("no such column: nope".into()));
        let error = s.run("SELECT ?", &[]).unwrap_err();
        assert!(error.to_string().contains("takes 1 parameters"), "{error}");
    }

    #[test]
    fn scripts_run_statement_by_statement() {
        let mut s = session(Limits::default());
        let outcomes = s
            .run_script("UPDATE t SET name = 'z' WHERE id = 1; SELECT name FROM t WHERE id = 1;")
            .unwrap();
        assert_eq!(outcomes.len(), 2);
        assert_eq!(outcomes[0].1, Outcome::Changed(1));
        assert_eq!(outcomes[1].0, "SELECT name FROM t WHERE id = 1;");
    }
}
