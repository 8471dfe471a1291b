//! The mdBook side: the `Preprocessor` implementation and the chapter plumbing
//! shared by the preprocessor and the `capture` command.

use crate::book::ChapterText;
use crate::captures::CaptureMode;
use crate::config::Settings;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::files::files_with_extension;
use crate::project::Project;
use mdbook_preprocessor::book::Book;
use mdbook_preprocessor::config::Config;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use std::path::Path;
use std::time::Instant;

/// The name mdBook knows this preprocessor by: `[preprocessor.ormcompare]`.
pub const NAME: &str = "ormcompare";

pub struct OrmCompare;

impl Preprocessor for OrmCompare {
    fn name(&self) -> &str {
        NAME
    }

    fn run(
        &self,
        ctx: &PreprocessorContext,
        mut book: Book,
    ) -> mdbook_preprocessor::errors::Result<Book> {
        let started = Instant::now();
        let settings = settings(&ctx.config)?;
        let project = Project::open(&ctx.root, settings)?;
        crate::timing::lap("open");
        let src = ctx.config.book.src.clone();
        let mut chapters = Vec::new();
        book.for_each_chapter_mut(|chapter| {
            if let Some(source) = &chapter.source_path {
                chapters.push(ChapterText {
                    path: src.join(source),
                    content: std::mem::take(&mut chapter.content),
                });
            }
        });
        let source = ctx.root.join(&src);
        let result = project.render(
            &mut chapters,
            CaptureMode::WhenPossible,
            &ctx.mdbook_version,
            Some(&source),
        );
        // Put the chapters back (rendered, or as they were if rendering failed).
        let mut texts = chapters.into_iter();
        book.for_each_chapter_mut(|chapter| {
            if chapter.source_path.is_some() {
                if let Some(text) = texts.next() {
                    chapter.content = text.content;
                }
            }
        });
        let rendered = result?;
        // For scripts/bench: the preprocessor's own work, without mdBook's, and with
        // what it did while mdBook was sending the book (`preload`).
        if crate::timing::enabled() {
            let preload = crate::timing::phase_ms("preload").unwrap_or(0.0);
            eprintln!(
                "ormcompare-timing: {rendered} blocks in {:.3} ms",
                preload + started.elapsed().as_secs_f64() * 1000.0
            );
        }
        Ok(book)
    }

    fn supports_renderer(&self, renderer: &str) -> mdbook_preprocessor::errors::Result<bool> {
        // The panels are HTML; other renderers get the blocks as written.
        Ok(renderer == "html")
    }
}

/// Reads this preprocessor's table from the book's configuration.
pub fn settings(config: &Config) -> Result<Settings, Diagnostics> {
    let key = format!("preprocessor.{NAME}");
    let at =
        |message: String| Diagnostics::from(Diagnostic::new(Path::new("book.toml"), 1, message));
    config
        .get::<Settings>(&key)
        .map_err(|e| {
            at(format!(
                "[{key}]: {e:#}; the table sets the book's limits (see CONTRIBUTING.md, Limits)"
            ))
        })?
        .ok_or_else(|| {
            at(format!(
                "the book has no [{key}] table; it configures this preprocessor"
            ))
        })
}

/// Loads `book.toml` from a book's root.
pub fn load_config(root: &Path) -> Result<Config, Diagnostics> {
    Config::from_disk(root.join("book.toml")).map_err(|e| {
        Diagnostics::from(Diagnostic::new(
            &root.join("book.toml"),
            1,
            format!("{e:#}"),
        ))
    })
}

/// Every Markdown file under the book's source folder, in path order: what the
/// `capture` command works on (chapters not yet in SUMMARY.md included).
pub fn chapters_on_disk(root: &Path, config: &Config) -> Result<Vec<ChapterText>, Diagnostics> {
    let src = config.book.src.clone();
    files_with_extension(&root.join(&src), "md")
        .map_err(|e| Diagnostics::from(Diagnostic::new(&src, 1, e)))?
        .into_iter()
        .map(|file| {
            let content = std::fs::read_to_string(&file).map_err(|e| {
                Diagnostics::from(Diagnostic::new(&file, 1, format!("cannot read: {e}")))
            })?;
            let path = file.strip_prefix(root).unwrap_or(&file).to_path_buf();
            Ok(ChapterText { path, content })
        })
        .collect()
}
