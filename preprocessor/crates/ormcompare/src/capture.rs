//! Capture files: what the real ORMs did for one snippet, committed like a lockfile.
//!
//! The Python runner's response uses the same shapes for sections and statements,
//! so a section of the response is stored as it came, plus the fields computed here.
//!
//! Captures are checked, not trusted: a capture must match its block (one section
//! per block section, same kinds, same order), its query counts are recomputed from
//! its statements, and its checksum (over everything else in the file) must match,
//! so a capture edited by hand, emptied or cut short is found and re-made. The
//! statements' rows are checked again when the build replays them (`replay`).

use crate::inputs::sha256_hex_of;
use crate::layout::{self, Layout};
use crate::syntax::Compare;
use demo_engine::{Table, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capture {
    pub id: String,
    /// Hash of everything the capture depends on (see `inputs`).
    pub input_hash: String,
    /// Python, SQLite and library versions the capture was made with.
    pub versions: BTreeMap<String, String>,
    pub sections: Vec<SectionCapture>,
    /// SHA-256 of the fields above, as the capture was made (see `Capture::content_checksum`).
    #[serde(default)]
    pub checksum: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionCapture {
    pub kind: String,
    /// Statements other than transaction control that the ORM itself sent.
    #[serde(default)]
    pub query_count: usize,
    /// What the library sent on its new connection before the section's code ran
    /// (`PRAGMA`s, a dialect's first-connect queries): replayed first, not counted.
    #[serde(default)]
    pub setup: Vec<Statement>,
    pub statements: Vec<Statement>,
    pub result: Option<Table>,
    pub stdout: String,
    pub error: Option<SnippetError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Sent by the ORM through the DB-API cursor.
    Orm,
    /// Issued by Python's `sqlite3` module itself (implicit BEGIN, COMMIT).
    Driver,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    pub sql: String,
    /// `sql` laid out for reading, recorded when the capture was written
    /// (`layout::lay_out`); absent when the layout is the SQL as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// The parameters; for `executemany` (`many`), a list of parameter lists.
    pub params: serde_json::Value,
    pub many: bool,
    pub origin: Origin,
    pub columns: Option<Vec<String>>,
    pub rows: Option<Vec<Vec<Value>>>,
    pub total_rows: Option<usize>,
    /// SQLite's message when it refused the statement at capture time (a snippet
    /// showing an `IntegrityError` on purpose); the replay must be refused alike.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnippetError {
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
    /// 1-based line in the section's code, when the traceback points into it.
    pub line: Option<usize>,
    /// The runner reports it, not the snippet's code: a limit the section went past,
    /// a process that died, output that changes from run to run. Never saved.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_runner: bool,
}

impl Statement {
    /// The layout to show it in (`layout`).
    pub fn layout(&self) -> Layout<'_> {
        Layout::Recorded(self.formatted.as_deref().unwrap_or(&self.sql))
    }

    /// The statement's first keyword, upper-cased.
    pub fn verb(&self) -> String {
        demo_engine::plan::verb(&self.sql)
    }

    /// Transaction control is shown but not counted as a query.
    pub fn is_transaction_control(&self) -> bool {
        matches!(
            self.verb().as_str(),
            "BEGIN" | "COMMIT" | "END" | "ROLLBACK" | "SAVEPOINT" | "RELEASE"
        )
    }

    /// Whether SQLite's count of changed rows means something for it: not for
    /// DDL or a PRAGMA, where it stays at zero.
    pub fn changes_rows(&self) -> bool {
        matches!(
            self.verb().as_str(),
            "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "WITH"
        )
    }

    pub fn is_query(&self) -> bool {
        self.origin == Origin::Orm && !self.is_transaction_control()
    }

    /// The parameter lists to run the statement with: one, or one per row for `many`.
    pub fn parameter_sets(&self) -> Result<Vec<Vec<Value>>, String> {
        demo_engine::plan::parameter_sets(&self.params, self.many)
    }

    /// The rows the ORM received, as a table, for statements that return rows.
    pub fn table(&self) -> Option<Table> {
        let rows = self.rows.clone()?;
        Some(Table {
            columns: self.columns.clone().unwrap_or_default(),
            total_rows: self.total_rows.unwrap_or(rows.len()),
            rows,
        })
    }
}

impl SectionCapture {
    pub fn count_queries(&self) -> usize {
        self.statements.iter().filter(|s| s.is_query()).count()
    }
}

impl Capture {
    /// SHA-256 over the capture's content (every field but the checksum itself), in
    /// the compact JSON serde writes, which does not depend on the file's layout.
    /// Written straight from the fields, in their order: building a
    /// `serde_json::Value` of every capture first cost more than a quarter of the
    /// preprocessor's time.
    pub fn content_checksum(&self) -> String {
        #[derive(Serialize)]
        struct Content<'a> {
            id: &'a str,
            input_hash: &'a str,
            versions: &'a BTreeMap<String, String>,
            sections: &'a [SectionCapture],
        }
        let content = Content {
            id: &self.id,
            input_hash: &self.input_hash,
            versions: &self.versions,
            sections: &self.sections,
        };
        // Hashed as it is written: the JSON of every capture would be megabytes
        // allocated only to be hashed.
        sha256_hex_of(|out| {
            let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
            serde_json::to_writer(&mut buffered, &content).expect("a capture serializes");
            std::io::Write::flush(&mut buffered).expect("hashing cannot fail");
        })
    }

    /// Why the capture cannot be used for `compare`: it was made for other sections,
    /// or its content was changed after it was made. `None` when it is sound.
    pub fn unsound_for(&self, compare: &Compare) -> Option<String> {
        self.unfit_for(compare).or_else(|| self.altered())
    }

    /// Why the capture cannot be used for `compare` as its sections read (the
    /// cheap half of `unsound_for`).
    pub fn unfit_for(&self, compare: &Compare) -> Option<String> {
        let kinds: Vec<&str> = self.sections.iter().map(|s| s.kind.as_str()).collect();
        let expected: Vec<&str> = compare.sections.iter().map(|s| s.kind.key()).collect();
        if kinds != expected {
            return Some(format!(
                "holds the sections [{}] but the block has [{}]",
                kinds.join(", "),
                expected.join(", ")
            ));
        }
        if let Some((number, section)) = self
            .sections
            .iter()
            .enumerate()
            .find(|(_, s)| s.query_count != s.count_queries())
        {
            return Some(format!(
                "says section {} sent {} queries but lists {}",
                number + 1,
                section.query_count,
                section.count_queries()
            ));
        }
        None
    }

    /// Records the layout of its SQL (`layout::lay_out`), then the checksum of its
    /// content: what makes a capture ready to be written.
    pub fn seal(&mut self) {
        layout::lay_out(self);
        self.checksum = self.content_checksum();
    }

    /// Why the content no longer matches its checksum, if it does not.
    pub fn altered(&self) -> Option<String> {
        (self.checksum != self.content_checksum())
            .then(|| "was changed after it was made (its checksum does not match)".into())
    }
}

/// The capture of `compare` made from the runner's answer: the sections must be the
/// block's, and none may hold an error the runner reported itself (a limit, a process
/// that died). Errors are `(line, message)`, at the block's or the section's line.
pub fn from_answer(
    compare: &Compare,
    input_hash: String,
    versions: &BTreeMap<String, String>,
    mut sections: Vec<SectionCapture>,
) -> Result<Capture, Vec<(usize, String)>> {
    let kinds: Vec<&str> = sections.iter().map(|s| s.kind.as_str()).collect();
    let expected: Vec<&str> = compare.sections.iter().map(|s| s.kind.key()).collect();
    if kinds != expected {
        return Err(vec![(
            compare.line,
            format!(
                "the Python runner answered for `{}` with the sections [{}] instead of [{}]",
                compare.id,
                kinds.join(", "),
                expected.join(", ")
            ),
        )]);
    }
    let failures: Vec<(usize, String)> = compare
        .sections
        .iter()
        .zip(&sections)
        .filter_map(|(section, captured)| {
            let error = captured.error.as_ref().filter(|e| e.by_runner)?;
            let line = error.line.map_or(section.line, |l| section.line + l);
            Some((
                line,
                format!(
                    "`{}`, section `{}`: {}: {}; not saved, the next build tries again",
                    compare.id,
                    section.kind.key(),
                    error.kind,
                    error.message
                ),
            ))
        })
        .collect();
    if !failures.is_empty() {
        return Err(failures);
    }
    for section in &mut sections {
        section.query_count = section.count_queries();
    }
    let mut capture = Capture {
        id: compare.id.clone(),
        input_hash,
        versions: versions.clone(),
        sections,
        checksum: String::new(),
    };
    capture.seal();
    Ok(capture)
}

pub fn capture_path(captures_dir: &Path, id: &str) -> PathBuf {
    captures_dir.join(format!("{id}.json"))
}

/// `None` when there is no capture yet; `Err` when the file cannot be read or parsed.
pub fn read(captures_dir: &Path, id: &str) -> Result<Option<Capture>, String> {
    read_file(&capture_path(captures_dir, id))
}

/// `read`, from the capture's file.
pub fn read_file(path: &Path) -> Result<Option<Capture>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot be read: {e}")),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| format!("is not a valid capture ({e}): it was cut short or edited by hand"))
}

/// Pretty JSON with a final newline: stable bytes, readable diffs.
pub fn write(captures_dir: &Path, capture: &Capture) -> Result<(), String> {
    std::fs::create_dir_all(captures_dir)
        .map_err(|e| format!("cannot create {}: {e}", captures_dir.display()))?;
    let path = capture_path(captures_dir, &capture.id);
    let mut text = serde_json::to_string_pretty(capture).map_err(|e| e.to_string())?;
    text.push('\n');
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
impl Statement {
    /// A statement that returned no rows, as the tests build them.
    pub(crate) fn bare(sql: &str, params: serde_json::Value, origin: Origin) -> Statement {
        Statement {
            sql: sql.into(),
            formatted: None,
            params,
            many: false,
            origin,
            columns: None,
            rows: None,
            total_rows: None,
            refused: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(sql: &str, origin: Origin) -> Statement {
        Statement::bare(sql, serde_json::json!([]), origin)
    }

    #[test]
    fn transaction_control_is_not_a_query() {
        assert!(!statement("BEGIN ", Origin::Driver).is_query());
        assert!(!statement("SAVEPOINT \"s1\"", Origin::Orm).is_query());
        assert!(!statement("RELEASE SAVEPOINT \"s1\"", Origin::Orm).is_query());
        assert!(statement("SELECT 1", Origin::Orm).is_query());
        assert!(statement("  insert into t values (1)", Origin::Orm).is_query());
    }

    #[test]
    fn many_parameters_are_one_set_per_row() {
        let mut s = statement("INSERT INTO t VALUES (?)", Origin::Orm);
        s.many = true;
        s.params = serde_json::json!([[1], [2]]);
        assert_eq!(
            s.parameter_sets().unwrap(),
            vec![vec![Value::Integer(1)], vec![Value::Integer(2)]]
        );
        s.params = serde_json::json!(3);
        assert!(s.parameter_sets().is_err());
    }

    #[test]
    fn write_then_read_gives_the_same_capture() {
        let dir = tempfile::tempdir().unwrap();
        let capture = Capture {
            id: "x".into(),
            input_hash: "h".into(),
            versions: BTreeMap::from([("django".into(), "5.2".into())]),
            sections: vec![],
            checksum: String::new(),
        };
        write(dir.path(), &capture).unwrap();
        assert_eq!(read(dir.path(), "x").unwrap(), Some(capture));
        assert_eq!(read(dir.path(), "missing").unwrap(), None);
        std::fs::write(dir.path().join("bad.json"), "{").unwrap();
        assert!(read(dir.path(), "bad")
            .unwrap_err()
            .contains("not a valid capture"));
    }
}
