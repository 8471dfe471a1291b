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
    /// SQLite virtual-machine steps one statement may take, at build time and in the page.
    #[serde(default = "default_max_steps")]
    pub max_steps: u64,
    /// Characters of one value shown in a table; longer values are cut, with a note.
    #[serde(default = "default_shown_chars")]
    pub shown_chars: usize,
    /// Wall time of one section under the Python runner; its process is killed after.
    #[serde(default = "default_section_seconds")]
    pub section_seconds: f64,
    /// Memory one section's process may allocate beyond what the runner started with.
    #[serde(default = "default_section_memory_mb")]
    pub section_memory_mb: u64,
    /// Characters one section may print.
    #[serde(default = "default_output_chars")]
    pub output_chars: usize,
    /// Characters of any one value a section's capture holds (a parameter, a cell).
    #[serde(default = "default_value_chars")]
    pub value_chars: usize,
    /// Bytes of one section's capture, as the runner sends it.
    #[serde(default = "default_capture_bytes")]
    pub capture_bytes: usize,
    /// Sections captured at the same time; 0: one per core.
    #[serde(default)]
    pub jobs: usize,
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
fn default_shown_chars() -> usize {
    2_000
}
fn default_section_seconds() -> f64 {
    30.0
}
fn default_section_memory_mb() -> u64 {
    1_024
}
fn default_output_chars() -> usize {
    64 * 1024
}
fn default_value_chars() -> usize {
    64 * 1024
}
fn default_capture_bytes() -> usize {
    8 * 1024 * 1024
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
    /// Values that parse but cannot work (a zero time limit, say).
    pub fn check(&self) -> Result<(), String> {
        let positive: [(&str, f64); 8] = [
            ("max-rows", self.max_rows as f64),
            ("shown-rows", self.shown_rows as f64),
            ("max-steps", self.max_steps as f64),
            ("shown-chars", self.shown_chars as f64),
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

    /// Sections captured at once: `jobs`, or one per core.
    pub fn capture_jobs(&self) -> usize {
        if self.jobs > 0 {
            self.jobs
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        }
    }

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
