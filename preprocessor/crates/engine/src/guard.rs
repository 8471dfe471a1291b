//! What SQL may do on the demo database, at build time and in the page.
//!
//! - No file access: `ATTACH` (and so `VACUUM INTO`, which attaches its target),
//!   `DETACH` and `load_extension()` are refused by SQLite's authorizer, so no
//!   statement can create or read a file on the machine that builds the book.
//! - No huge values: a string or blob longer than `MAX_VALUE_BYTES` is refused by
//!   SQLite itself (`zeroblob(200000000)` fails instead of filling the memory).
//! - For SQL the book runs and shows itself (`sql run`), nothing that cannot give
//!   the same result twice: `random()`, `randomblob()` and the clock are refused,
//!   so two builds of the same tree stay byte-identical (`check_repeatable`).

use crate::EngineError;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::Connection;

/// Bytes of one string or blob value; SQLite refuses to make a longer one.
pub const MAX_VALUE_BYTES: i32 = 4 * 1024 * 1024;

/// Functions whose result depends on the machine or the moment.
const RANDOM_FUNCTIONS: [&str; 2] = ["random", "randomblob"];
/// Date and time functions: with no argument, `'now'` or `'localtime'`, they read the
/// clock or the machine's time zone.
const TIME_FUNCTIONS: [&str; 10] = [
    "date",
    "time",
    "datetime",
    "julianday",
    "unixepoch",
    "strftime",
    "timediff",
    "current_date",
    "current_time",
    "current_timestamp",
];

pub(crate) fn install(conn: &mut Connection) -> Result<(), EngineError> {
    let sql_error = |e: rusqlite::Error| EngineError::Sql(e.to_string());
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        .map_err(sql_error)?;
    conn.authorizer(Some(authorize)).map_err(sql_error)?;
    Ok(())
}

fn authorize(context: AuthContext<'_>) -> Authorization {
    match context.action {
        AuthAction::Attach { .. } | AuthAction::Detach { .. } => Authorization::Deny,
        AuthAction::Function { function_name }
            if function_name.eq_ignore_ascii_case("load_extension") =>
        {
            Authorization::Deny
        }
        _ => Authorization::Allow,
    }
}

/// Why `sql` (one statement) could give another result on another run, if it could:
/// it calls `random()`, or reads the clock or the time zone. Read from the
/// statement's compiled program, so it does not matter how the SQL is written.
pub(crate) fn check_repeatable(conn: &Connection, sql: &str) -> Result<(), EngineError> {
    let explain = format!("EXPLAIN {sql}");
    let Ok(mut program) = conn.prepare(&explain) else {
        // Not a statement EXPLAIN takes: running it will report what is wrong.
        return Ok(());
    };
    let mut calls: Vec<String> = Vec::new();
    let mut strings: Vec<String> = Vec::new();
    let mut rows = program
        .query([])
        .map_err(|e| EngineError::Sql(e.to_string()))?;
    while let Ok(Some(row)) = rows.next() {
        let opcode: String = row.get(1).unwrap_or_default();
        let p4: Option<String> = row.get(5).ok();
        let Some(p4) = p4 else { continue };
        match opcode.as_str() {
            // p4 reads `name(arity)`, the arity the function was declared with.
            "Function" | "PureFunc" => {
                if let Some((name, _)) = p4.split_once('(') {
                    calls.push(name.to_ascii_lowercase());
                }
            }
            "String8" => strings.push(p4.trim().to_ascii_lowercase()),
            _ => {}
        }
    }
    for name in &calls {
        if RANDOM_FUNCTIONS.contains(&name.as_str()) {
            return Err(EngineError::NotRepeatable(format!(
                "it calls `{name}()`, which gives another value on every run"
            )));
        }
        if TIME_FUNCTIONS.contains(&name.as_str()) {
            let reads_clock = name.starts_with("current_")
                || called_without_arguments(sql, name)
                || strings.iter().any(|s| s == "now" || s == "localtime");
            if reads_clock {
                return Err(EngineError::NotRepeatable(format!(
                    "it calls `{name}()` on the current time or the machine's time zone"
                )));
            }
        }
    }
    Ok(())
}

/// Whether the SQL text calls `name()` with nothing between the parentheses (the
/// compiled program does not say how many arguments a call passed).
fn called_without_arguments(sql: &str, name: &str) -> bool {
    let lower = sql.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut from = 0;
    while let Some(found) = lower[from..].find(name) {
        let start = from + found;
        let end = start + name.len();
        from = end;
        let word_start = start == 0 || !is_identifier(bytes[start - 1]);
        if !word_start {
            continue;
        }
        let rest = lower[end..].trim_start();
        if let Some(inside) = rest.strip_prefix('(') {
            if inside.trim_start().starts_with(')') {
                return true;
            }
        }
    }
    false
}

fn is_identifier(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}
