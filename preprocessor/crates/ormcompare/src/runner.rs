//! Drives the Python runner (`snippets/runner/orm_runner`) that executes ORM
//! sections under the real libraries. Protocol: snippets/runner/README.md.
//!
//! The runner answers one JSON line per snippet as soon as the snippet's sections
//! have run, each in a process of its own with limits the runner enforces. This
//! side only guards against the runner itself going quiet: if no line comes for
//! longer than a section may take (plus a margin), the runner is killed.

use crate::capture::SectionCapture;
use crate::config::{Paths, Settings};
use crate::syntax::Compare;
use crate::targets::{Database, Stack};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[derive(Serialize)]
struct Request<'a> {
    /// The stack's lock file, whose libraries' versions the runner reports.
    lock: String,
    database: &'a str,
    max_rows: usize,
    jobs: usize,
    isolate: bool,
    limits: RequestLimits,
    watch: Vec<String>,
    snippets: Vec<RequestSnippet<'a>>,
}

#[derive(Serialize)]
struct RequestLimits {
    seconds: f64,
    memory_bytes: u64,
    output_bytes: usize,
    value_chars: usize,
    answer_bytes: usize,
}

#[derive(Serialize)]
struct RequestSnippet<'a> {
    id: &'a str,
    sections: Vec<RequestSection<'a>>,
}

#[derive(Serialize)]
struct RequestSection<'a> {
    kind: &'a str,
    code: &'a str,
}

/// The first line of an answer.
#[derive(Debug, Deserialize)]
struct Versions {
    versions: BTreeMap<String, String>,
}

/// Every later line: one snippet, all its sections.
#[derive(Debug, Deserialize)]
pub struct ResponseSnippet {
    pub id: String,
    pub sections: Vec<SectionCapture>,
}

/// Time the runner may stay quiet beyond one section's own limit (its start-up,
/// preparing the libraries, the kill and the report of a runaway section).
const QUIET_MARGIN: Duration = Duration::from_secs(60);
/// What is kept of the runner's standard error for a message.
const STDERR_KEPT: usize = 16 * 1024;

pub fn python_available(python: &Path) -> bool {
    python.is_file()
}

/// Runs the snippets in one runner process of the stack's Python, on the database;
/// `save` gets each snippet's answer as it comes, with the versions the runner
/// reported. Returns an error when the runner itself fails (snippets that raise are
/// answers, not errors).
pub fn run(
    paths: &Paths,
    settings: &Settings,
    stack: &Stack,
    database: &Database,
    jobs: usize,
    snippets: &[&Compare],
    mut save: impl FnMut(&BTreeMap<String, String>, ResponseSnippet),
) -> Result<(), String> {
    let python = paths.python(stack);
    let request = Request {
        lock: paths.snippets.join(&stack.lock).display().to_string(),
        database: &database.name,
        max_rows: settings.max_rows,
        jobs,
        isolate: !settings.shared_process,
        limits: RequestLimits {
            seconds: settings.section_seconds,
            memory_bytes: settings.section_memory_mb * 1024 * 1024,
            output_bytes: settings.output_chars,
            value_chars: settings.value_chars,
            answer_bytes: settings.capture_bytes,
        },
        watch: [&paths.snippets, &paths.root.join("src")]
            .iter()
            .filter(|p| p.is_dir())
            .map(|p| p.display().to_string())
            .collect(),
        snippets: snippets
            .iter()
            .map(|c| RequestSnippet {
                id: &c.id,
                sections: c
                    .sections
                    .iter()
                    .map(|s| RequestSection {
                        kind: s.kind.key(),
                        code: &s.code,
                    })
                    .collect(),
            })
            .collect(),
    };
    let body = serde_json::to_vec(&request).map_err(|e| e.to_string())?;
    let python_path =
        std::env::join_paths([paths.snippets.join("runner"), paths.snippets.join("models")])
            .map_err(|e| e.to_string())?;
    let mut child = Command::new(&python)
        .args(["-m", "orm_runner"])
        .current_dir(&paths.root)
        .env("PYTHONPATH", python_path)
        .env("PYTHONHASHSEED", "0")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", python.display()))?;
    // Write on a thread so a runner that answers early cannot deadlock us.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let writer = std::thread::spawn(move || stdin.write_all(&body));
    let stderr = keep_tail(child.stderr.take().expect("stderr is piped"));
    let lines = read_lines(child.stdout.take().expect("stdout is piped"));
    let quiet_limit = Duration::from_secs_f64(settings.section_seconds) + QUIET_MARGIN;

    let outcome = receive(&lines, quiet_limit, &mut save);
    if outcome.is_err() {
        let _ = child.kill();
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let _ = writer.join();
    let stderr = stderr.join().unwrap_or_default();
    outcome?;
    if !status.success() {
        return Err(format!(
            "the Python runner failed ({status}):\n{}",
            stderr.trim_end()
        ));
    }
    Ok(())
}

fn receive(
    lines: &mpsc::Receiver<std::io::Result<String>>,
    quiet_limit: Duration,
    save: &mut impl FnMut(&BTreeMap<String, String>, ResponseSnippet),
) -> Result<(), String> {
    let mut versions: Option<BTreeMap<String, String>> = None;
    loop {
        let line = match lines.recv_timeout(quiet_limit) {
            Ok(Ok(line)) => line,
            Ok(Err(e)) => return Err(format!("cannot read the Python runner's answer: {e}")),
            Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(format!(
                    "the Python runner said nothing for {} s and was stopped",
                    quiet_limit.as_secs()
                ))
            }
        };
        match &versions {
            None => {
                let first: Versions = serde_json::from_str(&line).map_err(|e| {
                    format!("the Python runner answered with something unreadable: {e}")
                })?;
                versions = Some(first.versions);
            }
            Some(versions) => {
                let snippet: ResponseSnippet = serde_json::from_str(&line).map_err(|e| {
                    format!("the Python runner answered with something unreadable: {e}")
                })?;
                save(versions, snippet);
            }
        }
    }
}

fn read_lines(stdout: impl Read + Send + 'static) -> mpsc::Receiver<std::io::Result<String>> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

/// Reads a stream to its end on a thread, keeping its last `STDERR_KEPT` bytes.
fn keep_tail(mut stream: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut kept: Vec<u8> = Vec::new();
        let mut buffer = [0u8; 8192];
        while let Ok(n) = stream.read(&mut buffer) {
            if n == 0 {
                break;
            }
            kept.extend_from_slice(&buffer[..n]);
            if kept.len() > 2 * STDERR_KEPT {
                kept.drain(..kept.len() - STDERR_KEPT);
            }
        }
        let start = kept.len().saturating_sub(STDERR_KEPT);
        String::from_utf8_lossy(&kept[start..]).into_owned()
    })
}
