//! `mdbook-ormcompare`: the book's mdBook preprocessor, and the `capture`
//! command that refreshes the committed captures from the real ORMs.

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use mdbook_ormcompare::captures::CaptureMode;
use mdbook_ormcompare::mdbook::{chapters_on_disk, load_config, settings, OrmCompare};
use mdbook_ormcompare::project::Project;
use mdbook_ormcompare::timing;
use mdbook_preprocessor::Preprocessor;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc, for Rust's allocations and (`override`) SQLite's. A cold build
/// allocates about 1.3 million times on several threads and frees much of it on
/// another thread than the one that allocated it: glibc's malloc spent about a
/// quarter of the preprocessor's processor time there, partly waiting on its
/// arenas' locks. Version 2, without transparent huge pages (`no_thp`): version 3
/// was slower here, and huge pages made one build in two stall on the kernel's
/// compaction. Measured in DESIGN.md (Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    version,
    about = "Runs the book's ORM comparison snippets and renders their evidence"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// mdBook asks whether a renderer is supported (exit 0: yes, 1: no).
    Supports { renderer: String },
    /// Refresh stale or missing captures by running the snippets under the real ORMs.
    Capture {
        /// The book's root folder (where book.toml is).
        #[arg(long, default_value = ".")]
        book: PathBuf,
        /// Re-capture every snippet, fresh or not.
        #[arg(long)]
        all: bool,
        /// Change nothing; fail if any capture is stale, missing or orphaned.
        #[arg(long, conflicts_with = "all")]
        check: bool,
        /// Only this capture target (`current-sqlite`; see snippets/targets.toml).
        #[arg(long, value_name = "STACK-DATABASE")]
        target: Option<String>,
        /// Lay out the SQL of every committed capture again with this build's
        /// formatter (after changing it), without running Python.
        #[arg(long, conflicts_with_all = ["all", "check", "target"])]
        relayout: bool,
        /// Run every section in the runner's own process, one after the other,
        /// without isolation or limits from outside: the baseline `scripts/bench`
        /// measures isolation against. Never for captures you commit.
        #[arg(long, hide = true)]
        shared_process: bool,
    },
    /// For the tests: reads a built page on stdin and writes it as the reader's
    /// browser holds it once loaded, each panel's island made into its elements
    /// (`islands::load`, checked against the page's own loader by a browser test).
    #[command(hide = true)]
    IslandsLoaded,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => preprocess(),
        Some(Command::Supports { renderer }) => {
            return match OrmCompare.supports_renderer(&renderer) {
                Ok(true) => ExitCode::SUCCESS,
                _ => ExitCode::FAILURE,
            }
        }
        Some(Command::IslandsLoaded) => islands_loaded(),
        Some(Command::Capture {
            book,
            relayout: true,
            ..
        }) => relayout_captures(book),
        Some(Command::Capture {
            book,
            all,
            check,
            target,
            shared_process,
            ..
        }) => capture(book, all, check, target.as_deref(), shared_process),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

fn islands_loaded() -> anyhow::Result<()> {
    let mut page = String::new();
    io::stdin()
        .read_to_string(&mut page)
        .context("cannot read the page from stdin")?;
    io::stdout()
        .write_all(mdbook_ormcompare::islands::load(&page).as_bytes())
        .context("cannot write the loaded page")
}

/// Set by scripts/bench for its floor: the preprocessor hands mdBook the book back
/// unchanged, which measures what any preprocessor costs mdBook (sending the book,
/// reading it back).
const BENCH_UNCHANGED: &str = "ORMCOMPARE_BENCH_UNCHANGED";

fn preprocess() -> anyhow::Result<()> {
    timing::start();
    let unchanged = std::env::var_os(BENCH_UNCHANGED).is_some();
    // mdBook runs its preprocessors in the book's root.
    if let (false, Ok(root)) = (unchanged, std::env::current_dir()) {
        mdbook_ormcompare::preload::start(&root);
    }
    timing::lap("preload");
    // Read whole, then parsed from the bytes: serde_json reading from a stream
    // tracks lines and columns byte by byte, which was the slowest part of a build.
    let mut input = Vec::new();
    io::stdin()
        .read_to_end(&mut input)
        .context("cannot read the book from mdBook")?;
    timing::lap("read");
    let (ctx, book): (mdbook_preprocessor::PreprocessorContext, _) =
        serde_json::from_slice(&input).context("cannot parse the book mdBook sent")?;
    timing::lap("parse");
    let book = if unchanged {
        book
    } else {
        OrmCompare.run(&ctx, book)?
    };
    let output = serde_json::to_vec(&book).context("cannot write the book back to mdBook")?;
    timing::lap("serialize");
    io::stdout()
        .write_all(&output)
        .context("cannot write the book back to mdBook")?;
    timing::lap("write");
    if let Some(report) = timing::report() {
        eprintln!("{report}");
    }
    Ok(())
}

/// `capture --relayout`: the captures' SQL laid out again by this build's formatter.
fn relayout_captures(root: PathBuf) -> anyhow::Result<()> {
    let config = load_config(&root)?;
    let project = Project::open(&root, settings(&config)?)?;
    let rewritten = project.relayout_captures()?;
    eprintln!("laid out the SQL of {rewritten} captures again");
    Ok(())
}

fn capture(
    root: PathBuf,
    all: bool,
    check: bool,
    target: Option<&str>,
    shared_process: bool,
) -> anyhow::Result<()> {
    let config = load_config(&root)?;
    let mut settings = settings(&config)?;
    settings.shared_process = shared_process;
    let project = Project::open(&root, settings)?;
    let chapters = chapters_on_disk(&root, &config)?;
    let mode = match (all, check) {
        (true, _) => CaptureMode::All,
        (_, true) => CaptureMode::Never,
        _ => CaptureMode::WhenPossible,
    };
    let captures = project.ensure_captures(&chapters, mode, target)?;
    let orphans = project.orphan_captures(&chapters)?;
    if check {
        if !orphans.is_empty() {
            bail!(
                "capture files no snippet uses: {}; run `scripts/capture` to remove them",
                orphans
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    } else {
        for orphan in &orphans {
            // A folder of captures of a target no longer in snippets/targets.toml.
            let removed = if orphan.is_dir() {
                std::fs::remove_dir_all(orphan)
            } else {
                std::fs::remove_file(orphan)
            };
            removed.with_context(|| format!("cannot remove {}", orphan.display()))?;
            eprintln!("removed {} (no snippet uses it)", orphan.display());
        }
    }
    eprintln!("{} captures fresh", captures.len());
    Ok(())
}
