//! Replays an earlier build checked, kept for the next build (DESIGN.md, Replay).
//!
//! What a side's replay gives depends on its capture (statements, parameters, rows
//! and refusals: all covered by the capture's checksum, which is verified before
//! any replay), the demo database, the limits and the engine that replays it (this
//! binary, with its SQLite), and on nothing else. A replay that passed is kept in
//! `<book>/.ormcompare-cache/replays.json`, keyed by the capture's checksum and the
//! side, in a file stamped with the binary (its path, size and modification time: a
//! rebuilt binary has another), the digest of the database image and the limits: a
//! file with another stamp is ignored whole. A replay that failed is never
//! kept, so it runs again. The build says how many replays it reused, and deleting
//! the folder replays every side; a fresh clone has no folder.

use crate::capture::Capture;
use crate::inputs::sha256_hex;
use demo_engine::plan::Replayed;
use demo_engine::{DemoDb, Limits};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The cache's folder, under the book's root (ignored by git).
pub const DIR: &str = ".ormcompare-cache";
const FILE: &str = "replays.json";

#[derive(Serialize, Deserialize)]
struct Stored {
    engine: String,
    sides: BTreeMap<String, Vec<Replayed>>,
}

pub struct ReplayCache {
    /// Where the file is; `None` when this binary cannot be read to stamp it.
    path: Option<PathBuf>,
    engine: String,
    known: BTreeMap<String, Vec<Replayed>>,
    used: Mutex<HashSet<String>>,
    made: Mutex<BTreeMap<String, Vec<Replayed>>>,
}

/// How many sides a build replayed, and how many it found checked already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reuse {
    pub reused: usize,
    pub replayed: usize,
}

impl ReplayCache {
    /// The cache of the book at `root`, for replays on `db` within `limits` by the
    /// running binary. A missing or unreadable file, or one made by another binary,
    /// database or limits, is an empty cache.
    pub fn open(root: &Path, db: &DemoDb, limits: Limits) -> ReplayCache {
        let binary = binary_stamp();
        let path = binary.as_ref().map(|_| root.join(DIR).join(FILE));
        let engine = binary.map_or_else(String::new, |binary| engine_stamp(&binary, db, limits));
        let known = path
            .as_ref()
            .and_then(|path| std::fs::read(path).ok())
            .and_then(|bytes| serde_json::from_slice::<Stored>(&bytes).ok())
            .filter(|stored| stored.engine == engine)
            .map(|stored| stored.sides)
            .unwrap_or_default();
        ReplayCache {
            path,
            engine,
            known,
            used: Mutex::default(),
            made: Mutex::default(),
        }
    }

    /// What side `side` of `capture` gave when an earlier build replayed it.
    pub fn get(&self, capture: &Capture, side: usize) -> Option<Vec<Replayed>> {
        let key = key(capture, side);
        let replayed = self.known.get(&key)?.clone();
        self.used.lock().expect("never poisoned").insert(key);
        Some(replayed)
    }

    /// Keeps a replay that passed.
    pub fn put(&self, capture: &Capture, side: usize, replayed: &[Replayed]) {
        self.made
            .lock()
            .expect("never poisoned")
            .insert(key(capture, side), replayed.to_vec());
    }

    /// Writes the replays this build used or made (and only those: a side no block
    /// has any more is dropped), when they differ from the file's.
    pub fn save(self) -> Result<Reuse, String> {
        let used = self.used.into_inner().expect("never poisoned");
        let made = self.made.into_inner().expect("never poisoned");
        let reuse = Reuse {
            reused: used.len(),
            replayed: made.len(),
        };
        let Some(path) = self.path else {
            return Ok(reuse);
        };
        if made.is_empty() && used.len() == self.known.len() {
            return Ok(reuse);
        }
        let mut sides = made;
        sides.extend(self.known.into_iter().filter(|(key, _)| used.contains(key)));
        let stored = Stored {
            engine: self.engine,
            sides,
        };
        let json = serde_json::to_vec(&stored).map_err(|e| e.to_string())?;
        let dir = path.parent().expect("the file is in the cache folder");
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        // Written aside, then renamed: a build running at the same time reads the
        // old file or the new one, never half of one.
        let partial = dir.join(format!("{FILE}.{}", std::process::id()));
        std::fs::write(&partial, json)
            .and_then(|()| std::fs::rename(&partial, &path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(reuse)
    }
}

fn key(capture: &Capture, side: usize) -> String {
    format!("{}/{side}", capture.checksum)
}

/// The running binary, as its path, size and modification time (hashing its
/// megabytes cost a cold build a quarter of what the cache saves a warm one).
fn binary_stamp() -> Option<String> {
    let path = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(&path).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!(
        "{}:{}:{}",
        path.display(),
        meta.len(),
        modified.as_nanos()
    ))
}

/// The digest of what a replay depends on besides the capture: the binary that
/// replays it, the database it starts from and the limits it runs under.
fn engine_stamp(binary: &str, db: &DemoDb, limits: Limits) -> String {
    let limits = serde_json::to_string(&limits).expect("limits serialize");
    sha256_hex(format!("{binary}\n{}\n{limits}", sha256_hex(db.image())).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use demo_engine::Outcome;

    const LIMITS: Limits = Limits {
        max_rows: 10,
        max_steps: 1000,
    };

    fn capture(checksum: &str) -> Capture {
        Capture {
            id: "x".into(),
            input_hash: String::new(),
            versions: BTreeMap::new(),
            sections: vec![],
            checksum: checksum.into(),
        }
    }

    fn db(fixtures: &str) -> DemoDb {
        DemoDb::build("CREATE TABLE t (a INTEGER);", fixtures).unwrap()
    }

    #[test]
    fn a_passed_replay_is_reused_by_the_next_build_only_with_the_same_stamp() {
        let root = tempfile::tempdir().unwrap();
        let replayed = vec![
            Replayed::Ran(Outcome::Changed(2)),
            Replayed::Refused("no".into()),
        ];
        let first = ReplayCache::open(root.path(), &db(""), LIMITS);
        assert_eq!(first.get(&capture("a"), 0), None);
        first.put(&capture("a"), 0, &replayed);
        first.put(&capture("b"), 1, &replayed);
        assert_eq!(
            first.save().unwrap(),
            Reuse {
                reused: 0,
                replayed: 2
            }
        );

        let second = ReplayCache::open(root.path(), &db(""), LIMITS);
        assert_eq!(second.get(&capture("a"), 0), Some(replayed.clone()));
        assert_eq!(second.get(&capture("a"), 1), None);
        assert_eq!(second.get(&capture("c"), 0), None);
        assert_eq!(second.save().unwrap().reused, 1);
        // What the second build did not use is gone.
        let third = ReplayCache::open(root.path(), &db(""), LIMITS);
        assert_eq!(third.get(&capture("b"), 1), None);
        assert_eq!(third.get(&capture("a"), 0), Some(replayed.clone()));

        // Other limits, another database: nothing is reused.
        let limits = Limits {
            max_steps: 999,
            ..LIMITS
        };
        assert_eq!(
            ReplayCache::open(root.path(), &db(""), limits).get(&capture("a"), 0),
            None
        );
        assert_eq!(
            ReplayCache::open(root.path(), &db("INSERT INTO t VALUES (1);"), LIMITS)
                .get(&capture("a"), 0),
            None
        );
    }

    #[test]
    fn a_damaged_file_is_an_empty_cache() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join(DIR)).unwrap();
        std::fs::write(root.path().join(DIR).join(FILE), "{\"engine\": ").unwrap();
        let cache = ReplayCache::open(root.path(), &db(""), LIMITS);
        assert_eq!(cache.get(&capture("a"), 0), None);
        cache.put(&capture("a"), 0, &[]);
        cache.save().unwrap();
        let again = ReplayCache::open(root.path(), &db(""), LIMITS);
        assert_eq!(again.get(&capture("a"), 0), Some(vec![]));
    }
}
