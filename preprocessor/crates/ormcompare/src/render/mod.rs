//! HTML for the panels. Everything that comes from a snippet, a capture or the
//! database goes through `text` / `attr` / `pre`, which escape it.
//!
//! The HTML is spliced into Markdown as a raw HTML block, which ends at the first
//! blank line; `pre` therefore writes newlines as `&#10;` so no output ever holds
//! a blank line.

mod chart;
mod panel;
mod playground;
mod rosetta;
mod schema;
mod sql;
mod sql_run;
mod versions;

pub use chart::render_chart;
pub use panel::{render_compare, SideView};
pub use playground::render_playground;
pub use rosetta::render_rosetta;
pub use schema::{render_ddl, render_diagram};
pub use sql_run::{render_sql_refused, render_sql_run};
pub use versions::render_versions;

use std::fmt::Write;

/// Escaped text content.
pub(crate) fn text(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

/// Escaped attribute value (for use inside double quotes).
/// An escaped attribute value. Line breaks become character references: a blank
/// line inside the value would end mdBook's raw HTML block (SQLAlchemy's
/// `CREATE TABLE` text ends with one).
pub(crate) fn attr(s: &str) -> String {
    html_escape::encode_double_quoted_attribute(s)
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
}

/// Escaped preformatted text with newlines as character references.
pub(crate) fn pre(s: &str) -> String {
    text(s).replace('\n', "&#10;")
}

/// Content kept out of the page's HTML until a reader asks for it: a JSON list
/// of HTML fragments in a `<script>` element, which mdBook's search index skips.
/// theme/ormcompare.js inserts fragment `i` into the `<details data-deferred="i">`
/// of the same panel side when it is first opened.
#[derive(Default)]
pub(crate) struct Deferred {
    fragments: Vec<String>,
}

impl Deferred {
    /// Keeps a fragment and returns its index.
    pub(crate) fn add(&mut self, html: String) -> usize {
        self.fragments.push(html);
        self.fragments.len() - 1
    }

    pub(crate) fn write(&self, out: &mut String) {
        if self.fragments.is_empty() {
            return;
        }
        let json = serde_json::to_string(&self.fragments).expect("strings serialize");
        // Inside <script>, only `</` (which could close the element) and `<!--`
        // are dangerous; both occur only within JSON strings here, where `\/` and
        // `\u003c` mean the same characters.
        let json = json.replace("</", "<\\/").replace("<!--", "\\u003c!--");
        let _ = write!(
            out,
            "<script type=\"application/json\" class=\"ormc-deferred\">{json}</script>"
        );
    }
}

/// A highlighted code block (mdBook's highlight.js picks up `language-*`).
pub(crate) fn code_block(out: &mut String, language: &str, code: &str, class: &str) {
    let _ = write!(
        out,
        "<pre class=\"{class}\"><code class=\"language-{language}\">{}</code></pre>",
        pre(code.trim_end_matches('\n'))
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_values_hold_no_line_breaks() {
        let value = attr("\nCREATE TABLE \"t\" (\r\n\tid INTEGER\n)\n\n");
        assert!(!value.contains('\n') && !value.contains('\r'), "{value}");
        assert_eq!(
            value,
            "&#10;CREATE TABLE &quot;t&quot; (&#13;&#10;\tid INTEGER&#10;)&#10;&#10;"
        );
    }

    #[test]
    fn deferred_fragments_cannot_close_their_script() {
        let mut deferred = Deferred::default();
        assert_eq!(deferred.add("<td>a</script><script>x</td>".into()), 0);
        let mut out = String::new();
        deferred.write(&mut out);
        assert_eq!(out.matches("</script>").count(), 1);
        assert!(out.ends_with("</script>"));
        let json = out
            .trim_start_matches("<script type=\"application/json\" class=\"ormc-deferred\">")
            .trim_end_matches("</script>");
        let back: Vec<String> = serde_json::from_str(json).unwrap();
        assert_eq!(back, vec!["<td>a</script><script>x</td>".to_string()]);
    }

    #[test]
    fn escapes_markup_and_keeps_lines_without_blank_ones() {
        assert_eq!(text("<script>&"), "&lt;script&gt;&amp;");
        assert_eq!(attr("a\"b"), "a&quot;b");
        let mut out = String::new();
        code_block(&mut out, "python", "a = '<b>'\n\nb = 1\n", "x");
        assert!(!out.contains('\n'));
        assert!(out.contains("a = '&lt;b&gt;'&#10;&#10;b = 1"));
    }
}
