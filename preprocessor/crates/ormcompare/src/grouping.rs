//! How a side's statements are grouped for reading, the way django-debug-toolbar's
//! SQL panel marks similar and duplicated queries:
//!
//! - consecutive statements with the same SQL text become one entry, sent ×N
//!   times, with their parameter sets listed (an N+1 loop reads as "1 + 5×");
//! - statements a library sends for its own bookkeeping (reading the schema, the
//!   migration recorder, the schema editor's foreign-key switches) form a named
//!   group, closed by default, with its count.
//!
//! Grouping only changes how statements are laid out: every one of them stays in
//! order, with its exact text and parameters, one click away.

use crate::capture::Statement;

/// One entry of a side's list of statements, over statement indexes (0-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// `count` consecutive statements from `first` with the same SQL (1 or more).
    Statements { first: usize, count: usize },
    /// A run of bookkeeping statements, themselves grouped.
    Bookkeeping {
        first: usize,
        count: usize,
        entries: Vec<Entry>,
    },
}

/// What the bookkeeping groups are called on the page.
pub const BOOKKEEPING: &str = "Schema reading and migration bookkeeping";

/// Text that marks a statement as a library's bookkeeping: reading the schema
/// (SQLite's catalog and `PRAGMA`s on a schema, PostgreSQL's catalogs), the
/// migration recorders of Django and Alembic, and Django's schema editor turning
/// foreign-key checks off, reading and back on around its changes.
const PREFIXES: [&str; 4] = [
    "PRAGMA main.",
    "PRAGMA temp.",
    "PRAGMA foreign_key",
    "PRAGMA FOREIGN_KEY",
];
const CONTAINS: [&str; 8] = [
    "sqlite_master",
    "sqlite_temp_master",
    "sqlite_schema",
    "django_migrations",
    "alembic_version",
    "pg_catalog.",
    "information_schema.",
    "pg_namespace",
];

pub fn is_bookkeeping(sql: &str) -> bool {
    let sql = sql.trim_start();
    PREFIXES.iter().any(|p| sql.starts_with(p)) || CONTAINS.iter().any(|c| sql.contains(c))
}

/// Whether two consecutive statements read as one repeated statement.
fn repeats(a: &Statement, b: &Statement) -> bool {
    a.sql == b.sql
        && a.origin == b.origin
        && a.many == b.many
        && a.refused.is_none()
        && b.refused.is_none()
}

/// The entries of a side's statements.
pub fn entries(statements: &[Statement]) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < statements.len() {
        let bookkeeping = is_bookkeeping(&statements[start].sql);
        let end = (start..statements.len())
            .find(|&i| is_bookkeeping(&statements[i].sql) != bookkeeping)
            .unwrap_or(statements.len());
        let runs = repeated_runs(statements, start, end);
        if bookkeeping {
            out.push(Entry::Bookkeeping {
                first: start,
                count: end - start,
                entries: runs,
            });
        } else {
            out.extend(runs);
        }
        start = end;
    }
    out
}

fn repeated_runs(statements: &[Statement], start: usize, end: usize) -> Vec<Entry> {
    let mut runs = Vec::new();
    let mut first = start;
    while first < end {
        let mut count = 1;
        while first + count < end && repeats(&statements[first], &statements[first + count]) {
            count += 1;
        }
        runs.push(Entry::Statements { first, count });
        first += count;
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Origin;

    fn statement(sql: &str) -> Statement {
        Statement::bare(sql, serde_json::json!([]), Origin::Orm)
    }

    #[test]
    fn an_n_plus_one_reads_as_one_then_five_times_the_same() {
        let lazy = "SELECT * FROM customers WHERE id = ?";
        let side: Vec<Statement> = std::iter::once("SELECT * FROM orders LIMIT 5")
            .chain(std::iter::repeat_n(lazy, 5))
            .map(statement)
            .collect();
        assert_eq!(
            entries(&side),
            vec![
                Entry::Statements { first: 0, count: 1 },
                Entry::Statements { first: 1, count: 5 }
            ]
        );
    }

    #[test]
    fn bookkeeping_forms_a_group_and_the_rest_stays_in_order() {
        let side: Vec<Statement> = [
            "PRAGMA main.table_info(\"customers\")",
            "PRAGMA main.table_info(\"customers\")",
            "SELECT sql FROM sqlite_master WHERE name = ?",
            "CREATE TABLE suppliers (id INTEGER)",
            "INSERT INTO alembic_version (version_num) VALUES ('1')",
            "BEGIN",
        ]
        .into_iter()
        .map(statement)
        .collect();
        assert_eq!(
            entries(&side),
            vec![
                Entry::Bookkeeping {
                    first: 0,
                    count: 3,
                    entries: vec![
                        Entry::Statements { first: 0, count: 2 },
                        Entry::Statements { first: 2, count: 1 }
                    ]
                },
                Entry::Statements { first: 3, count: 1 },
                Entry::Bookkeeping {
                    first: 4,
                    count: 1,
                    entries: vec![Entry::Statements { first: 4, count: 1 }]
                },
                Entry::Statements { first: 5, count: 1 },
            ]
        );
    }

    #[test]
    fn a_refused_statement_is_never_folded_into_a_repeat() {
        let mut refused = statement("INSERT INTO t VALUES (?)");
        refused.refused = Some("UNIQUE constraint failed".into());
        let side = vec![statement("INSERT INTO t VALUES (?)"), refused];
        assert_eq!(entries(&side).len(), 2);
    }
}
