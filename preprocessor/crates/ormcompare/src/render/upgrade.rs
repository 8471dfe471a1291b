//! What changes between the stacks, on the page: the marker on a panel's side and
//! the generated "What changes when you upgrade" page. Both draw the same diff.

use super::{esc, island, ui};
use crate::upgrade::{Line, Said, SideChange, Span};
use std::fmt::Write;

/// The marker under a side's header: one line saying what the previous release did
/// differently. Its statement diff (`render_change`) is in the chapter's data file,
/// put in place when a reader opens the marker; the link to the upgrade page
/// (`upgrade_href`, to the comparison's entry) serves readers without JavaScript.
pub fn render_marker(
    out: &mut String,
    library: &str,
    change: &SideChange,
    upgrade_href: Option<&str>,
) {
    let (before, _) = &change.versions;
    let _ = write!(
        out,
        "<details class=\"ormc-upgrade\"><summary><span class=\"ormc-upgrade-on\">{} {}:</span> {}</summary>",
        esc(library),
        esc(before),
        esc(&change.headlines(Said::OnPrevious).join(" · "))
    );
    if let Some(href) = upgrade_href {
        let _ = write!(
            out,
            "<p class=\"ormc-upgrade-more\"><a href=\"{}\">Every change of this comparison on the upgrade page</a></p>",
            esc(href)
        );
    }
    out.push_str("</details>");
}

/// The diff of one side, and the words for what the diff cannot show.
pub fn render_change(out: &mut String, change: &SideChange) {
    if change.statements.is_empty() {
        out.push_str(&ui(
            "p",
            "ormc-diff-none",
            "The same statements; only what the code got back differs.",
        ));
    } else {
        render_diff(out, &change.statements, &change.versions);
    }
}

/// The statements, previous release to current: removed ones struck out, added
/// ones marked, runs of equal ones left out with their count.
fn render_diff(out: &mut String, lines: &[Line], (before, now): &(String, String)) {
    let _ = write!(
        out,
        "<ol class=\"ormc-diff\" aria-label=\"Statements, {} to {}\">",
        esc(before),
        esc(now)
    );
    for line in lines {
        match line {
            Line::Same(sql) => {
                let _ = write!(out, "<li class=\"ormc-diff-same\">{}</li>", esc(sql));
            }
            Line::Again(count) => {
                let words = if *count == 1 {
                    "and once more, with other parameters".to_string()
                } else {
                    format!("and {count} more times, with other parameters")
                };
                let _ = write!(
                    out,
                    "<li class=\"ormc-diff-skip\">{}</li>",
                    ui("span", "", &words)
                );
            }
            Line::Skipped(count) => {
                let words = if *count == 1 {
                    "1 statement the same".to_string()
                } else {
                    format!("{count} statements the same")
                };
                let _ = write!(
                    out,
                    "<li class=\"ormc-diff-skip\">{}</li>",
                    ui("span", "", &words)
                );
            }
            Line::Removed(sql) => {
                let _ = write!(
                    out,
                    "<li class=\"ormc-diff-del\"><del>{}</del></li>",
                    esc(sql)
                );
            }
            Line::Added(sql) => {
                let _ = write!(
                    out,
                    "<li class=\"ormc-diff-ins\"><ins>{}</ins></li>",
                    esc(sql)
                );
            }
            Line::Changed {
                before: old,
                after: new,
            } => {
                out.push_str("<li class=\"ormc-diff-del ormc-diff-part\">");
                spans(out, old, "del");
                out.push_str("</li><li class=\"ormc-diff-ins ormc-diff-part\">");
                spans(out, new, "ins");
                out.push_str("</li>");
            }
        }
    }
    out.push_str("</ol>");
}

/// A changed statement's words, the ones that differ inside `<del>` or `<ins>`.
fn spans(out: &mut String, spans: &[Span], tag: &str) {
    for span in spans {
        if span.differs {
            let _ = write!(out, "<{tag}>{}</{tag}>", esc(&span.text));
        } else {
            out.push_str(&esc(&span.text));
        }
    }
}

/// One comparison on the generated page.
pub struct ChangedCompare<'a> {
    pub id: &'a str,
    /// The heading the panel stands under in its chapter.
    pub heading: String,
    /// Relative link from the generated page to the panel.
    pub href: String,
    /// Each changed side with its library's name.
    pub sides: Vec<(&'a str, SideChange)>,
}

/// The comparisons of one chapter that changed.
pub struct ChangedChapter<'a> {
    pub title: &'a str,
    pub compares: Vec<ChangedCompare<'a>>,
}

/// The generated page's body, as Markdown: a heading per chapter (so they reach the
/// page's table of contents) and a raw HTML block per comparison.
/// `total`: how many comparisons the book has.
pub fn render_upgrade_page(
    chapters: &[ChangedChapter<'_>],
    stacks: (&str, &str),
    total: usize,
) -> String {
    let compares: usize = chapters.iter().map(|c| c.compares.len()).sum();
    let mut out = String::new();
    if compares == 0 {
        let _ = write!(
            out,
            "<p class=\"ormc-upgrade-summary\">Every comparison sends the same SQL and gets the same results with the {} as with the {}.</p>\n\n",
            esc(stacks.1),
            esc(stacks.0)
        );
        return out;
    }
    let _ = write!(
        out,
        "<p class=\"ormc-upgrade-summary\"><strong>{compares} of the book's {total} comparisons</strong> differ here, in {} {}.</p>\n\n",
        chapters.len(),
        if chapters.len() == 1 { "chapter" } else { "chapters" }
    );
    for chapter in chapters {
        // A Markdown heading; its text is the chapter's title as its `# ` line has it.
        let _ = write!(out, "## {}\n\n", chapter.title);
        // The entries repeat the panels' statements, which the search index reads
        // there: here they are carried (`crate::islands`), one island a chapter.
        let mut items = String::new();
        for compare in &chapter.compares {
            let _ = write!(
                items,
                "<div class=\"ormc-upgrade-item\" id=\"{}\"><h3><a href=\"{}\">{}</a> <code class=\"ormc-upgrade-id\">{}</code></h3>",
                esc(&format!("up-{}", compare.id)),
                esc(&compare.href),
                esc(&compare.heading),
                esc(compare.id)
            );
            for (library, change) in &compare.sides {
                let (before, now) = &change.versions;
                let _ = write!(
                    items,
                    "<section class=\"ormc-upgrade-side\"><p><strong>{} {} → {}:</strong> {}</p>",
                    esc(library),
                    esc(before),
                    esc(now),
                    esc(&change.headlines(Said::Upgrading).join(" · "))
                );
                render_change(&mut items, change);
                items.push_str("</section>");
            }
            items.push_str("</div>");
        }
        out.push_str("<div class=\"ormc-upgrade-chapter\">");
        island(&mut out, &items);
        out.push_str("</div>\n\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change() -> SideChange {
        SideChange {
            side: 0,
            versions: ("5.2.19".into(), "6.1.3".into()),
            queries: (3, 2),
            statements: vec![
                Line::Skipped(4),
                Line::Removed("SELECT <1>".into()),
                Line::Added("SELECT 2".into()),
            ],
            result_changed: false,
            raised: (None, None),
            printed_changed: false,
        }
    }

    #[test]
    fn the_marker_says_what_changed_and_links_to_the_diff() {
        let mut out = String::new();
        render_marker(&mut out, "Django", &change(), Some("upgrading.html#up-x"));
        assert!(out.starts_with("<details class=\"ormc-upgrade\"><summary>"));
        assert!(out.contains("Django 5.2.19:</span> 3 queries, not 2</summary>"));
        assert!(out.contains("<a href=\"upgrading.html#up-x\">"));
        assert!(!out.contains("<del"), "the diff comes from the data file");
        assert!(!out.contains('\n'));
    }

    #[test]
    fn a_diff_marks_removed_and_added_statements() {
        let mut out = String::new();
        render_change(&mut out, &change());
        assert!(out.contains("<li class=\"ormc-diff-del\"><del>SELECT &lt;1&gt;</del>"));
        assert!(out.contains("<li class=\"ormc-diff-ins\"><ins>SELECT 2</ins>"));
        assert!(out.contains("<span>4 statements the same</span>"));
        assert!(!out.contains('\n'));
    }

    #[test]
    fn the_page_has_a_heading_per_chapter_and_links_to_panels() {
        let chapters = [ChangedChapter {
            title: "Bulk `loading`",
            compares: vec![ChangedCompare {
                id: "bulk-x",
                heading: "Batches".into(),
                href: "bulk.html#cmp-bulk-x".into(),
                sides: vec![("Django", change())],
            }],
        }];
        let written = render_upgrade_page(&chapters, ("previous", "current"), 30);
        // Each chapter's entries are one raw HTML block: no blank line inside it.
        for block in written.split("\n\n").filter(|b| b.starts_with('<')) {
            assert!(block.split('\n').all(|l| !l.trim().is_empty()), "{block}");
        }
        // Read as the page will, once its island is made into elements.
        let page = crate::islands::load(&written);
        assert!(page.starts_with(
            "<p class=\"ormc-upgrade-summary\"><strong>1 of the book's 30 comparisons</strong> \
             differ here, in 1 chapter.</p>\n\n## Bulk `loading`\n\n\
             <div class=\"ormc-upgrade-chapter\"><div class=\"ormc-upgrade-item\" id=\"up-bulk-x\">"
        ));
        assert!(page.contains("<a href=\"bulk.html#cmp-bulk-x\">Batches</a>"));
        assert!(page.contains("Django 5.2.19 → 6.1.3:</strong> 2 queries, was 3"));
    }

    #[test]
    fn no_change_at_all_is_said() {
        let page = render_upgrade_page(&[], ("previous releases", "current releases"), 30);
        assert!(page
            .contains("the same results with the current releases as with the previous releases"));
    }
}
