//! Work that needs only the files on disk, done while mdBook sends the book.
//!
//! mdBook writes the book (about a megabyte of JSON) into the preprocessor's stdin
//! in tens of thousands of small writes. Read as they came, they took about 40 ms,
//! each waking the reader, while the preprocessor had nothing else to do. So
//! `start` first makes the pipe big enough to hold the book (Linux: `fcntl`
//! `F_SETPIPE_SZ`, up to `/proc/sys/fs/pipe-max-size`), so mdBook writes without
//! waiting, then reads and checks every committed capture, and only then does the
//! preprocessor read the book, in a few large reads.
//!
//! A capture whose checksum matched waits here until the build `take`s it; the
//! build checks the rest (sections, freshness) as always. A capture the build does
//! not find here (a file the preload could not read or check, a folder the book's
//! settings name differently) is read from its file as if there were no preload.

use crate::capture::{self, Capture};
use crate::captures::committed_files;
use crate::mdbook::{load_config, settings};
use crate::targets::Targets;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Checked captures by their file's absolute path, taken out as they are used.
static CHECKED: Mutex<Option<HashMap<PathBuf, Capture>>> = Mutex::new(None);

/// Enlarges stdin's pipe, then reads and checks the captures of the book whose
/// `book.toml` is in `root` (mdBook runs its preprocessors there). Gives up
/// silently at the first thing it cannot read: the build reads the files anyway.
pub fn start(root: &Path) {
    enlarge_stdin_pipe();
    let Ok(config) = load_config(root) else {
        return;
    };
    let Ok(settings) = settings(&config) else {
        return;
    };
    let paths = settings.paths(root);
    let Ok(targets) = Targets::load(&paths.snippets) else {
        return;
    };
    let checked: HashMap<PathBuf, Capture> = committed_files(&paths.captures, &targets)
        .into_par_iter()
        .filter_map(|path| {
            let capture = capture::read_file(&path).ok()??;
            Some((absolute(&path), capture))
        })
        .collect();
    *CHECKED.lock().expect("never poisoned") = Some(checked);
}

/// The capture at `path` if the preload read it and its checksum matched.
pub fn take(path: &Path) -> Option<Capture> {
    CHECKED
        .lock()
        .expect("never poisoned")
        .as_mut()?
        .remove(&absolute(path))
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Lets mdBook's writes land in the pipe without waiting for a reader.
#[cfg(target_os = "linux")]
fn enlarge_stdin_pipe() {
    let most = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
        .ok()
        .and_then(|text| text.trim().parse::<libc::c_int>().ok())
        .unwrap_or(1 << 20);
    // SAFETY: fcntl on stdin with an integer argument touches no memory of ours;
    // when stdin is not a pipe it fails, and nothing changes.
    unsafe {
        libc::fcntl(libc::STDIN_FILENO, libc::F_SETPIPE_SZ, most);
    }
}

#[cfg(not(target_os = "linux"))]
fn enlarge_stdin_pipe() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_book_s_captures_are_preloaded_checked_and_taken_once() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
        start(&root);
        let file = root.join("snippets/captures/current-sqlite/n1-lazy-reverse.json");
        let taken = take(&file).expect("a committed capture is preloaded");
        assert_eq!(Some(taken), capture::read_file(&file).unwrap());
        assert!(take(&file).is_none(), "taken once, then read from the file");
    }
}
