//! The book as the preprocessor sees it: its settings, the demo database built
//! once, and the hash of everything captures share. One pass over the book
//! (`render`) finds the snippets, makes sure every capture is fresh, and puts the
//! rendered HTML in place of the blocks (`pages` renders each one).

use crate::book::{find_snippets, ChapterText};
use crate::captures::{CaptureMode, CaptureStore, Captures};
use crate::config::{Paths, Settings};
use crate::data_files;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::inputs::SharedInputs;
use crate::islands;
use crate::pages::Pages;
use crate::render::{data_file_name, DataFile, DATA_DIR};
use crate::replay_cache::{ReplayCache, Reuse};
use crate::syntax::Snippet;
use crate::targets::Targets;
use crate::timing;
use demo_engine::DemoDb;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

pub struct Project {
    pub(crate) paths: Paths,
    pub(crate) settings: Settings,
    shared: SharedInputs,
    pub(crate) targets: Targets,
    pub(crate) db: DemoDb,
}

impl Project {
    pub fn open(root: &Path, settings: Settings) -> Result<Project, Diagnostics> {
        settings.check().map_err(|e| {
            Diagnostics::from(Diagnostic::new(
                Path::new("book.toml"),
                1,
                format!("[preprocessor.ormcompare]: {e}"),
            ))
        })?;
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
        let db = DemoDb::build(&schema, &fixtures).map_err(|e| {
            // Which file is at fault: the schema, if it does not load alone.
            match DemoDb::build(&schema, "") {
                Err(e) => at(&schema_path, format!("the schema does not load: {e}")),
                Ok(_) => at(&fixtures_path, format!("the fixtures do not load: {e}")),
            }
        })?;
        let targets_file = paths.snippets.join(crate::targets::FILE);
        let targets = Targets::load(&paths.snippets)
            .map_err(|e| at(&targets_file, format!("the capture targets: {e}")))?;
        let shared = SharedInputs::hash(&paths.snippets, settings.max_rows, &targets)
            .map_err(|e| at(&paths.snippets, e))?;
        Ok(Project {
            paths,
            settings,
            shared,
            targets,
            db,
        })
    }

    pub(crate) fn store(&self) -> CaptureStore<'_> {
        CaptureStore {
            paths: &self.paths,
            settings: &self.settings,
            shared: &self.shared,
            targets: &self.targets,
            only: None,
        }
    }

    /// Makes sure every comparison in the chapters has a fresh capture on every
    /// target (or only on the target named `only`, `current-sqlite`), running the
    /// Python runner as `mode` allows.
    pub fn ensure_captures(
        &self,
        chapters: &[ChapterText],
        mode: CaptureMode,
        only: Option<&str>,
    ) -> Result<Captures, Diagnostics> {
        let found = find_snippets(chapters)?;
        let mut store = self.store();
        if let Some(name) = only {
            let target = self.targets.named(name).ok_or_else(|| {
                Diagnostics::from(Diagnostic::new(
                    &self.paths.snippets.join(crate::targets::FILE),
                    1,
                    format!(
                        "there is no capture target `{name}`; the targets are {}",
                        self.targets.names().join(", ")
                    ),
                ))
            })?;
            store.only = Some(target);
        }
        store.ensure(chapters, &found, mode)
    }

    /// Lays out the SQL of every committed capture again (`CaptureStore::relayout`).
    pub fn relayout_captures(&self) -> Result<usize, Diagnostics> {
        self.store().relayout()
    }

    /// Capture files that no snippet uses any more.
    pub fn orphan_captures(&self, chapters: &[ChapterText]) -> Result<Vec<PathBuf>, Diagnostics> {
        let found = find_snippets(chapters)?;
        Ok(self.store().orphans(&found))
    }

    /// Replaces every snippet block in the chapters with its rendered HTML and
    /// returns how many blocks it rendered.
    /// `data_root`: the book's source folder, where the panels' data files are
    /// written (`render::DATA_DIR`), for mdBook to copy into the book; `None` writes
    /// none (a check that only needs the errors).
    pub fn render(
        &self,
        chapters: &mut [ChapterText],
        mode: CaptureMode,
        mdbook_version: &str,
        data_root: Option<&Path>,
    ) -> Result<usize, Diagnostics> {
        let found = find_snippets(chapters)?;
        timing::lap("scan");
        let (captures, replays) = rayon::join(
            || self.store().ensure(chapters, &found, mode),
            || ReplayCache::open(&self.paths.root, &self.db, self.settings.engine_limits()),
        );
        let captures = captures?;
        timing::lap("captures");
        let pages = Pages::new(self, chapters, &found, &captures, &replays, mdbook_version)?;
        timing::lap("upgrade");
        // Each snippet replays on its own database: they render independently. The
        // blocks made from the whole book go first: started last, in book order, they
        // kept one thread busy alone after every panel was done.
        let mut order: Vec<usize> = (0..found.len()).collect();
        order.sort_by_key(|&index| !found[index].snippet.gathers_from_book());
        let mut rendered: Vec<_> = order
            .into_par_iter()
            .map(|index| (index, pages.render(&found[index])))
            .collect();
        rendered.sort_unstable_by_key(|(index, _)| *index);
        let rendered = rendered.into_iter().map(|(_, result)| result);
        timing::lap("render");
        let mut errors = Vec::new();
        let mut blocks: Vec<(usize, Range<usize>, String)> = Vec::new();
        // Each chapter's panels' data, by id, in one file.
        let mut data: BTreeMap<usize, serde_json::Map<String, serde_json::Value>> = BTreeMap::new();
        for (item, result) in found.iter().zip(rendered) {
            match result {
                Ok((html, panel)) => {
                    blocks.push((item.chapter, item.range.clone(), html));
                    if let (Some(panel), Snippet::Compare(compare)) = (panel, &item.snippet) {
                        data.entry(item.chapter)
                            .or_default()
                            .insert(compare.id.clone(), panel);
                    }
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        if !errors.is_empty() {
            return Err(Diagnostics(errors));
        }
        drop(pages);
        let count = blocks.len();
        let names: BTreeMap<usize, String> = data
            .keys()
            .map(|&chapter| (chapter, data_file_name(&chapters[chapter].path)))
            .collect();
        // The data files do not depend on the chapters' new text, which is settled in
        // book order (`islands`), nor on the kept replays.
        let (written, ()) = rayon::join(
            || match data_root {
                Some(src) => write_data_files(&src.join(DATA_DIR), data, &names),
                None => Ok(()),
            },
            || {
                // The code and statements left for mdBook to index so far.
                let mut indexed = HashSet::new();
                let settled = blocks
                    .into_iter()
                    .map(|(chapter, range, html)| {
                        (chapter, range, islands::settle(&html, &mut indexed))
                    })
                    .collect();
                splice(chapters, settled);
                report_reuse(replays.save());
            },
        );
        written?;
        timing::lap("data files and splice");
        // The captures are freed on the thread pool while the book is written back.
        rayon::spawn(move || drop(captures));
        Ok(count)
    }
}

/// Says how many replays the build took from the cache (a build that reuses a check
/// says so), or why the cache could not be written (the build goes on: the next one
/// replays again).
fn report_reuse(saved: Result<Reuse, String>) {
    match saved {
        Ok(Reuse { reused: 0, .. }) => {}
        Ok(Reuse { reused, replayed }) => eprintln!(
            "ormcompare: {reused} of {} replays reused from {}/ (checked by an earlier build \
             of the same captures with this binary, database and limits); delete it to \
             replay every side",
            reused + replayed,
            crate::replay_cache::DIR
        ),
        Err(e) => eprintln!("ormcompare: the replays were not kept for the next build: {e}"),
    }
}

/// Each chapter's panels' data as one file under `dir` (`data_files`).
fn write_data_files(
    dir: &Path,
    data: BTreeMap<usize, serde_json::Map<String, serde_json::Value>>,
    names: &BTreeMap<usize, String>,
) -> Result<(), Diagnostics> {
    let files: Vec<DataFile> = data
        .into_par_iter()
        .map(|(chapter, panels)| DataFile {
            name: names[&chapter].clone(),
            json: demo_engine::json_text(&serde_json::Value::Object(panels)),
        })
        .collect();
    data_files::write(dir, &files).map_err(|e| Diagnostics::from(Diagnostic::new(dir, 1, e)))
}

/// Puts each block's HTML in place of the block, as a raw HTML block of its own:
/// each chapter rebuilt once, its blocks in order (`replacements` lists them in
/// book order).
fn splice(chapters: &mut [ChapterText], replacements: Vec<(usize, Range<usize>, String)>) {
    let mut blocks: Vec<Vec<(Range<usize>, String)>> = vec![Vec::new(); chapters.len()];
    for (chapter, range, html) in replacements {
        blocks[chapter].push((range, html));
    }
    chapters
        .par_iter_mut()
        .zip(blocks)
        .filter(|(_, blocks)| !blocks.is_empty())
        .for_each(|(chapter, blocks)| {
            let added: usize = blocks.iter().map(|(_, html)| html.len() + 3).sum();
            let mut text = String::with_capacity(chapter.content.len() + added);
            let mut copied = 0;
            for (range, html) in blocks {
                text.push_str(&chapter.content[copied..range.start]);
                text.push('\n');
                text.push_str(&html);
                text.push_str("\n\n");
                copied = range.end;
            }
            text.push_str(&chapter.content[copied..]);
            chapter.content = text;
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_block_becomes_a_raw_html_block_of_its_own_in_place() {
        let text = "# A\n\n```x\n1\n```\ntext\n```y\n2\n```\n";
        let first = text.find("```x").unwrap()..text.find("text").unwrap();
        let second = text.find("```y").unwrap()..text.len();
        let mut chapters = vec![
            ChapterText {
                path: "src/a.md".into(),
                content: text.into(),
            },
            ChapterText {
                path: "src/b.md".into(),
                content: "untouched".into(),
            },
        ];
        splice(
            &mut chapters,
            vec![
                (0, first, "<p>1</p>".into()),
                (0, second, "<p>2</p>".into()),
            ],
        );
        assert_eq!(
            chapters[0].content,
            "# A\n\n\n<p>1</p>\n\ntext\n\n<p>2</p>\n\n"
        );
        assert_eq!(chapters[1].content, "untouched");
    }
}
