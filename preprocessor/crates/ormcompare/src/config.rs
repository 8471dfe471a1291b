//! The `[preprocessor.ormcompare]` table of `book.toml`.

use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Settings {
    /// Folder with schema.sql, fixtures.sql, models/, runner/ and captures/.
    #[serde(default = "default_snippets")]
    pub snippets: PathBuf,
    /// The folder of the stacks' Python environments (`<venvs>/<stack>/bin/python`);
    /// when a stack's is missing, its stale captures stop the build instead of being
    /// refreshed.
    #[serde(default = "default_venvs")]
    pub venvs: PathBuf,
    /// Refresh stale captures during `mdbook build` / `serve` when Python is there.
    #[serde(default = "default_true")]
    pub recapture: bool,
    // The limits: book.toml sets each of them (no default here), and the build hands
    // them to the Python runner and to the page.
    /// Rows kept per result in captures and at build time; the rest are counted.
    pub max_rows: usize,
    /// Rows shown per table on the page; the rest are summarised by a count.
    pub shown_rows: usize,
    /// SQLite virtual-machine steps one statement may take, at build time and in the page.
    pub max_steps: u64,
    /// Characters of one value shown in a table; longer values are cut, with a note.
    pub shown_chars: usize,
    /// Wall time one Run in the page may take before the page replaces its runner:
    /// on PostgreSQL the only budget (PGlite ignores `statement_timeout`), on SQLite a
    /// backstop behind `max-steps`.
    pub page_run_seconds: f64,
    /// Wall time of one section under the Python runner; its process is killed after.
    pub section_seconds: f64,
    /// Memory one section's process may allocate beyond what the runner started with.
    pub section_memory_mb: u64,
    /// Characters one section may print.
    pub output_chars: usize,
    /// Characters of any one value a section's capture holds (a parameter, a cell).
    pub value_chars: usize,
    /// Bytes of one section's capture, as the runner sends it.
    pub capture_bytes: usize,
    /// Sections captured at the same time; 0: two per core (a section often waits).
    #[serde(default)]
    pub jobs: usize,
    /// Not a book.toml key: `capture --shared-process` (the baseline `scripts/bench`
    /// measures isolation against) runs every section in the runner's own process.
    #[serde(skip)]
    pub shared_process: bool,
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
fn default_venvs() -> PathBuf {
    ".venvs".into()
}
fn default_true() -> bool {
    true
}

/// Paths resolved against the book's root.
#[derive(Debug, Clone)]
pub struct Paths {
    pub root: PathBuf,
    pub snippets: PathBuf,
    pub captures: PathBuf,
    pub venvs: PathBuf,
}

impl Paths {
    /// The Python of a stack's environment.
    pub fn python(&self, stack: &crate::targets::Stack) -> PathBuf {
        self.venvs.join(&stack.name).join("bin").join("python")
    }
}

impl Settings {
    /// Values that parse but cannot work (a zero time limit, say).
    pub fn check(&self) -> Result<(), String> {
        let positive: [(&str, f64); 9] = [
            ("max-rows", self.max_rows as f64),
            ("shown-rows", self.shown_rows as f64),
            ("max-steps", self.max_steps as f64),
            ("shown-chars", self.shown_chars as f64),
            ("page-run-seconds", self.page_run_seconds),
            ("section-seconds", self.section_seconds),
            ("section-memory-mb", self.section_memory_mb as f64),
            ("output-chars", self.output_chars as f64),
            ("capture-bytes", self.capture_bytes as f64),
        ];
        for (key, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(format!("`{key}` must be a positive number, not {value}"));
            }
        }
        if self.value_chars == 0 {
            return Err("`value-chars` must be a positive number, not 0".into());
        }
        if self.shown_rows > self.max_rows {
            return Err(format!(
                "`shown-rows` ({}) cannot be more than `max-rows` ({}): rows that are not \
                 kept cannot be shown",
                self.shown_rows, self.max_rows
            ));
        }
        Ok(())
    }

    /// The limits of one statement, at build time and in the page.
    pub fn engine_limits(&self) -> demo_engine::Limits {
        demo_engine::Limits {
            max_rows: self.max_rows,
            max_steps: self.max_steps,
        }
    }

    /// Sections captured at once: `jobs`, or two per core: sections often wait (on a
    /// pool's timeout, on a database server), and their processes cost little.
    pub fn capture_jobs(&self) -> usize {
        if self.jobs > 0 {
            self.jobs
        } else {
            2 * std::thread::available_parallelism().map_or(1, |n| n.get())
        }
    }

    pub fn paths(&self, root: &Path) -> Paths {
        let snippets = root.join(&self.snippets);
        Paths {
            root: root.to_path_buf(),
            captures: snippets.join("captures"),
            venvs: root.join(&self.venvs),
            snippets,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The limits, as book.toml sets them.
    pub(crate) const LIMITS: &str = r#""max-rows": 200, "shown-rows": 12, "shown-chars": 2000,
        "max-steps": 20000000, "page-run-seconds": 15, "section-seconds": 30,
        "section-memory-mb": 1024,
        "output-chars": 65536, "value-chars": 65536, "capture-bytes": 8388608"#;

    pub(crate) fn settings(extra: &str) -> Result<Settings, serde_json::Error> {
        serde_json::from_str(&format!("{{{LIMITS}{extra}}}"))
    }

    #[test]
    fn paths_have_defaults_and_limits_come_from_the_book() {
        let s = settings(r#", "command": "x""#).unwrap();
        assert_eq!(s.max_rows, 200);
        assert_eq!(s.snippets, PathBuf::from("snippets"));
        let missing = serde_json::from_str::<Settings>(r#"{"max-rows": 5}"#).unwrap_err();
        assert!(missing.to_string().contains("missing field"), "{missing}");
        assert!(s.check().is_ok());
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let e = settings(r#", "max-row": 5"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `max-row`"), "{e}");
    }

    #[test]
    fn limits_that_cannot_work_are_named() {
        let zero = settings("")
            .map(|s| Settings {
                section_seconds: 0.0,
                ..s
            })
            .unwrap();
        assert!(zero.check().unwrap_err().contains("`section-seconds`"));
        let shown = settings("")
            .map(|s| Settings {
                shown_rows: 500,
                ..s
            })
            .unwrap();
        assert!(shown
            .check()
            .unwrap_err()
            .contains("cannot be more than `max-rows`"));
    }
}
