//! The snippet syntax: which fenced blocks are ours, and what they hold.
//!
//! ````text
//! ```compare id=lazy-loop same-rows
//! --- django queries=4
//! [order.customer.name for order in Order.objects.all()[:3]]
//! --- sqlalchemy queries=4
//! [order.customer.name for order in session.scalars(select(Order).limit(3))]
//! ```
//!
//! ```sql run id=cities rows=5
//! SELECT DISTINCT city FROM customers WHERE city IS NOT NULL ORDER BY city;
//! ```
//!
//! ```bench-chart file=benchmarks/bulk-loading.json
//! ```
//! ````
//!
//! The appendix's `rosetta` block has a syntax of its own, in `rosetta`.
//!
//! CONTRIBUTING.md documents it for authors; keep the two in step.

mod rosetta;

pub use rosetta::{RosettaGroup, RosettaRow};

use crate::diagnostic::Diagnostic;
pub use crate::kinds::SectionKind;
use crate::scan::FencedBlock;
use rosetta::parse_rosetta;
use std::path::Path;

/// `raises@postgresql=none`: on that database the section raises nothing, though it
/// raises on the others. Exception names are capitalised, so it names none of them.
pub const RAISES_NOTHING: &str = "none";

/// What a section promises; the build fails when the capture says otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expect {
    /// Exact number of queries (statements other than transaction control).
    pub queries: Option<usize>,
    /// Exact number of rows in the section's result.
    pub rows: Option<usize>,
    /// The section must raise this exception (its class name).
    pub raises: Option<String>,
    /// What differs on one database (`queries@postgresql=2`), by database name.
    pub on: Vec<(String, Expect)>,
}

impl Expect {
    /// The promises that hold on `database`: its own where it has them.
    pub fn on_database(&self, database: &str) -> Expect {
        let mut merged = Expect {
            on: Vec::new(),
            ..self.clone()
        };
        for (name, own) in &self.on {
            if name == database {
                merged.queries = own.queries.or(merged.queries);
                merged.rows = own.rows.or(merged.rows);
                match own.raises.as_deref() {
                    Some(RAISES_NOTHING) => merged.raises = None,
                    Some(kind) => merged.raises = Some(kind.to_string()),
                    None => {}
                }
            }
        }
        merged
    }

    /// The databases the promises name.
    pub fn databases(&self) -> impl Iterator<Item = &str> {
        self.on.iter().map(|(name, _)| name.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub kind: SectionKind,
    pub code: String,
    /// Line of the `--- kind` header; code line `i` (0-based) is at `line + 1 + i`.
    pub line: usize,
    pub expect: Expect,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compare {
    pub id: String,
    pub line: usize,
    pub same_rows: bool,
    pub sections: Vec<Section>,
    /// The databases it is captured on (`db=sqlite,postgresql`); empty: every one.
    pub databases: Vec<String>,
    /// Why it belongs to those databases only (its `db-note:` line), for the others'
    /// readers.
    pub database_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlRun {
    pub id: Option<String>,
    pub line: usize,
    pub sql: String,
    /// Exact number of rows the last statement returns.
    pub rows: Option<usize>,
    /// The block shows SQL the database refuses (one statement): the build
    /// checks that it is refused and shows SQLite's message.
    pub fails: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaView {
    Diagram,
    Ddl,
}

/// A chart of a committed benchmark results file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchChart {
    /// The results file, relative to the snippets folder.
    pub file: String,
}

/// A block the preprocessor replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Snippet {
    Compare(Compare),
    SqlRun(SqlRun),
    Schema(SchemaView),
    Versions,
    /// The generated page of what changes between the stacks' captures.
    UpgradeChanges(UpgradeScope),
    Playground(Vec<Starter>),
    /// The appendix table: operations, each shown by a comparison of the book.
    Rosetta(Vec<RosettaGroup>),
    Chart(BenchChart),
}

impl Snippet {
    /// Whether the block is made from the whole book (the upgrade pages, the Rosetta
    /// table) rather than from its own captures: the longest blocks to render.
    pub fn gathers_from_book(&self) -> bool {
        matches!(self, Snippet::UpgradeChanges(_) | Snippet::Rosetta(_))
    }
}

/// The sides an `upgrade-changes` page lists (`library=`): every side, the Django
/// ORM's, or every other library's (SQLAlchemy and the libraries built on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpgradeScope {
    All,
    Django,
    Others,
}

impl UpgradeScope {
    /// Whether the page lists a side of this library (`SectionKind::library`).
    pub fn covers(self, library: &str) -> bool {
        match self {
            UpgradeScope::All => true,
            UpgradeScope::Django => library == "django",
            UpgradeScope::Others => library != "django",
        }
    }

    /// Whether two pages would list a side twice.
    pub fn overlaps(self, other: UpgradeScope) -> bool {
        self == other || self == UpgradeScope::All || other == UpgradeScope::All
    }
}

/// A starter query of the playground: `-- name: Title` followed by its SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Starter {
    pub title: String,
    pub sql: String,
}

/// The first words of the info strings of the project's blocks.
const OUR_BLOCKS: [&str; 8] = [
    "compare",
    "sql run",
    "demo-schema",
    "pinned-versions",
    "upgrade-changes",
    "playground",
    "rosetta",
    "bench-chart",
];

fn is_ours(info: &str) -> bool {
    let words: Vec<&str> = info.split_whitespace().take(2).collect();
    OUR_BLOCKS.iter().any(|ours| {
        let theirs: Vec<&str> = ours.split(' ').collect();
        words.len() >= theirs.len() && words[..theirs.len()] == theirs[..]
    })
}

/// A block whose closing fence is missing runs to the end of the chapter, taking
/// in whatever follows: say so, at the line where it went wrong.
fn check_closed(path: &Path, block: &FencedBlock) -> Result<(), Diagnostic> {
    let lang = block.info.split_whitespace().next().unwrap_or("");
    if is_ours(&block.info) && !block.closed {
        return Err(Diagnostic::new(
            path,
            block.line,
            format!(
                "this `{lang}` block is never closed, so the rest of the chapter became its \
                 body; end it with a line of ``` after its last line"
            ),
        ));
    }
    if is_ours(&block.info) {
        return Ok(());
    }
    // A block of someone else's (```python) that takes in one of ours: its closing
    // fence is missing, and ours became its text.
    for (index, text) in block.body.lines().enumerate() {
        let fence = text.trim_start();
        let info = fence.trim_start_matches('`');
        if fence.len() - info.len() >= 3 && is_ours(info) {
            return Err(Diagnostic::new(
                path,
                block.line,
                format!(
                    "this ```{lang} block is not closed before the `{}` block at line {}, which \
                     became its text; close it with a line of ``` after its code",
                    info.split_whitespace().next().unwrap_or(""),
                    block.body_line(index)
                ),
            ));
        }
    }
    Ok(())
}

/// `Ok(None)` for blocks that are not ours (plain code stays as it is).
pub fn parse_block(path: &Path, block: &FencedBlock) -> Result<Option<Snippet>, Diagnostic> {
    check_closed(path, block)?;
    let mut words = block.info.split_whitespace();
    let Some(lang) = words.next() else {
        return Ok(None);
    };
    let rest: Vec<&str> = words.collect();
    let at = |message: String| Diagnostic::new(path, block.line, message);
    let snippet = match lang {
        "compare" => Snippet::Compare(parse_compare(path, block, &rest)?),
        "sql" if rest.first() == Some(&"run") => {
            Snippet::SqlRun(parse_sql_run(block, &rest[1..]).map_err(at)?)
        }
        "demo-schema" => match rest.as_slice() {
            ["diagram"] => Snippet::Schema(SchemaView::Diagram),
            ["ddl"] => Snippet::Schema(SchemaView::Ddl),
            _ => {
                return Err(at(format!(
                    "`demo-schema` takes one word, `diagram` or `ddl`; found `{}`",
                    rest.join(" ")
                )))
            }
        },
        "pinned-versions" => {
            if !rest.is_empty() {
                return Err(at("`pinned-versions` takes no options".into()));
            }
            Snippet::Versions
        }
        "upgrade-changes" => {
            let options = Options::parse(&rest);
            options
                .check(&["library"], "an `upgrade-changes` block")
                .map_err(at)?;
            let scope = match options.value("library").map_err(at)? {
                None => UpgradeScope::All,
                Some("django") => UpgradeScope::Django,
                Some("others") => UpgradeScope::Others,
                Some(other) => {
                    return Err(at(format!(
                        "`library={other}`: an `upgrade-changes` page lists `library=django` \
                         (the Django ORM's sides) or `library=others` (every other library's), \
                         or every side without the option"
                    )))
                }
            };
            Snippet::UpgradeChanges(scope)
        }
        "playground" => {
            if !rest.is_empty() {
                return Err(at("`playground` takes no options".into()));
            }
            Snippet::Playground(parse_starters(path, block)?)
        }
        "rosetta" => {
            if !rest.is_empty() {
                return Err(at("`rosetta` takes no options".into()));
            }
            Snippet::Rosetta(parse_rosetta(path, block)?)
        }
        "bench-chart" => Snippet::Chart(parse_bench_chart(&rest).map_err(at)?),
        _ => return Ok(None),
    };
    if block.nested {
        return Err(at(format!(
            "a `{lang}` block must stand at the top level of the chapter, not inside a list or \
             quote; move it out"
        )));
    }
    let bodiless = matches!(
        snippet,
        Snippet::Schema(_) | Snippet::Versions | Snippet::UpgradeChanges(_) | Snippet::Chart(_)
    );
    if bodiless && !block.body.trim().is_empty() {
        return Err(at(format!(
            "a `{lang}` block takes no body; leave it empty"
        )));
    }
    Ok(Some(snippet))
}

fn parse_starters(path: &Path, block: &FencedBlock) -> Result<Vec<Starter>, Diagnostic> {
    let mut starters: Vec<Starter> = Vec::new();
    for (index, text) in block.body.lines().enumerate() {
        if let Some(title) = text.strip_prefix("-- name:") {
            starters.push(Starter {
                title: title.trim().to_string(),
                sql: String::new(),
            });
        } else if let Some(starter) = starters.last_mut() {
            starter.sql.push_str(text);
            starter.sql.push('\n');
        } else if !text.trim().is_empty() {
            return Err(Diagnostic::new(
                path,
                block.body_line(index),
                "SQL before the first starter; begin each with a line `-- name: Title`",
            ));
        }
    }
    for starter in &mut starters {
        starter.sql = starter.sql.trim().to_string();
        if starter.title.is_empty() || starter.sql.is_empty() {
            return Err(Diagnostic::new(
                path,
                block.line,
                "every playground starter needs a title (`-- name: Title`) and some SQL",
            ));
        }
    }
    if starters.is_empty() {
        return Err(Diagnostic::new(
            path,
            block.line,
            "a `playground` block needs at least one starter query: `-- name: Title` then SQL",
        ));
    }
    Ok(starters)
}

/// `key=value` options and bare flags of an info string or section header.
struct Options<'a> {
    items: Vec<(&'a str, Option<&'a str>)>,
}

impl<'a> Options<'a> {
    fn parse(words: &[&'a str]) -> Options<'a> {
        let items = words
            .iter()
            .map(|w| match w.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (*w, None),
            })
            .collect();
        Options { items }
    }

    /// Rejects options outside `known`, and repeated ones. `key@database` is a
    /// promise for one database, for the keys that take one.
    fn check(&self, known: &[&str], what: &str) -> Result<(), String> {
        for (i, (key, _)) in self.items.iter().enumerate() {
            let base = key.split_once('@').map_or(*key, |(base, _)| base);
            let per_database = key.contains('@') && ["queries", "rows", "raises"].contains(&base);
            if !known.contains(&base) || (key.contains('@') && !per_database) {
                return Err(format!(
                    "unknown option `{key}` on {what}; known options: {}",
                    known.join(", ")
                ));
            }
            if self.items[..i].iter().any(|(k, _)| k == key) {
                return Err(format!("option `{key}` is given twice on {what}"));
            }
        }
        Ok(())
    }

    /// The databases named by `key@database` options, each once, in order.
    fn databases(&self) -> Vec<&'a str> {
        let mut names: Vec<&'a str> = Vec::new();
        for (key, _) in &self.items {
            if let Some((_, database)) = key.split_once('@') {
                if !names.contains(&database) {
                    names.push(database);
                }
            }
        }
        names
    }

    fn value(&self, key: &str) -> Result<Option<&'a str>, String> {
        match self.items.iter().find(|(k, _)| *k == key) {
            None => Ok(None),
            Some((_, Some(v))) if !v.is_empty() => Ok(Some(v)),
            Some(_) => Err(format!("option `{key}` needs a value: `{key}=...`")),
        }
    }

    fn flag(&self, key: &str) -> Result<bool, String> {
        match self.items.iter().find(|(k, _)| *k == key) {
            None => Ok(false),
            Some((_, None)) => Ok(true),
            Some((_, Some(_))) => Err(format!("option `{key}` is a flag and takes no value")),
        }
    }

    fn count(&self, key: &str) -> Result<Option<usize>, String> {
        self.value(key)?
            .map(|v| {
                v.parse::<usize>().map_err(|_| {
                    if v.chars().all(|c| c.is_ascii_digit()) {
                        format!("option `{key}={v}` is too large; no snippet sends that many")
                    } else {
                        format!("option `{key}` takes a whole number, not `{v}`")
                    }
                })
            })
            .transpose()
    }
}

/// Ids name files and page anchors: short enough for any file system.
const MAX_ID_CHARS: usize = 64;

fn parse_id(value: Option<&str>) -> Result<Option<String>, String> {
    let Some(id) = value else { return Ok(None) };
    if id.len() > MAX_ID_CHARS {
        return Err(format!(
            "id `{}…` is {} characters long; keep ids to {MAX_ID_CHARS} (they name capture files)",
            &id[..20.min(id.len())],
            id.len()
        ));
    }
    let valid = id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && id.starts_with(|c: char| c.is_ascii_lowercase());
    if !valid {
        return Err(format!(
            "id `{id}` must be lowercase letters, digits and dashes, starting with a letter \
             (it names the capture file)"
        ));
    }
    Ok(Some(id.to_string()))
}

fn parse_compare(path: &Path, block: &FencedBlock, words: &[&str]) -> Result<Compare, Diagnostic> {
    let at = |message: String| Diagnostic::new(path, block.line, message);
    let options = Options::parse(words);
    options
        .check(&["id", "same-rows", "db"], "a `compare` block")
        .map_err(at)?;
    let databases: Vec<String> = options
        .value("db")
        .map_err(at)?
        .map(|list| list.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let id = parse_id(options.value("id").map_err(at)?)
        .map_err(at)?
        .ok_or_else(|| at("a `compare` block needs an id: ```compare id=some-name".into()))?;
    let same_rows = options.flag("same-rows").map_err(at)?;

    let mut sections: Vec<Section> = Vec::new();
    let mut database_note: Option<String> = None;
    // Where a triple-quoted string opened in the current section, if one is open.
    let mut open_string: Option<usize> = None;
    for (index, text) in block.body.lines().enumerate() {
        let line = block.body_line(index);
        if let Some(code) = text.strip_prefix("\\---") {
            // `\---`: a code line that starts with `---`, written so it does not start
            // a section.
            let Some(section) = sections.last_mut() else {
                return Err(Diagnostic::new(path, line, "code before the first section"));
            };
            section.code.push_str("---");
            section.code.push_str(code);
            section.code.push('\n');
            continue;
        }
        if let Some(header) = text.strip_prefix("---") {
            if let Some(opened) = open_string {
                return Err(Diagnostic::new(
                    path,
                    line,
                    format!(
                        "this `---` line is inside the string that opens at line {opened}, \
                         but it starts a new section; if it belongs to the string, write it \
                         `\\---` (the backslash is dropped)"
                    ),
                ));
            }
            let section =
                parse_section_header(header, line).map_err(|m| Diagnostic::new(path, line, m))?;
            if sections.iter().any(|s| s.kind == section.kind) {
                return Err(Diagnostic::new(
                    path,
                    line,
                    format!(
                        "section `{}` appears twice in `{id}`; keep one",
                        section.kind.key()
                    ),
                ));
            }
            sections.push(section);
        } else if let Some(section) = sections.last_mut() {
            let quotes = text.matches("\"\"\"").count() + text.matches("\'\'\'").count();
            if quotes % 2 == 1 {
                open_string = match open_string {
                    Some(_) => None,
                    None => Some(line),
                };
            }
            section.code.push_str(text);
            section.code.push('\n');
        } else if let Some(note) = text.strip_prefix("db-note:") {
            if database_note.is_some() {
                return Err(Diagnostic::new(
                    path,
                    line,
                    "a second `db-note:` line; keep one",
                ));
            }
            database_note = Some(note.trim().to_string()).filter(|n| !n.is_empty());
            if database_note.is_none() {
                return Err(Diagnostic::new(
                    path,
                    line,
                    "`db-note:` needs the reason: `db-note: PRAGMAs are SQLite's own`",
                ));
            }
        } else if !text.trim().is_empty() {
            return Err(Diagnostic::new(
                path,
                line,
                "code before the first section; start each section with a line like \
                 `--- django` or `--- sqlalchemy`",
            ));
        }
    }
    if sections.is_empty() {
        return Err(at(format!(
            "`{id}` has no sections; add at least one `--- django` or `--- sqlalchemy` line \
             followed by code"
        )));
    }
    for section in &mut sections {
        let trimmed = section.code.trim_end().to_string();
        if trimmed.trim().is_empty() {
            return Err(Diagnostic::new(
                path,
                section.line,
                format!("section `{}` has no code", section.kind.key()),
            ));
        }
        section.code = trimmed + "\n";
    }
    match (databases.is_empty(), &database_note) {
        (false, None) => {
            return Err(at(format!(
                "`{id}` is captured on {} only: say why for the readers of the other \
                 databases, on a line before the first section: `db-note: ...`",
                databases.join(", ")
            )))
        }
        (true, Some(_)) => {
            return Err(at(format!(
                "`{id}` has a `db-note:` but no `db=`; name the databases it belongs to \
                 (`db=sqlite`), or drop the note"
            )))
        }
        _ => {}
    }
    if same_rows && sections.len() < 2 {
        return Err(at(
            "`same-rows` compares sections, but this block has only one".into(),
        ));
    }
    Ok(Compare {
        id,
        line: block.line,
        same_rows,
        sections,
        databases,
        database_note,
    })
}

fn parse_section_header(header: &str, line: usize) -> Result<Section, String> {
    let words: Vec<&str> = header.split_whitespace().collect();
    let Some((name, rest)) = words.split_first() else {
        return Err(format!(
            "a section line needs a name: `--- django`; known sections: {}",
            SectionKind::known()
        ));
    };
    let kind = SectionKind::named(name).ok_or_else(|| {
        format!(
            "unknown section `{name}`; known sections: {} (a code line that starts with \
             `---` is written `\\---`)",
            SectionKind::known()
        )
    })?;
    let what = format!("section `{name}`");
    let options = Options::parse(rest);
    options.check(&["queries", "rows", "raises"], &what)?;
    let mut expect = Expect {
        queries: options.count("queries")?,
        rows: options.count("rows")?,
        raises: options.value("raises")?.map(String::from),
        on: Vec::new(),
    };
    for database in options.databases() {
        expect.on.push((
            database.to_string(),
            Expect {
                queries: options.count(&format!("queries@{database}"))?,
                rows: options.count(&format!("rows@{database}"))?,
                raises: options
                    .value(&format!("raises@{database}"))?
                    .map(String::from),
                on: Vec::new(),
            },
        ));
    }
    Ok(Section {
        kind,
        code: String::new(),
        line,
        expect,
    })
}

fn parse_sql_run(block: &FencedBlock, words: &[&str]) -> Result<SqlRun, String> {
    let options = Options::parse(words);
    options.check(&["id", "rows", "fails"], "a `sql run` block")?;
    if block.body.trim().is_empty() {
        return Err("a `sql run` block has no SQL in it".into());
    }
    let run = SqlRun {
        id: parse_id(options.value("id")?)?,
        line: block.line,
        sql: block.body.clone(),
        rows: options.count("rows")?,
        fails: options.flag("fails")?,
    };
    if run.fails && run.rows.is_some() {
        return Err("a `sql run fails` block returns no rows: drop `rows=`".into());
    }
    Ok(run)
}

fn parse_bench_chart(words: &[&str]) -> Result<BenchChart, String> {
    let options = Options::parse(words);
    options.check(&["file"], "a `bench-chart` block")?;
    let file = options.value("file")?.ok_or(
        "a `bench-chart` block needs the results file: ```bench-chart \
         file=benchmarks/NAME.json (relative to the snippets folder)",
    )?;
    let inside = Path::new(file)
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !inside {
        return Err(format!(
            "`file={file}` must be a path inside the snippets folder, like \
             `benchmarks/NAME.json`, without `..` or a leading `/`"
        ));
    }
    Ok(BenchChart {
        file: file.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::fenced_blocks;

    fn parse(md: &str) -> Result<Option<Snippet>, Diagnostic> {
        let blocks = fenced_blocks(md);
        parse_block(Path::new("src/ch.md"), &blocks[0])
    }

    fn error(md: &str) -> String {
        parse(md).unwrap_err().to_string()
    }

    #[test]
    fn parses_a_comparison() {
        let md = "text\n\n```compare id=lazy same-rows\n--- django queries=4 rows=3\nA\n\nB\n--- sqlalchemy queries=4\nC\n```\n";
        let Some(Snippet::Compare(c)) = parse(md).unwrap() else {
            panic!()
        };
        assert_eq!(c.id, "lazy");
        assert_eq!(c.line, 3);
        assert!(c.same_rows);
        assert_eq!(c.sections.len(), 2);
        assert_eq!(c.sections[0].kind, SectionKind::named("django").unwrap());
        assert_eq!(c.sections[0].code, "A\n\nB\n");
        assert_eq!(c.sections[0].line, 4);
        assert_eq!(c.sections[0].expect.queries, Some(4));
        assert_eq!(c.sections[0].expect.rows, Some(3));
        assert_eq!(c.sections[1].line, 8);
    }

    #[test]
    fn promises_can_differ_per_database() {
        let md = "```compare id=x\n--- django raises=NotSupportedError raises@postgresql=none queries=0 queries@postgresql=1\nA\n```\n";
        let Some(Snippet::Compare(c)) = parse(md).unwrap() else {
            panic!()
        };
        let expect = &c.sections[0].expect;
        assert_eq!(
            expect.on_database("sqlite").raises.as_deref(),
            Some("NotSupportedError")
        );
        assert_eq!(expect.on_database("sqlite").queries, Some(0));
        assert_eq!(expect.on_database("postgresql").raises, None);
        assert_eq!(expect.on_database("postgresql").queries, Some(1));
    }

    #[test]
    fn a_comparison_for_some_databases_says_why() {
        let md =
            "```compare id=x db=sqlite\ndb-note: PRAGMAs are SQLite's own.\n--- django\nA\n```\n";
        let Some(Snippet::Compare(c)) = parse(md).unwrap() else {
            panic!()
        };
        assert_eq!(c.databases, vec!["sqlite".to_string()]);
        assert_eq!(
            c.database_note.as_deref(),
            Some("PRAGMAs are SQLite's own.")
        );
        assert!(error("```compare id=x db=sqlite\n--- django\nA\n```\n")
            .contains("`x` is captured on sqlite only: say why"));
        assert!(error("```compare id=x\ndb-note: why\n--- django\nA\n```\n").contains("no `db=`"));
        assert!(
            error("```compare id=x db=sqlite\ndb-note:\n--- django\nA\n```\n")
                .starts_with("src/ch.md:2: `db-note:` needs the reason")
        );
    }

    #[test]
    fn other_code_blocks_are_left_alone() {
        assert_eq!(parse("```python\nx = 1\n```\n").unwrap(), None);
        assert_eq!(parse("```sql\nSELECT 1\n```\n").unwrap(), None);
        assert_eq!(parse("```\nplain\n```\n").unwrap(), None);
    }

    #[test]
    fn parses_sql_run() {
        let Some(Snippet::SqlRun(s)) = parse("```sql run rows=2\nSELECT 1;\n```\n").unwrap() else {
            panic!()
        };
        assert_eq!(s.rows, Some(2));
        assert_eq!(s.sql, "SELECT 1;\n");
    }

    #[test]
    fn parses_playground_starters() {
        let md = "```playground\n-- name: All\nSELECT 1;\n\n-- name: Two\nSELECT 2;\n```\n";
        let Some(Snippet::Playground(starters)) = parse(md).unwrap() else {
            panic!()
        };
        assert_eq!(starters.len(), 2);
        assert_eq!(starters[1].title, "Two");
        assert_eq!(starters[0].sql, "SELECT 1;");
        assert!(error("```playground\nSELECT 1;\n```\n")
            .contains("src/ch.md:2: SQL before the first starter"));
        assert!(error("```playground\n```\n").contains("at least one starter"));
    }

    #[test]
    fn parses_a_bench_chart() {
        let Some(Snippet::Chart(c)) =
            parse("```bench-chart file=benchmarks/b.json\n```\n").unwrap()
        else {
            panic!()
        };
        assert_eq!(c.file, "benchmarks/b.json");
        assert!(error("```bench-chart\n```\n").contains("needs the results file"));
        assert!(error("```bench-chart file=a.json size=2\n```\n")
            .contains("unknown option `size` on a `bench-chart` block; known options: file"));
        assert!(error("```bench-chart file=../a.json\n```\n").contains("inside the snippets"));
        assert!(error("```bench-chart file=/a.json\n```\n").contains("inside the snippets"));
        assert!(error("```bench-chart file=a.json\nx\n```\n").contains("takes no body"));
    }

    #[test]
    fn a_code_line_starting_with_three_dashes_is_escaped() {
        let md = "```compare id=x\n--- django\nprint('''\n\\--- sqlalchemy\n''')\n--- sqlalchemy\nB\n```\n";
        let Some(Snippet::Compare(c)) = parse(md).unwrap() else {
            panic!()
        };
        assert_eq!(c.sections.len(), 2);
        assert_eq!(c.sections[0].code, "print('''\n--- sqlalchemy\n''')\n");
        // Unescaped inside a string: the split is caught, with the fix.
        let inside = "```compare id=x\n--- django\ns = \"\"\"\n--- sqlalchemy\n\"\"\"\n```\n";
        assert_eq!(
            error(inside),
            "src/ch.md:4: this `---` line is inside the string that opens at line 3, but it \
             starts a new section; if it belongs to the string, write it `\\---` (the \
             backslash is dropped)"
        );
        assert!(
            error("```compare id=x\n--- django\nx = 1\n--- not a section\n```\n")
                .contains("unknown section `not`")
        );
    }

    #[test]
    fn unclosed_blocks_are_named_where_they_went_wrong() {
        let swallowed =
            "# T\n\n```python\nx = 1\n\nProse.\n\n```compare id=a\n--- django\n1\n```\n";
        assert_eq!(
            error(swallowed),
            "src/ch.md:3: this ```python block is not closed before the `compare` block at \
             line 8, which became its text; close it with a line of ``` after its code"
        );
        let open = "# T\n\n```compare id=a\n--- django\n1\n\nProse.\n";
        assert!(error(open).starts_with(
            "src/ch.md:3: this `compare` block is never closed, so the rest of the chapter"
        ));
    }

    #[test]
    fn numbers_and_ids_out_of_range_say_so() {
        assert!(
            error("```compare id=x\n--- django queries=99999999999999999999\nA\n```\n")
                .contains("`queries=99999999999999999999` is too large")
        );
        let long = format!("```compare id={}\n--- django\nA\n```\n", "a".repeat(300));
        assert!(error(&long).contains("is 300 characters long; keep ids to 64"));
    }

    #[test]
    fn errors_name_the_line_and_the_fix() {
        assert_eq!(
            error("\n```compare id=x\n--- djnago\nA\n```\n"),
            "src/ch.md:3: unknown section `djnago`; known sections: django, sqlalchemy, \
             sqlalchemy-async, sqlmodel, peewee, tortoise, psycopg, asyncpg (a code line that \
             starts with `---` is written `\\---`)"
        );
        assert_eq!(
            error("```compare id=x colour=red\n--- django\nA\n```\n"),
            "src/ch.md:1: unknown option `colour` on a `compare` block; known options: id, same-rows, db"
        );
        assert!(error("```compare\n--- django\nA\n```\n").contains("needs an id"));
        assert!(error("```compare id=Bad_Id\n--- django\nA\n```\n").contains("lowercase"));
        assert!(error("```compare id=x\nA\n--- django\nB\n```\n")
            .starts_with("src/ch.md:2: code before"));
        assert!(error("```compare id=x\n--- django\n```\n").contains("has no code"));
        assert!(
            error("```compare id=x\n--- django queries=many\nA\n```\n").contains("whole number")
        );
        assert!(error("```compare id=x\n--- django\nA\n--- django\nB\n```\n").contains("twice"));
        assert!(error("```compare id=x same-rows\n--- django\nA\n```\n").contains("only one"));
        assert!(error("```compare id=x\n--- django queries\nA\n```\n").contains("needs a value"));
        assert!(error("```sql run colour=1\nSELECT 1\n```\n").contains("unknown option `colour`"));
        assert!(error("```sql run fails rows=1\nSELECT 1\n```\n").contains("drop `rows=`"));
        assert!(error("```sql run\n\n```\n").contains("no SQL"));
        assert!(error("```demo-schema map\n```\n").contains("`diagram` or `ddl`"));
        assert!(
            error("- item\n\n  ```compare id=x\n  --- django\n  A\n  ```\n").contains("top level")
        );
    }
}
