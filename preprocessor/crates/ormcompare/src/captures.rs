//! Keeping captures fresh, on every target: which are stale or missing,
//! re-capturing them when the stack's Python environment is there (and the mode
//! allows), and which files no snippet uses any more.

use crate::book::{compares, ChapterText, Found};
use crate::capture::{self, Capture};
use crate::config::{Paths, Settings};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::inputs::SharedInputs;
use crate::runner;
use crate::syntax::Compare;
use crate::targets::{Target, Targets};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What to do about stale or missing captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureMode {
    /// Re-capture when Python is there, else fail (the build's default).
    WhenPossible,
    /// Never run Python: a stale capture is an error.
    Never,
    /// Re-capture everything, fresh or not.
    All,
}

/// Every capture of the book, by target and comparison id.
#[derive(Debug, Default)]
pub struct Captures {
    map: HashMap<(Target, String), Capture>,
}

impl Captures {
    pub fn get(&self, target: Target, id: &str) -> Option<&Capture> {
        self.map.get(&(target, id.to_string()))
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The captures of one target.
    pub fn of(&self, target: Target) -> impl Iterator<Item = &Capture> {
        self.map
            .iter()
            .filter(move |((t, _), _)| *t == target)
            .map(|(_, c)| c)
    }
}

/// Where captures live and what they depend on.
pub struct CaptureStore<'a> {
    pub paths: &'a Paths,
    pub settings: &'a Settings,
    pub shared: &'a SharedInputs,
    pub targets: &'a Targets,
    /// Keep to this target (`capture --target`); every target when `None`.
    pub only: Option<Target>,
}

/// A comparison whose capture on a target must be made, and where it is in the book.
struct Stale<'a> {
    target: Target,
    path: &'a Path,
    compare: &'a Compare,
    why: String,
}

impl CaptureStore<'_> {
    /// The targets a comparison is captured on: every stack, on the databases its
    /// block allows.
    pub fn targets_of(&self, compare: &Compare) -> Vec<Target> {
        self.targets
            .all()
            .into_iter()
            .filter(|t| {
                compare.databases.is_empty()
                    || compare
                        .databases
                        .contains(&self.targets.databases[t.database].name)
            })
            .collect()
    }

    /// The target a comparison's panel shows and its prose describes: the first
    /// stack, on the first database its block allows.
    pub fn primary(&self, compare: &Compare) -> Target {
        self.targets_of(compare)
            .first()
            .copied()
            .unwrap_or(Target::PRIMARY)
    }

    /// The targets a reader can switch a comparison's panel between: the stack the
    /// prose describes, on each database its block allows, the primary one first.
    pub fn views_of(&self, compare: &Compare) -> Vec<Target> {
        let primary = self.primary(compare);
        self.targets_of(compare)
            .into_iter()
            .filter(|t| t.stack == primary.stack)
            .collect()
    }

    /// Whether the build can replay a target's captures: its own SQLite can run
    /// what was sent to SQLite.
    pub fn replays(&self, target: Target) -> bool {
        self.targets.databases[target.database].name == "sqlite"
    }

    /// Every comparison's capture on every target, fresh, re-capturing as `mode`
    /// allows.
    pub fn ensure(
        &self,
        chapters: &[ChapterText],
        found: &[Found],
        mode: CaptureMode,
    ) -> Result<Captures, Diagnostics> {
        let mut errors: Vec<Diagnostic> = Vec::new();
        let mut captures = Captures::default();
        let mut stale: Vec<Stale<'_>> = Vec::new();
        let mut listed: Vec<(Target, usize, &Compare)> = Vec::new();
        for (chapter, compare) in compares(found) {
            let path = chapters[chapter].path.as_path();
            match self.check_databases(compare) {
                Err(message) => errors.push(Diagnostic::new(path, compare.line, message)),
                Ok(()) => listed.extend(
                    self.targets_of(compare)
                        .into_iter()
                        .filter(|t| self.only.is_none_or(|only| only == *t))
                        .map(|t| (t, chapter, compare)),
                ),
            }
        }
        // Reading and checking a capture (its checksum) is independent of the others.
        let checked: Vec<Result<Capture, String>> = listed
            .par_iter()
            .map(|(target, _, compare)| self.fresh_capture(*target, compare, mode))
            .collect();
        for ((target, chapter, compare), result) in listed.into_iter().zip(checked) {
            match result {
                Ok(capture) => {
                    captures.map.insert((target, compare.id.clone()), capture);
                }
                Err(why) => stale.push(Stale {
                    target,
                    path: chapters[chapter].path.as_path(),
                    compare,
                    why,
                }),
            }
        }
        if !stale.is_empty() {
            self.refresh(&stale, mode, &mut captures, &mut errors);
        }
        if errors.is_empty() {
            Ok(captures)
        } else {
            Err(Diagnostics(errors))
        }
    }

    /// A block's `db=` and `@database` promises name databases that exist.
    fn check_databases(&self, compare: &Compare) -> Result<(), String> {
        let named = compare
            .databases
            .iter()
            .map(String::as_str)
            .chain(compare.sections.iter().flat_map(|s| s.expect.databases()));
        for name in named {
            if self.targets.database_named(name).is_none() {
                return Err(format!(
                    "`{}` names the database `{name}`, which is not a capture target; known \
                     databases: {}",
                    compare.id,
                    self.targets.database_names()
                ));
            }
        }
        Ok(())
    }

    fn refresh(
        &self,
        stale: &[Stale<'_>],
        mode: CaptureMode,
        captures: &mut Captures,
        errors: &mut Vec<Diagnostic>,
    ) {
        let allowed =
            mode != CaptureMode::Never && (self.settings.recapture || mode == CaptureMode::All);
        // Each target with something to capture and its Python there runs at once.
        let mut runs: Vec<(Target, Vec<&Stale<'_>>)> = Vec::new();
        for item in stale {
            let python = self.paths.python(&self.targets.stacks[item.target.stack]);
            if allowed && runner::python_available(&python) {
                match runs.iter_mut().find(|(t, _)| *t == item.target) {
                    Some((_, items)) => items.push(item),
                    None => runs.push((item.target, vec![item])),
                }
            } else {
                let file = capture::capture_path(&self.dir(item.target), &item.compare.id);
                errors.push(Diagnostic::new(
                    item.path,
                    item.compare.line,
                    format!(
                        "the capture of `{}` with the {} ({}) {}; run `scripts/capture` (it \
                         needs the Python environments that `scripts/test` or `scripts/serve` \
                         sets up)",
                        item.compare.id,
                        self.targets.describe(item.target),
                        file.strip_prefix(&self.paths.root)
                            .unwrap_or(&file)
                            .display(),
                        item.why
                    ),
                ));
            }
        }
        let running = runs.len().max(1);
        let results: Vec<(Target, Vec<Capture>, Vec<Diagnostic>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = runs
                .iter()
                .map(|(target, items)| {
                    scope.spawn(move || {
                        let (made, failed) = self.capture_now(*target, items, running);
                        (*target, made, failed)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a capture thread panicked"))
                .collect()
        });
        for (target, made, mut failed) in results {
            for capture in made {
                captures.map.insert((target, capture.id.clone()), capture);
            }
            errors.append(&mut failed);
        }
    }

    /// The capture of `compare` on `target` when it can be used as it is, or why it
    /// must be made.
    fn fresh_capture(
        &self,
        target: Target,
        compare: &Compare,
        mode: CaptureMode,
    ) -> Result<Capture, String> {
        let dir = self.dir(target);
        // Read with its checksum checked: by the preload, or now.
        let read = match crate::preload::take(&capture::capture_path(&dir, &compare.id)) {
            Some(c) => Ok(Some(c)),
            None => capture::read(&dir, &compare.id),
        };
        match read {
            Err(e) => Err(e),
            Ok(None) => Err("does not exist yet".to_string()),
            Ok(Some(c)) => match c.unfit_for(compare) {
                Some(unfit) => Err(unfit),
                None if c.input_hash != self.shared.snippet_hash(target, compare) => Err(
                    "is stale: its code, the demo database, the models, the runner or the \
                     pinned versions changed since it was made"
                        .to_string(),
                ),
                None if mode == CaptureMode::All => Err("is re-made (--all)".to_string()),
                None => Ok(c),
            },
        }
    }

    /// The folder of a target's captures.
    pub fn dir(&self, target: Target) -> PathBuf {
        self.paths.captures.join(self.targets.name(target))
    }

    /// Runs the stale snippets of one target under the real libraries; each capture
    /// is written as soon as its snippet has answered, so one failing snippet costs no
    /// other its capture. `running`: how many targets run at once, sharing the cores.
    fn capture_now(
        &self,
        target: Target,
        stale: &[&Stale<'_>],
        running: usize,
    ) -> (Vec<Capture>, Vec<Diagnostic>) {
        let mut made = Vec::new();
        let mut errors = Vec::new();
        let by_id: HashMap<&str, &Stale<'_>> =
            stale.iter().map(|s| (s.compare.id.as_str(), *s)).collect();
        let todo: Vec<&Compare> = stale.iter().map(|s| s.compare).collect();
        let dir = self.dir(target);
        let describe = self.targets.describe(target);
        let mut answered: Vec<String> = Vec::new();
        let jobs = self.settings.capture_jobs().div_ceil(running).max(1);
        let outcome = runner::run(
            self.paths,
            self.settings,
            &self.targets.stacks[target.stack],
            &self.targets.databases[target.database],
            jobs,
            &todo,
            |versions, answer| {
                let Some(item) = by_id.get(answer.id.as_str()) else {
                    errors.push(Diagnostic::new(
                        stale[0].path,
                        stale[0].compare.line,
                        format!(
                            "the Python runner answered for `{}`, which was not asked",
                            answer.id
                        ),
                    ));
                    return;
                };
                answered.push(answer.id.clone());
                let hash = self.shared.snippet_hash(target, item.compare);
                match capture::from_answer(item.compare, hash, versions, answer.sections) {
                    Err(failures) => errors.extend(failures.into_iter().map(|(line, message)| {
                        Diagnostic::new(item.path, line, format!("{message} ({describe})"))
                    })),
                    Ok(capture) => match capture::write(&dir, &capture) {
                        Ok(()) => made.push(capture),
                        Err(e) => errors.push(Diagnostic::new(item.path, item.compare.line, e)),
                    },
                }
            },
        );
        if let Err(e) = outcome {
            let first = stale
                .iter()
                .find(|s| !answered.contains(&s.compare.id))
                .unwrap_or(&stale[0]);
            errors.push(Diagnostic::new(
                first.path,
                first.compare.line,
                format!(
                    "capturing `{}` and later snippets ({describe}) failed: {e}",
                    first.compare.id
                ),
            ));
        }
        (made, errors)
    }

    /// Lays out the SQL of every committed capture again with this build's formatter
    /// (`Capture::seal`), after a change to it, and re-seals each capture that changes; runs
    /// no Python. Returns how many files it rewrote. A capture changed by hand is left
    /// as it is and named: it must be made again (`scripts/capture`).
    pub fn relayout(&self) -> Result<usize, Diagnostics> {
        let results: Vec<Result<bool, Diagnostic>> =
            committed_files(&self.paths.captures, self.targets)
                .par_iter()
                .map(|path| {
                    let at = |message: String| Diagnostic::new(path, 1, message);
                    let mut capture = capture::read_file(path)
                        .map_err(|why| at(format!("{why}; make it again with `scripts/capture`")))?
                        .ok_or_else(|| at("is gone".into()))?;
                    let before = capture.clone();
                    capture.seal();
                    if capture == before {
                        return Ok(false);
                    }
                    let dir = path.parent().expect("a capture is in its target's folder");
                    capture::write(dir, &capture).map_err(at)?;
                    Ok(true)
                })
                .collect();
        let mut rewritten = 0;
        let mut errors = Vec::new();
        for result in results {
            match result {
                Ok(changed) => rewritten += usize::from(changed),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(rewritten)
        } else {
            Err(Diagnostics(errors))
        }
    }

    /// Capture files that no snippet uses any more, and folders of no target.
    pub fn orphans(&self, found: &[Found]) -> Vec<PathBuf> {
        let mut orphans = Vec::new();
        let Ok(folders) = std::fs::read_dir(&self.paths.captures) else {
            return orphans;
        };
        let targets = self.targets.all();
        for folder in folders.filter_map(|e| e.ok().map(|e| e.path())) {
            let name = folder.file_name().map(|n| n.to_string_lossy().into_owned());
            let target = targets
                .iter()
                .find(|t| Some(self.targets.name(**t)) == name);
            let Some(target) = target else {
                orphans.push(folder);
                continue;
            };
            let ids: Vec<&str> = compares(found)
                .filter(|(_, c)| self.targets_of(c).contains(target))
                .map(|(_, c)| c.id.as_str())
                .collect();
            let Ok(entries) = std::fs::read_dir(&folder) else {
                continue;
            };
            orphans.extend(
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| {
                        let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned());
                        !stem.is_some_and(|s| ids.contains(&s.as_str()))
                    }),
            );
        }
        orphans.sort();
        orphans
    }
}

/// Every capture file in the targets' folders under `captures`.
pub fn committed_files(captures: &Path, targets: &Targets) -> Vec<PathBuf> {
    targets
        .all()
        .into_iter()
        .filter_map(|target| std::fs::read_dir(captures.join(targets.name(target))).ok())
        .flat_map(|entries| entries.filter_map(|entry| Some(entry.ok()?.path())))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect()
}
