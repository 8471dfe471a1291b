use super::esc;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The versions the captures were made with, and the build's own tools
/// (`build` holds name, version and what it is used for).
pub fn render_versions(
    captured: &BTreeMap<String, String>,
    build: &[(&str, &str, &str)],
) -> String {
    let mut out = String::from(
        "<table class=\"ormc-versions\"><thead><tr><th>Component</th><th>Version</th><th>Used for</th></tr></thead><tbody>",
    );
    for (name, version, purpose) in named(captured).into_iter().chain(build.iter().copied()) {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(name),
            esc(version),
            esc(purpose)
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// Name, version and purpose of each component: the ones the book is about
/// first (Python, SQLite, Django, SQLAlchemy), then the others by key; a key the
/// book does not know is its own name.
pub(crate) fn named(versions: &BTreeMap<String, String>) -> Vec<(&str, &str, &'static str)> {
    const FIRST: [&str; 4] = ["python", "sqlite", "django", "sqlalchemy"];
    let mut ordered: Vec<_> = versions.iter().collect();
    ordered.sort_by_key(|(key, _)| {
        FIRST
            .iter()
            .position(|first| first == key)
            .unwrap_or(FIRST.len())
    });
    ordered
        .into_iter()
        .map(|(key, version)| {
            let (name, purpose) = component(key);
            let name = if name.is_empty() { key.as_str() } else { name };
            (name, version.as_str(), purpose)
        })
        .collect()
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
