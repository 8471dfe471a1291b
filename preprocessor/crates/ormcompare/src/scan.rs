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
    /// False when no closing fence ends it: it then runs to the end of the chapter.
    pub closed: bool,
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
                    closed: true,
                });
            }
            Event::Text(text) => {
                if let Some(block) = current.as_mut() {
                    block.body.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(mut block) = current.take() {
                    block.closed = ends_with_fence(&markdown[block.range.clone()]);
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

/// Whether a block's source ends with a closing fence (three or more backticks or
/// tildes, the same as its opening's character, alone on the last line).
fn ends_with_fence(source: &str) -> bool {
    let opening = source.trim_start();
    let Some(fence) = opening.chars().next().filter(|c| *c == '`' || *c == '~') else {
        return false;
    };
    let width = opening.chars().take_while(|c| *c == fence).count();
    let Some(last) = source.trim_end_matches(['\n', '\r']).lines().last() else {
        return false;
    };
    let last = last.trim();
    source.lines().count() > 1 && last.len() >= width && last.chars().all(|c| c == fence)
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
        assert!(blocks.iter().all(|b| b.closed));
    }

    #[test]
    fn a_block_without_its_closing_fence_is_marked() {
        let md = "```python
x = 1

Text.

```compare id=a
--- django
1
```
";
        let blocks = fenced_blocks(md);
        // The python block is closed by the compare block's opening fence? No: a
        // fence with an info string cannot close a block, so it runs on, and the
        // compare block's closing fence closes it.
        assert_eq!(blocks.len(), 1);
        assert!(blocks[0].body.contains("```compare id=a"));
        let unclosed = fenced_blocks(
            "# T

```compare id=a
--- django
1
",
        );
        assert!(!unclosed[0].closed);
        let tildes = fenced_blocks(
            "~~~~sql run
SELECT 1;
~~~~
",
        );
        assert!(tildes[0].closed);
    }
}
