//! The invalid-manifest corpus: every `tests/invalid/*.yaml` is loaded, defaulted and validated, and its messages
//! must equal the sibling `*.expected` file, one `<Kind> "<name>": <field error>` per line.
//!
//! Each manifest holds a mistake people make, with a comment saying which; the expected files hold what
//! kube-apiserver answers. Run with `UPDATE_EXPECT=1` to rewrite the expected files after a deliberate change.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use knet_object::{defaults, load_str, validate};

/// Every message for one manifest file, in the corpus format.
fn messages(name: &str, text: &str) -> String {
    let loaded = load_str(name, text);
    let mut out = String::new();
    for error in &loaded.errors {
        let _ = writeln!(out, "load error: {error}");
    }
    for manifest in loaded.manifests {
        let mut object = manifest.object;
        defaults::apply(&mut object);
        for error in validate(&object) {
            let _ = writeln!(out, "{} {:?}: {error}", object.kind_name(), object.name());
        }
    }
    out
}

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn invalid_manifests_get_kube_apiserver_messages() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let files = corpus();
    assert!(files.len() >= 30, "the corpus has only {} cases", files.len());
    let mut failures = Vec::new();
    for path in files {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let actual = messages(&name, &text);
        let expected_path = path.with_extension("expected");
        if actual.is_empty() || actual.contains("load error") {
            failures.push(format!("{name}: every case must decode and be invalid, got:\n{actual}"));
            continue;
        }
        if update {
            fs::write(&expected_path, &actual).unwrap_or_else(|e| panic!("{name}: {e}"));
            continue;
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!("{name}:\n--- expected\n{expected}+++ actual\n{actual}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ (UPDATE_EXPECT=1 rewrites the expected files):\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}
