//! The panels' data files, written where mdBook copies them into the book.
//!
//! A file is written only when its bytes change, and files no panel uses any more
//! are removed: `mdbook serve` rebuilds when something in the source folder
//! changes, so rewriting identical files would rebuild for ever.

use crate::render::DataFile;
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::Path;

pub fn write(dir: &Path, files: &[DataFile]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create the folder: {e}"))?;
    files.par_iter().try_for_each(|file| {
        let path = dir.join(&file.name);
        let same = std::fs::read(&path).is_ok_and(|bytes| bytes == file.json.as_bytes());
        if same {
            return Ok(());
        }
        std::fs::write(&path, &file.json)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    })?;
    let names: HashSet<&str> = files.iter().map(|file| file.name.as_str()).collect();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read the folder: {e}"))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") && !names.contains(name.as_str()) {
            std::fs::remove_file(entry.path())
                .map_err(|e| format!("cannot remove {}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, json: &str) -> DataFile {
        DataFile {
            name: name.into(),
            json: json.into(),
        }
    }

    #[test]
    fn writes_changed_files_only_and_removes_unused_ones() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[file("a.json", "1"), file("b.json", "2")]).unwrap();
        let a = dir.path().join("a.json");
        let before = std::fs::metadata(&a).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        write(dir.path(), &[file("a.json", "1"), file("c.json", "3")]).unwrap();
        assert_eq!(std::fs::metadata(&a).unwrap().modified().unwrap(), before);
        assert!(!dir.path().join("b.json").exists());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("c.json")).unwrap(),
            "3"
        );
    }
}
