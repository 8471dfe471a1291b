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

use crate::inputs::sha256_hex;
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
    /// SHA-256 of the file's text before this member, the file's last (`checksummed`).
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
    /// Why the capture cannot be used for `compare`: it was made for other sections,
    /// or its query counts do not add up. `None` when it fits. (Whether its content
    /// was changed after it was made is checked when its file is read, `read_file`.)
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
    /// text: what makes a capture ready to be written.
    pub fn seal(&mut self) {
        layout::lay_out(self);
        self.checksum.clear();
        let text = self.text();
        let content = checksummed(&text, "").expect("the checksum is written last");
        self.checksum = sha256_hex(content.as_bytes());
    }

    /// The capture's file: pretty JSON with a final newline, stable bytes and
    /// readable diffs.
    pub fn text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a capture serializes");
        text.push('\n');
        text
    }
}

/// How a capture file's text holds its checksum: as its last member.
const CHECKSUM_MEMBER: &str = ",\n  \"checksum\": \"";

/// What the checksum of a capture file covers: its text before the checksum, which
/// must be `checksum`, written as the file's last member (`Capture::text`). `None`
/// when the text does not end so. The bytes as they are, not the content parsed
/// again: serializing every capture again only to hash it cost a tenth of a build.
fn checksummed<'a>(text: &'a str, checksum: &str) -> Option<&'a str> {
    let at = text.rfind(CHECKSUM_MEMBER)?;
    let rest = text[at + CHECKSUM_MEMBER.len()..].strip_prefix(checksum)?;
    (rest == "\"\n}\n").then(|| &text[..at])
}

/// Why a capture file's text does not match the checksum it holds, if it does not.
fn altered(text: &str, capture: &Capture) -> Option<String> {
    match checksummed(text, &capture.checksum) {
        Some(content) if sha256_hex(content.as_bytes()) == capture.checksum => None,
        _ => Some("was changed after it was made (its checksum does not match)".into()),
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
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot be read: {e}")),
    }
}

/// The capture a file's text holds. Text changed after the capture was made (its
/// checksum does not match) is an `Err` saying so.
pub fn parse(text: &str) -> Result<Capture, String> {
    let capture: Capture = serde_json::from_str(text)
        .map_err(|e| format!("is not a valid capture ({e}): it was cut short or edited by hand"))?;
    match altered(text, &capture) {
        Some(why) => Err(why),
        None => Ok(capture),
    }
}

pub fn write(captures_dir: &Path, capture: &Capture) -> Result<(), String> {
    std::fs::create_dir_all(captures_dir)
        .map_err(|e| format!("cannot create {}: {e}", captures_dir.display()))?;
    let path = capture_path(captures_dir, &capture.id);
    std::fs::write(&path, capture.text())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
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
        let mut capture = Capture {
            id: "x".into(),
            input_hash: "h".into(),
            versions: BTreeMap::from([("django".into(), "5.2".into())]),
            sections: vec![],
            checksum: String::new(),
        };
        capture.seal();
        write(dir.path(), &capture).unwrap();
        assert_eq!(read(dir.path(), "x").unwrap(), Some(capture.clone()));
        // Any byte changed, even outside the content serde reads, is found.
        let file = dir.path().join("x.json");
        let text = std::fs::read_to_string(&file).unwrap();
        for edited in [
            text.replace("5.2", "5.3"),
            text.replacen('{', "{ ", 1),
            format!("{text}\n"),
            text.replace(&capture.checksum, &"0".repeat(64)),
        ] {
            std::fs::write(&file, edited).unwrap();
            assert!(read(dir.path(), "x")
                .unwrap_err()
                .contains("its checksum does not match"));
        }
        assert_eq!(read(dir.path(), "missing").unwrap(), None);
        std::fs::write(dir.path().join("bad.json"), "{").unwrap();
        assert!(read(dir.path(), "bad")
            .unwrap_err()
            .contains("not a valid capture"));
    }
}
