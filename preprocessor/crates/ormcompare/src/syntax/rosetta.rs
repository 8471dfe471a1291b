//! The body of a `rosetta` block: the appendix table, written as group headings
//! and one line per operation, each naming the comparison it is taken from.
//!
//! ````text
//! ```rosetta
//! ## Filtering
//! filter-iexact      Equal, ignoring case
//! filter-slicing     One page of results
//! ```
//! ````
//!
//! A row is the id of a `compare` block anywhere in the book, then the
//! operation's title. Which code the row shows is not written here: it is the
//! comparison's own sections, so the table cannot drift from them.

use super::parse_id;
use crate::diagnostic::Diagnostic;
use crate::scan::FencedBlock;
use std::collections::HashMap;
use std::path::Path;

/// A `## Heading` of the table and the operations under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosettaGroup {
    pub title: String,
    pub line: usize,
    pub rows: Vec<RosettaRow>,
}

/// One operation: the comparison it shows, and its title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosettaRow {
    pub id: String,
    pub title: String,
    pub line: usize,
}

const ROW_EXAMPLE: &str = "`filter-iexact  Equal, ignoring case`";

pub(super) fn parse_rosetta(
    path: &Path,
    block: &FencedBlock,
) -> Result<Vec<RosettaGroup>, Diagnostic> {
    let mut groups: Vec<RosettaGroup> = Vec::new();
    // Where each id and each title first appeared, to refuse a repeated row.
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut titles: HashMap<String, usize> = HashMap::new();
    for (index, text) in block.body.lines().enumerate() {
        let line = block.body_line(index);
        let at = |message: String| Diagnostic::new(path, line, message);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if let Some(heading) = text.strip_prefix('#') {
            let title = heading
                .strip_prefix("# ")
                .map(str::trim)
                .filter(|t| !t.is_empty() && !t.starts_with('#'))
                .ok_or_else(|| {
                    at(format!(
                        "`{text}`: a group heading is `## ` then its title, like `## Filtering`"
                    ))
                })?;
            groups.push(RosettaGroup {
                title: title.to_string(),
                line,
                rows: Vec::new(),
            });
            continue;
        }
        let (id, title) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        let title = title.trim();
        let id = match parse_id(Some(id)) {
            Ok(Some(id)) => id,
            _ => {
                return Err(at(format!(
                    "`{text}`: a row is the id of a `compare` block, then the operation's \
                     title, like {ROW_EXAMPLE}; `{id}` is not an id"
                )))
            }
        };
        if title.is_empty() {
            return Err(at(format!(
                "the row for `{id}` has no title; write the operation after the id, like \
                 {ROW_EXAMPLE}"
            )));
        }
        let Some(group) = groups.last_mut() else {
            return Err(at(
                "a row before the first group; start with a heading like `## Filtering`".into(),
            ));
        };
        if let Some(first) = ids.get(&id) {
            return Err(at(format!(
                "`{id}` already has a row (line {first}); keep one"
            )));
        }
        if let Some(first) = titles.get(title) {
            return Err(at(format!(
                "the title `{title}` is already used (line {first}); give each operation its own"
            )));
        }
        ids.insert(id.clone(), line);
        titles.insert(title.to_string(), line);
        group.rows.push(RosettaRow {
            id,
            title: title.to_string(),
            line,
        });
    }
    if let Some(empty) = groups.iter().find(|g| g.rows.is_empty()) {
        return Err(Diagnostic::new(
            path,
            empty.line,
            format!(
                "the group `{}` has no rows; add some, like {ROW_EXAMPLE}, or drop the heading",
                empty.title
            ),
        ));
    }
    if groups.is_empty() {
        return Err(Diagnostic::new(
            path,
            block.line,
            format!(
                "a `rosetta` block needs at least one group: a heading like `## Filtering`, \
                 then rows like {ROW_EXAMPLE}"
            ),
        ));
    }
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use crate::scan::fenced_blocks;
    use crate::syntax::{parse_block, RosettaGroup, Snippet};
    use std::path::Path;

    fn parse(md: &str) -> Result<Vec<RosettaGroup>, String> {
        let blocks = fenced_blocks(md);
        match parse_block(Path::new("src/rosetta.md"), &blocks[0]) {
            Ok(Some(Snippet::Rosetta(groups))) => Ok(groups),
            Ok(other) => panic!("not a rosetta block: {other:?}"),
            Err(e) => Err(e.to_string()),
        }
    }

    #[test]
    fn parses_groups_and_rows_with_their_lines() {
        let md = "# Rosetta\n\n```rosetta\n## Filtering\nfilter-iexact   Equal, ignoring case\n\n\
                  filter-slicing\tOne page\n## Joins\njoin-m2m Through a many-to-many\n```\n";
        let groups = parse(md).unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].title, "Filtering");
        assert_eq!(groups[0].line, 4);
        assert_eq!(groups[0].rows.len(), 2);
        assert_eq!(groups[0].rows[0].id, "filter-iexact");
        assert_eq!(groups[0].rows[0].title, "Equal, ignoring case");
        assert_eq!(groups[0].rows[0].line, 5);
        assert_eq!(groups[0].rows[1].title, "One page");
        assert_eq!(groups[0].rows[1].line, 7);
        assert_eq!(groups[1].rows[0].id, "join-m2m");
    }

    #[test]
    fn bad_lines_are_named_with_their_line_and_the_fix() {
        let error = |body: &str| parse(&format!("```rosetta\n{body}```\n")).unwrap_err();
        assert_eq!(
            error("## A\nFilter by city  filter-city\n"),
            "src/rosetta.md:3: `Filter by city  filter-city`: a row is the id of a `compare` \
             block, then the operation's title, like `filter-iexact  Equal, ignoring case`; \
             `Filter` is not an id"
        );
        assert!(error("## A\nfilter-city\n")
            .starts_with("src/rosetta.md:3: the row for `filter-city` has no title"));
        assert!(error("filter-city By city\n").starts_with("src/rosetta.md:2: a row before"));
        assert!(error("# A\nx y\n").contains("a group heading is `## `"));
        assert!(error("### A\nx y\n").contains("a group heading is `## `"));
        assert!(error("##\nx y\n").contains("a group heading"));
        assert!(error("## A\n## B\nx y\n").starts_with("src/rosetta.md:2: the group `A` has no"));
        assert!(error("## A\nx y\n## B\n").starts_with("src/rosetta.md:4: the group `B`"));
        assert_eq!(
            error("## A\nx One\n## B\nx Two\n"),
            "src/rosetta.md:5: `x` already has a row (line 3); keep one"
        );
        assert!(error("## A\nx One\ny One\n")
            .starts_with("src/rosetta.md:4: the title `One` is already used (line 3)"));
        assert!(error("\n").starts_with("src/rosetta.md:1: a `rosetta` block needs"));
        assert!(parse("```rosetta wide\n## A\nx y\n```\n")
            .unwrap_err()
            .contains("`rosetta` takes no options"));
    }
}
