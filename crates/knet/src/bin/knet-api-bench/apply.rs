//! Benchmark 1, apply: the real kubectl applies one file of objects, twice, beside its own client-side dry run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::setup::KINDS;

/// A multi-document YAML stream (each document written as JSON, which is YAML) of `n` objects.
fn manifest(namespace: &str, n: usize) -> String {
    let mut text = String::new();
    for i in 0..n {
        text.push_str("---\n");
        text.push_str(&serde_json::to_string_pretty(&KINDS[i % 4].object(namespace, i)).unwrap_or_default());
        text.push('\n');
    }
    text
}

/// `kubectl.1.33` beside the target of the `kubectl` dispatcher on the PATH.
pub(crate) fn find_kubectl() -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dispatcher = std::env::split_paths(&path)
        .map(|dir| dir.join("kubectl"))
        .find(|candidate| candidate.is_file())
        .context("no kubectl on the PATH (pass --kubectl)")?;
    let target = std::fs::canonicalize(&dispatcher)?;
    let versioned = target.with_file_name("kubectl.1.33");
    if versioned.is_file() { Ok(versioned) } else { Ok(dispatcher) }
}

pub(crate) struct Kubectl {
    pub(crate) binary: PathBuf,
    pub(crate) kubeconfig: PathBuf,
    pub(crate) cache: PathBuf,
}

impl Kubectl {
    /// Runs kubectl, returning its stdout and how long it took; fails when kubectl does.
    pub(crate) fn run(&self, args: &[&str]) -> Result<(String, Duration)> {
        let start = Instant::now();
        let output = Command::new(&self.binary)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(&self.cache)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {}", self.binary.display()))?;
        let took = start.elapsed();
        if !output.status.success() {
            bail!("kubectl {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        Ok((String::from_utf8_lossy(&output.stdout).into_owned(), took))
    }
}

#[derive(Debug)]
pub(crate) struct ApplyResult {
    pub(crate) objects: usize,
    pub(crate) reference: Duration,
    pub(crate) create: Duration,
    pub(crate) unchanged: Duration,
    pub(crate) created_lines: usize,
    pub(crate) unchanged_lines: usize,
}

pub(crate) fn bench_apply(kubectl: &Kubectl, dir: &Path, objects: usize) -> Result<ApplyResult> {
    let file = dir.join("apply.yaml");
    std::fs::write(&file, manifest("bench-apply", objects))?;
    let file = file.to_str().context("a UTF-8 temp path")?;
    // Discovery and the OpenAPI documents are cached by kubectl; fill the cache first, as a user's earlier commands
    // would have, so that every timed command below starts from the same cache.
    kubectl.run(&["api-resources", "-o", "name"])?;
    let (names, reference) = kubectl.run(&["create", "--dry-run=client", "-o", "name", "-f", file])?;
    if names.lines().count() != objects {
        bail!("kubectl create --dry-run named {} objects, not {objects}", names.lines().count());
    }
    let (created, create) = kubectl.run(&["apply", "-f", file])?;
    let (unchanged, unchanged_took) = kubectl.run(&["apply", "-f", file])?;
    Ok(ApplyResult {
        objects,
        reference,
        create,
        unchanged: unchanged_took,
        created_lines: created.lines().filter(|l| l.ends_with(" created")).count(),
        unchanged_lines: unchanged.lines().filter(|l| l.ends_with(" unchanged")).count(),
    })
}
