//! What of a panel mdBook reads, and what it only carries.
//!
//! mdBook parses every element of a page and indexes every word of its text for
//! search; a panel's counts, results, checks, parameters and labels made that
//! index (and most of the build's time) half again as large, and every search
//! result page a wall of table cells. Its indexer skips `<script>` elements, whose
//! text it copies untouched. So a panel's view is written as an *island*: its HTML
//! as the text of a `<script type="text/html">`, which a one-line script right after
//! it (`ormcIsland()`, theme/head.hbs) turns into the elements while the page is
//! still being parsed: the reader, the page's script and print see the same panel
//! as before, with nothing moving once drawn.
//!
//! What the index must keep stays outside the island, where mdBook reads it: each
//! distinct piece of code, and each distinct statement's formatted SQL, the first
//! time the book shows it (the Rosetta appendix repeats the chapters' code). Those
//! `<pre>` elements stand, in order, just before the island, which holds an empty
//! `<ormc-s>` where each one goes; `ormcIsland()` moves them in. A reader without
//! JavaScript sees that code and those statements only.
//!
//! Inside the island, each `<` of its HTML is written as a backtick (`encode`; a
//! backtick of the HTML itself is first written `&#96;`, which reads the same).
//! The HTML parser mdBook uses hands it a script's text in pieces, split at every
//! `<`, and mdBook keeps each piece as a node of its own: islands written plainly
//! still cost a tenth of the build; encoded, each is one piece.
//!
//! `render::island` writes an island whole (every `<pre>` inside); `settle` then
//! takes the static ones out, over the whole book in order, since "first time the
//! book shows it" depends on the chapters before.

use std::collections::HashSet;
use std::sync::LazyLock;

/// The opening of an island, as `render::island` writes it.
pub const OPEN: &str = "<script type=\"text/html\" class=\"ormc-island\">";
/// The script that makes the island's elements (defined in theme/head.hbs).
pub const CLOSE: &str = "</script><script>ormcIsland()</script>";
/// Where a static `<pre>` goes back in.
pub const SLOT: &str = "<ormc-s></ormc-s>";

// The openings of the `<pre>` elements the index reads; more classes may follow
// (`ormc-sql ormc-long`).
const CODE: &str = "<pre class=\"ormc-code";
const SQL: &str = "<pre class=\"ormc-sql";
const PRE_END: &str = "</pre>";

/// The markers `split` looks for, as they read inside an island.
struct Encoded {
    pre: String,
    indexed: [String; 2],
    pre_end: String,
    slot: String,
}

static ENCODED: LazyLock<Encoded> = LazyLock::new(|| Encoded {
    pre: encode("<pre class=\"ormc-"),
    indexed: [encode(CODE), encode(SQL)],
    pre_end: encode(PRE_END),
    slot: encode(SLOT),
});

/// `html` as an island's text: no `<` (see the module's comment). Text between
/// tags also gets back the characters the escaper wrote as references only for
/// attribute values' sake (`"`, `'`), and line breaks, except where one would
/// make a blank line, which would end mdBook's raw HTML block (`render::esc`).
/// The renderer's HTML holds `<` and `>` only as tags' own.
pub fn encode(html: &str) -> String {
    const TEXT_REFS: [(&str, char); 3] = [("&quot;", '"'), ("&#x27;", '\''), ("&#10;", '\n')];
    let mut out = String::with_capacity(html.len());
    let bytes = html.as_bytes();
    let mut in_tag = false;
    // Whether the line written so far holds only spaces.
    let mut blank_line = true;
    // `html[copied..at]` is written as it is when the next special byte comes (all
    // of them are ASCII, so the slices fall on character boundaries).
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        if !matches!(byte, b'<' | b'>' | b'`' | b'&' | b'\n') {
            blank_line &= byte == b' ' || byte == b'\t';
            at += 1;
            continue;
        }
        out.push_str(&html[copied..at]);
        let mut step = 1;
        match byte {
            b'<' => {
                in_tag = true;
                out.push('`');
                blank_line = false;
            }
            b'`' => {
                out.push_str("&#96;");
                blank_line = false;
            }
            b'&' if !in_tag => {
                let rest = &html[at..];
                match TEXT_REFS.iter().find(|(r, _)| rest.starts_with(r)) {
                    Some(&(reference, '\n')) if !blank_line => {
                        step = reference.len();
                        out.push('\n');
                        blank_line = true;
                    }
                    Some(&(reference, character)) if character != '\n' => {
                        step = reference.len();
                        out.push(character);
                        blank_line = false;
                    }
                    _ => {
                        out.push('&');
                        blank_line = false;
                    }
                }
            }
            b'\n' => {
                out.push('\n');
                blank_line = true;
            }
            other => {
                in_tag &= other != b'>';
                out.push(other as char);
                blank_line = false;
            }
        }
        at += step;
        copied = at;
    }
    out.push_str(&html[copied..]);
    out
}

/// An island's text as HTML again (what `ormcIsland()` does in the page).
pub fn decode(text: &str) -> String {
    text.replace('`', "<")
}

/// Whether `html` can be the text of a `<script>`: only `</script` would end it
/// early, and `<!--` switches the HTML parser into a state where it would not.
/// Rendered values are escaped, so neither occurs; a view that held one anyway is
/// written as plain elements.
pub fn can_hold(html: &str) -> bool {
    let bytes = html.as_bytes();
    !html.match_indices('<').any(|(at, _)| {
        let after = &bytes[at..];
        after
            .get(..8)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"</script"))
            || after.starts_with(b"<!--")
    })
}

/// `html` with each island handed to `replace`, which writes what stands in its
/// place; `out` then holds everything before the island. Text that opens an
/// island but never closes one is copied as it is.
fn each_island(html: &str, mut replace: impl FnMut(&mut String, &str)) -> String {
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some(start) = rest.find(OPEN) {
        let body_start = start + OPEN.len();
        let Some(len) = rest[body_start..].find(CLOSE) else {
            break;
        };
        out.push_str(&rest[..start]);
        replace(&mut out, &rest[body_start..body_start + len]);
        rest = &rest[body_start + len + CLOSE.len()..];
    }
    out.push_str(rest);
    out
}

/// Takes out of each island in `html` the `<pre>` elements mdBook should read: code
/// and SQL whose text `seen` does not hold yet (it is then added).
pub fn settle(html: &str, seen: &mut HashSet<String>) -> String {
    each_island(html, |out, text| {
        let (statics, island) = split(text, seen);
        out.push_str(&statics);
        out.push_str(OPEN);
        out.push_str(&island);
        out.push_str(CLOSE);
    })
}

/// `html` with each island made into its elements, the static `<pre>` elements
/// before it back in its slots: what `ormcIsland()` (theme/head.hbs) does in the
/// page, for the tests, which read pages as a reader's browser holds them: this
/// crate's, and the Python tests' through `mdbook-ormcompare islands-loaded`. A
/// browser test checks it against the page's own loader on built pages.
pub fn load(html: &str) -> String {
    each_island(html, |out, text| {
        // The static `<pre>`s are the last elements before the island. In a built
        // page, mdBook has put line breaks between them, which stay where they are,
        // as in the page (the loader moves elements, not the text between them).
        let mut kept = Vec::new();
        loop {
            let end = out.trim_end_matches([' ', '\t', '\n', '\r', '\x0c']).len();
            if !out[..end].ends_with(PRE_END) {
                break;
            }
            // `<pre>`s do not nest: the last one opened is the one that closes here.
            let Some(at) = out[..end].rfind("<pre") else {
                break;
            };
            if !is_indexed(&out[at..end], &[CODE, SQL]) {
                break;
            }
            kept.insert(0, out[at..end].to_string());
            out.replace_range(at..end, "");
        }
        let body = decode(text);
        let mut parts = body.split(SLOT);
        out.push_str(parts.next().unwrap());
        for (pre, part) in kept.iter().zip(parts) {
            out.push_str(pre);
            out.push_str(part);
        }
    })
}

/// One island's text: the static `<pre>` elements (as HTML), in order, and the
/// text with a slot in place of each. Works on the encoded text, where each `<` is
/// a backtick.
fn split(text: &str, seen: &mut HashSet<String>) -> (String, String) {
    let marks = &*ENCODED;
    let mut statics = String::new();
    let mut island = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&marks.pre) {
        // A `<pre>` the renderer wrote holds escaped text only: its first `</pre>`
        // closes it.
        let Some(len) = rest[at..].find(&marks.pre_end) else {
            break;
        };
        let pre = &rest[at..at + len + marks.pre_end.len()];
        island.push_str(&rest[..at]);
        if is_indexed(pre, &marks.indexed) && seen.insert(pre.to_string()) {
            statics.push_str(&decode(pre));
            island.push_str(&marks.slot);
        } else {
            island.push_str(pre);
        }
        rest = &rest[at + pre.len()..];
    }
    island.push_str(rest);
    (statics, island)
}

/// Whether `pre`, a `<pre>` element, opens as one of `opens` (`CODE`, `SQL`, as
/// written or encoded): its class is `ormc-code` or `ormc-sql`, perhaps with more
/// after a space, and not merely one that starts so (`ormc-sqlx`).
fn is_indexed(pre: &str, opens: &[impl AsRef<str>]) -> bool {
    opens.iter().any(|open| {
        pre.strip_prefix(open.as_ref())
            .is_some_and(|rest| rest.starts_with(['"', ' ']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn island(body: &str) -> String {
        format!("{OPEN}{}{CLOSE}", encode(body))
    }

    const SELECT: &str =
        "<pre class=\"ormc-sql\"><code class=\"language-sql\">SELECT 1</code></pre>";
    const CODE_PRE: &str =
        "<pre class=\"ormc-code\"><code class=\"language-python\">x = 1</code></pre>";

    #[test]
    fn code_and_first_statements_stand_before_the_island_with_a_slot_each() {
        let mut seen = HashSet::new();
        let html = format!(
            "<div class=\"ormc-view\">{}</div>",
            island(&format!(
                "<p>6 queries</p>{CODE_PRE}<li>{SELECT}</li><td>Ada</td>"
            ))
        );
        let settled = settle(&html, &mut seen);
        assert_eq!(
            settled,
            format!(
                "<div class=\"ormc-view\">{CODE_PRE}{SELECT}{}</div>",
                island(&format!(
                    "<p>6 queries</p>{SLOT}<li>{SLOT}</li><td>Ada</td>"
                ))
            )
        );
    }

    #[test]
    fn code_or_a_statement_the_book_showed_before_stays_inside() {
        let mut seen = HashSet::new();
        let first = settle(&island(SELECT), &mut seen);
        let again = settle(&island(&format!("{SELECT}{SELECT}{CODE_PRE}")), &mut seen);
        let third = settle(&island(CODE_PRE), &mut seen);
        assert_eq!(first, format!("{SELECT}{}", island(SLOT)));
        assert_eq!(
            again,
            format!("{CODE_PRE}{}", island(&format!("{SELECT}{SELECT}{SLOT}")))
        );
        assert_eq!(third, island(CODE_PRE));
    }

    #[test]
    fn a_settled_island_loads_as_the_html_it_was() {
        let mut seen = HashSet::new();
        let html = format!("<p>x</p><div>{CODE_PRE}<b>'a'</b>{SELECT}</div>");
        let mut written = String::new();
        crate::render::island(&mut written, &html);
        assert_eq!(load(&settle(&written, &mut seen)), html);
    }

    #[test]
    fn loading_a_built_page_leaves_mdbook_s_line_breaks_where_they_stood() {
        // mdBook puts a line break between the elements of a raw HTML block; the
        // page's loader moves the `<pre>`s and leaves the text between them.
        let page = format!(
            "<div>\n{CODE_PRE}\n{SELECT}\n{}</div>",
            island(&format!("<p>{SLOT}</p>{SLOT}"))
        );
        assert_eq!(
            load(&page),
            format!("<div>\n\n\n<p>{CODE_PRE}</p>{SELECT}</div>")
        );
        // A `<pre>` of mdBook's own before an island is not one of its static ones,
        // nor is it closed by an earlier panel's static `<pre>`.
        let plain = format!("<pre>x</pre>\n{}", island("<p>y</p>"));
        assert_eq!(load(&plain), "<pre>x</pre>\n<p>y</p>");
        let after_a_panel = format!("{SELECT}<p>z</p><pre>x</pre>\n{}", island("<p>y</p>"));
        assert_eq!(
            load(&after_a_panel),
            format!("{SELECT}<p>z</p><pre>x</pre>\n<p>y</p>")
        );
    }

    #[test]
    fn a_long_statement_is_read_too_and_other_pre_elements_are_not() {
        let mut seen = HashSet::new();
        let long = "<pre class=\"ormc-sql ormc-long\"><code>SELECT 2</code></pre>";
        let other = "<pre class=\"ormc-sqlx\"><code>x</code></pre>";
        let settled = settle(&island(&format!("{long}{other}")), &mut seen);
        assert_eq!(
            settled,
            format!("{long}{}", island(&format!("{SLOT}{other}")))
        );
    }

    #[test]
    fn html_outside_islands_is_left_alone() {
        let mut seen = HashSet::new();
        let html = format!("<table>{SELECT}</table>{}", island("<b>x</b>"));
        assert_eq!(settle(&html, &mut seen), html);
        assert!(seen.is_empty());
    }

    #[test]
    fn an_island_holds_no_angle_bracket_and_reads_back_the_same() {
        let html = r#"<td title="a`b &quot;c&quot;">x &lt; `y` &quot;z&quot; &#x27;w&#x27;</td>"#;
        let text = encode(html);
        assert!(!text.contains('<'));
        assert_eq!(
            decode(&text),
            r#"<td title="a&#96;b &quot;c&quot;">x &lt; &#96;y&#96; "z" 'w'</td>"#
        );
        assert_eq!(encode(&decode(&text)), text);
    }

    #[test]
    fn line_breaks_come_back_without_making_a_blank_line() {
        let html =
            r#"<pre><code>a&#10;&#10;  &#10;b&#10;</code></pre><p title="x&#10;y">c&#10;</p>"#;
        let text = encode(html);
        assert_eq!(
            text,
            "`pre>`code>a\n&#10;  \nb\n`/code>`/pre>`p title=\"x&#10;y\">c\n`/p>"
        );
        assert!(text.lines().all(|line| !line.trim().is_empty()));
    }

    #[test]
    fn only_html_that_cannot_end_its_script_becomes_an_island() {
        assert!(can_hold("<td>&lt;/script&gt;</td>"));
        assert!(!can_hold("<td></SCRIPT></td>"));
        assert!(!can_hold("<!-- a -->"));
    }
}
