//! A side's statements, grouped for reading (`grouping`): repeated statements as one
//! entry marked ×N with their parameter sets, bookkeeping in a closed group, the
//! connection set-up in another. Each entry carries the statements it stands for
//! (`data-step`, `data-steps`), which the page's Run and Edit act on.

use super::sql::{render_params, render_refused, render_sql};
use super::{esc, ui};
use crate::capture::{Origin, Statement};
use crate::grouping::{self, Entry, BOOKKEEPING};
use demo_engine::html::{plural, render_table, row_count, Shown};
use demo_engine::plan::Replayed;
use demo_engine::Outcome;
use std::fmt::Write;

/// A side's statements and what each gave: the build's replay on SQLite, or, on a
/// database the build does not run, the capture's own rows (`rows_inline`).
pub(crate) struct Statements<'a> {
    pub setup: &'a [Statement],
    pub statements: &'a [Statement],
    pub replayed: &'a [Replayed],
    /// The driver that sent the statements no library asked for.
    pub driver: &'a str,
    /// Rows go in the page as captured, instead of being fetched by a replay in the
    /// page; rows changed are not known then.
    pub rows_inline: Option<Shown>,
}

impl Statements<'_> {
    /// The list. Closed groups are filled by theme/ormcompare.js from the side's plan
    /// (the exact SQL and parameters of each statement) and its notes (`notes`).
    pub(crate) fn render(&self, out: &mut String) {
        let _ = write!(
            out,
            "{}<ol class=\"ormc-stmts\">",
            ui(
                "div",
                "ormc-label ormc-sql-head",
                &format!("SQL sent · {}", statement_count(self.statements.len()))
            )
        );
        if !self.setup.is_empty() {
            let _ = write!(
                out,
                "<li class=\"ormc-group ormc-setup\" data-setup=\"{}\"><details>{}</details></li>",
                self.setup.len(),
                ui(
                    "summary",
                    "",
                    &format!(
                        "Connection set-up · {}, before the code ran",
                        statement_count(self.setup.len())
                    )
                )
            );
        }
        for entry in grouping::entries(self.statements) {
            self.render_entry(out, &entry);
        }
        out.push_str("</ol>");
    }

    /// What each statement gave, in the words the page shows beside it when it lists
    /// a closed group: the set-up's, then the statements'.
    pub(crate) fn notes(&self) -> (Vec<String>, Vec<String>) {
        let setup = self.setup.iter().map(setup_note).collect();
        let steps = self
            .statements
            .iter()
            .zip(self.replayed)
            .map(|(statement, replayed)| match replayed {
                // Rows changed are only known where the build replayed the statement.
                Replayed::Ran(Outcome::Changed(_)) if self.rows_inline.is_some() => String::new(),
                _ => note(statement, replayed),
            })
            .collect();
        (setup, steps)
    }

    fn render_entry(&self, out: &mut String, entry: &Entry) {
        match entry {
            Entry::Statements { first, count: 1 } => self.render_one(out, *first),
            Entry::Statements { first, count } => self.render_repeated(out, *first, *count),
            Entry::Bookkeeping { first, count, .. } => {
                let _ = write!(
                    out,
                    "<li class=\"ormc-group ormc-bookkeeping\" data-step=\"{first}\" \
                     data-steps=\"{count}\"><details>{}</details></li>",
                    ui(
                        "summary",
                        "",
                        &format!(
                            "{BOOKKEEPING} · {} ({})",
                            statement_count(*count),
                            numbers(*first, *count)
                        )
                    )
                );
            }
        }
    }

    fn open(&self, out: &mut String, first: usize, count: usize, class: &str) {
        let _ = write!(
            out,
            "<li class=\"ormc-stmt{class}\" data-step=\"{first}\" data-steps=\"{count}\">{}",
            ui("span", "ormc-n", &numbers(first, count))
        );
    }

    fn render_one(&self, out: &mut String, index: usize) {
        let statement = &self.statements[index];
        if statement.origin == Origin::Driver {
            let _ = write!(
                out,
                "<li class=\"ormc-stmt ormc-driver\" data-step=\"{index}\">{}\
                 <code class=\"language-sql\">{}</code> {}</li>",
                ui("span", "ormc-n", &(index + 1).to_string()),
                esc(statement.sql.trim()),
                ui(
                    "span",
                    "ormc-note",
                    &format!("sent by {} itself", self.driver)
                )
            );
            return;
        }
        self.open(out, index, 1, "");
        render_sql(out, &statement.sql, statement.layout());
        render_params(out, &statement.params, statement.many, &statement.sql);
        self.render_outcome(out, index);
        out.push_str("</li>");
    }

    fn render_repeated(&self, out: &mut String, first: usize, count: usize) {
        let statement = &self.statements[first];
        self.open(out, first, count, " ormc-repeat");
        let _ = write!(
            out,
            "<div class=\"ormc-times\"><strong>×{count}</strong> {}</div>",
            ui(
                "span",
                "",
                &format!(
                    "the same statement, sent {count} times{}",
                    if statement.origin == Origin::Driver {
                        " by Python's sqlite3 module"
                    } else {
                        ""
                    }
                )
            )
        );
        render_sql(out, &statement.sql, statement.layout());
        out.push_str("<ol class=\"ormc-runs\">");
        for index in first..first + count {
            let run = &self.statements[index];
            let _ = write!(
                out,
                "<li data-step=\"{index}\">{}",
                ui("span", "ormc-n", &(index + 1).to_string())
            );
            match run.params.as_array() {
                Some(list) if list.is_empty() => {
                    out.push_str(&ui("span", "ormc-note", "no parameters"))
                }
                _ => {
                    let _ = write!(
                        out,
                        "<code class=\"ormc-param-values\">{}</code>",
                        esc(&demo_engine::json_text(&run.params))
                    );
                }
            }
            out.push(' ');
            self.render_outcome(out, index);
            out.push_str("</li>");
        }
        out.push_str("</ol></li>");
    }

    /// What the statement gave at build time. Its rows are one click away: the page
    /// runs the statement on the side's plan to show them (the same replay the build
    /// checked them with).
    fn render_outcome(&self, out: &mut String, index: usize) {
        match (&self.replayed[index], self.rows_inline) {
            (Replayed::Ran(Outcome::Rows(table)), Some(shown)) => {
                let _ = write!(
                    out,
                    "<details class=\"ormc-rows-inline\">{}",
                    ui(
                        "summary",
                        "",
                        &format!("Returned {}", row_count(table.total_rows))
                    )
                );
                render_table(out, table, shown);
                out.push_str("</details>");
            }
            (Replayed::Ran(Outcome::Changed(_)), Some(_)) => {}
            (replayed, _) => self.render_replayed(out, index, replayed),
        }
    }

    fn render_replayed(&self, out: &mut String, index: usize, replayed: &Replayed) {
        match replayed {
            Replayed::Ran(Outcome::Rows(table)) => {
                let _ = write!(
                    out,
                    "<details class=\"ormc-rows\" data-step=\"{index}\">{}</details>",
                    ui(
                        "summary",
                        "",
                        &format!("Returned {}", row_count(table.total_rows))
                    )
                );
            }
            Replayed::Ran(Outcome::Changed(n)) if self.statements[index].changes_rows() => {
                out.push_str(&ui(
                    "span",
                    "ormc-changed",
                    &format!("{} changed", row_count(*n)),
                ));
            }
            Replayed::Ran(Outcome::Changed(_)) => {}
            Replayed::Refused(message) => render_refused(out, message),
        }
    }
}

/// What a statement gave, in the words the page shows (empty: nothing to say).
fn note(statement: &Statement, replayed: &Replayed) -> String {
    match replayed {
        Replayed::Ran(Outcome::Rows(table)) => format!("Returned {}", row_count(table.total_rows)),
        Replayed::Ran(Outcome::Changed(n)) if statement.changes_rows() => {
            format!("{} changed", row_count(*n))
        }
        Replayed::Ran(Outcome::Changed(_)) => String::new(),
        Replayed::Refused(message) => format!("Refused by the database: {message}"),
    }
}

fn setup_note(statement: &Statement) -> String {
    statement
        .total_rows
        .map(|n| format!("The library got {}", row_count(n)))
        .unwrap_or_default()
}

/// "3 statements".
fn statement_count(n: usize) -> String {
    format!("{n} {}", plural(n, "statement", "statements"))
}

/// Statement numbers as readers count them: "4", "2–6".
fn numbers(first: usize, count: usize) -> String {
    if count == 1 {
        (first + 1).to_string()
    } else {
        format!("{}–{}", first + 1, first + count)
    }
}
