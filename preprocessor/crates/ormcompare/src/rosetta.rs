//! The Rosetta appendix: each row of a `rosetta` block resolved against the
//! comparisons of the whole book. A row shows the Django and SQLAlchemy
//! sections of its comparison as they are written, with the query counts of
//! their captures on each database, and links to the panel; nothing in the table
//! is typed twice.

use crate::capture::Capture;
use crate::checks::plural;
use crate::diagnostic::Diagnostic;
use crate::syntax::{Compare, RosettaGroup, SectionKind};
use crate::upgrade::{self, Said, SideChange};
use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Component, Path};

/// A comparison a row may name: where it is, and what it did.
pub struct Target<'a> {
    /// The chapter's path, relative to the book root like every chapter path.
    pub chapter: &'a Path,
    /// The chapter's title, for readers who want to know where a row leads.
    pub chapter_title: &'a str,
    pub compare: &'a Compare,
    /// Its captures with the stack the prose describes, on each database it is
    /// captured on, by the database's label (`SQLite`); the panel's first one first.
    pub captures: Vec<(&'a str, &'a Capture)>,
}

pub struct GroupView<'a> {
    pub title: &'a str,
    pub rows: Vec<RowView<'a>>,
}

pub struct RowView<'a> {
    pub id: &'a str,
    pub title: &'a str,
    /// Relative link from the appendix's page to the panel.
    pub href: String,
    pub chapter_title: &'a str,
    pub django: Cell<'a>,
    pub sqlalchemy: Cell<'a>,
}

/// One side of a row: a section's code, and what its captures say it did.
pub struct Cell<'a> {
    pub kind: SectionKind,
    pub code: &'a str,
    /// Queries sent on the first database.
    pub queries: usize,
    /// The exception the section raises on purpose (`raises=`) there, if any.
    pub raises: Option<&'a str>,
    /// What it did differently on each other database: the database's label and
    /// the change from there to the first (`upgrade::outcome_change`).
    pub elsewhere: Vec<(&'a str, SideChange)>,
    /// The one database the comparison is captured on, when its block keeps it to
    /// that one (`db=`).
    pub only_on: Option<&'a str>,
}

/// The sections a column may show, in order of preference: the SQLAlchemy
/// column takes the asyncio section when a comparison has no synchronous one.
const DJANGO: &[&str] = &["django"];
const SQLALCHEMY: &[&str] = &["sqlalchemy", "sqlalchemy-async"];

/// Resolves every row of the block on `page`; all problems at once.
pub fn resolve<'a>(
    page: &Path,
    groups: &'a [RosettaGroup],
    targets: &HashMap<&str, Target<'a>>,
) -> Result<Vec<GroupView<'a>>, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut views = Vec::new();
    for group in groups {
        let mut rows = Vec::new();
        for row in &group.rows {
            let at = |message: String| Diagnostic::new(page, row.line, message);
            let Some(target) = targets.get(row.id.as_str()) else {
                errors.push(at(format!(
                    "no `compare` block has the id `{}`; use the id of a comparison in a \
                     chapter of the book (`grep -n '^```compare' src/*.md` lists them)",
                    row.id
                )));
                continue;
            };
            match (cell(target, DJANGO), cell(target, SQLALCHEMY)) {
                (Some(django), Some(sqlalchemy)) => rows.push(RowView {
                    id: &row.id,
                    title: &row.title,
                    href: format!("{}#cmp-{}", relative_href(page, target.chapter), row.id),
                    chapter_title: target.chapter_title,
                    django,
                    sqlalchemy,
                }),
                (django, _) => {
                    let missing = if django.is_none() {
                        "`django`"
                    } else {
                        "`sqlalchemy` (or `sqlalchemy-async`)"
                    };
                    errors.push(at(format!(
                        "`{}` ({}:{}) has no {missing} section, and a row shows both sides; \
                         choose a comparison that has a `django` and a `sqlalchemy` section",
                        row.id,
                        target.chapter.display(),
                        target.compare.line
                    )));
                }
            }
        }
        views.push(GroupView {
            title: &group.title,
            rows,
        });
    }
    if errors.is_empty() {
        Ok(views)
    } else {
        Err(errors)
    }
}

/// The first section of `kinds` that the comparison has.
fn cell<'a>(target: &Target<'a>, kinds: &[&str]) -> Option<Cell<'a>> {
    let (&(first_label, first), others) = target.captures.split_first()?;
    let index = kinds.iter().find_map(|kind| {
        target
            .compare
            .sections
            .iter()
            .position(|s| s.kind.key() == *kind)
    })?;
    let section = &target.compare.sections[index];
    let here = first.sections.get(index)?;
    Some(Cell {
        kind: section.kind,
        code: &section.code,
        queries: here.query_count,
        raises: here.error.as_ref().map(|e| e.kind.as_str()),
        elsewhere: others
            .iter()
            .filter_map(|(label, capture)| {
                let there = capture.sections.get(index)?;
                Some((*label, upgrade::outcome_change(here, there)?))
            })
            .collect(),
        only_on: (others.is_empty() && !target.compare.databases.is_empty()).then_some(first_label),
    })
}

impl Cell<'_> {
    /// What the section did, for the reader, in parts a badge joins with ` · `: "2
    /// queries", "1 query, raises DoesNotExist"; then where another database
    /// differs in those, what the code did there ("PostgreSQL: 1 query, raises
    /// IntegrityError"), or the one database it ran on ("SQLite only").
    pub fn summary(&self) -> Vec<String> {
        let mut first = format!(
            "{} {}",
            self.queries,
            plural(self.queries, "query", "queries")
        );
        if let Some(kind) = self.raises {
            let _ = write!(first, ", raises {kind}");
        }
        let mut parts = vec![first];
        for (label, change) in &self.elsewhere {
            let (queries, raised) = change.queries_and_raised(Said::Beside);
            let words: Vec<String> = queries.into_iter().chain(raised).collect();
            if !words.is_empty() {
                parts.push(format!("{label}: {}", words.join(", ")));
            }
        }
        parts.extend(self.only_on.map(|label| format!("{label} only")));
        parts
    }
}

/// The link from one chapter's page to another's, as mdBook lays the pages
/// out: the same folders, `.html` for `.md`.
pub fn relative_href(from: &Path, to: &Path) -> String {
    let parts = |p: &Path| -> Vec<String> {
        p.components()
            .filter(|c| !matches!(c, Component::CurDir))
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect()
    };
    let from_dir = parts(from.parent().unwrap_or(Path::new("")));
    let to = parts(&to.with_extension("html"));
    let (to_dir, file) = to.split_at(to.len().saturating_sub(1));
    let common = from_dir
        .iter()
        .zip(to_dir)
        .take_while(|(a, b)| a == b)
        .count();
    let mut link: Vec<&str> = vec![".."; from_dir.len() - common];
    link.extend(to_dir[common..].iter().map(String::as_str));
    link.extend(file.iter().map(String::as_str));
    link.join("/")
}

/// A chapter's title: its first `# ` heading as written, or the file's name
/// when it has none.
pub fn chapter_title<'a>(path: &'a Path, markdown: &'a str) -> &'a str {
    markdown
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .or_else(|| path.file_stem().and_then(|s| s.to_str()))
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{SectionCapture, SnippetError};
    use crate::syntax::{Expect, RosettaRow, Section};
    use std::collections::BTreeMap;

    #[test]
    fn links_are_relative_to_the_appendix_page() {
        let link = |from: &str, to: &str| relative_href(Path::new(from), Path::new(to));
        assert_eq!(link("src/rosetta.md", "src/filtering.md"), "filtering.html");
        assert_eq!(
            link("src/rosetta.md", "src/part/joins.md"),
            "part/joins.html"
        );
        assert_eq!(
            link("src/deciding/rosetta.md", "src/filtering.md"),
            "../filtering.html"
        );
        assert_eq!(link("src/a/rosetta.md", "src/b/c/x.md"), "../b/c/x.html");
        assert_eq!(link("src/a/rosetta.md", "src/a/x.md"), "x.html");
        assert_eq!(link("./src/rosetta.md", "src/x.md"), "x.html");
    }

    #[test]
    fn titles_come_from_the_first_heading() {
        let path = Path::new("src/joins.md");
        assert_eq!(
            chapter_title(path, "Intro\n# Relationships and joins\n# B\n"),
            "Relationships and joins"
        );
        assert_eq!(chapter_title(path, "no heading\n## Sub\n"), "joins");
    }

    fn section(kind: SectionKind, code: &str) -> Section {
        Section {
            kind,
            code: code.into(),
            line: 1,
            expect: Expect::default(),
        }
    }

    fn captured(kind: &str, queries: usize, error: Option<&str>) -> SectionCapture {
        SectionCapture {
            kind: kind.into(),
            query_count: queries,
            setup: vec![],
            statements: vec![],
            result: None,
            stdout: String::new(),
            error: error.map(|e| SnippetError {
                kind: e.into(),
                message: String::new(),
                line: None,
                by_runner: false,
            }),
        }
    }

    #[test]
    fn rows_take_the_code_and_counts_of_their_comparison() {
        let two_sides = Compare {
            id: "get".into(),
            databases: Vec::new(),
            database_note: None,
            line: 12,
            same_rows: false,
            sections: vec![
                section(
                    SectionKind::named("django").unwrap(),
                    "Customer.objects.get(pk=1)\n",
                ),
                section(
                    SectionKind::named("sqlalchemy-async").unwrap(),
                    "await session.get(Customer, 1)\n",
                ),
            ],
        };
        let django_only = Compare {
            id: "alone".into(),
            databases: Vec::new(),
            database_note: None,
            line: 30,
            same_rows: false,
            sections: vec![section(SectionKind::named("django").unwrap(), "x\n")],
        };
        let capture = |sections| Capture {
            id: String::new(),
            input_hash: String::new(),
            versions: BTreeMap::new(),
            sections,
            checksum: String::new(),
        };
        let get = capture(vec![
            captured("django", 1, Some("DoesNotExist")),
            captured("sqlalchemy-async", 2, None),
        ]);
        let alone = capture(vec![captured("django", 0, None)]);
        let chapter = Path::new("src/part/queries.md");
        let targets = HashMap::from([
            (
                "get",
                Target {
                    chapter,
                    chapter_title: "Queries",
                    compare: &two_sides,
                    captures: vec![("SQLite", &get)],
                },
            ),
            (
                "alone",
                Target {
                    chapter,
                    chapter_title: "Queries",
                    compare: &django_only,
                    captures: vec![("SQLite", &alone)],
                },
            ),
        ]);
        let row = |id: &str, line| RosettaRow {
            id: id.into(),
            title: format!("Row {id}"),
            line,
        };
        let group = |rows| RosettaGroup {
            title: "Reading".into(),
            line: 3,
            rows,
        };
        let page = Path::new("src/rosetta.md");

        let groups = [group(vec![row("get", 4)])];
        let views = resolve(page, &groups, &targets).unwrap();
        let view = &views[0].rows[0];
        assert_eq!(view.href, "part/queries.html#cmp-get");
        assert_eq!(view.chapter_title, "Queries");
        assert_eq!(view.django.code, "Customer.objects.get(pk=1)\n");
        assert_eq!(view.django.summary(), ["1 query, raises DoesNotExist"]);
        assert_eq!(
            view.sqlalchemy.kind,
            SectionKind::named("sqlalchemy-async").unwrap()
        );
        assert_eq!(view.sqlalchemy.summary(), ["2 queries"]);

        let groups = [group(vec![row("nope", 4), row("alone", 5)])];
        let errors: Vec<String> = resolve(page, &groups, &targets)
            .err()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(errors.len(), 2);
        assert!(errors[0].starts_with("src/rosetta.md:4: no `compare` block has the id `nope`"));
        assert!(errors[1].starts_with(
            "src/rosetta.md:5: `alone` (src/part/queries.md:30) has no `sqlalchemy` (or \
             `sqlalchemy-async`) section"
        ));
    }

    fn two_sides(id: &str, databases: &[&str]) -> Compare {
        Compare {
            id: id.into(),
            databases: databases.iter().map(|d| d.to_string()).collect(),
            database_note: None,
            line: 7,
            same_rows: false,
            sections: vec![
                section(SectionKind::named("django").unwrap(), "x\n"),
                section(SectionKind::named("sqlalchemy").unwrap(), "y\n"),
            ],
        }
    }

    fn capture_of(sections: Vec<SectionCapture>) -> Capture {
        Capture {
            id: String::new(),
            input_hash: String::new(),
            versions: BTreeMap::new(),
            sections,
            checksum: String::new(),
        }
    }

    #[test]
    fn a_badge_names_another_database_only_where_the_code_did_otherwise_there() {
        let sqlite = capture_of(vec![
            captured("django", 2, None),
            captured("sqlalchemy", 5, Some("IntegrityError")),
        ]);
        // Django: the same on both. SQLAlchemy: another count and another error.
        let postgresql = capture_of(vec![
            captured("django", 2, None),
            captured("sqlalchemy", 6, Some("DataError")),
        ]);
        // A result that differs is the panel's to show, not the badge's.
        let mut other_rows = capture_of(vec![
            captured("django", 2, None),
            captured("sqlalchemy", 5, Some("IntegrityError")),
        ]);
        other_rows.sections[0].stdout = "printed\n".into();
        let both = two_sides("both", &[]);
        let kept = two_sides("kept", &["sqlite"]);
        let chapter = Path::new("src/x.md");
        let target = |compare, captures| Target {
            chapter,
            chapter_title: "X",
            compare,
            captures,
        };
        let targets = HashMap::from([
            (
                "both",
                target(
                    &both,
                    vec![("SQLite", &sqlite), ("PostgreSQL", &postgresql)],
                ),
            ),
            ("kept", target(&kept, vec![("SQLite", &sqlite)])),
            (
                "alike",
                target(
                    &both,
                    vec![("SQLite", &sqlite), ("PostgreSQL", &other_rows)],
                ),
            ),
        ]);
        let groups = [RosettaGroup {
            title: "G".into(),
            line: 1,
            rows: ["both", "kept", "alike"]
                .iter()
                .enumerate()
                .map(|(line, id)| RosettaRow {
                    id: id.to_string(),
                    title: id.to_string(),
                    line: line + 2,
                })
                .collect(),
        }];
        let views = resolve(Path::new("src/rosetta.md"), &groups, &targets).unwrap();
        let badges: Vec<(Vec<String>, Vec<String>)> = views[0]
            .rows
            .iter()
            .map(|row| (row.django.summary(), row.sqlalchemy.summary()))
            .collect();
        let parts = |parts: &[&str]| parts.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        // Agree: one badge, as on one database. Differ: what the other did.
        assert_eq!(badges[0].0, parts(&["2 queries"]));
        assert_eq!(
            badges[0].1,
            parts(&[
                "5 queries, raises IntegrityError",
                "PostgreSQL: 6 queries, raises DataError"
            ])
        );
        // Captured on one database only (`db=`): it says which.
        assert_eq!(badges[1].0, parts(&["2 queries", "SQLite only"]));
        assert_eq!(
            badges[1].1,
            parts(&["5 queries, raises IntegrityError", "SQLite only"])
        );
        assert_eq!(badges[2].0, parts(&["2 queries"]));
        assert_eq!(badges[2].1, parts(&["5 queries, raises IntegrityError"]));
    }
}
