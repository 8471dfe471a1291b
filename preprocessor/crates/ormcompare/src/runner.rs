//! Drives the Python runner (`snippets/runner/orm_runner`) that executes ORM
//! sections under the real libraries. Protocol: snippets/runner/README.md.

use crate::capture::SectionCapture;
use crate::config::Paths;
use crate::syntax::Compare;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

#[derive(Serialize)]
struct Request<'a> {
    max_rows: usize,
    snippets: Vec<RequestSnippet<'a>>,
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

#[derive(Debug, Deserialize)]
pub struct Response {
    pub versions: BTreeMap<String, String>,
    pub snippets: Vec<ResponseSnippet>,
}

#[derive(Debug, Deserialize)]
pub struct ResponseSnippet {
    pub id: String,
    pub sections: Vec<SectionCapture>,
}

pub fn python_available(paths: &Paths) -> bool {
    paths.python.is_file()
}

/// Runs every given snippet in one Python process.
pub fn run(paths: &Paths, snippets: &[&Compare], max_rows: usize) -> Result<Response, String> {
    let request = Request {
        max_rows,
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
    let mut child = Command::new(&paths.python)
        .args(["-m", "orm_runner"])
        .current_dir(&paths.root)
        .env("PYTHONPATH", python_path)
        .env("PYTHONHASHSEED", "0")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", paths.python.display()))?;
    // Write on a thread so a runner that answers early cannot deadlock us.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let writer = std::thread::spawn(move || stdin.write_all(&body));
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let _ = writer.join();
    if !output.status.success() {
        return Err(format!(
            "the Python runner failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        ));
    }
    serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("the Python runner answered with something unreadable: {e}"))
}
