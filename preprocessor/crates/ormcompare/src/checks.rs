//! Assertions: what a snippet promises about its capture. A broken promise
//! stops the build, so prose that cites a number cannot drift from the ORMs.

use crate::capture::{Capture, SectionCapture};
use crate::replay::short;
use crate::syntax::{Compare, Expect, Section, SqlRun};
use demo_engine::Outcome;

/// A promise that held, phrased for the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passed(pub String);

/// The promises that held: each section's, in block order, and the block's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checks {
    pub sections: Vec<Vec<Passed>>,
    pub block: Vec<Passed>,
}

/// A promise that did not hold: the line to point at and what to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub line: usize,
    pub message: String,
}

/// The block's promises, as they hold on `database` (`queries@postgresql=2`
/// overrides `queries=3` there), against its capture on that database.
pub fn check(compare: &Compare, capture: &Capture, database: &str) -> Result<Checks, Vec<Failed>> {
    let mut checks = Checks::default();
    let mut failed = Vec::new();
    for (section, captured) in compare.sections.iter().zip(&capture.sections) {
        match check_section(section, &section.expect.on_database(database), captured) {
            Ok(p) => checks.sections.push(p),
            Err(f) => failed.push(f),
        }
    }
    if compare.same_rows {
        match check_same_rows(compare, capture) {
            Ok(p) => checks.block.push(p),
            Err(f) => failed.push(f),
        }
    }
    if failed.is_empty() {
        Ok(checks)
    } else {
        Err(failed)
    }
}

fn check_section(
    section: &Section,
    expect: &Expect,
    captured: &SectionCapture,
) -> Result<Vec<Passed>, Failed> {
    let key = section.kind.key();
    let fail = |message: String| Failed {
        line: section.line,
        message,
    };
    let mut passed = Vec::new();
    match (&captured.error, &expect.raises) {
        (None, None) => {}
        (Some(error), None) => {
            return Err(Failed {
                line: error.line.map_or(section.line, |l| section.line + l),
                message: format!(
                    "the `{key}` section raised {}: {}; fix the code, or add `raises={}` to its \
                     `---` line if the error is the point",
                    error.kind, error.message, error.kind
                ),
            })
        }
        (None, Some(expected)) => {
            return Err(fail(format!(
                "the `{key}` section should raise {expected} but finished without error; \
                 fix the code or drop `raises={expected}`"
            )))
        }
        (Some(error), Some(expected)) if &error.kind != expected => {
            return Err(fail(format!(
                "the `{key}` section should raise {expected} but raised {}: {}",
                error.kind, error.message
            )))
        }
        (Some(error), Some(_)) => passed.push(Passed(format!("raises {}", error.kind))),
    }
    if let Some(expected) = expect.queries {
        let actual = captured.query_count;
        if actual != expected {
            return Err(fail(format!(
                "the `{key}` section sent {actual} {} but the block says `queries={expected}`; \
                 update the number (and the prose that cites it) or the code",
                plural(actual, "query", "queries")
            )));
        }
        passed.push(Passed(format!(
            "{actual} {}",
            plural(actual, "query", "queries")
        )));
    }
    if let Some(expected) = expect.rows {
        let actual = captured.result.as_ref().map(|t| t.total_rows);
        if actual != Some(expected) {
            let found = actual.map_or("no result".to_string(), |n| {
                format!("{n} {}", plural(n, "row", "rows"))
            });
            return Err(fail(format!(
                "the `{key}` section's result has {found} but the block says `rows={expected}`"
            )));
        }
        passed.push(Passed(format!(
            "{expected} {}",
            plural(expected, "row", "rows")
        )));
    }
    Ok(passed)
}

/// A `sql run` block's `rows=N`: the number of rows its last statement returned.
pub fn check_sql_run(block: &SqlRun, steps: &[(String, Outcome)]) -> Result<(), String> {
    let Some(expected) = block.rows else {
        return Ok(());
    };
    let actual = steps.last().and_then(|(_, outcome)| match outcome {
        Outcome::Rows(t) => Some(t.total_rows),
        Outcome::Changed(_) => None,
    });
    if actual == Some(expected) {
        return Ok(());
    }
    let last = steps.last().map(|(sql, _)| short(sql)).unwrap_or_default();
    Err(format!(
        "`rows={expected}` but the last statement (`{last}`) returned {}",
        actual.map_or("no rows".into(), |n| format!(
            "{n} {}",
            plural(n, "row", "rows")
        ))
    ))
}

fn check_same_rows(compare: &Compare, capture: &Capture) -> Result<Passed, Failed> {
    let (Some(first), Some(first_section)) = (capture.sections.first(), compare.sections.first())
    else {
        return Err(Failed {
            line: compare.line,
            message: "`same-rows` compares sections, but the capture holds none; re-capture it \
                      with `scripts/capture`"
                .into(),
        });
    };
    let first_kind = first_section.kind;
    let Some(expected) = &first.result else {
        return Err(Failed {
            line: compare.line,
            message: format!(
                "`same-rows` needs every section to end with a result, and `{}` has none",
                first_kind.key()
            ),
        });
    };
    for (section, captured) in compare.sections.iter().zip(&capture.sections).skip(1) {
        let matches = captured
            .result
            .as_ref()
            .is_some_and(|table| table.same_rows(expected));
        if !matches {
            return Err(Failed {
                line: section.line,
                message: format!(
                    "`same-rows`: the `{}` section's result differs from the `{}` section's; \
                     compare the two result tables, or drop `same-rows` if they are meant to \
                     differ",
                    section.kind.key(),
                    first_kind.key()
                ),
            });
        }
    }
    Ok(Passed("same rows on every side".into()))
}

pub use demo_engine::html::plural;
