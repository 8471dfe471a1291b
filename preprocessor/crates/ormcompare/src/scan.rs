//! Finds fenced code blocks in a chapter, with their byte range and line.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use std::ops::Range;

/// A fenced block as written in the chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FencedBlock {
    pub info: String,
    pub body: String,
    /// Bytes of the whole block, fences included, in the chapter source.
    pub range: Range<usize>,
    /// 1-based line of the opening fence.
    pub line: usize,
    /// True when the block sits inside a list item or a block quote.
    pub nested: bool,
}

impl FencedBlock {
    /// 1-based line in the chapter of the body's line `index` (0-based).
    pub fn body_line(&self, index: usize) -> usize {
        self.line + 1 + index
    }
}

pub fn fenced_blocks(markdown: &str) -> Vec<FencedBlock> {
    let mut blocks = Vec::new();
    let mut depth = 0usize;
    let mut current: Option<FencedBlock> = None;
    for (event, range) in Parser::new_ext(markdown, Options::all()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                current = Some(FencedBlock {
                    info: info.to_string(),
                    body: String::new(),
                    line: line_of(markdown, range.start),
                    range,
                    nested: depth > 0,
                });
            }
            Event::Text(text) => {
                if let Some(block) = current.as_mut() {
                    block.body.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(block) = current.take() {
                    blocks.push(block);
                }
            }
            Event::Start(Tag::Item | Tag::BlockQuote(_) | Tag::FootnoteDefinition(_)) => depth += 1,
            Event::End(TagEnd::Item | TagEnd::BlockQuote(_) | TagEnd::FootnoteDefinition) => {
                depth = depth.saturating_sub(1)
            }
            _ => {}
        }
    }
    blocks
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].bytes().filter(|&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_blocks_with_lines_and_ranges() {
        let md = "# Title\n\nText.\n\n```compare id=a\n--- django\nx\n```\n\n- item\n\n  ```sql run\n  SELECT 1\n  ```\n";
        let blocks = fenced_blocks(md);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].info, "compare id=a");
        assert_eq!(blocks[0].line, 5);
        assert_eq!(blocks[0].body, "--- django\nx\n");
        assert_eq!(
            &md[blocks[0].range.clone()],
            "```compare id=a\n--- django\nx\n```"
        );
        assert!(!blocks[0].nested);
        assert!(blocks[1].nested);
        assert_eq!(blocks[1].body_line(0), 13);
    }
}
