//! The input hash that tells whether a capture is still true.
//!
//! A capture depends on its snippet's code, the demo database (schema and
//! fixtures), the model definitions, the runner and the pinned library versions.
//! Hashing all of them here, in Rust, lets a build decide freshness without Python.

use crate::files::files_with_extension;
use crate::syntax::Compare;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Bump when the capture format or the meaning of its fields changes.
const CAPTURE_FORMAT: &str = "ormcompare-capture-1";

/// Files under the snippets directory that every capture depends on.
const SHARED_FILES: [&str; 4] = [
    "schema.sql",
    "fixtures.sql",
    "requirements.lock",
    "kinds.toml",
];
/// Folders whose Python files every capture depends on.
const SHARED_TREES: [&str; 2] = ["models", "runner"];

/// The hash of everything captures share, computed once per build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedInputs {
    digest: String,
}

impl SharedInputs {
    pub fn hash(snippets_dir: &Path, max_rows: usize) -> Result<SharedInputs, String> {
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
        Ok(SharedInputs {
            digest: hex(&hasher.finalize()),
        })
    }

    /// The input hash of one comparison snippet.
    pub fn snippet_hash(&self, compare: &Compare) -> String {
        let mut hasher = Sha256::new();
        feed(&mut hasher, self.digest.as_bytes());
        feed(&mut hasher, compare.id.as_bytes());
        for section in &compare.sections {
            feed(&mut hasher, section.kind.key().as_bytes());
            feed(&mut hasher, section.code.as_bytes());
        }
        hex(&hasher.finalize())
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
        for f in SHARED_FILES {
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

    #[test]
    fn hash_changes_with_every_input_and_only_then() {
        let dir = tree();
        let before = SharedInputs::hash(dir.path(), 100).unwrap();
        assert_eq!(before, SharedInputs::hash(dir.path(), 100).unwrap());
        assert_ne!(before, SharedInputs::hash(dir.path(), 50).unwrap());
        assert_ne!(
            before.snippet_hash(&compare("a")),
            before.snippet_hash(&compare("b"))
        );

        std::fs::write(dir.path().join("models/demo/models.py"), "class B: pass").unwrap();
        assert_ne!(before, SharedInputs::hash(dir.path(), 100).unwrap());
        // Compiled files do not count.
        let after = SharedInputs::hash(dir.path(), 100).unwrap();
        std::fs::create_dir_all(dir.path().join("models/__pycache__")).unwrap();
        std::fs::write(dir.path().join("models/__pycache__/x.py"), "junk").unwrap();
        assert_eq!(after, SharedInputs::hash(dir.path(), 100).unwrap());
    }

    #[test]
    fn a_missing_input_is_an_error() {
        let dir = tree();
        std::fs::remove_file(dir.path().join("schema.sql")).unwrap();
        assert!(SharedInputs::hash(dir.path(), 100)
            .unwrap_err()
            .contains("schema.sql"));
    }
}
