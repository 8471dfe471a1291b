//! HTML for the panels. Everything that comes from a snippet, a capture or the
//! database goes through `esc` (the engine's one escaper, `demo_engine::html::
//! escape`), which also writes line breaks as character references: the HTML is
//! spliced into Markdown as a raw HTML block, which ends at the first blank line,
//! so no output may hold one.

mod chart;
mod panel;
mod playground;
mod rosetta;
mod schema;
mod sql;
mod sql_run;
mod statements;
mod upgrade;
mod versions;

pub use chart::render_chart;
pub use panel::{render_compare, DatabaseView, NotCaptured, SideView};
pub use playground::render_playground;
pub use rosetta::render_rosetta;
pub use schema::{render_ddl, render_diagram};
pub use sql_run::render_sql_run;
pub use upgrade::{
    render_change, render_marker, render_upgrade_page, ChangedChapter, ChangedCompare,
};
pub use versions::render_versions;

pub(crate) use demo_engine::html::escape as esc;
use demo_engine::html::Shown;
use demo_engine::plan::{Plan, PlanSet};
use std::fmt::Write;

/// Where, under the book's source folder, the build writes the data files panels
/// fetch when a reader runs or opens something: a panel's replay plans and notes
/// stay out of its page, which a reader only pays for when reading. One file per
/// chapter: a file per panel made every build copy and delete hundreds of files.
pub const DATA_DIR: &str = "ormc-data";

/// A file of `DATA_DIR`: its name, and its JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    pub name: String,
    pub json: String,
}

/// The name of a chapter's data file: its path under the source folder, with
/// folders joined by `-` (`src/a/b.md` gives `a-b.json`).
pub fn data_file_name(chapter: &std::path::Path) -> String {
    let parts: Vec<String> = chapter
        .with_extension("")
        .components()
        .skip(usize::from(chapter.components().count() > 1))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    format!("{}.json", parts.join("-"))
}

/// What every runnable block hands the page: the limits the in-page runners use
/// (book.toml's `max-rows`, `max-steps`, `shown-rows`, `shown-chars`,
/// `page-run-seconds`), as JSON.
#[derive(Debug, Clone)]
pub struct PageContext {
    pub shown: Shown,
    pub limits_json: String,
}

impl PageContext {
    pub fn new(limits: demo_engine::Limits, shown: Shown, run_seconds: f64) -> PageContext {
        let limits_json = serde_json::json!({
            "max_rows": limits.max_rows,
            "max_steps": limits.max_steps,
            "shown": shown,
            "run_seconds": run_seconds,
        })
        .to_string();
        PageContext { shown, limits_json }
    }

    /// ` data-limits="..."` for a runnable block's element.
    pub(crate) fn attr(&self) -> String {
        format!(" data-limits=\"{}\"", esc(&self.limits_json))
    }
}

/// JSON kept out of the page's text: in a `<script type="application/json">`,
/// which mdBook's search index skips. Inside `<script>`, only `</` (which could
/// close the element) and `<!--` are dangerous; in JSON they can only occur inside
/// strings, where `<\/` and `\u003c!--` mean the same characters.
pub(crate) fn json_island(out: &mut String, class: &str, json: &str) {
    let json = json.replace("</", "<\\/").replace("<!--", "\\u003c!--");
    let _ = write!(
        out,
        "<script type=\"application/json\" class=\"{class}\">{json}</script>"
    );
}

/// The replay plans of a block's sides (one for a `sql run` block), packed, for the
/// page's Run: the page hands the element's text to the engine as it is.
pub(crate) fn plan_island(out: &mut String, plans: &[Plan]) {
    let json = serde_json::to_string(&PlanSet::pack(plans)).expect("plans serialize");
    json_island(out, "ormc-plans", &json);
}

/// Writes `html` as an island (see `crate::islands`): carried by the page and made
/// into elements as it loads, but not read by mdBook's search index. HTML that
/// could end its script early is written as it is.
pub(crate) fn island(out: &mut String, html: &str) {
    if crate::islands::can_hold(html) {
        out.push_str(crate::islands::OPEN);
        out.push_str(&crate::islands::encode(html));
        out.push_str(crate::islands::CLOSE);
    } else {
        out.push_str(html);
    }
}

/// A label of the page's own (not the book's content): "Returned 5 rows", "Exact
/// SQL sent", a statement's number, as an element holding its text. Labels appear
/// only inside islands (`island`), which mdBook's search index does not read: they
/// repeat on every statement, and indexed they made up an eighth of what the index
/// read.
pub(crate) fn ui(tag: &str, class: &str, text: &str) -> String {
    let class = if class.is_empty() {
        String::new()
    } else {
        format!(" class=\"{class}\"")
    };
    format!("<{tag}{class}>{}</{tag}>", esc(text))
}

/// A highlighted code block (mdBook's highlight.js picks up `language-*`). Long
/// lines scroll inside the block; they never wrap inside a name.
pub(crate) fn code_block(out: &mut String, language: &str, code: &str, class: &str) {
    let _ = write!(
        out,
        "<pre class=\"{class}\"><code class=\"language-{language}\">{}</code></pre>",
        esc(code.trim_end_matches('\n'))
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn islands_cannot_close_their_script() {
        let text = "<td>a</script><script>x<!-- y</td>";
        let mut out = String::new();
        json_island(&mut out, "c", &serde_json::to_string(&[text]).unwrap());
        assert_eq!(out.matches("</script>").count(), 1);
        assert!(out.ends_with("</script>"));
        assert!(!out.contains("<!--"));
        let json = out
            .trim_start_matches("<script type=\"application/json\" class=\"c\">")
            .trim_end_matches("</script>");
        let back: Vec<String> = serde_json::from_str(json).unwrap();
        assert_eq!(back, vec![text.to_string()]);
    }

    #[test]
    fn a_chapter_names_its_data_file() {
        use std::path::Path;
        assert_eq!(
            data_file_name(Path::new("src/n-plus-one.md")),
            "n-plus-one.json"
        );
        assert_eq!(data_file_name(Path::new("src/a/b.md")), "a-b.json");
    }

    #[test]
    fn code_keeps_its_lines_without_raw_line_breaks() {
        let mut out = String::new();
        code_block(&mut out, "python", "a = '<b>'\n\nb = 1\n", "x");
        assert!(!out.contains('\n'));
        assert!(out.contains("a = &#x27;&lt;b&gt;&#x27;&#10;&#10;b = 1"));
    }
}
