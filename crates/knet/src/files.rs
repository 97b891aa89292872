//! Reading manifests the way `kubectl apply -f` does: files, directories (recursively, `.yaml`, `.yml`, `.json`, in
//! name order) and `-` for stdin. This is the only place the analyzer touches the filesystem.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use knet_object::{Loaded, load_str};

/// Loads every manifest under `paths`.
pub fn load_paths(paths: &[PathBuf]) -> Result<Loaded> {
    let mut loaded = Loaded::default();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).context("reading manifests from stdin")?;
            loaded.extend(load_str("-", &text));
            continue;
        }
        if !path.exists() {
            bail!("the path {:?} does not exist", path.display().to_string());
        }
        for file in manifest_files(path)? {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            loaded.extend(load_str(&file.display().to_string(), &text));
        }
    }
    Ok(loaded)
}

/// The manifest files of a path: the path itself if it is a file, else every manifest file below it, sorted.
fn manifest_files(path: &Path) -> Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files = Vec::new();
    let mut pending = vec![path.to_owned()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).with_context(|| format!("reading directory {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("reading directory {}", dir.display()))?;
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}
