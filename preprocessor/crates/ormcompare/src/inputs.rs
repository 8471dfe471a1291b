//! The input hash that tells whether a capture is still true.
//!
//! A capture depends on its snippet's code, the demo database (schema and
//! fixtures), the model definitions, the runner, and its target: the stack's pinned
//! library versions and the database. Hashing all of them here, in Rust, lets a
//! build decide freshness without Python.

use crate::files::files_with_extension;
use crate::syntax::Compare;
use crate::targets::{Target, Targets};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Bump when the capture format or the meaning of its fields changes.
const CAPTURE_FORMAT: &str = "ormcompare-capture-1";

/// Files under the snippets directory that every capture depends on.
const SHARED_FILES: [&str; 5] = [
    "schema.sql",
    "schema.postgresql.sql",
    "fixtures.sql",
    "sequences.postgresql.sql",
    "kinds.toml",
];
/// Folders whose Python files every capture depends on.
const SHARED_TREES: [&str; 2] = ["models", "runner"];

/// The hash of everything the captures of each target share, computed once per build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedInputs {
    /// By target, in `Targets::all()` order.
    digests: Vec<(Target, String)>,
}

impl SharedInputs {
    pub fn hash(
        snippets_dir: &Path,
        max_rows: usize,
        targets: &Targets,
    ) -> Result<SharedInputs, String> {
        let common = common_digest(snippets_dir, max_rows)?;
        let mut digests = Vec::new();
        for target in targets.all() {
            let stack = &targets.stacks[target.stack];
            let lock = snippets_dir.join(&stack.lock);
            let bytes =
                std::fs::read(&lock).map_err(|e| format!("cannot read {}: {e}", lock.display()))?;
            let mut hasher = Sha256::new();
            feed(&mut hasher, common.as_bytes());
            feed(&mut hasher, targets.name(target).as_bytes());
            feed(&mut hasher, &bytes);
            digests.push((target, hex(&hasher.finalize())));
        }
        Ok(SharedInputs { digests })
    }

    /// The input hash of one comparison snippet on one target.
    pub fn snippet_hash(&self, target: Target, compare: &Compare) -> String {
        let digest = self
            .digests
            .iter()
            .find(|(t, _)| *t == target)
            .map(|(_, d)| d.as_str())
            .expect("every target is hashed");
        let mut hasher = Sha256::new();
        feed(&mut hasher, digest.as_bytes());
        feed(&mut hasher, compare.id.as_bytes());
        for section in &compare.sections {
            feed(&mut hasher, section.kind.key().as_bytes());
            feed(&mut hasher, section.code.as_bytes());
        }
        hex(&hasher.finalize())
    }
}

/// What every target's captures depend on: the demo database, the kinds, the models
/// and the runner.
fn common_digest(snippets_dir: &Path, max_rows: usize) -> Result<String, String> {
    {
        let mut files: Vec<PathBuf> = SHARED_FILES.iter().map(|f| snippets_dir.join(f)).collect();
        for tree in SHARED_TREES {
            files.extend(files_with_extension(&snippets_dir.join(tree), "py")?);
        }
        files.sort();
        let mut hasher = Sha256::new();
        hasher.update(CAPTURE_FORMAT.as_bytes());
        hasher.update(max_rows.to_le_bytes());
        for file in files {
            let bytes =
                std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let name = file.strip_prefix(snippets_dir).unwrap_or(&file);
            feed(&mut hasher, name.to_string_lossy().as_bytes());
            feed(&mut hasher, &bytes);
        }
        Ok(hex(&hasher.finalize()))
    }
}

/// Length-prefixed, so that moving bytes between two fields changes the hash.
fn feed(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{Expect, Section, SectionKind};

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in SHARED_FILES.iter().chain(&["new.lock", "old.lock"]) {
            std::fs::write(dir.path().join(f), f).unwrap();
        }
        std::fs::create_dir_all(dir.path().join("models/demo")).unwrap();
        std::fs::create_dir_all(dir.path().join("runner")).unwrap();
        std::fs::write(dir.path().join("models/demo/models.py"), "class A: pass").unwrap();
        dir
    }

    fn compare(code: &str) -> Compare {
        Compare {
            id: "x".into(),
            databases: Vec::new(),
            database_note: None,
            line: 1,
            same_rows: false,
            sections: vec![Section {
                kind: SectionKind::named("django").unwrap(),
                code: code.into(),
                line: 2,
                expect: Expect::default(),
            }],
        }
    }

    const TARGETS: &str = r#"
        [[stack]]
        name = "new"
        label = "new"
        lock = "new.lock"
        [[stack]]
        name = "old"
        label = "old"
        lock = "old.lock"
        [[database]]
        name = "sqlite"
        label = "SQLite"
        driver = "sqlite3"
    "#;

    fn targets() -> Targets {
        Targets::parse(TARGETS).unwrap()
    }

    #[test]
    fn hash_changes_with_every_input_and_only_then() {
        let dir = tree();
        let targets = targets();
        let [new, old] = [targets.all()[0], targets.all()[1]];
        let hash = |max_rows| SharedInputs::hash(dir.path(), max_rows, &targets).unwrap();
        let before = hash(100);
        assert_eq!(before, hash(100));
        assert_ne!(before, hash(50));
        assert_ne!(
            before.snippet_hash(new, &compare("a")),
            before.snippet_hash(new, &compare("b"))
        );
        // Each target has its own hash, and a lock file moves only its own stack's.
        assert_ne!(
            before.snippet_hash(new, &compare("a")),
            before.snippet_hash(old, &compare("a"))
        );
        std::fs::write(dir.path().join("old.lock"), "Django==5.2.1").unwrap();
        let relocked = hash(100);
        assert_eq!(
            before.snippet_hash(new, &compare("a")),
            relocked.snippet_hash(new, &compare("a"))
        );
        assert_ne!(
            before.snippet_hash(old, &compare("a")),
            relocked.snippet_hash(old, &compare("a"))
        );

        std::fs::write(dir.path().join("models/demo/models.py"), "class B: pass").unwrap();
        assert_ne!(relocked, hash(100));
        // Compiled files do not count.
        let after = hash(100);
        std::fs::create_dir_all(dir.path().join("models/__pycache__")).unwrap();
        std::fs::write(dir.path().join("models/__pycache__/x.py"), "junk").unwrap();
        assert_eq!(after, hash(100));
    }

    #[test]
    fn a_missing_input_is_an_error() {
        let dir = tree();
        std::fs::remove_file(dir.path().join("schema.sql")).unwrap();
        assert!(SharedInputs::hash(dir.path(), 100, &targets())
            .unwrap_err()
            .contains("schema.sql"));
        let dir = tree();
        std::fs::remove_file(dir.path().join("old.lock")).unwrap();
        assert!(SharedInputs::hash(dir.path(), 100, &targets())
            .unwrap_err()
            .contains("old.lock"));
    }
}
