//! The section kinds, read from their one registry, `snippets/kinds.toml`, which
//! the Python runner reads too. The preprocessor is built with the registry in it.

use serde::Deserialize;
use std::fmt;
use std::sync::OnceLock;

const REGISTRY: &str = include_str!("../../../../snippets/kinds.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Registry {
    kind: Vec<KindInfo>,
}

/// What the registry says about one kind.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KindInfo {
    pub name: String,
    pub label: String,
    pub library: String,
    pub colour: String,
    pub border: String,
    pub runner: String,
}

fn registry() -> &'static [KindInfo] {
    static KINDS: OnceLock<Vec<KindInfo>> = OnceLock::new();
    KINDS.get_or_init(|| {
        let registry: Registry = toml::from_str(REGISTRY)
            .unwrap_or_else(|e| panic!("snippets/kinds.toml, built into the preprocessor: {e}"));
        registry.kind
    })
}

/// A section kind: which library runs a section. Compared and ordered as the
/// registry lists them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SectionKind(usize);

impl SectionKind {
    /// Every kind, in the registry's order.
    pub fn all() -> impl Iterator<Item = SectionKind> {
        (0..registry().len()).map(SectionKind)
    }

    /// The kind a block names, if the registry has it.
    pub fn named(name: &str) -> Option<SectionKind> {
        registry()
            .iter()
            .position(|k| k.name == name)
            .map(SectionKind)
    }

    fn info(self) -> &'static KindInfo {
        &registry()[self.0]
    }

    /// The name used in blocks, captures and the runner.
    pub fn key(self) -> &'static str {
        &self.info().name
    }

    /// The name shown to readers.
    pub fn title(self) -> &'static str {
        &self.info().label
    }

    /// The library whose version the panel shows.
    pub fn library(self) -> &'static str {
        &self.info().library
    }

    /// `border-top` style of a panel side (and a Rosetta column) of this kind.
    pub fn border(self) -> String {
        format!("4px {} {}", self.info().border, self.info().colour)
    }

    /// The names of every kind, for messages.
    pub fn known() -> String {
        registry()
            .iter()
            .map(|k| k.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Debug for SectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SectionKind({})", self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_is_sound() {
        let kinds = registry();
        assert!(!kinds.is_empty());
        for (i, kind) in kinds.iter().enumerate() {
            assert!(
                kinds[..i].iter().all(|k| k.name != kind.name),
                "{} twice",
                kind.name
            );
            assert!(
                kind.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                kind.name
            );
            assert!(
                kind.colour.len() == 7
                    && kind.colour.starts_with('#')
                    && kind.colour[1..].chars().all(|c| c.is_ascii_hexdigit()),
                "{}: colour {}",
                kind.name,
                kind.colour
            );
            assert!(["solid", "dashed"].contains(&kind.border.as_str()));
            assert!(kind.runner.contains(':'), "{}", kind.runner);
        }
        for name in ["django", "sqlalchemy", "sqlalchemy-async"] {
            assert!(SectionKind::named(name).is_some(), "the book needs {name}");
        }
    }

    #[test]
    fn kinds_read_their_entry() {
        let django = SectionKind::named("django").unwrap();
        assert_eq!(django.title(), "Django ORM");
        assert_eq!(django.border(), "4px solid #44b78b");
        assert!(SectionKind::named("djnago").is_none());
        assert!(SectionKind::known().starts_with("django, sqlalchemy"));
        assert!(django < SectionKind::named("sqlalchemy").unwrap());
    }
}
