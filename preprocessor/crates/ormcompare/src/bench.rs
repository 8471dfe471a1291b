//! Benchmark results files: the JSON a benchmark command writes and the book
//! commits (`snippets/benchmarks/bulk-loading.json`, by `scripts/bench-bulk`),
//! read for `bench-chart` blocks. Fields the chart does not show (each run's
//! time, say) may be there too and are ignored.

use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Results {
    /// What was measured, as a chart title ("Loading 20,000 products into SQLite").
    pub title: String,
    /// The command that wrote the file, to run it again.
    pub command: String,
    /// The day of the run (ISO 8601).
    pub date: String,
    /// Rows loaded per run.
    pub rows: u64,
    /// Timed runs per approach.
    pub repeats: u64,
    /// How the runs were summarised ("median").
    pub statistic: String,
    /// How each run was set up, in a sentence.
    pub setup: String,
    pub machine: Machine,
    /// Component (`python`, `sqlite`, `django`...) to version.
    pub versions: BTreeMap<String, String>,
    /// The key of the approach the others are compared with.
    pub baseline: String,
    pub approaches: Vec<Approach>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Machine {
    pub platform: String,
    pub cpu: String,
    pub cores: u64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Approach {
    pub key: String,
    pub label: String,
    /// The library that did the work (`django`, `sqlalchemy`, `sqlite3`): the bar's colour.
    pub library: String,
    /// Statements sent for one load (transaction control not counted).
    pub statements: u64,
    pub median_seconds: f64,
    pub rows_per_second: f64,
    /// This approach's time divided by the baseline's.
    pub time_vs_baseline: f64,
}

impl Results {
    pub fn baseline(&self) -> &Approach {
        self.approaches
            .iter()
            .find(|a| a.key == self.baseline)
            .expect("checked when the file was read")
    }
}

/// Reads and checks a results file; errors say what is wrong with it.
pub fn read(path: &Path) -> Result<Results, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read it ({e})"))?;
    parse(&text)
}

pub fn parse(text: &str) -> Result<Results, String> {
    let results: Results =
        serde_json::from_str(text).map_err(|e| format!("it is not a results file: {e}"))?;
    check(&results)?;
    Ok(results)
}

fn check(results: &Results) -> Result<(), String> {
    if results.approaches.is_empty() {
        return Err("its `approaches` list is empty".into());
    }
    let mut keys = HashSet::new();
    for approach in &results.approaches {
        if !keys.insert(approach.key.as_str()) {
            return Err(format!("approach `{}` is listed twice", approach.key));
        }
        // Bounds no real measurement reaches: a value outside them is a broken or
        // edited file, and would make the chart's axis unusable.
        let numbers = [
            ("median_seconds", approach.median_seconds, 1e-9, 1e6),
            ("rows_per_second", approach.rows_per_second, 1e-3, 1e12),
            ("time_vs_baseline", approach.time_vs_baseline, 1e-6, 1e6),
        ];
        for (name, value, low, high) in numbers {
            if !(value.is_finite() && value >= low && value <= high) {
                let shown = if value != 0.0 && !(1e-3..1e9).contains(&value.abs()) {
                    format!("{value:e}")
                } else {
                    format!("{value}")
                };
                return Err(format!(
                    "approach `{}`: `{name}` is {shown}, which no measurement gives (between \
                     {low:e} and {high:e}); run the benchmark again to write the file",
                    approach.key
                ));
            }
        }
        let implied = results.rows as f64 / approach.median_seconds;
        if (approach.rows_per_second - implied).abs() > 0.01 * implied + 1.0 {
            return Err(format!(
                "approach `{}`: `rows_per_second` is {} but {} rows in {} s make {implied:.0}; \
                 run the benchmark again to write the file",
                approach.key, approach.rows_per_second, results.rows, approach.median_seconds
            ));
        }
    }
    if !keys.contains(results.baseline.as_str()) {
        return Err(format!(
            "its baseline `{}` is not one of its approaches",
            results.baseline
        ));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const SAMPLE: &str = r#"{
      "title": "Loading 3 <rows>",
      "command": "scripts/bench-bulk --rows 3",
      "date": "2025-01-31",
      "rows": 3,
      "repeats": 1,
      "statistic": "median",
      "setup": "fresh & in memory",
      "machine": {"platform": "Linux", "cpu": "A <fast> CPU", "cores": 2},
      "versions": {"sqlalchemy": "2.1.9", "python": "3.11.7"},
      "baseline": "raw",
      "approaches": [
        {"key": "orm", "label": "ORM <slow>", "library": "django", "statements": 3,
         "median_seconds": 0.3, "rows_per_second": 10, "time_vs_baseline": 3.0,
         "runs_seconds": [0.3]},
        {"key": "raw", "label": "raw", "library": "sqlite3", "statements": 1,
         "median_seconds": 0.1, "rows_per_second": 30, "time_vs_baseline": 1.0}
      ]
    }"#;

    #[test]
    fn absurd_figures_are_refused_before_they_reach_the_chart() {
        // Issue 11, defect 3: the axis of this became infinite and its ticks endless.
        let huge = SAMPLE.replace(
            "\"rows_per_second\": 10",
            "\"rows_per_second\": 1.7976931348623157e308",
        );
        let error = parse(&huge).unwrap_err();
        assert!(error.contains("no measurement gives"), "{error}");
        let tiny = SAMPLE.replace("\"median_seconds\": 0.3", "\"median_seconds\": 1e-300");
        assert!(parse(&tiny).unwrap_err().contains("`median_seconds`"));
    }

    #[test]
    fn reads_a_results_file() {
        let results = parse(SAMPLE).unwrap();
        assert_eq!(results.rows, 3);
        assert_eq!(results.approaches.len(), 2);
        assert_eq!(results.baseline().label, "raw");
    }

    #[test]
    fn says_what_is_wrong_with_a_bad_file() {
        assert!(parse("{")
            .unwrap_err()
            .starts_with("it is not a results file: EOF"));
        let no_rows = SAMPLE.replace("\"rows\": 3,", "");
        assert!(parse(&no_rows)
            .unwrap_err()
            .contains("missing field `rows`"));
        let bad_baseline = SAMPLE.replace("\"baseline\": \"raw\"", "\"baseline\": \"x\"");
        assert_eq!(
            parse(&bad_baseline).unwrap_err(),
            "its baseline `x` is not one of its approaches"
        );
        let zero = SAMPLE.replace("\"rows_per_second\": 10", "\"rows_per_second\": 0");
        assert!(parse(&zero)
            .unwrap_err()
            .contains("`rows_per_second` is 0, which no measurement gives"));
        let inconsistent = SAMPLE.replace("\"rows_per_second\": 10", "\"rows_per_second\": 20");
        assert!(parse(&inconsistent)
            .unwrap_err()
            .contains("3 rows in 0.3 s make 10"));
        let twice = SAMPLE.replace("\"key\": \"orm\"", "\"key\": \"raw\"");
        assert!(parse(&twice).unwrap_err().contains("listed twice"));
        let empty = SAMPLE.replace(
            &SAMPLE[SAMPLE.find("\"approaches\"").unwrap()..SAMPLE.rfind(']').unwrap() + 1],
            "\"approaches\": []",
        );
        assert_eq!(parse(&empty).unwrap_err(), "its `approaches` list is empty");
        assert!(read(Path::new("/nonexistent/results.json"))
            .unwrap_err()
            .starts_with("cannot read it ("));
    }
}
