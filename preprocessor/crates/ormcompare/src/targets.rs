//! Capture targets: a library stack beside a database, from `snippets/targets.toml`.
//!
//! Every comparison is captured on every target whose database its block allows
//! (`db=`). The first stack and the first database are the primary ones: the prose
//! describes them, and panels show them first.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Registry {
    stack: Vec<Stack>,
    database: Vec<Database>,
}

/// A lock file of exact versions, and the Python environment made from it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    pub name: String,
    /// How readers know it ("current releases").
    pub label: String,
    /// The lock file, relative to the snippets folder.
    pub lock: PathBuf,
}

/// Where the runner records what the libraries send.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Database {
    pub name: String,
    pub label: String,
    /// The driver that sends what no library asked for (`BEGIN`), as readers know it.
    pub driver: String,
    /// Section kinds that reach the database through another driver (`asyncpg`).
    #[serde(default)]
    pub driver_by_kind: BTreeMap<String, String>,
}

impl Database {
    /// The driver a section of `kind` (`sqlalchemy-async`) talks to this database with.
    pub fn driver_for(&self, kind: &str) -> &str {
        self.driver_by_kind.get(kind).unwrap_or(&self.driver)
    }
}

/// One target, as indexes into the registry's stacks and databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    pub stack: usize,
    pub database: usize,
}

impl Target {
    /// The primary target: the first stack on the first database.
    pub const PRIMARY: Target = Target {
        stack: 0,
        database: 0,
    };
}

#[derive(Debug, Clone)]
pub struct Targets {
    pub stacks: Vec<Stack>,
    pub databases: Vec<Database>,
}

pub const FILE: &str = "targets.toml";

impl Targets {
    pub fn load(snippets: &Path) -> Result<Targets, String> {
        let path = snippets.join(FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Targets::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Targets, String> {
        let registry: Registry = toml::from_str(text).map_err(|e| format!("{e}"))?;
        if registry.stack.is_empty() || registry.database.is_empty() {
            return Err("it needs at least one [[stack]] and one [[database]]".into());
        }
        let names = registry
            .stack
            .iter()
            .map(|s| &s.name)
            .chain(registry.database.iter().map(|d| &d.name));
        for name in names {
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
            if !valid {
                return Err(format!(
                    "`{name}`: stack and database names are lowercase letters and digits"
                ));
            }
        }
        Ok(Targets {
            stacks: registry.stack,
            databases: registry.database,
        })
    }

    /// Every target, stack by stack.
    pub fn all(&self) -> Vec<Target> {
        (0..self.stacks.len())
            .flat_map(|stack| {
                (0..self.databases.len()).map(move |database| Target { stack, database })
            })
            .collect()
    }

    /// `current-sqlite`: the name of a target's folder of captures.
    pub fn name(&self, target: Target) -> String {
        format!(
            "{}-{}",
            self.stacks[target.stack].name, self.databases[target.database].name
        )
    }

    /// "current releases on SQLite", for messages.
    pub fn describe(&self, target: Target) -> String {
        format!(
            "{} on {}",
            self.stacks[target.stack].label, self.databases[target.database].label
        )
    }

    /// The target of that name (`current-sqlite`).
    pub fn named(&self, name: &str) -> Option<Target> {
        self.all().into_iter().find(|t| self.name(*t) == name)
    }

    /// Every target's name, in order.
    pub fn names(&self) -> Vec<String> {
        self.all().into_iter().map(|t| self.name(t)).collect()
    }

    pub fn database_named(&self, name: &str) -> Option<usize> {
        self.databases.iter().position(|d| d.name == name)
    }

    /// The databases a block may name, for messages.
    pub fn database_names(&self) -> String {
        self.databases
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_BY_TWO: &str = r#"
        [[stack]]
        name = "current"
        label = "current releases"
        lock = "stacks/current.lock"
        [[stack]]
        name = "lts"
        label = "previous releases"
        lock = "stacks/lts.lock"
        [[database]]
        name = "sqlite"
        label = "SQLite"
        driver = "sqlite3"
        [[database]]
        name = "postgresql"
        label = "PostgreSQL"
        driver = "psycopg"
        driver-by-kind = { sqlalchemy-async = "asyncpg" }
    "#;

    #[test]
    fn targets_are_every_stack_on_every_database() {
        let targets = Targets::parse(TWO_BY_TWO).unwrap();
        let names: Vec<String> = targets.all().into_iter().map(|t| targets.name(t)).collect();
        assert_eq!(
            names,
            [
                "current-sqlite",
                "current-postgresql",
                "lts-sqlite",
                "lts-postgresql"
            ]
        );
        assert_eq!(targets.name(Target::PRIMARY), "current-sqlite");
        assert_eq!(
            targets.describe(targets.all()[3]),
            "previous releases on PostgreSQL"
        );
        assert_eq!(targets.database_named("postgresql"), Some(1));
        assert_eq!(targets.named("lts-sqlite"), Some(targets.all()[2]));
        assert_eq!(targets.named("lts"), None);
    }

    #[test]
    fn a_bad_registry_says_what_is_wrong() {
        assert!(Targets::parse("[[stack]]\nname = \"x\"\n").is_err());
        let bad_name = TWO_BY_TWO.replace("name = \"lts\"", "name = \"L-T-S\"");
        assert!(Targets::parse(&bad_name).unwrap_err().contains("lowercase"));
    }

    #[test]
    fn the_books_registry_loads() {
        let snippets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../snippets");
        let targets = Targets::load(&snippets).unwrap();
        assert_eq!(targets.stacks[0].name, "current");
        assert_eq!(targets.databases[0].name, "sqlite");
        for stack in &targets.stacks {
            assert!(
                snippets.join(&stack.lock).is_file(),
                "{}",
                stack.lock.display()
            );
        }
    }
}
