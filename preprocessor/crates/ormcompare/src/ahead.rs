//! Replays started before the book is read (DESIGN.md, Replay).
//!
//! A cold build replays every captured SQLite side. A replay needs the capture, the
//! demo database and the limits, not the book: so once the preload has checked the
//! captures, `start` sets their replays going on the thread pool, where they run
//! while the preprocessor reads the book and finds its snippets on one core. The
//! render then takes each side's result when it reaches it (`replayed`), waiting
//! if that side is being replayed, or replaying it itself if the pool has not
//! started it yet: either way the side is replayed once, by `replay_section`, and
//! what a replay gives depends on nothing a build changes (`replay_cache`).
//!
//! The sides are those the render replays for a block whose panel shows the first
//! stack on SQLite (every block SQLite captures): each of the first stack's, and
//! each of another stack's that sent other statements than the first stack's
//! (`replay::sides_sent_otherwise`). Sides the replay cache holds already are
//! skipped: a warm build starts nothing.

use crate::capture::Capture;
use crate::config::Paths;
use crate::replay::{self, Sessions};
use crate::replay_cache::ReplayCache;
use crate::targets::{Target, Targets};
use demo_engine::plan::Replayed;
use demo_engine::{DemoDb, Limits};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

type Outcome = Result<Vec<Replayed>, String>;
/// One side's replay, made by whichever comes first: the pool or the render.
type Slot = Arc<OnceLock<Outcome>>;

/// The sides set going, by their capture's checksum and their index; the render
/// takes each out.
static SLOTS: Mutex<Option<HashMap<(String, usize), Slot>>> = Mutex::new(None);

/// Sets the replays of `captures` (checked, with their targets) going on the thread
/// pool. Gives up silently when the demo database does not build: the render
/// replays every side then, and says what is wrong.
pub fn start<'a>(
    paths: &Paths,
    limits: Limits,
    targets: &Targets,
    captures: impl Iterator<Item = (Target, &'a Arc<Capture>)>,
) {
    let Some(sqlite) = targets.database_named("sqlite") else {
        return;
    };
    let on_sqlite: Vec<(Target, &Arc<Capture>)> =
        captures.filter(|(t, _)| t.database == sqlite).collect();
    let first_stack: HashMap<&str, &Arc<Capture>> = on_sqlite
        .iter()
        .filter(|(t, _)| t.stack == 0)
        .map(|(_, c)| (c.id.as_str(), *c))
        .collect();
    let work: Vec<(Arc<Capture>, usize)> = on_sqlite
        .iter()
        .flat_map(|(target, capture)| {
            let sides = match first_stack.get(capture.id.as_str()) {
                Some(first) if target.stack != 0 => replay::sides_sent_otherwise(capture, first),
                _ => (0..capture.sections.len()).collect(),
            };
            sides.into_iter().map(|side| (Arc::clone(capture), side))
        })
        .collect();
    SLOTS
        .lock()
        .expect("never poisoned")
        .get_or_insert_with(HashMap::new)
        .extend(
            work.iter()
                .map(|(capture, side)| ((capture.checksum.clone(), *side), Slot::default())),
        );
    let (root, snippets) = (paths.root.clone(), paths.snippets.clone());
    rayon::spawn(move || {
        let read = |file: &str| std::fs::read_to_string(snippets.join(file)).ok();
        let Some(db) = read("schema.sql")
            .zip(read("fixtures.sql"))
            .and_then(|(schema, fixtures)| DemoDb::build(&schema, &fixtures).ok())
        else {
            return;
        };
        let cache = ReplayCache::open(&root, &db, limits);
        let sessions = Sessions::new(&db, limits);
        work.par_iter()
            .filter(|(capture, side)| !cache.knows(capture, *side))
            .for_each(|(capture, side)| {
                if let Some(slot) = slot(capture, *side, false) {
                    slot.get_or_init(|| {
                        replay::replay_section(&sessions, &capture.sections[*side])
                    });
                }
            });
    });
}

/// Side `side` of `capture` replayed: as the pool replayed it (waiting for it if it
/// is under way), or by `replay` here if it was not set going or not started yet.
pub fn replayed(capture: &Capture, side: usize, replay: impl FnOnce() -> Outcome) -> Outcome {
    let Some(slot) = self::slot(capture, side, true) else {
        return replay();
    };
    slot.get_or_init(replay);
    match Arc::try_unwrap(slot) {
        Ok(lock) => lock.into_inner(),
        // The pool looked at it at the same moment, and still holds it.
        Err(shared) => shared.get().cloned(),
    }
    .expect("initialized above")
}

/// The slot of a side, taken out (`take`) or shared.
fn slot(capture: &Capture, side: usize, take: bool) -> Option<Slot> {
    let mut slots = SLOTS.lock().expect("never poisoned");
    let slots = slots.as_mut()?;
    let key = (capture.checksum.clone(), side);
    if take {
        slots.remove(&key)
    } else {
        slots.get(&key).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_side_nobody_set_going_is_replayed_by_the_caller_once() {
        let capture = Capture {
            id: "never-set-going".into(),
            input_hash: String::new(),
            versions: Default::default(),
            sections: vec![],
            checksum: "not a capture the preload saw".into(),
        };
        let mut calls = 0;
        let outcome = replayed(&capture, 0, || {
            calls += 1;
            Ok(vec![])
        });
        assert_eq!((outcome, calls), (Ok(vec![]), 1));
    }

    #[test]
    fn a_side_set_going_is_replayed_once_whoever_comes_first() {
        let capture = Capture {
            id: "set-going".into(),
            input_hash: String::new(),
            versions: Default::default(),
            sections: vec![],
            checksum: "a checksum only this test uses".into(),
        };
        let key = (capture.checksum.clone(), 3);
        let slot = Slot::default();
        SLOTS
            .lock()
            .unwrap()
            .get_or_insert_with(HashMap::new)
            .insert(key.clone(), Arc::clone(&slot));
        // The pool got there first.
        slot.get_or_init(|| Err("replayed by the pool".into()));
        let outcome = replayed(&capture, 3, || unreachable!("replayed twice"));
        assert_eq!(outcome, Err("replayed by the pool".into()));
        // Taken out: asked again, the caller replays it.
        assert!(SLOTS.lock().unwrap().as_ref().unwrap().get(&key).is_none());
    }
}
