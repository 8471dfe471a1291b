//! Property tests over the readers of untrusted input: no input makes them panic or
//! hang. Each reads arbitrary text and mutations of a valid file.
//!
//! `PROPTEST_CASES` sets how many inputs each property tries (256 by default, so the
//! test command stays quick; a longer run: `PROPTEST_CASES=100000 cargo test --test
//! fuzz`).

use demo_engine::{DemoDb, Limits};
use mdbook_ormcompare::book::{find_snippets, ChapterText};
use mdbook_ormcompare::capture::Capture;
use mdbook_ormcompare::syntax::{Compare, Snippet};
use mdbook_ormcompare::{bench, render};
use proptest::prelude::*;
use std::path::PathBuf;

const CAPTURE: &str = include_str!("../../../../snippets/captures/current-sqlite/n1-lazy-fk.json");
const RESULTS: &str = include_str!("../../../../snippets/benchmarks/bulk-loading.json");
const CHAPTER: &str = include_str!("../../../../src/n-plus-one.md");
const SCHEMA: &str = include_str!("../../../../snippets/schema.sql");
const FIXTURES: &str = include_str!("../../../../snippets/fixtures.sql");

/// `text` with bytes replaced at some places (kept valid UTF-8 by replacing
/// characters, not bytes).
fn mutated(text: &'static str) -> impl Strategy<Value = String> {
    let chars: Vec<char> = text.chars().collect();
    let len = chars.len();
    prop::collection::vec((0..len, any::<char>(), 0..3u8), 1..8).prop_map(move |edits| {
        let mut chars = chars.clone();
        for (at, c, how) in edits {
            let at = at.min(chars.len());
            match how {
                0 if at < chars.len() => chars[at] = c,
                2 => chars.truncate(at),
                _ => chars.insert(at, c),
            }
        }
        chars.into_iter().collect()
    })
}

/// Characters that matter to the parsers, in runs.
fn markdownish() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("```".to_string()),
            Just("```compare id=a".to_string()),
            Just("```sql run".to_string()),
            Just("```rosetta".to_string()),
            Just("```bench-chart file=x".to_string()),
            Just("--- django".to_string()),
            Just("--- sqlalchemy queries=".to_string()),
            Just("\\---".to_string()),
            Just("\"\"\"".to_string()),
            Just("## T".to_string()),
            Just("\n".to_string()),
            Just("  ".to_string()),
            "[a-z0-9=é<>&\"' -]{0,12}",
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

fn chapter(content: String) -> ChapterText {
    ChapterText {
        path: PathBuf::from("src/fuzz.md"),
        content,
    }
}

proptest! {
    // Failures are reported, not saved into the source tree.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_block_parser_never_panics(text in markdownish()) {
        let _ = find_snippets(&[chapter(text)]);
    }

    #[test]
    fn the_block_parser_never_panics_on_a_mutated_chapter(text in mutated(CHAPTER)) {
        let _ = find_snippets(&[chapter(text)]);
    }

    #[test]
    fn the_capture_reader_never_panics(text in mutated(CAPTURE)) {
        let compare = compare_of_n1_lazy_fk();
        // The checksum's check first, on any text.
        let _ = mdbook_ormcompare::capture::parse(&text);
        if let Ok(capture) = serde_json::from_str::<Capture>(&text) {
            let _ = capture.unfit_for(&compare);
            let db = DemoDb::build(SCHEMA, FIXTURES).unwrap();
            let limits = Limits { max_rows: 50, max_steps: 1_000_000 };
            // One set of sessions for all: a kept session must not make a replay panic.
            let sessions = mdbook_ormcompare::replay::Sessions::new(&db, limits);
            for section in &capture.sections {
                let _ = mdbook_ormcompare::replay::replay_section(&sessions, section);
            }
        }
    }

    #[test]
    fn the_capture_reader_never_panics_on_any_text(text in ".{0,200}") {
        let _ = serde_json::from_str::<Capture>(&text);
    }

    #[test]
    fn the_results_reader_and_the_chart_never_panic_or_hang(text in mutated(RESULTS)) {
        if let Ok(results) = bench::parse(&text) {
            let _ = render::render_chart(&results, "x.json", "c");
        }
    }

    #[test]
    fn the_chart_draws_any_figures_the_reader_accepts(rates in prop::collection::vec(1e-3f64..1e12, 1..8)) {
        let mut results = bench::parse(RESULTS).unwrap();
        let rows = results.rows as f64;
        for (approach, rate) in results.approaches.iter_mut().zip(rates) {
            approach.rows_per_second = rate;
            approach.median_seconds = rows / rate;
        }
        let html = render::render_chart(&results, "x.json", "c");
        prop_assert!(html.len() < 100_000);
    }
}

fn compare_of_n1_lazy_fk() -> Compare {
    let found = find_snippets(&[chapter(CHAPTER.to_string())]).unwrap();
    found
        .into_iter()
        .find_map(|f| match f.snippet {
            Snippet::Compare(c) if c.id == "n1-lazy-fk" => Some(c),
            _ => None,
        })
        .unwrap()
}
