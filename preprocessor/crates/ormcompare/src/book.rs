//! The book's chapters and the snippets found in them.

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::scan::fenced_blocks;
use crate::syntax::{parse_block, Compare, Snippet};
use rayon::prelude::*;
use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;

/// A chapter's Markdown and the path errors should name (relative to the book root).
pub struct ChapterText {
    pub path: PathBuf,
    pub content: String,
}

/// A snippet found in a chapter.
pub struct Found {
    /// Index of its chapter.
    pub chapter: usize,
    /// Bytes of the whole block in the chapter.
    pub range: Range<usize>,
    /// Line of the opening fence.
    pub line: usize,
    pub snippet: Snippet,
}

/// Parses every chapter; ids must be unique across the whole book.
pub fn find_snippets(chapters: &[ChapterText]) -> Result<Vec<Found>, Diagnostics> {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, (PathBuf, usize)> = HashMap::new();
    // Each chapter is read on its own (in parallel); ids are then checked in order.
    let parsed: Vec<_> = chapters
        .par_iter()
        .map(|chapter| {
            fenced_blocks(&chapter.content)
                .into_iter()
                .map(|block| (parse_block(&chapter.path, &block), block))
                .collect::<Vec<_>>()
        })
        .collect();
    for (index, (chapter, blocks)) in chapters.iter().zip(parsed).enumerate() {
        for (parsed, block) in blocks {
            match parsed {
                Ok(None) => {}
                Err(e) => errors.push(e),
                Ok(Some(snippet)) => {
                    if let Some(id) = snippet_id(&snippet) {
                        if let Some((first_path, first_line)) = seen.get(id) {
                            errors.push(Diagnostic::new(
                                &chapter.path,
                                block.line,
                                format!(
                                    "duplicate id `{id}`: {}:{first_line} uses it already; ids \
                                     name capture files and page anchors, give this block another",
                                    first_path.display()
                                ),
                            ));
                            continue;
                        }
                        seen.insert(id.to_string(), (chapter.path.clone(), block.line));
                    }
                    found.push(Found {
                        chapter: index,
                        range: block.range.clone(),
                        line: block.line,
                        snippet,
                    });
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(found)
    } else {
        Err(Diagnostics(errors))
    }
}

fn snippet_id(snippet: &Snippet) -> Option<&str> {
    match snippet {
        Snippet::Compare(c) => Some(&c.id),
        Snippet::SqlRun(s) => s.id.as_deref(),
        _ => None,
    }
}

/// The comparison blocks among the snippets, with their chapter's index.
pub fn compares(found: &[Found]) -> impl Iterator<Item = (usize, &Compare)> {
    found.iter().filter_map(|f| match &f.snippet {
        Snippet::Compare(c) => Some((f.chapter, c)),
        _ => None,
    })
}

/// A chapter's headings (headings inside code blocks do not count), read in one
/// pass, for naming snippets by where they stand: the upgrade page names each of
/// its comparisons so, and parsing the chapter up to each one was quadratic.
pub struct Headings(Vec<(usize, String)>);

impl Headings {
    pub fn of(markdown: &str) -> Headings {
        use pulldown_cmark::{Event, Parser, Tag, TagEnd};
        let mut found = Vec::new();
        let mut current: Option<String> = None;
        for (event, range) in Parser::new(markdown).into_offset_iter() {
            match event {
                Event::Start(Tag::Heading { .. }) => current = Some(String::new()),
                Event::End(TagEnd::Heading(_)) => {
                    if let Some(text) = current.take() {
                        found.push((range.end, text));
                    }
                }
                Event::Text(text) | Event::Code(text) => {
                    if let Some(heading) = current.as_mut() {
                        heading.push_str(&text);
                    }
                }
                _ => {}
            }
        }
        Headings(found)
    }

    /// The text of the last heading that ends before byte `at`.
    pub fn before(&self, at: usize) -> Option<&str> {
        let ended = self.0.partition_point(|(end, _)| *end <= at);
        self.0[..ended]
            .last()
            .map(|(_, text)| text.as_str())
            .filter(|text| !text.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapter(path: &str, content: &str) -> ChapterText {
        ChapterText {
            path: path.into(),
            content: content.into(),
        }
    }

    #[test]
    fn ids_are_unique_across_chapters() {
        let a = chapter("src/a.md", "```compare id=x\n--- django\n1\n```\n");
        let b = chapter("src/b.md", "text\n\n```sql run id=x\nSELECT 1;\n```\n");
        let error = find_snippets(&[a, b]).err().unwrap().to_string();
        assert!(
            error.starts_with("src/b.md:3: duplicate id `x`: src/a.md:1 uses it already"),
            "{error}"
        );
    }

    #[test]
    fn finds_snippets_with_their_chapter_and_line() {
        let a = chapter("src/a.md", "# A\n\n```compare id=x\n--- django\n1\n```\n");
        let b = chapter(
            "src/b.md",
            "```python\nx\n```\n\n```sql run\nSELECT 1;\n```\n",
        );
        let found = find_snippets(&[a, b]).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].chapter, found[0].line), (0, 3));
        assert_eq!((found[1].chapter, found[1].line), (1, 5));
        assert_eq!(compares(&found).count(), 1);
    }

    #[test]
    fn a_snippet_is_named_by_the_heading_above_it() {
        let text = "# Title\n\n## First `part`\n\n```python\n# not a heading\n```\n\nHere.\n";
        let at = text.find("Here").unwrap();
        let headings = Headings::of(text);
        assert_eq!(headings.before(at), Some("First part"));
        assert_eq!(
            headings.before(text.find("## First").unwrap()),
            Some("Title")
        );
        assert_eq!(headings.before(0), None);
    }
}
