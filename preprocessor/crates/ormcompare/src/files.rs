//! Finding files under a folder.

use std::path::{Path, PathBuf};

/// Every file under `dir` (recursively) whose extension is `extension`, sorted,
/// skipping `__pycache__` folders.
pub fn files_with_extension(dir: &Path, extension: &str) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    walk(dir, extension, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "__pycache__") {
                walk(&path, extension, out)?;
            }
        } else if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
    Ok(())
}
