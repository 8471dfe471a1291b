//! The engine that runs SQL on the book's demo database.
//!
//! The same code serves the build (the preprocessor replays what the ORMs sent)
//! and, compiled to WebAssembly, the reader's browser. It knows nothing about
//! files or snippets: it takes SQL text and parameters and gives back tables, or
//! an error a reader can understand, and renders a table as HTML (`html`) so
//! both places show results with the same markup.

mod budget;
mod database;
mod django_functions;
mod guard;
pub mod html;
pub mod plan;
pub mod postgres;
mod schema;
mod table;
mod value;

pub use database::{DemoDb, Limits, Outcome, Script, Session};
pub use guard::MAX_VALUE_BYTES;
pub use schema::{Column, ForeignKey, TableInfo};
pub use table::Table;

/// The version of the SQLite compiled into the engine.
pub fn sqlite_version() -> &'static str {
    rusqlite::version()
}
pub use value::{json_text, Value};

use std::fmt;

/// Why a statement did not produce a result.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineError {
    /// SQLite rejected or failed the statement; the message is SQLite's own.
    Sql(String),
    /// The statement used up its step budget (for example an endless recursive CTE).
    BudgetExceeded { steps: u64 },
    /// SQL the book shows must give the same result on every build; this would not.
    NotRepeatable(String),
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Sql(message) => write!(f, "{message}"),
            EngineError::BudgetExceeded { steps } => write!(
                f,
                "interrupted after {steps} SQLite steps: the query runs too long \
                 (an endless recursive CTE?)"
            ),
            EngineError::NotRepeatable(why) => write!(
                f,
                "the statement cannot give the same result twice: {why}; use fixed values \
                 (a literal date, a chosen row) so every build shows the same rows"
            ),
        }
    }
}

impl std::error::Error for EngineError {}
