//! The `[preprocessor.ormcompare]` table of `book.toml`.

use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Settings {
    /// Folder with schema.sql, fixtures.sql, models/, runner/ and captures/.
    #[serde(default = "default_snippets")]
    pub snippets: PathBuf,
    /// The Python that has the pinned ORMs; when it is missing, stale captures
    /// stop the build instead of being refreshed.
    #[serde(default = "default_python")]
    pub python: PathBuf,
    /// Refresh stale captures during `mdbook build` / `serve` when Python is there.
    #[serde(default = "default_true")]
    pub recapture: bool,
    /// Rows kept per result in captures and at build time; the rest are counted.
    #[serde(default = "default_max_rows")]
    pub max_rows: usize,
    /// Rows shown per table on the page; the rest are summarised by a count.
    #[serde(default = "default_shown_rows")]
    pub shown_rows: usize,
    /// SQLite virtual-machine steps one statement may take at build time.
    #[serde(default = "default_max_steps")]
    pub max_steps: u64,
    // Keys mdBook itself reads from this table.
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub before: Vec<String>,
    #[serde(default)]
    pub after: Vec<String>,
    #[serde(default)]
    pub renderers: Vec<String>,
    #[serde(default)]
    pub optional: bool,
}

fn default_snippets() -> PathBuf {
    "snippets".into()
}
fn default_python() -> PathBuf {
    ".venv/bin/python".into()
}
fn default_true() -> bool {
    true
}
fn default_max_rows() -> usize {
    200
}
fn default_shown_rows() -> usize {
    12
}
fn default_max_steps() -> u64 {
    20_000_000
}

impl Default for Settings {
    fn default() -> Self {
        serde_json::from_str("{}").expect("every setting has a default")
    }
}

/// Paths resolved against the book's root.
#[derive(Debug, Clone)]
pub struct Paths {
    pub root: PathBuf,
    pub snippets: PathBuf,
    pub captures: PathBuf,
    pub python: PathBuf,
}

impl Settings {
    pub fn paths(&self, root: &Path) -> Paths {
        let snippets = root.join(&self.snippets);
        Paths {
            root: root.to_path_buf(),
            captures: snippets.join("captures"),
            python: root.join(&self.python),
            snippets,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let s: Settings = serde_json::from_str(r#"{"max-rows": 5, "command": "x"}"#).unwrap();
        assert_eq!(s.max_rows, 5);
        assert_eq!(s.snippets, PathBuf::from("snippets"));
        assert_eq!(Settings::default().shown_rows, 12);
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let e = serde_json::from_str::<Settings>(r#"{"max-row": 5}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `max-row`"), "{e}");
    }
}
