//! Repository hygiene: every Rust file documents its purpose, and ARCHITECTURE.md's code map names exactly the crates.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() && name != "target" && !name.to_string_lossy().starts_with('.') {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let mut files = Vec::new();
    rust_files(&root().join("crates"), &mut files);
    assert!(files.len() > 10, "found only {} files", files.len());
    let undocumented: Vec<String> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(undocumented.is_empty(), "files without a leading //! line: {undocumented:#?}");
}

#[test]
fn code_map_lists_exactly_the_workspace_members() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("root Cargo.toml");
    let members_line = manifest.lines().find(|l| l.starts_with("members")).expect("members line");
    let mut members: Vec<&str> = members_line.split('"').skip(1).step_by(2).collect();
    members.sort();
    let architecture = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut mapped: Vec<&str> =
        architecture.lines().filter_map(|l| l.strip_prefix("### `")).filter_map(|l| l.strip_suffix('`')).collect();
    mapped.sort();
    assert_eq!(members, mapped, "ARCHITECTURE.md's code map and the workspace members differ");
}
