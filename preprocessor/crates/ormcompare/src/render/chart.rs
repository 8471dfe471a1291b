//! A benchmark results file as a bar chart (inline SVG), a table of the same
//! figures, and a caption saying where, when and with what they were measured.
//! Everything from the file is escaped.

use super::esc;
use super::versions::named;
use crate::bench::{Approach, Results};
use crate::checks::plural;
use std::fmt::Write;

const WIDTH: f64 = 720.0;
/// Left edge of the bars (room for the first tick label).
const LEFT: f64 = 12.0;
/// Length of the longest possible bar; the value label follows the bar.
const BAR_SPAN: f64 = 560.0;
const TOP: f64 = 6.0;
const ROW: f64 = 46.0;
const BAR_HEIGHT: f64 = 16.0;
const AXIS: f64 = 26.0;

/// `source` is the file as the reader should find it (`snippets/benchmarks/...`);
/// `id` tells two charts on one page apart.
pub fn render_chart(results: &Results, source: &str, id: &str) -> String {
    let mut out = String::new();
    let _ = write!(out, "<figure class=\"ormc-chart\" id=\"{}\">", esc(id));
    svg(&mut out, results, id);
    table(&mut out, results);
    caption(&mut out, results, source);
    out.push_str("</figure>");
    out
}

fn svg(out: &mut String, results: &Results, id: &str) {
    let height = TOP + ROW * results.approaches.len() as f64 + AXIS;
    let top_value = results
        .approaches
        .iter()
        .map(|a| a.rows_per_second)
        .fold(0.0, f64::max);
    let step = nice_step(top_value / 5.0);
    let axis_max = (top_value / step).ceil() * step;
    let x_of = |value: f64| LEFT + value / axis_max * BAR_SPAN;
    let _ = write!(
        out,
        "<svg class=\"ormc-chart-svg\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH:.0} {height:.0}\" \
         role=\"img\" aria-labelledby=\"{id}-title {id}-desc\"><title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        esc(&format!(
            "{}: rows per second, {} of {} (longer is faster)",
            results.title,
            results.statistic,
            runs(results.repeats)
        )),
        esc(&description(results)),
        id = esc(id),
    );
    let bottom = TOP + ROW * results.approaches.len() as f64;
    // At most a dozen: the step is a fifth of the top value, rounded up.
    let ticks = ((axis_max / step).round() as usize).min(12);
    for i in 0..=ticks {
        let value = step * i as f64;
        let x = x_of(value);
        let _ = write!(
            out,
            "<line class=\"ormc-chart-grid\" x1=\"{x:.1}\" y1=\"{TOP:.1}\" x2=\"{x:.1}\" y2=\"{bottom:.1}\"/>\
             <text class=\"ormc-chart-tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            bottom + 16.0,
            grouped(value)
        );
    }
    for (i, approach) in results.approaches.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let end = x_of(approach.rows_per_second).max(LEFT + 1.0);
        let _ = write!(
            out,
            "<g class=\"ormc-chart-row\" data-library=\"{}\"><title>{}</title>\
             <text class=\"ormc-chart-label\" x=\"{LEFT:.1}\" y=\"{:.1}\">{}</text>\
             <rect class=\"ormc-chart-bar\" x=\"{LEFT:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{BAR_HEIGHT:.1}\" rx=\"2\"/>\
             <text class=\"ormc-chart-value\" x=\"{:.1}\" y=\"{:.1}\">{} rows/s</text></g>",
            esc(&approach.library),
            esc(&summary(results, approach)),
            y + 15.0,
            esc(&approach.label),
            y + 21.0,
            end - LEFT,
            end + 6.0,
            y + 21.0 + BAR_HEIGHT - 4.0,
            grouped(approach.rows_per_second)
        );
    }
    out.push_str("</svg>");
}

fn table(out: &mut String, results: &Results) {
    out.push_str(
        "<table class=\"ormc-chart-table\"><thead><tr><th>Approach</th><th>Statements</th>\
         <th>Median time</th><th>Rows per second</th><th>Time vs. baseline</th></tr></thead><tbody>",
    );
    for approach in &results.approaches {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&approach.label),
            grouped(approach.statements as f64),
            duration(approach.median_seconds),
            grouped(approach.rows_per_second),
            times(results, approach),
        );
    }
    out.push_str("</tbody></table>");
}

fn caption(out: &mut String, results: &Results, source: &str) {
    let machine = &results.machine;
    let versions: Vec<String> = named(&results.versions)
        .into_iter()
        .map(|(name, version, _)| format!("{name} {version}"))
        .collect();
    let _ = write!(
        out,
        "<figcaption>{}. Rows per second: the {} of {} ({}); times are compared with {}. \
         Measured on {} on {}, {}, {} cores, with {}. Rerun with <code>{}</code>; the build \
         draws the chart from <code>{}</code>.</figcaption>",
        esc(&results.title),
        esc(&results.statistic),
        runs(results.repeats),
        esc(&results.setup),
        esc(&results.baseline().label),
        esc(&results.date),
        esc(&machine.platform),
        esc(&machine.cpu),
        machine.cores,
        esc(&versions.join(", ")),
        esc(&results.command),
        esc(source),
    );
}

fn runs(repeats: u64) -> String {
    format!("{repeats} {}", plural(repeats as usize, "run", "runs"))
}

/// The whole chart in words, for screen readers.
fn description(results: &Results) -> String {
    let items: Vec<String> = results
        .approaches
        .iter()
        .map(|a| summary(results, a))
        .collect();
    items.join("; ")
}

fn summary(results: &Results, approach: &Approach) -> String {
    format!(
        "{}: {} rows per second, {} statements, {}",
        approach.label,
        grouped(approach.rows_per_second),
        grouped(approach.statements as f64),
        ratio(results, approach)
    )
}

/// The time ratio alone, for the table, whose caption names the baseline.
fn times(results: &Results, approach: &Approach) -> String {
    if approach.key == results.baseline {
        "1.0× (baseline)".to_string()
    } else {
        format!("{:.1}×", approach.time_vs_baseline)
    }
}

fn ratio(results: &Results, approach: &Approach) -> String {
    if approach.key == results.baseline {
        "1.0× (baseline)".to_string()
    } else {
        format!(
            "{:.1}× the time of {}",
            approach.time_vs_baseline,
            results.baseline().label
        )
    }
}

/// 1, 2, 2.5 or 5 times a power of ten, at least `rough`.
fn nice_step(rough: f64) -> f64 {
    if !(rough.is_finite() && rough > 0.0) {
        return 1.0;
    }
    let power = 10f64.powf(rough.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&step| step >= rough)
        .unwrap_or(10.0 * power)
}

/// A number rounded to a whole one, with thousands separated: `12,345`.
fn grouped(value: f64) -> String {
    let digits = format!("{:.0}", value.round().max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn duration(seconds: f64) -> String {
    if seconds < 1.0 {
        format!("{:.1} ms", seconds * 1000.0)
    } else {
        format!("{seconds:.2} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::{parse, tests::SAMPLE};

    fn chart() -> String {
        render_chart(
            &parse(SAMPLE).unwrap(),
            "snippets/benchmarks/<b>.json",
            "c-1",
        )
    }

    #[test]
    fn draws_one_bar_per_approach_scaled_to_the_fastest() {
        let html = chart();
        assert_eq!(html.matches("<rect class=\"ormc-chart-bar\"").count(), 2);
        // 30 rows/s is the top; the axis ends at 30 (steps of 10), so its bar is full length.
        assert!(html.contains(&format!("width=\"{BAR_SPAN:.1}\"")), "{html}");
        assert!(html.contains(&format!("width=\"{:.1}\"", BAR_SPAN / 3.0)));
        assert!(html.contains(">30 rows/s</text>"));
        assert!(html.contains("data-library=\"sqlite3\""));
    }

    #[test]
    fn is_accessible_and_says_where_the_figures_come_from() {
        let html = chart();
        assert!(html.contains("role=\"img\" aria-labelledby=\"c-1-title c-1-desc\""));
        assert!(html.contains(
            "<title id=\"c-1-title\">Loading 3 &lt;rows&gt;: rows per second, median of 1 run "
        ));
        assert!(html
            .contains("ORM &lt;slow&gt;: 10 rows per second, 3 statements, 3.0× the time of raw"));
        assert!(html.contains("<td>1.0× (baseline)</td>"));
        assert!(html.contains("<td>3.0×</td>"));
        assert!(html.contains("times are compared with raw."));
        assert!(html.contains("<td>300.0 ms</td>"));
        assert!(html
            .contains("Linux, A &lt;fast&gt; CPU, 2 cores, with Python 3.11.7, SQLAlchemy 2.1.9"));
        assert!(html.contains("<code>scripts/bench-bulk --rows 3</code>"));
        assert!(html.contains("<code>snippets/benchmarks/&lt;b&gt;.json</code>"));
        assert!(html.contains("fresh &amp; in memory"));
    }

    #[test]
    fn escapes_everything_and_stays_on_one_line() {
        let html = chart();
        for raw in ["<rows>", "<slow>", "<fast>", "<b>"] {
            assert!(!html.contains(raw), "{raw} was not escaped");
        }
        assert!(!html.contains('\n'));
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(grouped(1234567.4), "1,234,567");
        assert_eq!(grouped(999.0), "999");
        assert_eq!(grouped(0.0), "0");
        assert_eq!(duration(0.01234), "12.3 ms");
        assert_eq!(duration(4.5), "4.50 s");
        assert_eq!(nice_step(48_000.0), 50_000.0);
        assert_eq!(nice_step(2.1), 2.5);
        assert_eq!(nice_step(7.0), 10.0);
        assert_eq!(nice_step(0.0), 1.0);
    }
}
