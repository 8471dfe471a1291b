//! What changes for one comparison between two stacks: the same block captured with
//! the previous releases and with the current ones, side by side. Panels mark the
//! sides that differ, and the generated "What changes when you upgrade" page lists
//! them all; both read it from here, so they cannot disagree.
//!
//! Only what a reader's code would notice counts: the statements the library sent
//! (SQL, parameters, in order), how many queries, the result, what it raised and
//! printed. The connection set-up (`PRAGMA`s, a dialect's first-connect probes) is
//! bookkeeping and is left out.
//!
//! The same comparison on another database is told the same way, SQL aside
//! (`outcome_change`): the panels' "On PostgreSQL:" markers and the Rosetta
//! appendix's badges read it from here.

use crate::capture::{Capture, SectionCapture, Statement};
use similar::{capture_diff_slices, Algorithm, DiffTag};

/// One side of a comparison whose capture differs between the stacks.
#[derive(Debug, Clone, PartialEq)]
pub struct SideChange {
    /// The side's index in the block.
    pub side: usize,
    /// The library's version on the previous and on the current stack.
    pub versions: (String, String),
    /// Queries sent, previous and current.
    pub queries: (usize, usize),
    /// The statements, previous to current; empty when they are the same.
    pub statements: Vec<Line>,
    pub result_changed: bool,
    /// The exception raised, previous and current.
    pub raised: (Option<String>, Option<String>),
    pub printed_changed: bool,
}

/// A line of a statement diff: a statement as `sql` plus its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Same(String),
    /// A run of statements that are the same on both stacks, left out.
    Skipped(usize),
    /// Only the previous stack sent it.
    Removed(String),
    /// Only the current stack sends it.
    Added(String),
    /// The same statement in another form: the previous stack's and the current
    /// one's, word by word, the words that differ marked.
    Changed {
        before: Vec<Span>,
        after: Vec<Span>,
    },
    /// The line above, this many more times, with other parameters (the N of an
    /// N+1, changed the same way each time).
    Again(usize),
}

/// A run of words of a changed statement (with the spaces around them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub differs: bool,
}

/// Whose view a headline takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Said {
    /// Upgrading: what the current release does, against what it did ("2 queries,
    /// was 3"), for the upgrade page.
    Upgrading,
    /// What the previous release did, beside the current one's panel ("3 queries,
    /// not 2").
    OnPrevious,
    /// What the other side did, after what this one did in a badge ("2 queries ·
    /// PostgreSQL: 1 query", "raises nothing"): its own words, without "not".
    Beside,
}

impl SideChange {
    /// What changed, in a few words each.
    pub fn headlines(&self, said: Said) -> Vec<String> {
        let (queries, raised) = self.queries_and_raised(said);
        let mut out: Vec<String> = queries
            .or_else(|| (!self.statements.is_empty()).then(|| "other SQL".to_string()))
            .into_iter()
            .chain(raised)
            .collect();
        if self.result_changed {
            out.push("another result".to_string());
        }
        if self.printed_changed {
            out.push("prints something else".to_string());
        }
        out
    }

    /// What changed in the query count and in the exception raised, in a few
    /// words each (`None`: the same).
    pub fn queries_and_raised(&self, said: Said) -> (Option<String>, Option<String>) {
        let queries = |n: usize| format!("{n} {}", if n == 1 { "query" } else { "queries" });
        let (before, now) = self.queries;
        let count = (before != now).then(|| match said {
            Said::Upgrading => format!("{}, was {before}", queries(now)),
            Said::OnPrevious => format!("{}, not {now}", queries(before)),
            Said::Beside => queries(before),
        });
        let raised = match (&self.raised, said) {
            ((Some(b), None), Said::Upgrading) => Some(format!("no longer raises {b}")),
            ((None, Some(n)), Said::Upgrading) => Some(format!("now raises {n}")),
            ((Some(b), Some(n)), Said::Upgrading) if b != n => Some(format!("raises {n}, was {b}")),
            ((Some(b), None), Said::OnPrevious) => Some(format!("raises {b}")),
            ((None, Some(n)), Said::OnPrevious) => Some(format!("does not raise {n}")),
            ((Some(b), Some(n)), Said::OnPrevious) if b != n => {
                Some(format!("raises {b}, not {n}"))
            }
            ((Some(b), n), Said::Beside) if Some(b) != n.as_ref() => Some(format!("raises {b}")),
            ((None, Some(_)), Said::Beside) => Some("raises nothing".to_string()),
            _ => None,
        };
        (count, raised)
    }

    /// Whether anything a reader's code would notice differs.
    fn differs(&self) -> bool {
        self.queries.0 != self.queries.1
            || !self.statements.is_empty()
            || self.result_changed
            || self.raised.0 != self.raised.1
            || self.printed_changed
    }
}

/// Runs of equal statements longer than this are shortened to their ends.
const CONTEXT: usize = 1;

/// The sides of a comparison that differ between the previous stack's capture and
/// the current one's, with their library's key (`django`) to read versions by.
pub fn changes(previous: &Capture, current: &Capture, libraries: &[&str]) -> Vec<SideChange> {
    let version = |capture: &Capture, library: &str| {
        capture.versions.get(library).cloned().unwrap_or_default()
    };
    previous
        .sections
        .iter()
        .zip(&current.sections)
        .enumerate()
        .filter_map(|(side, (before, now))| {
            let library = libraries.get(side).copied().unwrap_or("");
            let change = SideChange {
                side,
                versions: (version(previous, library), version(current, library)),
                queries: (before.query_count, now.query_count),
                statements: statement_diff(&before.statements, &now.statements),
                result_changed: before.result != now.result,
                raised: (error_kind(before), error_kind(now)),
                printed_changed: before.stdout != now.stdout,
            };
            change.differs().then_some(change)
        })
        .collect()
}

/// What a side did on another database (`there`) against what it did on this one
/// (`here`), as a change from `there` to `here` (`queries.0` is `there`'s count): the
/// count, the error, the result and what it printed. The SQL itself always differs
/// between databases (quoting, placeholders), so it is not compared; `None` when
/// nothing else differs.
pub fn outcome_change(here: &SectionCapture, there: &SectionCapture) -> Option<SideChange> {
    let change = SideChange {
        side: 0,
        versions: Default::default(),
        queries: (there.query_count, here.query_count),
        statements: Vec::new(),
        result_changed: there.result != here.result,
        raised: (error_kind(there), error_kind(here)),
        printed_changed: there.stdout != here.stdout,
    };
    change.differs().then_some(change)
}

/// What a side does differently on another database, in the marker's words ("4
/// queries, not 7", "raises IntegrityError"); empty when nothing differs
/// (`outcome_change`).
pub fn outcome_differences(here: &SectionCapture, there: &SectionCapture) -> Vec<String> {
    outcome_change(here, there).map_or_else(Vec::new, |c| c.headlines(Said::OnPrevious))
}

fn error_kind(section: &SectionCapture) -> Option<String> {
    section.error.as_ref().map(|e| e.kind.clone())
}

/// Characters of a statement's SQL, and of its parameters, a diff line shows: a
/// 200-row `INSERT` is the same change at any length.
const SQL_SHOWN: usize = 320;
const PARAMS_SHOWN: usize = 120;
/// Characters of an unchanged statement shown as context: enough to know it.
const CONTEXT_SHOWN: usize = 120;

/// A statement as one line: its SQL, then its parameters when it has any; whole,
/// or (`cut`) as a diff shows it.
fn statement_line(statement: &Statement, cut: bool) -> String {
    let params = &statement.params;
    let empty = params.is_null() || params.as_array().is_some_and(Vec::is_empty);
    let shorten = |text: &str, keep: usize| {
        if cut {
            shortened(text, keep)
        } else {
            text.to_string()
        }
    };
    let sql = shorten(&statement.sql, SQL_SHOWN);
    let params = shorten(&demo_engine::json_text(params), PARAMS_SHOWN);
    match (empty, statement.many) {
        (true, _) => sql,
        (false, false) => format!("{sql}  ← {params}"),
        (false, true) => format!("{sql}  ← many {params}"),
    }
}

/// `text` cut after `keep` characters, with `…` where it was cut.
fn shortened(text: &str, keep: usize) -> String {
    match text.char_indices().nth(keep) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// The statements, previous to current, as diff lines; empty when they are equal.
/// Statements are compared whole and shown cut.
fn statement_diff(before: &[Statement], now: &[Statement]) -> Vec<Line> {
    let whole = |list: &[Statement]| -> Vec<String> {
        list.iter().map(|s| statement_line(s, false)).collect()
    };
    let (old_whole, new_whole) = (whole(before), whole(now));
    if old_whole == new_whole {
        return Vec::new();
    }
    let old: Vec<String> = before.iter().map(|s| statement_line(s, true)).collect();
    let new: Vec<String> = now.iter().map(|s| statement_line(s, true)).collect();
    let ops = capture_diff_slices(Algorithm::Myers, &old_whole, &new_whole);
    let last = ops.len().saturating_sub(1);
    let mut lines = Vec::new();
    for (index, op) in ops.iter().enumerate() {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => {
                let same = &old[old_range];
                // Keep a statement of context next to each change, not more.
                let head = if index == 0 { 0 } else { CONTEXT };
                let tail = if index == last { 0 } else { CONTEXT };
                let context = |text: &String| Line::Same(shortened(text, CONTEXT_SHOWN));
                if same.len() > head + tail + 1 {
                    lines.extend(same[..head].iter().map(context));
                    lines.push(Line::Skipped(same.len() - head - tail));
                    lines.extend(same[same.len() - tail..].iter().map(context));
                } else {
                    lines.extend(same.iter().map(context));
                }
            }
            DiffTag::Delete => lines.extend(old[old_range].iter().cloned().map(Line::Removed)),
            DiffTag::Insert => lines.extend(new[new_range].iter().cloned().map(Line::Added)),
            DiffTag::Replace => replaced(
                &before[old_range.clone()],
                &old[old_range],
                &now[new_range.clone()],
                &new[new_range],
                &mut lines,
            ),
        }
    }
    fold_repeats(lines)
}

/// Consecutive lines that change the same SQL the same way, with other parameters,
/// as the first and a count.
fn fold_repeats(lines: Vec<Line>) -> Vec<Line> {
    fn key(line: &Line) -> Option<(u8, String, String)> {
        let sql = |text: &str| {
            text.split_once("  ← ")
                .map_or(text, |(sql, _)| sql)
                .to_string()
        };
        let joined =
            |spans: &[Span]| sql(&spans.iter().map(|s| s.text.as_str()).collect::<String>());
        match line {
            Line::Removed(text) => Some((0, sql(text), String::new())),
            Line::Added(text) => Some((1, sql(text), String::new())),
            Line::Changed { before, after } => Some((2, joined(before), joined(after))),
            _ => None,
        }
    }
    let mut out: Vec<Line> = Vec::new();
    let mut run_key: Option<(u8, String, String)> = None;
    let mut again = 0;
    for line in lines {
        let this = key(&line);
        if this.is_some() && this == run_key {
            again += 1;
            continue;
        }
        if again > 0 {
            out.push(Line::Again(again));
            again = 0;
        }
        run_key = this;
        out.push(line);
    }
    if again > 0 {
        out.push(Line::Again(again));
    }
    out
}

/// A run of statements replaced by another: a statement that starts with the same
/// keyword as one it replaces, in order, is that statement in another form (shown
/// word by word); the others were dropped or added.
fn replaced(
    before: &[Statement],
    old: &[String],
    now: &[Statement],
    new: &[String],
    lines: &mut Vec<Line>,
) {
    let mut next_old = 0;
    for (statement, shown) in now.iter().zip(new) {
        let verb = statement.verb();
        match (next_old..before.len()).find(|&i| before[i].verb() == verb) {
            Some(at) => {
                lines.extend(old[next_old..at].iter().cloned().map(Line::Removed));
                lines.push(word_diff(&old[at], shown));
                next_old = at + 1;
            }
            None => lines.push(Line::Added(shown.clone())),
        }
    }
    lines.extend(old[next_old..].iter().cloned().map(Line::Removed));
}

/// Two forms of a statement, word by word. Forms that differ only past the cut
/// show the same words, and their cut marks as what differs.
fn word_diff(before: &str, after: &str) -> Line {
    if before == after {
        let (kept, mark) = before.rsplit_once('…').unwrap_or((before, ""));
        let spans = vec![
            Span {
                text: kept.to_string(),
                differs: false,
            },
            Span {
                text: format!("…{mark}"),
                differs: true,
            },
        ];
        return Line::Changed {
            before: spans.clone(),
            after: spans,
        };
    }
    // Cut at the same length, two forms of different lengths end on different
    // words: the cut words are left out of the comparison.
    let both_cut = before.ends_with('…') && after.ends_with('…');
    let trim = |text: &str| -> String {
        if both_cut {
            let text = text.trim_end_matches('…');
            text.rsplit_once(' ')
                .map_or(text, |(kept, _)| kept)
                .to_string()
                + " "
        } else {
            text.to_string()
        }
    };
    let (before, after) = (trim(before), trim(after));
    let line = word_diff_of(&before, &after);
    match line {
        Line::Changed {
            mut before,
            mut after,
        } if both_cut => {
            for spans in [&mut before, &mut after] {
                spans.push(Span {
                    text: "…".to_string(),
                    differs: false,
                });
            }
            Line::Changed { before, after }
        }
        other => other,
    }
}

/// Two statements' words, the ones that differ marked.
fn word_diff_of(before: &str, after: &str) -> Line {
    let (old_tokens, new_tokens) = (tokens(before), tokens(after));
    let mut old: Vec<Span> = Vec::new();
    let mut new: Vec<Span> = Vec::new();
    let push = |spans: &mut Vec<Span>, text: &str, differs: bool| {
        // Spaces between two changed words belong to the change; alone, to neither.
        let differs = differs && !text.trim().is_empty();
        match spans.last_mut() {
            Some(last) if last.differs == differs || text.trim().is_empty() => {
                last.text.push_str(text)
            }
            _ => spans.push(Span {
                text: text.to_string(),
                differs,
            }),
        }
    };
    for op in capture_diff_slices(Algorithm::Myers, &old_tokens, &new_tokens) {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        for token in &old_tokens[old_range] {
            push(&mut old, token, tag != DiffTag::Equal);
        }
        if tag == DiffTag::Equal {
            for token in &new_tokens[new_range] {
                push(&mut new, token, false);
            }
        } else {
            for token in &new_tokens[new_range] {
                push(&mut new, token, true);
            }
        }
    }
    Line::Changed {
        before: old,
        after: new,
    }
}

/// A statement's tokens for a word diff: names and numbers whole, every other
/// character alone, so `customers.id AS customers_id,` against `customers.id,`
/// differs by ` AS customers_id`, not by the words around the comma.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (at, c) in text.char_indices() {
        let word = c.is_alphanumeric() || c == '_';
        match (word, start) {
            (true, None) => start = Some(at),
            (true, Some(_)) => {}
            (false, begun) => {
                if let Some(from) = begun {
                    out.push(&text[from..at]);
                    start = None;
                }
                out.push(&text[at..at + c.len_utf8()]);
            }
        }
    }
    if let Some(from) = start {
        out.push(&text[from..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{Origin, SnippetError};
    use std::collections::BTreeMap;

    fn statement(sql: &str, params: serde_json::Value) -> Statement {
        Statement::bare(sql, params, Origin::Orm)
    }

    fn capture(version: &str, statements: Vec<Statement>) -> Capture {
        let query_count = statements.iter().filter(|s| s.is_query()).count();
        Capture {
            id: "x".into(),
            input_hash: String::new(),
            versions: BTreeMap::from([("django".to_string(), version.to_string())]),
            sections: vec![SectionCapture {
                kind: "django".into(),
                query_count,
                setup: Vec::new(),
                statements,
                result: None,
                stdout: String::new(),
                error: None,
            }],
            checksum: String::new(),
        }
    }

    fn selects(n: usize) -> Vec<Statement> {
        (0..n)
            .map(|i| statement(&format!("SELECT {i}"), serde_json::json!([])))
            .collect()
    }

    #[test]
    fn equal_captures_have_no_changes() {
        let a = capture("5.2", selects(3));
        let b = capture("6.1", selects(3));
        assert!(changes(&a, &b, &["django"]).is_empty());
    }

    #[test]
    fn a_dropped_query_is_counted_and_diffed_with_context() {
        let before = selects(8);
        let mut now = selects(8);
        now.remove(4);
        let found = changes(&capture("5.2", before), &capture("6.1", now), &["django"]);
        let [change] = found.as_slice() else {
            panic!("{found:?}")
        };
        assert_eq!(change.versions, ("5.2".to_string(), "6.1".to_string()));
        assert_eq!(change.queries, (8, 7));
        assert_eq!(change.headlines(Said::Upgrading), ["7 queries, was 8"]);
        assert_eq!(change.headlines(Said::OnPrevious), ["8 queries, not 7"]);
        assert_eq!(
            change.statements,
            [
                Line::Skipped(3),
                Line::Same("SELECT 3".into()),
                Line::Removed("SELECT 4".into()),
                Line::Same("SELECT 5".into()),
                Line::Skipped(2),
            ]
        );
    }

    #[test]
    fn a_statement_is_paired_with_the_one_of_its_kind_it_replaces() {
        let before = vec![
            statement("BEGIN", serde_json::json!([])),
            statement("INSERT INTO t VALUES (1), (2)", serde_json::json!([])),
            statement("COMMIT", serde_json::json!([])),
        ];
        let now = vec![statement("INSERT INTO t VALUES (1)", serde_json::json!([]))];
        let found = changes(&capture("a", before), &capture("b", now), &["django"]);
        let kinds: Vec<&str> = found[0]
            .statements
            .iter()
            .map(|line| match line {
                Line::Removed(sql) => sql.as_str(),
                Line::Changed { .. } => "changed",
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(kinds, ["BEGIN", "changed", "COMMIT"]);
    }

    #[test]
    fn a_changed_statement_marks_only_the_words_that_differ() {
        let line = word_diff_of(
            "SELECT customers.id AS customers_id, customers.name AS customers_name",
            "SELECT customers.id, customers.name",
        );
        let Line::Changed { before, after } = line else {
            panic!("{line:?}")
        };
        let marked = |spans: &[Span]| -> Vec<String> {
            spans
                .iter()
                .filter(|s| s.differs)
                .map(|s| s.text.clone())
                .collect()
        };
        assert_eq!(marked(&before), ["AS customers_id", "AS customers_name"]);
        assert!(marked(&after).is_empty());
        let text = |spans: &[Span]| spans.iter().map(|s| s.text.as_str()).collect::<String>();
        assert_eq!(
            text(&before),
            "SELECT customers.id AS customers_id, customers.name AS customers_name"
        );
        assert_eq!(text(&after), "SELECT customers.id, customers.name");
    }

    #[test]
    fn the_same_change_repeated_with_other_parameters_is_shown_once() {
        let loop_of = |sql: &str| -> Vec<Statement> {
            (1..=4)
                .map(|id| statement(sql, serde_json::json!([id])))
                .collect()
        };
        let before = loop_of("SELECT c.id AS c_id FROM c WHERE c.id = ?");
        let now = loop_of("SELECT c.id FROM c WHERE c.id = ?");
        let found = changes(&capture("a", before), &capture("b", now), &["django"]);
        let lines = &found[0].statements;
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(matches!(lines[0], Line::Changed { .. }));
        assert_eq!(lines[1], Line::Again(3));
    }

    #[test]
    fn parameters_are_part_of_the_statement() {
        let before = vec![statement("SELECT ?", serde_json::json!([1]))];
        let now = vec![statement("SELECT ?", serde_json::json!([2]))];
        let found = changes(&capture("a", before), &capture("b", now), &["django"]);
        assert_eq!(found[0].headlines(Said::Upgrading), ["other SQL"]);
        let span = |text: &str, differs| Span {
            text: text.into(),
            differs,
        };
        assert_eq!(
            found[0].statements,
            [Line::Changed {
                before: vec![
                    span("SELECT ?  ← [", false),
                    span("1", true),
                    span("]", false)
                ],
                after: vec![
                    span("SELECT ?  ← [", false),
                    span("2", true),
                    span("]", false)
                ],
            }]
        );
    }

    #[test]
    fn long_statements_are_compared_whole_and_shown_cut() {
        let long = |tail: &str| {
            let sql = format!("INSERT INTO t VALUES {}{tail}", "(?), ".repeat(500));
            vec![statement(&sql, serde_json::json!([]))]
        };
        let found = changes(
            &capture("a", long("(1)")),
            &capture("b", long("(2)")),
            &["django"],
        );
        let [Line::Changed { before, after }] = found[0].statements.as_slice() else {
            panic!("{:?}", found[0].statements)
        };
        assert_eq!(before, after);
        assert_eq!(before[0].text.chars().count(), SQL_SHOWN);
        assert_eq!(before[1].text, "…");
        assert!(before[1].differs);
    }

    #[test]
    fn results_errors_and_output_count_too() {
        let before = capture("a", selects(1));
        let mut now = capture("b", selects(1));
        now.sections[0].error = Some(SnippetError {
            kind: "FieldError".into(),
            message: "no".into(),
            line: Some(1),
            by_runner: false,
        });
        now.sections[0].stdout = "hi\n".into();
        let found = changes(&before, &now, &["django"]);
        assert_eq!(
            found[0].headlines(Said::Upgrading),
            ["now raises FieldError", "prints something else"]
        );
        assert_eq!(
            found[0].headlines(Said::OnPrevious),
            ["does not raise FieldError", "prints something else"]
        );
    }

    #[test]
    fn another_database_is_compared_by_what_the_code_did_not_by_its_sql() {
        let side = |sql: &str, queries: usize, error: Option<&str>| {
            let mut captured = capture("6.1", selects(queries)).sections.remove(0);
            for statement in &mut captured.statements {
                statement.sql = statement.sql.replace("SELECT", sql);
            }
            captured.error = error.map(|kind| SnippetError {
                kind: kind.into(),
                message: String::new(),
                line: None,
                by_runner: false,
            });
            captured
        };
        // Other SQL, same outcome: nothing to say.
        assert_eq!(
            outcome_change(&side("SELECT", 2, None), &side("select", 2, None)),
            None
        );
        assert!(outcome_differences(&side("SELECT", 2, None), &side("select", 2, None)).is_empty());

        let here = side("SELECT", 2, None);
        let there = side("SELECT", 1, Some("IntegrityError"));
        let change = outcome_change(&here, &there).unwrap();
        assert_eq!(change.queries, (1, 2));
        assert_eq!(
            outcome_differences(&here, &there),
            ["1 query, not 2", "raises IntegrityError"]
        );
        assert_eq!(
            change.queries_and_raised(Said::Beside),
            (Some("1 query".into()), Some("raises IntegrityError".into()))
        );
        let back = outcome_change(&there, &here).unwrap();
        assert_eq!(
            back.queries_and_raised(Said::Beside),
            (Some("2 queries".into()), Some("raises nothing".into()))
        );
        let other_error = outcome_change(&side("SELECT", 1, Some("DataError")), &there).unwrap();
        assert_eq!(
            other_error.queries_and_raised(Said::Beside),
            (None, Some("raises IntegrityError".into()))
        );
    }
}
