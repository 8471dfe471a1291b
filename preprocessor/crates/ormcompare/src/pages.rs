//! Rendering one snippet block: what each kind of block becomes on the page, with
//! the replays and checks its panel depends on.

use crate::bench;
use crate::book::{compares, ChapterText, Found, Headings};
use crate::capture::Capture;
use crate::captures::Captures;
use crate::checks::{self, Checks};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::project::Project;
use crate::render::{
    self, ChangedChapter, ChangedCompare, DatabaseView, NotCaptured, PageContext, SideView,
    DATA_DIR,
};
use crate::replay;
use crate::replay_cache::ReplayCache;
use crate::rosetta::{self, Target as RosettaTarget};
use crate::syntax::{BenchChart, Compare, SchemaView, Snippet, SqlRun, UpgradeScope};
use crate::targets::Target;
use crate::upgrade::{self, SideChange};
use demo_engine::html::Shown;
use demo_engine::plan::Replayed;
use demo_engine::TableInfo;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::OnceLock;

/// What rendering needs beyond the snippet itself, gathered once per build.
pub struct Pages<'a> {
    project: &'a Project,
    chapters: &'a [ChapterText],
    found: &'a [Found],
    captures: &'a Captures,
    /// Replays an earlier build checked, by capture checksum and side.
    replays: &'a ReplayCache,
    tables: Vec<TableInfo>,
    rosetta: HashMap<&'a str, RosettaTarget<'a>>,
    /// What the previous stack did differently, by comparison id: the sides that
    /// differ (empty: none, or no previous stack).
    changes: HashMap<&'a str, Vec<SideChange>>,
    /// The chapters with an `upgrade-changes` block, and the sides each lists.
    upgrade_pages: Vec<(UpgradeScope, &'a Path)>,
    mdbook_version: &'a str,
    page: PageContext,
    /// Sessions on the demo database for the replays.
    sessions: replay::Sessions<'a>,
    /// Each chapter's headings, read once by the first upgrade page that needs them.
    headings: Vec<OnceLock<Headings>>,
}

impl<'a> Pages<'a> {
    pub fn new(
        project: &'a Project,
        chapters: &'a [ChapterText],
        found: &'a [Found],
        captures: &'a Captures,
        replays: &'a ReplayCache,
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
            settings.page_run_seconds,
        );
        let primary = |compare: &Compare| project.store().primary(compare);
        let listed: Vec<_> = compares(found).collect();
        let changes = listed
            .par_iter()
            .map(|(_, compare)| {
                let current = primary(compare);
                let previous = Target {
                    stack: PREVIOUS_STACK,
                    ..current
                };
                let libraries: Vec<&str> =
                    compare.sections.iter().map(|s| s.kind.library()).collect();
                let changed = match (
                    captures.get(previous, &compare.id),
                    captures.get(current, &compare.id),
                ) {
                    (Some(before), Some(now)) => upgrade::changes(before, now, &libraries),
                    _ => Vec::new(),
                };
                (compare.id.as_str(), changed)
            })
            .collect();
        let mut upgrade_pages: Vec<(UpgradeScope, &Path)> = Vec::new();
        for item in found {
            let Snippet::UpgradeChanges(scope) = item.snippet else {
                continue;
            };
            let path = chapters[item.chapter].path.as_path();
            if let Some((_, other)) = upgrade_pages.iter().find(|(s, _)| s.overlaps(scope)) {
                return Err(Diagnostics::from(Diagnostic::new(
                    path,
                    item.line,
                    format!(
                        "this `upgrade-changes` block lists sides that {} lists already; give \
                         each page its own `library=` (django, others), or keep one page \
                         without it",
                        other.display()
                    ),
                )));
            }
            upgrade_pages.push((scope, path));
        }
        Ok(Pages {
            project,
            chapters,
            found,
            upgrade_pages,
            captures,
            replays,
            tables,
            changes,
            rosetta: rosetta_targets(chapters, found, captures, project),
            mdbook_version,
            page,
            sessions: replay::Sessions::new(&project.db, settings.engine_limits()),
            headings: chapters.iter().map(|_| OnceLock::new()).collect(),
        })
    }

    /// The block's HTML, and, for a panel, its data for its chapter's data file.
    pub fn render(
        &self,
        item: &Found,
    ) -> Result<(String, Option<serde_json::Value>), Vec<Diagnostic>> {
        let path = self.chapters[item.chapter].path.as_path();
        if let Snippet::Compare(compare) = &item.snippet {
            let (html, data) = self.render_compare(path, compare)?;
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
            Snippet::UpgradeChanges(scope) => Ok(self.render_upgrade_page(path, *scope)),
            Snippet::Versions => {
                let targets = &self.project.targets;
                let mut stacks = Vec::new();
                for (index, stack) in targets.stacks.iter().enumerate() {
                    let versions = versions_of(self.captures, index, targets).map_err(at)?;
                    stacks.push((stack.label.as_str(), versions));
                }
                let columns: Vec<(&str, &BTreeMap<String, String>)> =
                    stacks.iter().map(|(label, v)| (*label, v)).collect();
                let pglite = pglite_version(&self.project.paths.root).map_err(at)?;
                Ok(render::render_versions(
                    &columns,
                    &[
                        (
                            "SQLite (bundled in the build)",
                            demo_engine::sqlite_version(),
                            "replaying the captured SQL and the SQL blocks",
                        ),
                        (
                            "PGlite (PostgreSQL in WebAssembly)",
                            &pglite,
                            "running PostgreSQL statements in the page, and the tests' replay of every PostgreSQL capture",
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
    ) -> Result<(String, serde_json::Value), Vec<Diagnostic>> {
        let store = self.project.store();
        let targets = &self.project.targets;
        let primary = store.primary(compare);
        let capture = self.capture(primary, compare);
        let viewed = store.views_of(compare);
        let mut shown_replays = Vec::new();
        // The block's promises are about the stack the prose describes, on each
        // database: the views a reader can switch between.
        let mut shown: Vec<(Target, Checks)> = Vec::new();
        let mut errors = Vec::new();
        for target in store.targets_of(compare) {
            let captured = self.capture(target, compare);
            if store.replays(target) {
                let sides = if target == primary {
                    (0..captured.sections.len()).collect()
                } else {
                    sides_sent_otherwise(captured, capture)
                };
                match self.replay(path, compare, target, captured, &sides) {
                    Ok(replays) if target == primary => shown_replays = replays,
                    Ok(_) => {}
                    Err(mut e) => errors.append(&mut e),
                }
            }
            if viewed.contains(&target) {
                let database = &targets.databases[target.database].name;
                match checks::check(compare, captured, database) {
                    Ok(passed) => shown.push((target, passed)),
                    Err(failed) => errors.extend(failed.into_iter().map(|f| {
                        Diagnostic::new(
                            path,
                            f.line,
                            format!("`{}`{}: {}", compare.id, self.on(target), f.message),
                        )
                    })),
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // What each statement gave, per view: the build's replay where it ran one,
        // otherwise the capture's own rows.
        let outcomes: Vec<Vec<Vec<Replayed>>> = shown
            .iter()
            .map(|(target, _)| {
                if *target == primary && store.replays(primary) {
                    shown_replays.clone()
                } else {
                    let captured = self.capture(*target, compare);
                    captured
                        .sections
                        .iter()
                        .map(replay::captured_outcomes)
                        .collect()
                }
            })
            .collect();
        let changes = self.changes.get(compare.id.as_str());
        // Each side's entry on the upgrade page that lists its library.
        let upgrade_hrefs: Vec<Option<String>> = compare
            .sections
            .iter()
            .map(|section| {
                let library = section.kind.library();
                self.upgrade_pages
                    .iter()
                    .find(|(scope, _)| scope.covers(library))
                    .map(|(_, page)| {
                        format!("{}#up-{}", rosetta::relative_href(path, page), compare.id)
                    })
            })
            .collect();
        let views: Vec<DatabaseView<'_>> = shown
            .iter()
            .zip(&outcomes)
            .map(|((target, checks), outcomes)| {
                let database = &targets.databases[target.database];
                let captured = self.capture(*target, compare);
                let sides = compare
                    .sections
                    .iter()
                    .zip(&captured.sections)
                    .zip(outcomes)
                    .enumerate()
                    .map(|(index, ((section, side), replayed))| SideView {
                        section,
                        capture: side,
                        replayed,
                        // The upgrade page compares the primary database's captures.
                        upgrade: changes
                            .filter(|_| *target == primary)
                            .and_then(|c| c.iter().find(|change| change.side == index)),
                        upgrade_href: upgrade_hrefs[index].as_deref(),
                        driver: database.driver_for(section.kind.key()),
                        elsewhere: shown
                            .iter()
                            .filter(|(other, _)| other != target)
                            .map(|(other, _)| {
                                let there = &self.capture(*other, compare).sections[index];
                                (
                                    targets.databases[other.database].label.as_str(),
                                    upgrade::outcome_differences(side, there),
                                )
                            })
                            .collect(),
                    })
                    .collect();
                DatabaseView {
                    name: &database.name,
                    label: &database.label,
                    capture: captured,
                    sides,
                    checks: checks.clone(),
                    replayed: *target == primary && store.replays(primary),
                }
            })
            .collect();
        let not_captured = compare.database_note.as_deref().map(|note| NotCaptured {
            labels: targets
                .databases
                .iter()
                .filter(|d| !compare.databases.contains(&d.name))
                .map(|d| d.label.as_str())
                .collect(),
            note,
        });
        let href = format!("{DATA_DIR}/{}", render::data_file_name(path));
        Ok(render::render_compare(
            compare,
            &views,
            not_captured.as_ref(),
            &self.page,
            &href,
        ))
    }

    /// The capture of a comparison on one of its targets; every one was made fresh
    /// before rendering began.
    fn capture(&self, target: Target, compare: &Compare) -> &'a Capture {
        self.captures
            .get(target, &compare.id)
            .expect("every comparison is captured on each of its targets before rendering")
    }

    /// ` (previous releases on SQLite)` for messages about a target other than the
    /// primary one.
    fn on(&self, target: Target) -> String {
        if target == Target::PRIMARY {
            String::new()
        } else {
            format!(" ({})", self.project.targets.describe(target))
        }
    }

    /// The sections `sides` of a capture replayed on the build's SQLite, in that
    /// order, or as an earlier build with the same engine replayed them
    /// (`replay_cache`).
    fn replay(
        &self,
        path: &Path,
        compare: &Compare,
        target: Target,
        capture: &Capture,
        sides: &[usize],
    ) -> Result<Vec<Vec<Replayed>>, Vec<Diagnostic>> {
        sides
            .iter()
            .map(|&side| {
                if let Some(replayed) = self.replays.get(capture, side) {
                    return Ok(replayed);
                }
                let section = &compare.sections[side];
                let replayed = replay::replay_section(&self.sessions, &capture.sections[side])
                    .map_err(|e| {
                        vec![Diagnostic::new(
                            path,
                            section.line,
                            format!(
                                "`{}`, section `{}`{}: {e}",
                                compare.id,
                                section.kind.key(),
                                self.on(target)
                            ),
                        )]
                    })?;
                self.replays.put(capture, side, &replayed);
                Ok(replayed)
            })
            .collect()
    }

    /// The generated page of what changes from the previous stack to the current
    /// one, chapter by chapter in book order.
    fn render_upgrade_page(&self, page: &Path, scope: UpgradeScope) -> String {
        let targets = &self.project.targets;
        let mut chapters: Vec<ChangedChapter<'_>> = Vec::new();
        for item in self.found {
            let Snippet::Compare(compare) = &item.snippet else {
                continue;
            };
            let Some(changes) = self
                .changes
                .get(compare.id.as_str())
                .filter(|c| !c.is_empty())
            else {
                continue;
            };
            let chapter = &self.chapters[item.chapter];
            let title = rosetta::chapter_title(&chapter.path, &chapter.content);
            let changed = ChangedCompare {
                id: &compare.id,
                heading: self.headings[item.chapter]
                    .get_or_init(|| Headings::of(&chapter.content))
                    .before(item.range.start)
                    .unwrap_or(title)
                    .to_string(),
                href: format!(
                    "{}#cmp-{}",
                    rosetta::relative_href(page, &chapter.path),
                    compare.id
                ),
                sides: changes
                    .iter()
                    .filter(|c| scope.covers(compare.sections[c.side].kind.library()))
                    .map(|c| (compare.sections[c.side].kind.title(), c.clone()))
                    .collect(),
            };
            if changed.sides.is_empty() {
                continue;
            }
            match chapters.last_mut() {
                Some(last) if last.title == title => last.compares.push(changed),
                _ => chapters.push(ChangedChapter {
                    title,
                    compares: vec![changed],
                }),
            }
        }
        let label = |stack: usize| targets.stacks.get(stack).map_or("", |s| s.label.as_str());
        let total = compares(self.found).count();
        render::render_upgrade_page(&chapters, (label(PREVIOUS_STACK), label(0)), total)
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

/// The stack the "what changes when you upgrade" comparisons start from.
const PREVIOUS_STACK: usize = 1;

/// The sides of another stack's capture to replay: those that did not send the
/// same statements (with the same parameters, rows and refusals) as the primary
/// capture's side, which replays alike.
fn sides_sent_otherwise(other: &Capture, primary: &Capture) -> Vec<usize> {
    other
        .sections
        .iter()
        .zip(&primary.sections)
        .enumerate()
        .filter(|(_, (a, b))| a.setup != b.setup || a.statements != b.statements)
        .map(|(side, _)| side)
        .collect()
}

/// Every comparison of the book, by id, for the Rosetta appendix's rows: its
/// captures on the databases its panel shows, the first one first.
fn rosetta_targets<'a>(
    chapters: &'a [ChapterText],
    found: &'a [Found],
    captures: &'a Captures,
    project: &'a Project,
) -> HashMap<&'a str, RosettaTarget<'a>> {
    let store = project.store();
    let databases = &project.targets.databases;
    compares(found)
        .filter_map(|(chapter, compare)| {
            let chapter = &chapters[chapter];
            let target = RosettaTarget {
                chapter: &chapter.path,
                chapter_title: rosetta::chapter_title(&chapter.path, &chapter.content),
                compare,
                captures: store
                    .views_of(compare)
                    .into_iter()
                    .map(|t| {
                        let label = databases[t.database].label.as_str();
                        captures.get(t, &compare.id).map(|c| (label, c))
                    })
                    .collect::<Option<_>>()?,
            };
            Some((compare.id.as_str(), target))
        })
        .collect()
}

/// The versions all captures of one stack on the first database agree on.
/// The PGlite the page runs PostgreSQL statements on: the version pinned in
/// theme/pglite/package.json.
fn pglite_version(root: &Path) -> Result<String, String> {
    let path = root.join("theme/pglite/package.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let package: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    package["dependencies"]["@electric-sql/pglite"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{} pins no @electric-sql/pglite", path.display()))
}

fn versions_of(
    captures: &Captures,
    stack: usize,
    targets: &crate::targets::Targets,
) -> Result<BTreeMap<String, String>, String> {
    // Every database's captures of the stack: the libraries are the same, each adds
    // its server's version (`sqlite`, `postgresql`).
    let mut versions: BTreeMap<String, String> = BTreeMap::new();
    for database in 0..targets.databases.len() {
        let target = Target { stack, database };
        let mut made: Vec<&Capture> = captures.of(target).collect();
        made.sort_by(|a, b| a.id.cmp(&b.id));
        let Some(first) = made.first() else {
            return Err(format!(
                "no capture of the {} to read versions from",
                targets.describe(target)
            ));
        };
        for other in &made[1..] {
            if other.versions != first.versions {
                return Err(format!(
                    "captures `{}` and `{}` of the {} were made with different versions; \
                     re-capture all with `scripts/capture --all`",
                    first.id,
                    other.id,
                    targets.describe(target)
                ));
            }
        }
        for (key, version) in &first.versions {
            match versions.get(key) {
                Some(known) if known != version => {
                    return Err(format!(
                        "the {} captures have {key} {version}, the stack's others {known}; \
                         re-capture all with `scripts/capture --all`",
                        targets.describe(target)
                    ))
                }
                _ => {
                    versions.insert(key.clone(), version.clone());
                }
            }
        }
    }
    Ok(versions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{Origin, SectionCapture, Statement};

    fn side(sql: &str, rows: Vec<Vec<demo_engine::Value>>) -> SectionCapture {
        SectionCapture {
            kind: "django".into(),
            query_count: 1,
            setup: vec![],
            statements: vec![Statement {
                columns: Some(vec!["a".into()]),
                total_rows: Some(rows.len()),
                rows: Some(rows),
                ..Statement::bare(sql, serde_json::json!([]), Origin::Orm)
            }],
            result: None,
            stdout: String::new(),
            error: None,
        }
    }

    fn capture(sections: Vec<SectionCapture>) -> Capture {
        Capture {
            id: "x".into(),
            input_hash: String::new(),
            versions: BTreeMap::new(),
            sections,
            checksum: String::new(),
        }
    }

    #[test]
    fn another_stack_replays_only_the_sides_that_sent_other_statements() {
        let one = vec![vec![demo_engine::Value::Integer(1)]];
        let two = vec![vec![demo_engine::Value::Integer(2)]];
        let primary = capture(vec![
            side("SELECT 1", one.clone()),
            side("SELECT 1", one.clone()),
        ]);
        // Same statements on both sides: nothing to replay again.
        assert!(sides_sent_otherwise(&primary, &primary).is_empty());
        // Other SQL on the first side, other rows on the second: both replay.
        let other = capture(vec![
            side("SELECT 1 AS a", one.clone()),
            side("SELECT 1", two),
        ]);
        assert_eq!(sides_sent_otherwise(&other, &primary), vec![0, 1]);
        let mut setup = primary.clone();
        setup.sections[1].setup = vec![Statement::bare(
            "PRAGMA foreign_keys = ON",
            serde_json::json!([]),
            Origin::Orm,
        )];
        assert_eq!(sides_sent_otherwise(&setup, &primary), vec![1]);
    }
}
