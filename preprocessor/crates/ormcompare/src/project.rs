//! One pass over the book: find the snippets, make sure every capture is fresh,
//! replay and check them, and put the rendered panels in place of the blocks.

use crate::bench;
use crate::capture::{self, Capture};
use crate::checks;
use crate::config::{Paths, Settings};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::inputs::SharedInputs;
use crate::render::{self, SideView};
use crate::replay::{self, short};
use crate::rosetta::{self, Target};
use crate::runner;
use crate::scan::fenced_blocks;
use crate::syntax::{parse_block, BenchChart, Compare, SchemaView, Snippet, SqlRun};
use demo_engine::{DemoDb, Limits};
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A chapter's Markdown and the path errors should name (relative to the book root).
pub struct ChapterText {
    pub path: PathBuf,
    pub content: String,
}

/// A snippet found in a chapter.
struct Found {
    chapter: usize,
    range: Range<usize>,
    line: usize,
    snippet: Snippet,
}

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

pub struct Project {
    paths: Paths,
    settings: Settings,
    shared: SharedInputs,
    db: DemoDb,
}

impl Project {
    pub fn open(root: &Path, settings: Settings) -> Result<Project, Diagnostics> {
        let paths = settings.paths(root);
        let schema_path = paths.snippets.join("schema.sql");
        let fixtures_path = paths.snippets.join("fixtures.sql");
        let at =
            |path: &Path, message: String| Diagnostics::from(Diagnostic::new(path, 1, message));
        let read = |path: &Path| {
            std::fs::read_to_string(path)
                .map_err(|e| at(path, format!("cannot read the file: {e}")))
        };
        let schema = read(&schema_path)?;
        let fixtures = read(&fixtures_path)?;
        // Load the schema alone first, so an error names the file at fault.
        DemoDb::build(&schema, "")
            .map_err(|e| at(&schema_path, format!("the schema does not load: {e}")))?;
        let db = DemoDb::build(&schema, &fixtures)
            .map_err(|e| at(&fixtures_path, format!("the fixtures do not load: {e}")))?;
        let shared = SharedInputs::hash(&paths.snippets, settings.max_rows)
            .map_err(|e| at(&paths.snippets, e))?;
        Ok(Project {
            paths,
            settings,
            shared,
            db,
        })
    }

    fn limits(&self) -> Limits {
        Limits {
            max_rows: self.settings.max_rows,
            max_steps: self.settings.max_steps,
        }
    }

    /// Makes sure every comparison in the chapters has a fresh capture, running
    /// the Python runner as `mode` allows. Returns the captures by id.
    pub fn ensure_captures(
        &self,
        chapters: &[ChapterText],
        mode: CaptureMode,
    ) -> Result<HashMap<String, Capture>, Diagnostics> {
        let found = find_snippets(chapters)?;
        self.captures_for(chapters, &found, mode)
    }

    /// Capture files that no snippet uses any more.
    pub fn orphan_captures(&self, chapters: &[ChapterText]) -> Result<Vec<PathBuf>, Diagnostics> {
        let found = find_snippets(chapters)?;
        let ids: Vec<&str> = compares(&found).map(|(_, c)| c.id.as_str()).collect();
        let Ok(entries) = std::fs::read_dir(&self.paths.captures) else {
            return Ok(Vec::new());
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
        Ok(orphans)
    }

    fn captures_for(
        &self,
        chapters: &[ChapterText],
        found: &[Found],
        mode: CaptureMode,
    ) -> Result<HashMap<String, Capture>, Diagnostics> {
        let mut errors = Vec::new();
        let mut captures = HashMap::new();
        let mut stale: Vec<(&Path, &Compare, &'static str)> = Vec::new();
        for (chapter, compare) in compares(found) {
            let path = chapters[chapter].path.as_path();
            let hash = self.shared.snippet_hash(compare);
            match capture::read(&self.paths.captures, &compare.id) {
                Err(e) => errors.push(Diagnostic::new(path, compare.line, e)),
                Ok(Some(c)) if c.input_hash == hash && mode != CaptureMode::All => {
                    captures.insert(compare.id.clone(), c);
                }
                Ok(Some(_)) => stale.push((path, compare, "is stale: its code, the demo database, the models, the runner or the pinned versions changed since it was made")),
                Ok(None) => stale.push((path, compare, "does not exist yet")),
            }
        }
        if !stale.is_empty() {
            let can_run = mode != CaptureMode::Never
                && self.settings.recapture | (mode == CaptureMode::All)
                && runner::python_available(&self.paths);
            if can_run {
                let todo: Vec<&Compare> = stale.iter().map(|(_, c, _)| *c).collect();
                match self.capture_now(&todo) {
                    Ok(made) => captures.extend(made.into_iter().map(|c| (c.id.clone(), c))),
                    Err(e) => {
                        let (path, compare, _) = stale[0];
                        errors.push(Diagnostic::new(path, compare.line, e));
                    }
                }
            } else {
                for (path, compare, why) in stale {
                    errors.push(Diagnostic::new(
                        path,
                        compare.line,
                        format!(
                            "the capture of `{}` {why}; run `scripts/capture` (it needs the \
                             Python environment that `scripts/test` or `scripts/serve` sets up)",
                            compare.id
                        ),
                    ));
                }
            }
        }
        if errors.is_empty() {
            Ok(captures)
        } else {
            Err(Diagnostics(errors))
        }
    }

    /// Runs the snippets under the real ORMs and writes their capture files.
    fn capture_now(&self, todo: &[&Compare]) -> Result<Vec<Capture>, String> {
        let response = runner::run(&self.paths, todo, self.settings.max_rows)?;
        let mut made = Vec::new();
        for (compare, answer) in todo.iter().zip(response.snippets) {
            if answer.id != compare.id || answer.sections.len() != compare.sections.len() {
                return Err(format!(
                    "the Python runner answered for `{}` when asked for `{}`",
                    answer.id, compare.id
                ));
            }
            let mut sections = answer.sections;
            for section in &mut sections {
                section.query_count = section.count_queries();
            }
            let capture = Capture {
                id: compare.id.clone(),
                input_hash: self.shared.snippet_hash(compare),
                versions: response.versions.clone(),
                sections,
            };
            capture::write(&self.paths.captures, &capture)?;
            made.push(capture);
        }
        Ok(made)
    }

    /// Replaces every snippet block in the chapters with its rendered HTML and
    /// returns how many blocks it rendered.
    pub fn render(
        &self,
        chapters: &mut [ChapterText],
        mode: CaptureMode,
        mdbook_version: &str,
    ) -> Result<usize, Diagnostics> {
        let found = find_snippets(chapters)?;
        let captures = self.captures_for(chapters, &found, mode)?;
        let tables = self.db.tables().map_err(|e| {
            Diagnostic::new(&self.paths.snippets.join("schema.sql"), 1, e.to_string())
        })?;
        let targets = rosetta_targets(chapters, &found, &captures);
        let render_one = |item: &Found| {
            let path = chapters[item.chapter].path.as_path();
            match &item.snippet {
                Snippet::Compare(compare) => {
                    self.render_compare(path, compare, &captures[&compare.id])
                }
                Snippet::SqlRun(block) => self.render_sql_run(path, block),
                Snippet::Schema(SchemaView::Diagram) => Ok(render::render_diagram(&tables)),
                Snippet::Schema(SchemaView::Ddl) => Ok(render::render_ddl(&tables)),
                Snippet::Playground(starters) => Ok(render::render_playground(starters, &tables)),
                Snippet::Rosetta(groups) => rosetta::resolve(path, groups, &targets)
                    .map(|views| render::render_rosetta(&views)),
                Snippet::Chart(chart) => self.render_chart(path, item.line, chart),
                Snippet::Versions => versions_of(&captures)
                    .map(|v| {
                        render::render_versions(
                            &v,
                            &[
                                (
                                    "SQLite (bundled in the build)",
                                    demo_engine::sqlite_version(),
                                    "replaying the captured SQL and the SQL blocks",
                                ),
                                ("mdBook", mdbook_version, "building the book"),
                            ],
                        )
                    })
                    .map_err(|m| vec![Diagnostic::new(path, item.line, m)]),
            }
        };
        let mut errors = Vec::new();
        let mut replacements: Vec<(usize, Range<usize>, String)> = Vec::new();
        for (item, html) in found.iter().zip(in_parallel(&found, render_one)) {
            match html {
                Ok(html) => replacements.push((item.chapter, item.range.clone(), html)),
                Err(mut e) => errors.append(&mut e),
            }
        }
        if !errors.is_empty() {
            return Err(Diagnostics(errors));
        }
        let rendered = replacements.len();
        // Splice from the end so earlier ranges stay valid.
        for (chapter, range, html) in replacements.into_iter().rev() {
            let block = format!("\n{html}\n\n");
            chapters[chapter].content.replace_range(range, &block);
        }
        Ok(rendered)
    }

    fn render_compare(
        &self,
        path: &Path,
        compare: &Compare,
        capture: &Capture,
    ) -> Result<String, Vec<Diagnostic>> {
        let mut replays = Vec::new();
        for (section, captured) in compare.sections.iter().zip(&capture.sections) {
            let replayed = replay::replay_section(&self.db, self.limits(), section.kind, captured)
                .map_err(|e| {
                    vec![Diagnostic::new(
                        path,
                        section.line,
                        format!("`{}`, section `{}`: {e}", compare.id, section.kind.key()),
                    )]
                })?;
            replays.push(replayed);
        }
        let passed = checks::check(compare, capture).map_err(|failed| {
            failed
                .into_iter()
                .map(|f| Diagnostic::new(path, f.line, format!("`{}`: {}", compare.id, f.message)))
                .collect::<Vec<_>>()
        })?;
        let sides: Vec<SideView<'_>> = compare
            .sections
            .iter()
            .zip(&capture.sections)
            .zip(&replays)
            .map(|((section, captured), replayed)| SideView {
                section,
                capture: captured,
                replayed,
            })
            .collect();
        Ok(render::render_compare(
            compare,
            capture,
            &sides,
            &passed,
            self.settings.shown_rows,
        ))
    }

    fn render_chart(
        &self,
        path: &Path,
        line: usize,
        chart: &BenchChart,
    ) -> Result<String, Vec<Diagnostic>> {
        let shown = self.settings.snippets.join(&chart.file);
        let results = bench::read(&self.paths.snippets.join(&chart.file)).map_err(|e| {
            vec![Diagnostic::new(
                path,
                line,
                format!(
                    "`{}`: {e}; check `file=` (relative to the snippets folder), or write the \
                     file again with the benchmark command that makes it (`scripts/bench-bulk`)",
                    shown.display()
                ),
            )]
        })?;
        Ok(render::render_chart(
            &results,
            &shown.display().to_string(),
            &format!("ormc-chart-{line}"),
        ))
    }

    fn render_sql_run(&self, path: &Path, block: &SqlRun) -> Result<String, Vec<Diagnostic>> {
        let at = |m: String| vec![Diagnostic::new(path, block.line, m)];
        let mut session = self
            .db
            .fresh(self.limits())
            .map_err(|e| at(e.to_string()))?;
        if block.fails {
            return match session.run_script(&block.sql) {
                Err(refusal) => Ok(render::render_sql_refused(
                    block.id.as_deref(),
                    &block.sql,
                    &refusal.to_string(),
                )),
                Ok(_) => Err(at(
                    "the block says `fails` but the database ran its SQL; drop `fails`, or \
                     show SQL that the database refuses"
                        .into(),
                )),
            };
        }
        let steps = session.run_script(&block.sql).map_err(|e| {
            at(format!(
                "the SQL failed: {e}; fix the query (it runs on a fresh copy of the demo \
                 database), or mark the block `fails` if showing the refusal is the point"
            ))
        })?;
        if let Some(expected) = block.rows {
            let actual = steps.last().and_then(|(_, outcome)| match outcome {
                demo_engine::Outcome::Rows(t) => Some(t.total_rows),
                demo_engine::Outcome::Changed(_) => None,
            });
            if actual != Some(expected) {
                let last = steps.last().map(|(sql, _)| short(sql)).unwrap_or_default();
                return Err(at(format!(
                    "`rows={expected}` but the last statement (`{last}`) returned {}",
                    actual.map_or("no rows".into(), |n| format!("{n} rows"))
                )));
            }
        }
        Ok(render::render_sql_run(
            block.id.as_deref(),
            &steps,
            self.settings.shown_rows,
        ))
    }
}

/// `f` over every item, on as many threads as the machine has cores, results in
/// item order. Each snippet replays on its own database, so they are independent.
fn in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a render thread panicked"))
            .collect()
    })
}

/// Parses every chapter; ids must be unique across the whole book.
fn find_snippets(chapters: &[ChapterText]) -> Result<Vec<Found>, Diagnostics> {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, (PathBuf, usize)> = HashMap::new();
    for (index, chapter) in chapters.iter().enumerate() {
        for block in fenced_blocks(&chapter.content) {
            match parse_block(&chapter.path, &block) {
                Ok(None) => {}
                Err(e) => errors.push(e),
                Ok(Some(snippet)) => {
                    let id = match &snippet {
                        Snippet::Compare(c) => Some(c.id.clone()),
                        Snippet::SqlRun(s) => s.id.clone(),
                        _ => None,
                    };
                    if let Some(id) = id {
                        if let Some((first_path, first_line)) = seen.get(&id) {
                            errors.push(Diagnostic::new(
                                &chapter.path,
                                block.line,
                                format!(
                                    "duplicate id `{id}`: {}:{first_line} uses it already; ids \
                                     name capture files and page anchors, give this block another",
                                    first_path.display()
                                ),
                            ));
                            continue;
                        }
                        seen.insert(id, (chapter.path.clone(), block.line));
                    }
                    found.push(Found {
                        chapter: index,
                        range: block.range.clone(),
                        line: block.line,
                        snippet,
                    });
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(found)
    } else {
        Err(Diagnostics(errors))
    }
}

fn compares(found: &[Found]) -> impl Iterator<Item = (usize, &Compare)> {
    found.iter().filter_map(|f| match &f.snippet {
        Snippet::Compare(c) => Some((f.chapter, c)),
        _ => None,
    })
}

/// Every comparison of the book, by id, for the Rosetta appendix's rows.
fn rosetta_targets<'a>(
    chapters: &'a [ChapterText],
    found: &'a [Found],
    captures: &'a HashMap<String, Capture>,
) -> HashMap<&'a str, Target<'a>> {
    compares(found)
        .filter_map(|(chapter, compare)| {
            let chapter = &chapters[chapter];
            let target = Target {
                chapter: &chapter.path,
                chapter_title: rosetta::chapter_title(&chapter.path, &chapter.content),
                compare,
                capture: captures.get(&compare.id)?,
            };
            Some((compare.id.as_str(), target))
        })
        .collect()
}

/// The versions all captures agree on.
fn versions_of(captures: &HashMap<String, Capture>) -> Result<BTreeMap<String, String>, String> {
    let mut ids: Vec<&String> = captures.keys().collect();
    ids.sort();
    let Some(first) = ids.first() else {
        return Err("no capture in the book to read versions from".into());
    };
    let versions = &captures[*first].versions;
    for id in &ids[1..] {
        if &captures[*id].versions != versions {
            return Err(format!(
                "captures `{first}` and `{id}` were made with different versions; re-capture all \
                 with `scripts/capture --all`"
            ));
        }
    }
    Ok(versions.clone())
}
