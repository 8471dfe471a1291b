use super::esc;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The versions the captures were made with, a column per stack (`stacks` holds
/// each stack's label and versions, the first the one the prose describes), and the
/// build's own tools (`build` holds name, version and what it is used for).
pub fn render_versions(
    stacks: &[(&str, &BTreeMap<String, String>)],
    build: &[(&str, &str, &str)],
) -> String {
    let mut out = String::from("<table class=\"ormc-versions\"><thead><tr><th>Component</th>");
    for (label, _) in stacks {
        let _ = write!(out, "<th>{}</th>", esc(label));
    }
    out.push_str("<th>Used for</th></tr></thead><tbody>");
    // Every component of any stack, in the first stack's order, then the others'.
    let mut keys: Vec<&str> = Vec::new();
    for (_, versions) in stacks {
        for (key, _) in ordered(versions) {
            if !keys.contains(&key.as_str()) {
                keys.push(key);
            }
        }
    }
    for key in keys {
        let (name, purpose) = component(key);
        let _ = write!(
            out,
            "<tr><td>{}</td>",
            esc(if name.is_empty() { key } else { name })
        );
        let mut previous: Option<&str> = None;
        for (_, versions) in stacks {
            let version = versions.get(key).map_or("", String::as_str);
            // A version that differs from the stack before it stands out.
            let class = match previous {
                Some(p) if p != version => " class=\"ormc-version-differs\"",
                _ => "",
            };
            let _ = write!(out, "<td{class}>{}</td>", esc(version));
            previous = Some(version);
        }
        let _ = write!(out, "<td>{}</td></tr>", esc(purpose));
    }
    for (name, version, purpose) in build {
        let _ = write!(out, "<tr><td>{}</td>", esc(name));
        for _ in stacks {
            let _ = write!(out, "<td>{}</td>", esc(version));
        }
        let _ = write!(out, "<td>{}</td></tr>", esc(purpose));
    }
    out.push_str("</tbody></table>");
    out
}

/// Name, version and purpose of each component: the ones the book is about
/// first (Python, SQLite, Django, SQLAlchemy), then the others by key; a key the
/// book does not know is its own name.
pub(crate) fn named(versions: &BTreeMap<String, String>) -> Vec<(&str, &str, &'static str)> {
    ordered(versions)
        .into_iter()
        .map(|(key, version)| {
            let (name, purpose) = component(key);
            let name = if name.is_empty() { key.as_str() } else { name };
            (name, version.as_str(), purpose)
        })
        .collect()
}

/// The components, the ones the book is about first, then the others by key.
fn ordered(versions: &BTreeMap<String, String>) -> Vec<(&String, &String)> {
    const FIRST: [&str; 5] = ["python", "sqlite", "postgresql", "django", "sqlalchemy"];
    let mut ordered: Vec<_> = versions.iter().collect();
    ordered.sort_by_key(|(key, _)| {
        FIRST
            .iter()
            .position(|first| first == key)
            .unwrap_or(FIRST.len())
    });
    ordered
}

/// A pinned component's name for readers and what the book uses it for; an
/// empty name for keys it does not know.
fn component(key: &str) -> (&'static str, &'static str) {
    match key {
        "python" => ("Python", "running the ORM snippets"),
        "django" => ("Django", "the Django ORM sections"),
        "sqlalchemy" => ("SQLAlchemy", "the SQLAlchemy sections"),
        "sqlite" => (
            "SQLite (Python's sqlite3)",
            "the database the ORMs talked to",
        ),
        "postgresql" => (
            "PostgreSQL (pgserver's server)",
            "the PostgreSQL the ORMs talked to, for the PostgreSQL panels",
        ),
        "psycopg" => (
            "psycopg",
            "the PostgreSQL driver of Django and SQLAlchemy, and the psycopg sections",
        ),
        "asyncpg" => (
            "asyncpg",
            "SQLAlchemy asyncio's PostgreSQL driver, and the asyncpg sections",
        ),
        "pgserver" => ("pgserver", "starts the private PostgreSQL server"),
        "django-cte" => ("django-cte", "CTEs in the Django sections"),
        "alembic" => ("Alembic", "SQLAlchemy's migrations"),
        "aiosqlite" => (
            "aiosqlite",
            "the asyncio SQLite driver (SQLAlchemy asyncio, Tortoise ORM)",
        ),
        "greenlet" => ("greenlet", "SQLAlchemy's asyncio extension"),
        "sqlmodel" => ("SQLModel", "the SQLModel sections"),
        "pydantic" => ("Pydantic", "SQLModel's validation"),
        "peewee" => ("Peewee", "the Peewee sections"),
        "tortoise-orm" => ("Tortoise ORM", "the Tortoise ORM sections"),
        _ => ("", "a dependency of the above"),
    }
}
