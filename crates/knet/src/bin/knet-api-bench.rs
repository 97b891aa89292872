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
//!
//! The server runs on its own two-thread tokio runtime, the clients on another; the machine's cores are shared by
//! both, and by kubectl. Everything lives in a directory under the system temp dir, removed at the end.
//!
//! Usage: `knet-api-bench [--seconds S] [--clients N] [--watchers N] [--writes N] [--apply-objects N] [--objects N]
//! [--restarts N] [--kubectl PATH]` (defaults: 10 s per GET phase, 50 clients, 100 watchers, 200 writes, 1,000 objects
//! applied, 10,000 stored, 5 restarts; kubectl is `kubectl.1.33` beside the target of the `kubectl` on the PATH).

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use http_body_util::BodyExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

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
            "--kubectl" => settings.kubectl = Some(value()?.into()),
            "-h" | "--help" => {
                println!(
                    "usage: knet-api-bench [--seconds S] [--clients N] [--watchers N] [--writes N] \
                     [--apply-objects N] [--objects N] [--restarts N] [--kubectl PATH]"
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?} (try --help)"),
        }
    }
    Ok(settings)
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics.

/// Latencies in microseconds, sorted.
#[derive(Debug, Clone, Default)]
struct Latencies(Vec<f64>);

impl Latencies {
    fn new(mut micros: Vec<f64>) -> Latencies {
        micros.sort_by(f64::total_cmp);
        Latencies(micros)
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.0.is_empty() {
            return f64::NAN;
        }
        let index = ((p / 100.0) * (self.0.len() - 1) as f64).round() as usize;
        self.0[index.min(self.0.len() - 1)]
    }

    fn p50(&self) -> f64 {
        self.percentile(50.0)
    }

    fn p99(&self) -> f64 {
        self.percentile(99.0)
    }

    fn max(&self) -> f64 {
        self.0.last().copied().unwrap_or(f64::NAN)
    }

    /// `p50 / p99 / max` in milliseconds.
    fn summary(&self) -> String {
        format!("{} / {} / {}", ms(self.p50()), ms(self.p99()), ms(self.max()))
    }
}

/// Microseconds as milliseconds, with precision that suits the size.
fn ms(micros: f64) -> String {
    let millis = micros / 1e3;
    if millis.abs() < 10.0 { format!("{millis:.2} ms") } else { format!("{millis:.1} ms") }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn median(durations: &[Duration]) -> Duration {
    let mut sorted = durations.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

fn max(durations: &[Duration]) -> Duration {
    durations.iter().copied().max().unwrap_or_default()
}

fn micros_since(start: Instant, end: Instant) -> f64 {
    // A receipt can precede the write's acknowledgment, so the difference is signed.
    match end.checked_duration_since(start) {
        Some(d) => d.as_secs_f64() * 1e6,
        None => -(start.duration_since(end).as_secs_f64() * 1e6),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The server and its clients.

/// The two runtimes: the server's and the clients'.
struct Runtimes {
    server: Runtime,
    clients: Runtime,
}

impl Runtimes {
    fn new() -> Result<Runtimes> {
        let build = |name: &str| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name(name)
                .enable_all()
                .build()
                .with_context(|| format!("starting the {name} runtime"))
        };
        Ok(Runtimes { server: build("server")?, clients: build("clients")? })
    }

    fn server<F: Future>(&self, future: F) -> F::Output {
        self.server.block_on(future)
    }

    fn clients<F: Future>(&self, future: F) -> F::Output {
        self.clients.block_on(future)
    }
}

fn config(state_dir: &Path) -> knet_apiserver::Config {
    knet_apiserver::Config { state_dir: state_dir.to_owned(), port: 0, no_dataplane: true }
}

/// A kube-rs client of the server's kubeconfig, with its own connection pool.
async fn client(kubeconfig: &Path) -> Result<Client> {
    let kubeconfig = Kubeconfig::read_from(kubeconfig).context("reading the kubeconfig")?;
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await?;
    Ok(Client::try_from(config)?)
}

async fn clients(kubeconfig: &Path, n: usize) -> Result<Vec<Client>> {
    let mut clients = Vec::with_capacity(n);
    for _ in 0..n {
        clients.push(client(kubeconfig).await?);
    }
    Ok(clients)
}

/// POSTs a JSON object to its collection.
async fn create(client: &Client, collection: &str, object: &Value) -> Result<Value> {
    let request = kube::core::Request::new(collection).create(&PostParams::default(), serde_json::to_vec(object)?)?;
    client.request::<Value>(request).await.with_context(|| format!("creating in {collection}"))
}

async fn create_namespace(client: &Client, name: &str) -> Result<()> {
    let namespace = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
    create(client, "/api/v1/namespaces", &namespace).await.map(drop)
}

// ---------------------------------------------------------------------------------------------------------------
// Objects.

/// The kinds the benchmarks create, in turn.
#[derive(Debug, Clone, Copy)]
enum Kind {
    ConfigMap,
    Service,
    NetworkPolicy,
    Deployment,
}

const KINDS: [Kind; 4] = [Kind::ConfigMap, Kind::Service, Kind::NetworkPolicy, Kind::Deployment];

impl Kind {
    fn collection(self, namespace: &str) -> String {
        match self {
            Kind::ConfigMap => format!("/api/v1/namespaces/{namespace}/configmaps"),
            Kind::Service => format!("/api/v1/namespaces/{namespace}/services"),
            Kind::NetworkPolicy => format!("/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies"),
            Kind::Deployment => format!("/apis/apps/v1/namespaces/{namespace}/deployments"),
        }
    }

    /// The `i`-th object, of this kind.
    fn object(self, namespace: &str, i: usize) -> Value {
        let app = format!("app-{}", (i / 4) % 50);
        let peer = format!("app-{}", (i / 4 + 1) % 50);
        match self {
            Kind::ConfigMap => json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("config-{i}"), "namespace": namespace, "labels": {"app": app}},
                "data": {
                    "LOG_LEVEL": "info",
                    "UPSTREAM": format!("http://{peer}.{namespace}.svc.cluster.local:80"),
                    "settings.yaml": format!("replicas: 2\ntimeoutSeconds: 30\nname: config-{i}\nfeatures: [a, b, c]\n"),
                },
            }),
            Kind::Service => json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": format!("svc-{i}"), "namespace": namespace, "labels": {"app": app}},
                "spec": {
                    "selector": {"app": app},
                    "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
                },
            }),
            Kind::NetworkPolicy => json!({
                "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": format!("allow-{i}"), "namespace": namespace},
                "spec": {
                    "podSelector": {"matchLabels": {"app": app}},
                    "policyTypes": ["Ingress"],
                    "ingress": [{
                        "from": [{"podSelector": {"matchLabels": {"app": peer}}}],
                        "ports": [{"port": 8080, "protocol": "TCP"}],
                    }],
                },
            }),
            Kind::Deployment => json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": format!("deploy-{i}"), "namespace": namespace, "labels": {"app": app}},
                "spec": {
                    "replicas": 2,
                    "selector": {"matchLabels": {"app": app, "instance": format!("i{i}")}},
                    "template": {
                        "metadata": {"labels": {"app": app, "instance": format!("i{i}")}},
                        "spec": {"containers": [{
                            "name": "app",
                            "image": "registry.k8s.io/e2e-test-images/agnhost:2.53",
                            "args": ["netexec", "--http-port=8080"],
                            "ports": [{"name": "http", "containerPort": 8080}],
                            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                        }]},
                    },
                },
            }),
        }
    }
}

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

// ---------------------------------------------------------------------------------------------------------------
// 1. kubectl apply.

/// `kubectl.1.33` beside the target of the `kubectl` dispatcher on the PATH.
fn find_kubectl() -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dispatcher = std::env::split_paths(&path)
        .map(|dir| dir.join("kubectl"))
        .find(|candidate| candidate.is_file())
        .context("no kubectl on the PATH (pass --kubectl)")?;
    let target = std::fs::canonicalize(&dispatcher)?;
    let versioned = target.with_file_name("kubectl.1.33");
    if versioned.is_file() { Ok(versioned) } else { Ok(dispatcher) }
}

struct Kubectl {
    binary: PathBuf,
    kubeconfig: PathBuf,
    cache: PathBuf,
}

impl Kubectl {
    /// Runs kubectl, returning its stdout and how long it took; fails when kubectl does.
    fn run(&self, args: &[&str]) -> Result<(String, Duration)> {
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
struct ApplyResult {
    objects: usize,
    reference: Duration,
    create: Duration,
    unchanged: Duration,
    created_lines: usize,
    unchanged_lines: usize,
}

fn bench_apply(kubectl: &Kubectl, dir: &Path, objects: usize) -> Result<ApplyResult> {
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

// ---------------------------------------------------------------------------------------------------------------
// 2. GET under concurrent clients.

#[derive(Debug, Clone, Copy)]
enum Target {
    /// `GET /version`.
    Version,
    /// `GET` of one ConfigMap, decoded into its k8s-openapi type.
    ConfigMap,
}

#[derive(Debug)]
struct Load {
    latencies: Latencies,
    requests: usize,
    errors: usize,
    elapsed: Duration,
}

impl Load {
    fn throughput(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

/// Every client requests `target` for `seconds`, back to back, or every `interval` when one is given.
async fn load(clients: &[Client], target: Target, seconds: f64, interval: Option<Duration>) -> Load {
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let n = clients.len() as u32;
    let tasks: Vec<_> = clients
        .iter()
        .cloned()
        .zip(0u32..)
        .map(|(client, k)| {
            tokio::spawn(async move {
                let configmaps: Api<ConfigMap> = Api::namespaced(client.clone(), "bench-get");
                // Paced clients start evenly spread over one interval, so that they do not all send at once.
                let mut ticker = interval.map(|i| {
                    let first = tokio::time::Instant::now() + i * k / n;
                    let mut ticker = tokio::time::interval_at(first, i);
                    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    ticker
                });
                let (mut latencies, mut errors) = (Vec::new(), 0usize);
                while Instant::now() < deadline {
                    if let Some(ticker) = &mut ticker {
                        ticker.tick().await;
                    }
                    let sent = Instant::now();
                    let ok = match target {
                        Target::Version => client.apiserver_version().await.is_ok(),
                        Target::ConfigMap => configmaps.get("target").await.is_ok(),
                    };
                    latencies.push(sent.elapsed().as_secs_f64() * 1e6);
                    errors += usize::from(!ok);
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut all, mut errors) = (Vec::new(), 0);
    for task in tasks {
        if let Ok((latencies, e)) = task.await {
            all.extend(latencies);
            errors += e;
        }
    }
    let elapsed = start.elapsed();
    Load { requests: all.len(), latencies: Latencies::new(all), errors, elapsed }
}

#[derive(Debug)]
struct GetResult {
    clients: usize,
    single: Load,
    version: Load,
    configmap: Load,
    paced_interval: Duration,
    paced_version: Load,
    paced_configmap: Load,
}

async fn bench_get(kubeconfig: &Path, settings: &Settings) -> Result<GetResult> {
    let setup = client(kubeconfig).await?;
    create_namespace(&setup, "bench-get").await?;
    create(
        &setup,
        &Kind::ConfigMap.collection("bench-get"),
        &json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "target", "labels": {"app": "bench"}},
            "data": {"LOG_LEVEL": "info", "settings.yaml": "replicas: 2\ntimeoutSeconds: 30\n"},
        }),
    )
    .await?;
    let many = clients(kubeconfig, settings.clients).await?;
    // Warm up: every client's connection and TLS session, the server's threads.
    load(&many, Target::ConfigMap, 1.0, None).await;
    let single = load(std::slice::from_ref(&setup), Target::ConfigMap, settings.seconds / 4.0, None).await;
    let version = load(&many, Target::Version, settings.seconds, None).await;
    let configmap = load(&many, Target::ConfigMap, settings.seconds, None).await;
    // At a fixed rate: 20 requests per second per client (1,000/s for 50 clients), below saturation.
    let paced_interval = Duration::from_millis(50);
    let paced_version = load(&many, Target::Version, settings.seconds, Some(paced_interval)).await;
    let paced_configmap = load(&many, Target::ConfigMap, settings.seconds, Some(paced_interval)).await;
    Ok(GetResult {
        clients: settings.clients,
        single,
        version,
        configmap,
        paced_interval,
        paced_version,
        paced_configmap,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Watch delivery.

#[derive(Debug)]
struct WatchResult {
    watchers: usize,
    writes: usize,
    /// Write call to receipt, per watcher and write.
    delivery: Latencies,
    /// Write acknowledgment to receipt (negative when the event arrives before the write's response).
    after_ack: Latencies,
    /// The write call itself.
    write: Latencies,
    /// The same writes with no watcher.
    bare_write: Latencies,
    /// The write call to the first watcher's receipt of it.
    first: Latencies,
    /// The first watcher's receipt of a write to each watcher's: what the fan-out to every watcher adds.
    spread: Latencies,
    missing: usize,
}

/// One watcher's receipts: resourceVersion and the instant its bytes arrived.
type Receipts = Vec<(u64, Instant)>;

/// Streams a watch, recording when each event's bytes arrive, until the last write's revision (sent on `last` once
/// the writes are done) has arrived, or ten seconds after the writes are done.
async fn receive(mut body: kube::client::Body, mut last: tokio::sync::watch::Receiver<u64>) -> Receipts {
    let mut receipts = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut deadline = None;
    loop {
        let done = *last.borrow_and_update();
        if done != 0 {
            if receipts.last().is_some_and(|&(rv, _)| rv >= done) {
                break;
            }
            deadline.get_or_insert_with(|| tokio::time::Instant::now() + Duration::from_secs(10));
        }
        let frame = tokio::select! {
            frame = body.frame() => frame,
            changed = last.changed() => match changed {
                Ok(()) => continue,
                Err(_) => None,
            },
            () = tokio::time::sleep_until(deadline.unwrap_or_else(tokio::time::Instant::now)), if deadline.is_some() => None,
        };
        let Some(Ok(frame)) = frame else { break };
        let arrived = Instant::now();
        let Ok(data) = frame.into_data() else { continue };
        pending.extend_from_slice(&data);
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let rv = serde_json::from_slice::<Value>(&line)
                .ok()
                .and_then(|event| event.pointer("/object/metadata/resourceVersion")?.as_str()?.parse().ok());
            if let Some(rv) = rv {
                receipts.push((rv, arrived));
            }
        }
    }
    receipts
}

/// The writes of a series: their latencies, and the instants just before and just after each, by resourceVersion.
struct Writes {
    latencies: Vec<f64>,
    sent: HashMap<u64, (Instant, Instant)>,
    last: u64,
}

/// Patches the ConfigMap `ticker` `n` times, 20 ms apart.
async fn write_series(configmaps: &Api<ConfigMap>, n: usize, first_seq: usize) -> Result<Writes> {
    let mut writes = Writes { latencies: Vec::new(), sent: HashMap::new(), last: 0 };
    for seq in first_seq + 1..=first_seq + n {
        let before = Instant::now();
        let patch = Patch::Merge(json!({"data": {"seq": seq.to_string()}}));
        let updated = configmaps.patch("ticker", &PatchParams::default(), &patch).await?;
        let acknowledged = Instant::now();
        let rv: u64 = updated.metadata.resource_version.as_deref().unwrap_or("0").parse()?;
        writes.sent.insert(rv, (before, acknowledged));
        writes.latencies.push(micros_since(before, acknowledged));
        writes.last = rv;
        // A steady stream of writes, each delivered on its own.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(writes)
}

async fn bench_watch(kubeconfig: &Path, settings: &Settings) -> Result<WatchResult> {
    let writer = client(kubeconfig).await?;
    create_namespace(&writer, "bench-watch").await?;
    create(
        &writer,
        &Kind::ConfigMap.collection("bench-watch"),
        &json!({
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ticker"}, "data": {"seq": "0"},
        }),
    )
    .await?;
    let configmaps: Api<ConfigMap> = Api::namespaced(writer, "bench-watch");
    // The reference: the same writes with nobody watching.
    let bare = write_series(&configmaps, settings.writes, 0).await?;
    let from = bare.last.to_string();
    let (finish, finished) = tokio::sync::watch::channel(0u64);
    let mut receivers = Vec::new();
    for client in clients(kubeconfig, settings.watchers).await? {
        let request = kube::core::Request::new(Kind::ConfigMap.collection("bench-watch"))
            .watch(&WatchParams::default().timeout(290), &from)?
            .map(kube::client::Body::from);
        // The response's headers come once the server has subscribed this watch to the broadcast.
        let response = client.send(request).await?;
        if !response.status().is_success() {
            bail!("watch answered {}", response.status());
        }
        receivers.push(tokio::spawn(receive(response.into_body(), finished.clone())));
    }
    let writes = write_series(&configmaps, settings.writes, settings.writes).await?;
    let (sent, last) = (writes.sent, writes.last);
    // Tell stragglers the last revision, then give them a moment to receive it.
    finish.send_replace(last);
    let (mut delivery, mut after_ack, mut received) = (Vec::new(), Vec::new(), 0);
    let mut by_write: HashMap<u64, Vec<Instant>> = HashMap::new();
    for receiver in receivers {
        let Ok(receipts) = receiver.await else { continue };
        for (rv, arrived) in receipts {
            if let Some(&(before, acknowledged)) = sent.get(&rv) {
                delivery.push(micros_since(before, arrived));
                after_ack.push(micros_since(acknowledged, arrived));
                by_write.entry(rv).or_default().push(arrived);
                received += 1;
            }
        }
    }
    let (mut first, mut spread) = (Vec::new(), Vec::new());
    for (rv, arrivals) in &by_write {
        let Some(&earliest) = arrivals.iter().min() else { continue };
        first.push(micros_since(sent[rv].0, earliest));
        spread.extend(arrivals.iter().map(|&arrived| micros_since(earliest, arrived)));
    }
    Ok(WatchResult {
        watchers: settings.watchers,
        writes: settings.writes,
        delivery: Latencies::new(delivery),
        after_ack: Latencies::new(after_ack),
        write: Latencies::new(writes.latencies),
        bare_write: Latencies::new(bare.latencies),
        first: Latencies::new(first),
        spread: Latencies::new(spread),
        missing: (settings.watchers * settings.writes).saturating_sub(received),
    })
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Restart with a loaded store.

/// One restart: `Server::start` to ready, to the end of the first list of all ConfigMaps, and how many it listed.
#[derive(Debug, Clone, Copy)]
struct Restart {
    ready: Duration,
    first_list: Duration,
    listed: usize,
}

#[derive(Debug)]
struct RestartResult {
    objects: usize,
    fill: Duration,
    loaded: Vec<Restart>,
    empty: Vec<Restart>,
}

/// Creates `n` objects of the four kinds in ten namespaces through the API, eight clients at a time.
async fn fill(kubeconfig: &Path, n: usize) -> Result<()> {
    const NAMESPACES: usize = 10;
    const WORKERS: usize = 8;
    let setup = client(kubeconfig).await?;
    for namespace in 0..NAMESPACES {
        create_namespace(&setup, &format!("ns-{namespace}")).await?;
    }
    let mut tasks = Vec::new();
    for (worker, client) in clients(kubeconfig, WORKERS).await?.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            for i in (worker..n).step_by(WORKERS) {
                let namespace = format!("ns-{}", (i / 4) % NAMESPACES);
                let kind = KINDS[i % 4];
                create(&client, &kind.collection(&namespace), &kind.object(&namespace, i)).await?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}

fn restart_once(runtimes: &Runtimes, dir: &Path) -> Result<Restart> {
    let start = Instant::now();
    let server = runtimes.server(knet_apiserver::Server::start(&config(dir)))?;
    let ready = start.elapsed();
    let listed = runtimes.clients(async {
        let configmaps: Api<ConfigMap> = Api::all(client(&server.kubeconfig).await?);
        Ok::<_, anyhow::Error>(configmaps.list(&ListParams::default()).await?.items.len())
    })?;
    let first_list = start.elapsed();
    runtimes.server(server.stop());
    Ok(Restart { ready, first_list, listed })
}

fn bench_restart(runtimes: &Runtimes, root: &Path, settings: &Settings) -> Result<RestartResult> {
    let (loaded_dir, empty_dir) = (root.join("restart-loaded"), root.join("restart-empty"));
    let server = runtimes.server(knet_apiserver::Server::start(&config(&loaded_dir)))?;
    let start = Instant::now();
    runtimes.clients(fill(&server.kubeconfig, settings.stored_objects))?;
    let fill = start.elapsed();
    runtimes.server(server.stop());
    // The reference's state dir: credentials and system objects only.
    let server = runtimes.server(knet_apiserver::Server::start(&config(&empty_dir)))?;
    runtimes.server(server.stop());
    let (mut loaded, mut empty) = (Vec::new(), Vec::new());
    for _ in 0..settings.restarts {
        loaded.push(restart_once(runtimes, &loaded_dir)?);
        empty.push(restart_once(runtimes, &empty_dir)?);
    }
    Ok(RestartResult { objects: settings.stored_objects, fill, loaded, empty })
}

// ---------------------------------------------------------------------------------------------------------------
// The run and its report.

#[derive(Debug)]
struct Report {
    apply: ApplyResult,
    get: GetResult,
    watch: WatchResult,
    restart: RestartResult,
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
    Ok(Report { apply, get, watch, restart })
}

fn ratio(a: f64, b: f64) -> String {
    format!("{:.1}×", a / b)
}

fn print_report(report: &Report) {
    let Report { apply, get, watch, restart } = report;
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
}

fn millis(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
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
