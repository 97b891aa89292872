//! Benchmark 5, memory: the server's resident memory, read from `/proc/PID/status`, while watchers follow a burst of
//! updates of 100 KB ConfigMaps and some of them never read; the reference is the same burst with every watcher
//! reading. The server is the `knet-apiserver` binary beside this one, run as a child process, so that its memory is
//! its own and not the clients'.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use http_body_util::BodyExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, PostParams, WatchParams};
use kube::core::ObjectMeta;

use crate::Settings;
use crate::setup::{client, clients};

/// The value each update writes.
const VALUE_BYTES: usize = 100 * 1000;
/// ConfigMaps the burst rewrites in turn.
const OBJECTS: usize = 100;
/// Concurrent writers.
const WRITERS: usize = 4;

#[derive(Debug)]
pub(crate) struct MemoryResult {
    pub(crate) watchers: usize,
    pub(crate) stalled: usize,
    pub(crate) updates: usize,
    /// With stalled watchers: RSS before the burst, peak RSS (VmHWM), and the burst's duration.
    pub(crate) with_stalled: Run,
    /// The reference: every watcher reads.
    pub(crate) all_reading: Run,
}

#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) before: u64,
    pub(crate) peak: u64,
    pub(crate) after: u64,
    pub(crate) burst: Duration,
    /// Events the reading watchers did not receive.
    pub(crate) missing: usize,
}

/// The server binary as a child, killed when dropped.
struct ServerChild {
    child: Child,
    kubeconfig: PathBuf,
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        // Our own child, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(dir: &Path) -> Result<ServerChild> {
    let binary = std::env::current_exe()?.with_file_name("knet-apiserver");
    if !binary.is_file() {
        bail!("{} is missing: build it with `cargo build --release -p knet-apiserver`", binary.display());
    }
    let mut child = Command::new(&binary).arg(dir).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn()?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
    if !line.starts_with("knet API server ready") {
        bail!("the server did not start: {line:?}");
    }
    Ok(ServerChild { child, kubeconfig: dir.join("kubeconfig") })
}

/// A field of `/proc/PID/status`, in bytes.
fn status_bytes(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.starts_with(field)).context("no such field")?;
    let kib: u64 = line.split_whitespace().nth(1).context("no value")?.parse()?;
    Ok(kib * 1024)
}

fn config_map(i: usize, round: usize) -> ConfigMap {
    let name = format!("cm-{i}");
    let value = format!("{name}/{round};").repeat(VALUE_BYTES / (name.len() + 5));
    ConfigMap {
        metadata: ObjectMeta { name: Some(name), ..ObjectMeta::default() },
        data: Some([("v".to_owned(), value)].into()),
        ..ConfigMap::default()
    }
}

pub(crate) async fn bench_memory(root: &Path, settings: &Settings) -> Result<MemoryResult> {
    let (watchers, stalled, updates) = (settings.watchers, settings.stalled, settings.memory_updates);
    let with_stalled = run(&root.join("memory-stalled"), watchers, stalled, updates).await?;
    let all_reading = run(&root.join("memory-reading"), watchers, 0, updates).await?;
    Ok(MemoryResult { watchers, stalled, updates, with_stalled, all_reading })
}

async fn run(dir: &Path, watchers: usize, stalled: usize, updates: usize) -> Result<Run> {
    let _ = std::fs::remove_dir_all(dir);
    let server = start_server(dir)?;
    let pid = server.child.id();
    let writer = client(&server.kubeconfig).await?;
    let api: Api<ConfigMap> = Api::namespaced(writer.clone(), "default");
    for i in 0..OBJECTS {
        api.create(&PostParams::default(), &config_map(i, 0)).await?;
    }
    let from = api.list(&ListParams::default().limit(1)).await?.metadata.resource_version.context("an rv")?;

    // Each watcher on a connection of its own; the stalled ones keep their response and never read it.
    let watcher_clients = clients(&server.kubeconfig, watchers).await?;
    let mut held = Vec::new();
    let mut readers = Vec::new();
    for (n, client) in watcher_clients.into_iter().enumerate() {
        let request = kube::core::Request::new("/api/v1/namespaces/default/configmaps")
            .watch(&WatchParams::default().timeout(290), &from)?
            .map(kube::client::Body::from);
        let response = client.send(request).await?;
        if n < stalled {
            held.push((client, response));
            continue;
        }
        readers.push(tokio::spawn(async move {
            let mut body = response.into_body();
            let mut lines = 0;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
            while lines < updates {
                match tokio::time::timeout_at(deadline, body.frame()).await {
                    Ok(Some(Ok(frame))) => {
                        lines += frame.into_data().map_or(0, |d| d.iter().filter(|b| **b == b'\n').count());
                    }
                    _ => break,
                }
            }
            lines
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = status_bytes(pid, "VmRSS")?;

    let started = Instant::now();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let api = api.clone();
            tokio::spawn(async move {
                let mut n = w;
                while n < updates {
                    let (i, round) = (n % OBJECTS, n / OBJECTS + 1);
                    api.replace(&format!("cm-{i}"), &PostParams::default(), &config_map(i, round)).await?;
                    n += WRITERS;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for writer in writers {
        writer.await??;
    }
    let mut missing = 0;
    for reader in readers {
        missing += updates.saturating_sub(reader.await?);
    }
    let burst = started.elapsed();
    let peak = status_bytes(pid, "VmHWM")?;
    let after = status_bytes(pid, "VmRSS")?;
    drop(held);
    drop(server);
    let _ = std::fs::remove_dir_all(dir);
    Ok(Run { before, peak, after, burst, missing })
}
