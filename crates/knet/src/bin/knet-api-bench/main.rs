//! `knet-api-bench`: the API server benchmarks of issue 3, against `knet_apiserver::Server` run in this process on
//! 127.0.0.1, driven by the real kubectl 1.33 and by kube-rs clients. The numbers in BENCHMARKS.md come from it.
//!
//! 1. **apply**: `kubectl apply -f` of 1,000 objects (ConfigMaps, Services, NetworkPolicies, Deployments) in one
//!    namespace, then the same apply again (all unchanged); the reference is `kubectl create --dry-run=client -o name`
//!    of the same file, which is kubectl reading, decoding and mapping the file with no request per object.
//! 2. **get**: concurrent kube-rs clients, each with its own connection, GET one ConfigMap back to back (and, a
//!    second time, at a fixed rate); the reference is `GET /version` through the same clients, the floor of the stack
//!    (TLS, HTTP, kube-rs, the server's routing) without the store.
//! 3. **watch**: watchers on the ConfigMaps of a namespace; a writer patches a ConfigMap and each watcher's receipt
//!    of the event is matched by resourceVersion to the instants just before and just after the write; the
//!    references are the latency of the write itself, and of the same writes with nobody watching.
//! 4. **restart**: a store holding 10,000 objects; `Server::start` to ready, and to the first list of all ConfigMaps
//!    through a new client; the reference is the same restart with only the system objects stored.
//! 5. **memory**: the `knet-apiserver` binary (beside this one) as a child process; 100 watchers, 10 of which never
//!    read, follow a burst of 1,000 updates of 100 KB ConfigMaps; the server's RSS before and its peak (VmHWM); the
//!    reference is the same burst with every watcher reading.
//!
//! The server runs on its own two-thread tokio runtime, the clients on another; the machine's cores are shared by
//! both, and by kubectl. Everything lives in a directory under the system temp dir, removed at the end.
//!
//! Usage: `knet-api-bench [--seconds S] [--clients N] [--watchers N] [--writes N] [--apply-objects N] [--objects N]
//! [--restarts N] [--stalled N] [--memory-updates N] [--kubectl PATH]` (defaults: 10 s per GET phase, 50 clients, 100 watchers, 200 writes, 1,000 objects
//! applied, 10,000 stored, 5 restarts, 10 stalled watchers, 1,000 updates; kubectl is `kubectl.1.33` beside the target of the `kubectl` on the PATH).
//!
//! This file parses the arguments, runs the phases in turn and prints the table. Each benchmark is its own module
//! (`apply`, `get`, `watch`, `restart`); `setup` holds the runtimes, the kube-rs clients and the objects they create,
//! `stats` the latency statistics and the formatting of durations.

mod apply;
mod get;
mod memory;
mod restart;
mod setup;
mod stats;
mod watch;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::apply::{ApplyResult, Kubectl, bench_apply, find_kubectl};
use crate::get::{GetResult, Load, bench_get};
use crate::memory::{MemoryResult, bench_memory};
use crate::restart::{Restart, RestartResult, bench_restart};
use crate::setup::{Runtimes, client, config, create_namespace};
use crate::stats::{max, median, millis, secs};
use crate::watch::{WatchResult, bench_watch};

/// The benchmark's settings, from the command line.
#[derive(Debug, Clone)]
struct Settings {
    /// How long each GET phase runs.
    seconds: f64,
    /// Concurrent GET clients.
    clients: usize,
    /// Concurrent watchers.
    watchers: usize,
    /// Writes the watchers receive.
    writes: usize,
    /// Objects in the apply file.
    apply_objects: usize,
    /// Objects stored before the restarts.
    stored_objects: usize,
    /// Restarts timed (each of the loaded and of the empty store).
    restarts: usize,
    /// Watchers that never read, in the memory benchmark (among `watchers`).
    stalled: usize,
    /// Updates of 100 KB ConfigMaps in the memory benchmark.
    memory_updates: usize,
    /// The kubectl binary.
    kubectl: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            seconds: 10.0,
            clients: 50,
            watchers: 100,
            writes: 200,
            apply_objects: 1000,
            stored_objects: 10_000,
            restarts: 5,
            stalled: 10,
            memory_updates: 1000,
            kubectl: None,
        }
    }
}

fn parse_args() -> Result<Settings> {
    let mut settings = Settings::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--seconds" => settings.seconds = value()?.parse().context("--seconds")?,
            "--clients" => settings.clients = value()?.parse().context("--clients")?,
            "--watchers" => settings.watchers = value()?.parse().context("--watchers")?,
            "--writes" => settings.writes = value()?.parse().context("--writes")?,
            "--apply-objects" => settings.apply_objects = value()?.parse().context("--apply-objects")?,
            "--objects" => settings.stored_objects = value()?.parse().context("--objects")?,
            "--restarts" => settings.restarts = value()?.parse::<usize>().context("--restarts")?.max(1),
            "--stalled" => settings.stalled = value()?.parse().context("--stalled")?,
            "--memory-updates" => settings.memory_updates = value()?.parse().context("--memory-updates")?,
            "--kubectl" => settings.kubectl = Some(value()?.into()),
            "-h" | "--help" => {
                println!(
                    "usage: knet-api-bench [--seconds S] [--clients N] [--watchers N] [--writes N] \
                     [--apply-objects N] [--objects N] [--restarts N] [--stalled N] [--memory-updates N] \
                     [--kubectl PATH]"
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?} (try --help)"),
        }
    }
    Ok(settings)
}

#[derive(Debug)]
struct Report {
    apply: ApplyResult,
    get: GetResult,
    watch: WatchResult,
    restart: RestartResult,
    memory: MemoryResult,
}

fn bench_all(root: &Path, settings: &Settings, kubectl: PathBuf) -> Result<Report> {
    let runtimes = Runtimes::new()?;
    let dir = root.join("server");
    let server = runtimes.server(knet_apiserver::Server::start(&config(&dir)))?;
    let kubeconfig = server.kubeconfig.clone();
    eprintln!("server at https://{}; state dir {}", server.address, dir.display());

    runtimes.clients(async { create_namespace(&client(&kubeconfig).await?, "bench-apply").await })?;
    let kubectl = Kubectl { binary: kubectl, kubeconfig: kubeconfig.clone(), cache: root.join("kubectl-cache") };
    let apply = bench_apply(&kubectl, root, settings.apply_objects)?;
    eprintln!("apply: done ({} created, {} unchanged)", apply.created_lines, apply.unchanged_lines);

    let get = runtimes.clients(bench_get(&kubeconfig, settings))?;
    eprintln!("get: done ({} + {} requests)", get.version.requests, get.configmap.requests);

    let watch = runtimes.clients(bench_watch(&kubeconfig, settings))?;
    eprintln!("watch: done ({} deliveries missing)", watch.missing);
    runtimes.server(server.stop());

    let restart = bench_restart(&runtimes, root, settings)?;
    eprintln!("restart: done");

    let memory = runtimes.clients(bench_memory(root, settings))?;
    eprintln!("memory: done");
    Ok(Report { apply, get, watch, restart, memory })
}

fn ratio(a: f64, b: f64) -> String {
    format!("{:.1}×", a / b)
}

fn print_report(report: &Report) {
    let Report { apply, get, watch, restart, memory } = report;
    println!("| benchmark | result | target | reference (same run) | ratio |");
    println!("|---|---:|---:|---|---:|");
    println!(
        "| (a) `kubectl apply -f`, {} objects, all created | **{}** ({} created) | ≤ 5 s | `kubectl create --dry-run=client -o name -f`: {} | {} |",
        apply.objects,
        secs(apply.create),
        apply.created_lines,
        secs(apply.reference),
        ratio(apply.create.as_secs_f64(), apply.reference.as_secs_f64()),
    );
    println!(
        "| (a) the same apply again, all unchanged | {} ({} unchanged) | | the same | {} |",
        secs(apply.unchanged),
        apply.unchanged_lines,
        ratio(apply.unchanged.as_secs_f64(), apply.reference.as_secs_f64()),
    );
    let get_row = |label: &str, target: &Load, reference: &Load, goal: &str| {
        println!(
            "| (b) {label}: p50 / p99 / max | **{}** ({:.0} req/s, {} errors) | {goal} | `GET /version`: {} ({:.0} req/s) | p99 {} |",
            target.latencies.summary(),
            target.throughput(),
            target.errors,
            reference.latencies.summary(),
            reference.throughput(),
            ratio(target.latencies.p99(), reference.latencies.p99()),
        );
    };
    get_row(
        &format!("GET ConfigMap, {} clients back to back", get.clients),
        &get.configmap,
        &get.version,
        "p99 ≤ 5 ms",
    );
    get_row(
        &format!(
            "GET ConfigMap, {} clients at {:.0}/s each ({:.0}/s offered)",
            get.clients,
            1.0 / get.paced_interval.as_secs_f64(),
            get.clients as f64 / get.paced_interval.as_secs_f64()
        ),
        &get.paced_configmap,
        &get.paced_version,
        "p99 ≤ 5 ms",
    );
    println!(
        "| (b) GET ConfigMap, 1 client back to back: p50 / p99 / max | {} ({:.0} req/s) | | | |",
        get.single.latencies.summary(),
        get.single.throughput(),
    );
    println!(
        "| (c) watch delivery, {} watchers × {} writes, from the write call: p50 / p99 / max | **{}** ({} missing) | p99 ≤ 10 ms | the write (merge patch) itself: {} | p99 {} |",
        watch.watchers,
        watch.writes,
        watch.delivery.summary(),
        watch.missing,
        watch.write.summary(),
        ratio(watch.delivery.p99(), watch.write.p99()),
    );
    println!("| (c) the same writes with no watcher: p50 / p99 / max | {} | | | |", watch.bare_write.summary());
    println!(
        "| (c) watch delivery, from the write's acknowledgment: p50 / p99 / max | {} | | | |",
        watch.after_ack.summary()
    );
    println!(
        "| (c) the write call to the first watcher's receipt: p50 / p99 / max | {} | | | |",
        watch.first.summary()
    );
    println!(
        "| (c) fan-out: the first watcher's receipt to each watcher's: p50 / p99 / max | {} | | | |",
        watch.spread.summary()
    );
    let ready = |runs: &[Restart]| runs.iter().map(|r| r.ready).collect::<Vec<_>>();
    let listed = |runs: &[Restart]| runs.iter().map(|r| r.first_list).collect::<Vec<_>>();
    let (loaded_ready, empty_ready) = (ready(&restart.loaded), ready(&restart.empty));
    let (loaded_list, empty_list) = (listed(&restart.loaded), listed(&restart.empty));
    println!(
        "| (d) restart, {} objects stored: `Server::start` to ready, median / max of {} | **{} / {}** | ≤ 1 s | only the system objects stored: {} / {} | {} |",
        restart.objects,
        restart.loaded.len(),
        millis(median(&loaded_ready)),
        millis(max(&loaded_ready)),
        millis(median(&empty_ready)),
        millis(max(&empty_ready)),
        ratio(median(&loaded_ready).as_secs_f64(), median(&empty_ready).as_secs_f64()),
    );
    println!(
        "| (d) restart to the first list of all ConfigMaps ({} items), new client: median / max | {} / {} | | {} / {} ({} items) | {} |",
        restart.loaded.first().map_or(0, |r| r.listed),
        millis(median(&loaded_list)),
        millis(max(&loaded_list)),
        millis(median(&empty_list)),
        millis(max(&empty_list)),
        restart.empty.first().map_or(0, |r| r.listed),
        ratio(median(&loaded_list).as_secs_f64(), median(&empty_list).as_secs_f64()),
    );
    println!(
        "| (d) filling the store: {} creates through the API, 8 clients | {} ({:.0}/s) | | | |",
        restart.objects,
        secs(restart.fill),
        restart.objects as f64 / restart.fill.as_secs_f64(),
    );
    let mib = |bytes: u64| format!("{:.0} MiB", bytes as f64 / (1024.0 * 1024.0));
    let (stalled, reading) = (&memory.with_stalled, &memory.all_reading);
    println!(
        "| (e) server RSS, {} watchers of which {} never read, {} updates of 100 KB: before / peak / after | **{} / {} / {}** ({} events missed by the readers, burst {}) | bounded | every watcher reading: {} / {} / {} ({} missed, burst {}) | peak {} |",
        memory.watchers,
        memory.stalled,
        memory.updates,
        mib(stalled.before),
        mib(stalled.peak),
        mib(stalled.after),
        stalled.missing,
        secs(stalled.burst),
        mib(reading.before),
        mib(reading.peak),
        mib(reading.after),
        reading.missing,
        secs(reading.burst),
        ratio(stalled.peak as f64, reading.peak as f64),
    );
}

fn run() -> Result<()> {
    let settings = parse_args()?;
    let kubectl = match settings.kubectl.clone() {
        Some(path) => path,
        None => find_kubectl()?,
    };
    let root = std::env::temp_dir().join(format!("knet-api-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    eprintln!("kubectl: {}", kubectl.display());
    let report = bench_all(&root, &settings, kubectl);
    let _ = std::fs::remove_dir_all(&root);
    print_report(&report?);
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("knet-api-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}
