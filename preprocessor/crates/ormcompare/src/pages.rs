//! Rendering one snippet block: what each kind of block becomes on the page, with
//! the replays and checks its panel depends on.

use crate::bench;
use crate::book::{compares, ChapterText, Found};
use crate::capture::Capture;
use crate::checks;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::project::Project;
use crate::render::{self, PageContext, SideView, DATA_DIR};
use crate::replay;
use crate::rosetta::{self, Target};
use crate::syntax::{BenchChart, Compare, SchemaView, Snippet, SqlRun};
use demo_engine::html::Shown;
use demo_engine::TableInfo;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// What rendering needs beyond the snippet itself, gathered once per build.
pub struct Pages<'a> {
    project: &'a Project,
    chapters: &'a [ChapterText],
    captures: &'a HashMap<String, Capture>,
    tables: Vec<TableInfo>,
    rosetta: HashMap<&'a str, Target<'a>>,
    mdbook_version: &'a str,
    page: PageContext,
}

impl<'a> Pages<'a> {
    pub fn new(
        project: &'a Project,
        chapters: &'a [ChapterText],
        found: &'a [Found],
        captures: &'a HashMap<String, Capture>,
        mdbook_version: &'a str,
    ) -> Result<Pages<'a>, Diagnostics> {
        let tables = project.db.tables().map_err(|e| {
            Diagnostic::new(&project.paths.snippets.join("schema.sql"), 1, e.to_string())
        })?;
        let settings = &project.settings;
        let page = PageContext::new(
            settings.engine_limits(),
            Shown {
                rows: settings.shown_rows,
                chars: settings.shown_chars,
            },
        );
        Ok(Pages {
            project,
            chapters,
            captures,
            tables,
            rosetta: rosetta_targets(chapters, found, captures),
            mdbook_version,
            page,
        })
    }

    /// The block's HTML, and, for a panel, its data for its chapter's data file.
    pub fn render(
        &self,
        item: &Found,
    ) -> Result<(String, Option<serde_json::Value>), Vec<Diagnostic>> {
        let path = self.chapters[item.chapter].path.as_path();
        if let Snippet::Compare(compare) = &item.snippet {
            let (html, data) = self.render_compare(path, compare, &self.captures[&compare.id])?;
            return Ok((html, Some(data)));
        }
        self.render_block(path, item).map(|html| (html, None))
    }

    fn render_block(&self, path: &Path, item: &Found) -> Result<String, Vec<Diagnostic>> {
        let at = |m: String| vec![Diagnostic::new(path, item.line, m)];
        match &item.snippet {
            Snippet::Compare(_) => unreachable!("rendered by `render`"),
            Snippet::SqlRun(block) => self.render_sql_run(path, block),
            Snippet::Schema(SchemaView::Diagram) => Ok(render::render_diagram(&self.tables)),
            Snippet::Schema(SchemaView::Ddl) => Ok(render::render_ddl(&self.tables)),
            Snippet::Playground(starters) => Ok(render::render_playground(
                starters,
                &self.tables,
                &self.page,
            )),
            Snippet::Rosetta(groups) => rosetta::resolve(path, groups, &self.rosetta)
                .map(|views| render::render_rosetta(&views)),
            Snippet::Chart(chart) => self.render_chart(path, item.line, chart),
            Snippet::Versions => {
                let versions = versions_of(self.captures).map_err(at)?;
                Ok(render::render_versions(
                    &versions,
                    &[
                        (
                            "SQLite (bundled in the build)",
                            demo_engine::sqlite_version(),
                            "replaying the captured SQL and the SQL blocks",
                        ),
                        ("mdBook", self.mdbook_version, "building the book"),
                    ],
                ))
            }
        }
    }

    fn render_compare(
        &self,
        path: &Path,
        compare: &Compare,
        capture: &Capture,
    ) -> Result<(String, serde_json::Value), Vec<Diagnostic>> {
        let settings = &self.project.settings;
        let mut replays = Vec::new();
        for (section, captured) in compare.sections.iter().zip(&capture.sections) {
            let replayed =
                replay::replay_section(&self.project.db, settings.engine_limits(), captured)
                    .map_err(|e| {
                        vec![Diagnostic::new(
                            path,
                            section.line,
                            format!("`{}`, section `{}`: {e}", compare.id, section.kind.key()),
                        )]
                    })?;
            replays.push(replayed);
        }
        let checks = checks::check(compare, capture).map_err(|failed| {
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
        let href = format!("{DATA_DIR}/{}", render::data_file_name(path));
        Ok(render::render_compare(
            compare, capture, &sides, &checks, &self.page, &href,
        ))
    }

    fn render_chart(
        &self,
        path: &Path,
        line: usize,
        chart: &BenchChart,
    ) -> Result<String, Vec<Diagnostic>> {
        let project = self.project;
        let shown = project.settings.snippets.join(&chart.file);
        let results = bench::read(&project.paths.snippets.join(&chart.file)).map_err(|e| {
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
        let settings = &self.project.settings;
        let at = |m: String| vec![Diagnostic::new(path, block.line, m)];
        let mut session = self
            .project
            .db
            .fresh(settings.engine_limits())
            .map_err(|e| at(e.to_string()))?;
        // SQL the book shows as its own must give the same rows on every build.
        let script = session.run_script(&block.sql, true);
        let refused = match (&script.failed, block.fails) {
            (None, _) if script.ran.is_empty() => {
                return Err(at(
                    "the block holds no SQL statement, only comments or blank \
                     lines; add a statement, or make it a plain ```sql block"
                        .into(),
                ))
            }
            (None, false) => None,
            (None, true) => {
                return Err(at(
                    "the block says `fails` but the database ran its SQL; drop \
                     `fails`, or show SQL that the database refuses"
                        .into(),
                ))
            }
            (Some((_, e @ demo_engine::EngineError::NotRepeatable(_))), _) => {
                return Err(at(format!("{e}")))
            }
            (Some((sql, e)), true) => {
                if sql_after(&block.sql, &script.ran, sql) {
                    return Err(at(format!(
                        "statement {} (`{}`) is refused ({e}), but later statements of the \
                         block would never run; in a `fails` block the refused statement \
                         comes last",
                        script.ran.len() + 1,
                        replay::short(sql)
                    )));
                }
                Some((sql.clone(), e.to_string()))
            }
            (Some((_, e)), false) => {
                return Err(at(format!(
                    "the SQL failed: {e}; fix the query (it runs on a fresh copy of the demo \
                     database), or mark the block `fails` if showing the refusal is the point"
                )))
            }
        };
        checks::check_sql_run(block, &script.ran).map_err(at)?;
        Ok(render::render_sql_run(
            block.id.as_deref(),
            &script.ran,
            refused
                .as_ref()
                .map(|(sql, message)| (sql.as_str(), message.as_str())),
            &self.page,
        ))
    }
}

/// Whether `block` holds SQL after its statement `failed`, which comes after the
/// statements that `ran` (each found in the block's text, in order).
fn sql_after(block: &str, ran: &[(String, demo_engine::Outcome)], failed: &str) -> bool {
    let mut offset = 0;
    for (text, _) in ran {
        if let Some(at) = block[offset..].find(text.as_str()) {
            offset += at + text.len();
        }
    }
    if let Some(at) = block[offset..].find(failed) {
        offset += at + failed.len();
    }
    has_sql(&block[offset..])
}

/// Whether `text` holds anything besides whitespace, `;` and SQL comments.
fn has_sql(text: &str) -> bool {
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ';');
        if let Some(comment) = rest.strip_prefix("--") {
            rest = comment.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(comment) = rest.strip_prefix("/*") {
            rest = comment.split_once("*/").map_or("", |(_, after)| after);
        } else {
            return !rest.is_empty();
        }
    }
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
