//! Replays an earlier build checked, kept for the next build (DESIGN.md, Replay).
//!
//! What a side's replay gives depends on its capture (statements, parameters, rows
//! and refusals: all covered by the capture's checksum, which is verified before
//! any replay), the demo database, the limits and the engine that replays it (this
//! binary, with its SQLite), and on nothing else. A replay that passed is kept in
//! `<book>/.ormcompare-cache/replays`, keyed by the capture's checksum and the
//! side, in a file stamped with the binary (its path, size and modification time: a
//! rebuilt binary has another), the digest of the database image and the limits: a
//! file with another stamp is ignored whole. A replay that failed is never
//! kept, so it runs again. The build says how many replays it reused, and deleting
//! the folder replays every side; a fresh clone has no folder.

use crate::capture::Capture;
use crate::inputs::sha256_hex;
use demo_engine::plan::Replayed;
use demo_engine::{DemoDb, Limits};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The cache's folder, under the book's root (ignored by git).
pub const DIR: &str = ".ormcompare-cache";
const FILE: &str = "replays";
/// The file's first line: this, a space and the stamp. Then one line per side: its
/// key, a space and its replay as compact JSON (which holds no line break), so a
/// build parses only the replays it uses, each on the thread that renders it.
const HEADER: &str = "ormcompare-replays";

pub struct ReplayCache {
    /// Where the file is; `None` when the running binary cannot be stamped.
    path: Option<PathBuf>,
    engine: String,
    /// The file's replays, by key, as JSON.
    known: HashMap<String, String>,
    used: Mutex<HashSet<String>>,
    made: Mutex<BTreeMap<String, String>>,
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
        let text = path
            .as_ref()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default();
        let mut lines = text.lines();
        let stamped = lines.next() == Some(format!("{HEADER} {engine}").as_str());
        let known = lines
            .filter(|_| stamped)
            .filter_map(|line| line.split_once(' '))
            .map(|(key, json)| (key.to_string(), json.to_string()))
            .collect();
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
        let replayed = serde_json::from_str(self.known.get(&key)?).ok()?;
        self.used.lock().expect("never poisoned").insert(key);
        Some(replayed)
    }

    /// Keeps a replay that passed.
    pub fn put(&self, capture: &Capture, side: usize, replayed: &[Replayed]) {
        let json = serde_json::to_string(replayed).expect("replays serialize");
        self.made
            .lock()
            .expect("never poisoned")
            .insert(key(capture, side), json);
    }

    /// Writes the replays this build used or made (and only those: a side no block
    /// has any more is dropped), when they differ from the file's.
    pub fn save(self) -> Result<Reuse, String> {
        let used = self.used.into_inner().expect("never poisoned");
        let mut sides = self.made.into_inner().expect("never poisoned");
        let reuse = Reuse {
            reused: used.len(),
            replayed: sides.len(),
        };
        let Some(path) = self.path else {
            return Ok(reuse);
        };
        if sides.is_empty() && used.len() == self.known.len() {
            return Ok(reuse);
        }
        sides.extend(self.known.into_iter().filter(|(key, _)| used.contains(key)));
        let mut text = format!("{HEADER} {}\n", self.engine);
        for (key, json) in &sides {
            text.push_str(key);
            text.push(' ');
            text.push_str(json);
            text.push('\n');
        }
        let dir = path.parent().expect("the file is in the cache folder");
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        // Written aside, then renamed: a build running at the same time reads the
        // old file or the new one, never half of one.
        let partial = dir.join(format!("{FILE}.{}", std::process::id()));
        std::fs::write(&partial, text)
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
    fn a_damaged_line_or_file_is_replayed_again() {
        let root = tempfile::tempdir().unwrap();
        let replayed = vec![Replayed::Ran(Outcome::Changed(1))];
        let cache = ReplayCache::open(root.path(), &db(""), LIMITS);
        cache.put(&capture("a"), 0, &replayed);
        cache.put(&capture("b"), 0, &replayed);
        cache.save().unwrap();
        // Cut in the middle of the last line (the keys are in order).
        let file = root.path().join(DIR).join(FILE);
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, &text[..text.len() - 5]).unwrap();
        let cut = ReplayCache::open(root.path(), &db(""), LIMITS);
        assert_eq!(cut.get(&capture("a"), 0), Some(replayed));
        assert_eq!(cut.get(&capture("b"), 0), None);
        std::fs::write(&file, "{\"engine\": ").unwrap();
        let other = ReplayCache::open(root.path(), &db(""), LIMITS);
        assert_eq!(other.get(&capture("a"), 0), None);
    }
}
