//! Keeping captures fresh: which are stale or missing, re-capturing them when the
//! Python environment is there (and the mode allows), and which files no snippet
//! uses any more.

use crate::book::{compares, ChapterText, Found};
use crate::capture::{self, Capture};
use crate::config::{Paths, Settings};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::inputs::SharedInputs;
use crate::runner;
use crate::syntax::Compare;
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

/// Where captures live and what they depend on.
pub struct CaptureStore<'a> {
    pub paths: &'a Paths,
    pub settings: &'a Settings,
    pub shared: &'a SharedInputs,
}

/// A comparison whose capture must be made, and where it is in the book.
struct Stale<'a> {
    path: &'a Path,
    compare: &'a Compare,
    why: String,
}

impl CaptureStore<'_> {
    /// Every comparison's capture, fresh, re-capturing as `mode` allows.
    pub fn ensure(
        &self,
        chapters: &[ChapterText],
        found: &[Found],
        mode: CaptureMode,
    ) -> Result<HashMap<String, Capture>, Diagnostics> {
        let mut errors: Vec<Diagnostic> = Vec::new();
        let mut captures = HashMap::new();
        let mut stale: Vec<Stale<'_>> = Vec::new();
        // Reading and checking a capture (its checksum) is independent of the others.
        let listed: Vec<(usize, &Compare)> = compares(found).collect();
        let checked: Vec<Result<Capture, String>> = listed
            .par_iter()
            .map(|(_, compare)| self.fresh_capture(compare, mode))
            .collect();
        for ((chapter, compare), result) in listed.into_iter().zip(checked) {
            match result {
                Ok(capture) => {
                    captures.insert(compare.id.clone(), capture);
                }
                Err(why) => stale.push(Stale {
                    path: chapters[chapter].path.as_path(),
                    compare,
                    why,
                }),
            }
        }
        if !stale.is_empty() {
            let can_run = mode != CaptureMode::Never
                && (self.settings.recapture || mode == CaptureMode::All)
                && runner::python_available(self.paths);
            if can_run {
                self.capture_now(&stale, &mut captures, &mut errors);
            } else {
                errors.extend(stale.iter().map(|s| {
                    Diagnostic::new(
                        s.path,
                        s.compare.line,
                        format!(
                            "the capture of `{}` {}; run `scripts/capture` (it needs the Python \
                             environment that `scripts/test` or `scripts/serve` sets up)",
                            s.compare.id, s.why
                        ),
                    )
                }));
            }
        }
        if errors.is_empty() {
            Ok(captures)
        } else {
            Err(Diagnostics(errors))
        }
    }

    /// The capture of `compare` when it can be used as it is, or why it must be made.
    fn fresh_capture(&self, compare: &Compare, mode: CaptureMode) -> Result<Capture, String> {
        let path_of_file = capture::capture_path(&self.paths.captures, &compare.id);
        let file = path_of_file
            .strip_prefix(&self.paths.root)
            .unwrap_or(&path_of_file);
        match capture::read(&self.paths.captures, &compare.id) {
            Err(e) => Err(format!("({}) {e}", file.display())),
            Ok(None) => Err("does not exist yet".to_string()),
            Ok(Some(c)) => match c.unsound_for(compare) {
                Some(unsound) => Err(format!("({}) {unsound}", file.display())),
                None if c.input_hash != self.shared.snippet_hash(compare) => Err(
                    "is stale: its code, the demo database, the models, the runner or the \
                     pinned versions changed since it was made"
                        .to_string(),
                ),
                None if mode == CaptureMode::All => Err("is re-made (--all)".to_string()),
                None => Ok(c),
            },
        }
    }

    /// Runs the stale snippets under the real ORMs; each capture is written as soon as
    /// its snippet has answered, so one failing snippet costs no other its capture.
    fn capture_now(
        &self,
        stale: &[Stale<'_>],
        captures: &mut HashMap<String, Capture>,
        errors: &mut Vec<Diagnostic>,
    ) {
        let by_id: HashMap<&str, &Stale<'_>> =
            stale.iter().map(|s| (s.compare.id.as_str(), s)).collect();
        let todo: Vec<&Compare> = stale.iter().map(|s| s.compare).collect();
        let mut answered: Vec<String> = Vec::new();
        let outcome = runner::run(self.paths, self.settings, &todo, |versions, answer| {
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
            match capture::from_answer(item.compare, self.shared, versions, answer.sections) {
                Err(failures) => errors.extend(
                    failures
                        .into_iter()
                        .map(|(line, message)| Diagnostic::new(item.path, line, message)),
                ),
                Ok(made) => match capture::write(&self.paths.captures, &made) {
                    Ok(()) => {
                        captures.insert(made.id.clone(), made);
                    }
                    Err(e) => errors.push(Diagnostic::new(item.path, item.compare.line, e)),
                },
            }
        });
        if let Err(e) = outcome {
            let first = stale
                .iter()
                .find(|s| !answered.contains(&s.compare.id))
                .unwrap_or(&stale[0]);
            errors.push(Diagnostic::new(
                first.path,
                first.compare.line,
                format!(
                    "capturing `{}` and later snippets failed: {e}",
                    first.compare.id
                ),
            ));
        }
    }

    /// Capture files that no snippet uses any more.
    pub fn orphans(&self, found: &[Found]) -> Vec<PathBuf> {
        let ids: Vec<&str> = compares(found).map(|(_, c)| c.id.as_str()).collect();
        let Ok(entries) = std::fs::read_dir(&self.paths.captures) else {
            return Vec::new();
        };
        let mut orphans: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .filter(|p| {
                let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned());
                !stem.is_some_and(|s| ids.contains(&s.as_str()))
            })
            .collect();
        orphans.sort();
        orphans
    }
}
