use crate::budget::{Budget, STEPS_PER_CALL};
use crate::guard;
use crate::{EngineError, Table, Value};
use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::{Batch, Connection, MAIN_DB};

/// How far one statement may go. The book's values are set once, in book.toml
/// (`max-rows`, `max-steps`), and handed to the page by the build.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// Rows kept per result; the rest are counted, not kept.
    pub max_rows: usize,
    /// SQLite virtual-machine steps one statement may take before it is interrupted.
    pub max_steps: u64,
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

    /// The serialized database every session starts from.
    pub fn image(&self) -> &[u8] {
        &self.image
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
        guard::install(&mut conn)?;
        crate::django_functions::install(&conn).map_err(sql_error)?;
        conn.set_prepared_statement_cache_capacity(64);
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
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Outcome {
    Rows(Table),
    Changed(usize),
}

/// What a script gave: each statement that ran, with its text and outcome, then the
/// statement that stopped it, if one did.
#[derive(Debug, Default)]
pub struct Script {
    pub ran: Vec<(String, Outcome)>,
    pub failed: Option<(String, EngineError)>,
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

    /// Runs every statement of a script in order. Each statement gets its own
    /// budget. Returns what each statement that ran gave, and the error that stopped
    /// the script, if one did (with the failing statement's text).
    ///
    /// `repeatable`: refuse a statement that could give another result on another
    /// run (SQL the book shows as its own, see `guard`).
    pub fn run_script(&mut self, sql: &str, repeatable: bool) -> Script {
        let mut script = Script::default();
        let mut batch = Batch::new(&self.conn, sql);
        loop {
            self.budget.reset();
            let mut statement = match batch.next() {
                Ok(Some(statement)) => statement,
                Ok(None) => break,
                Err(e) => {
                    script.failed = Some((failing_text(&e), explain(&self.budget, e)));
                    break;
                }
            };
            // With no parameters bound, the expanded text is the statement's own text.
            let text = statement
                .expanded_sql()
                .unwrap_or_default()
                .trim()
                .to_string();
            if repeatable {
                if let Err(e) = guard::check_repeatable(&self.conn, &text) {
                    script.failed = Some((text, e));
                    break;
                }
            }
            match collect(&self.conn, &mut statement, &[], self.limits.max_rows) {
                Ok(outcome) => script.ran.push((text, outcome)),
                Err(e) => {
                    script.failed = Some((text, explain(&self.budget, e)));
                    break;
                }
            }
        }
        script
    }

    fn run_unbudgeted(&mut self, sql: &str, params: &[Value]) -> rusqlite::Result<Outcome> {
        // Cached: a side often sends the same statement again (a loop's lazy loads,
        // a row-by-row insert), and preparing is most of the cost of a short one.
        let mut statement = self.conn.prepare_cached(sql)?;
        collect(&self.conn, &mut statement, params, self.limits.max_rows)
    }

    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }

    fn explain(&self, error: rusqlite::Error) -> EngineError {
        explain(&self.budget, error)
    }
}

/// What a statement gave. The rows it changed come from the statement itself:
/// SQLite's count (`changes()`) is left over from the last `INSERT`, `UPDATE` or
/// `DELETE`, so a `CREATE TABLE` after an `UPDATE` of 3 rows would report 3; a
/// statement that changed no row leaves the connection's total as it was.
fn collect(
    conn: &Connection,
    statement: &mut rusqlite::Statement<'_>,
    params: &[Value],
    max_rows: usize,
) -> rusqlite::Result<Outcome> {
    let columns: Vec<String> = statement.column_names().map(String::from).collect();
    if columns.is_empty() {
        let before = conn.total_changes();
        let changed = statement.execute(rusqlite::params_from_iter(params))?;
        let changed_any = conn.total_changes() != before;
        return Ok(Outcome::Changed(if changed_any { changed } else { 0 }));
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

/// The text of a statement SQLite could not prepare: what was left of the script
/// when it failed, up to the end of that statement.
fn failing_text(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqlInputError { sql, .. } => {
            let trimmed = sql.trim_start();
            match trimmed.find(';') {
                Some(end) => trimmed[..=end].to_string(),
                None => trimmed.trim_end().to_string(),
            }
        }
        _ => String::new(),
    }
}

fn sql_error(error: rusqlite::Error) -> EngineError {
    EngineError::Sql(sql_message(&error))
}

/// SQLite's own words, without rusqlite's wrapping.
fn sql_message(error: &rusqlite::Error) -> String {
    let message = sqlite_words(error);
    // The authorizer's refusals (see `guard`), in words that say why.
    let refused = error.sqlite_error_code()
        == Some(rusqlite::ErrorCode::AuthorizationForStatementDenied)
        || message.starts_with("not authorized");
    if refused {
        return format!(
            "not authorized: SQL in this book may not reach files (ATTACH, VACUUM INTO, \
             load_extension); SQLite said: {message}"
        );
    }
    message
}

fn sqlite_words(error: &rusqlite::Error) -> String {
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
    const LIMITS: Limits = Limits {
        max_rows: 1_000,
        max_steps: 10_000_000,
    };

    fn session(limits: Limits) -> Session {
        DemoDb::build(SCHEMA, FIXTURES)
            .unwrap()
            .fresh(limits)
            .unwrap()
    }

    #[test]
    fn select_with_parameters_returns_rows() {
        let mut s = session(LIMITS);
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
    fn sqlite_is_built_without_memory_statistics() {
        // .cargo/config.toml (LIBSQLITE3_FLAGS): counted, every allocation SQLite
        // makes takes one global lock, and the build's replay threads wait on it.
        let Outcome::Rows(options) = session(LIMITS).run("PRAGMA compile_options", &[]).unwrap()
        else {
            panic!("expected rows")
        };
        let memstatus = Value::Text("DEFAULT_MEMSTATUS=0".into());
        assert!(options.rows.iter().any(|row| row[0] == memstatus));
    }

    #[test]
    fn every_session_starts_from_the_fixtures() {
        let db = DemoDb::build(SCHEMA, FIXTURES).unwrap();
        let mut first = db.fresh(LIMITS).unwrap();
        assert_eq!(
            first.run("DELETE FROM t", &[]).unwrap(),
            Outcome::Changed(3)
        );
        let mut second = db.fresh(LIMITS).unwrap();
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
        let mut s = db.fresh(LIMITS).unwrap();
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
            ..LIMITS
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
        let mut s = session(LIMITS);
        let error = s.run("SELECT nope FROM t", &[]).unwrap_err();
        assert_eq!(error, EngineError::Sql("no such column: nope".into()));
        let error = s.run("SELECT ?", &[]).unwrap_err();
        assert!(error.to_string().contains("takes 1 parameters"), "{error}");
    }

    #[test]
    fn scripts_run_statement_by_statement() {
        let mut s = session(LIMITS);
        let script = s.run_script(
            "UPDATE t SET name = 'z' WHERE id = 1; SELECT name FROM t WHERE id = 1;",
            false,
        );
        assert!(script.failed.is_none());
        assert_eq!(script.ran.len(), 2);
        assert_eq!(script.ran[0].1, Outcome::Changed(1));
        assert_eq!(script.ran[1].0, "SELECT name FROM t WHERE id = 1;");
        let stopped = s.run_script("SELECT 1; SELECT nope; SELECT 3;", false);
        assert_eq!(stopped.ran.len(), 1);
        let (text, error) = stopped.failed.unwrap();
        assert_eq!(text, "SELECT nope;");
        assert_eq!(error, EngineError::Sql("no such column: nope".into()));
    }

    #[test]
    fn rows_changed_come_from_the_statement_itself() {
        let mut s = session(LIMITS);
        assert_eq!(
            s.run("UPDATE t SET name = 'x'", &[]).unwrap(),
            Outcome::Changed(3)
        );
        // SQLite's changes() still says 3 here.
        assert_eq!(
            s.run("CREATE TABLE u (a)", &[]).unwrap(),
            Outcome::Changed(0)
        );
        assert_eq!(s.run("DROP TABLE u", &[]).unwrap(), Outcome::Changed(0));
        assert_eq!(
            s.run("DELETE FROM t WHERE id > 5", &[]).unwrap(),
            Outcome::Changed(0)
        );
        let script = s.run_script("UPDATE t SET name = 'y'; CREATE TABLE v (a);", false);
        assert_eq!(script.ran[1].1, Outcome::Changed(0));
    }

    #[test]
    fn no_statement_reaches_a_file() {
        let dir = std::env::temp_dir().join(format!("engine-guard-{}", std::process::id()));
        let file = dir.to_string_lossy().into_owned();
        let mut s = session(LIMITS);
        // The build's SQLite is compiled without extension loading; the authorizer
        // refuses it too, for a SQLite that has it.
        let error = s
            .run("SELECT load_extension('/tmp/nothing')", &[])
            .unwrap_err();
        assert!(error.to_string().contains("load_extension"), "{error}");
        for sql in [
            format!("ATTACH DATABASE '{file}.db' AS x"),
            format!("VACUUM INTO '{file}.vacuum'"),
        ] {
            let error = s.run(&sql, &[]).unwrap_err();
            assert!(
                error
                    .to_string()
                    .starts_with("not authorized: SQL in this book may not reach files"),
                "{sql}: {error}"
            );
        }
        assert!(!std::path::Path::new(&format!("{file}.db")).exists());
        assert!(!std::path::Path::new(&format!("{file}.vacuum")).exists());
    }

    #[test]
    fn huge_values_are_refused_by_sqlite() {
        let mut s = session(LIMITS);
        let error = s.run("SELECT zeroblob(200000000)", &[]).unwrap_err();
        assert!(error.to_string().contains("too big"), "{error}");
    }

    #[test]
    fn sql_the_book_shows_must_give_the_same_result_twice() {
        let mut s = session(LIMITS);
        for sql in [
            "SELECT random()",
            "SELECT hex(randomblob(4))",
            "SELECT datetime('now')",
            "SELECT date()",
            "SELECT CURRENT_TIMESTAMP",
            "SELECT strftime('%Y', 'NOW')",
            "SELECT datetime('2024-01-01', 'localtime')",
            "SELECT id FROM t ORDER BY random() LIMIT 1",
        ] {
            let script = s.run_script(sql, true);
            let (_, error) = script.failed.expect(sql);
            assert!(
                matches!(error, EngineError::NotRepeatable(_)),
                "{sql}: {error}"
            );
        }
        for sql in [
            "SELECT date('2024-03-05', '+1 month')",
            "SELECT 'now' AS word",
            "SELECT strftime('%Y-%m', '2024-03-05')",
        ] {
            let script = s.run_script(sql, true);
            assert!(script.failed.is_none(), "{sql}: {:?}", script.failed);
        }
        // Captured SQL is what an ORM sent: it is replayed as it was.
        assert!(s.run("SELECT random()", &[]).is_ok());
    }
}
