//! Clients that do not keep up, against the server binary as a child process, with its memory read from
//! `/proc/PID/status`: a watcher that stops reading while 1,800 one-megabyte ConfigMap updates go by keeps the
//! server's resident memory (peak included) under 300 MB, a watcher beside it that reads sees every update in order,
//! the stalled watch is cut off rather than buffered (the client, reading again, finds its stream ended, and would
//! watch or list again), and the store's file comes back to a few times the live data afterwards.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, ListParams, PostParams, WatchEvent, WatchParams};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod support;
use support::{ServerProcess, TempDir, client};

/// The ConfigMaps the load rewrites.
const OBJECTS: usize = 60;
/// Updates in all (30 per object).
const UPDATES: usize = 1800;
/// Concurrent writers.
const WRITERS: usize = 4;
/// The value each update writes: just under the 1 MiB a ConfigMap may hold.
const VALUE_BYTES: usize = 1000 * 1000;
/// The most resident memory the server may use, peak included.
const RSS_LIMIT_BYTES: u64 = 300 * 1024 * 1024;
/// How long the whole load may take before the test fails instead of running on.
const LOAD_DEADLINE: Duration = Duration::from_secs(600);

fn config_map(name: &str, seq: usize) -> ConfigMap {
    // Each update differs all through, so nothing downstream can share it with the previous one.
    let value = format!("{name}/{seq};").repeat(VALUE_BYTES / (name.len() + 6));
    ConfigMap {
        metadata: ObjectMeta { name: Some(name.to_owned()), ..ObjectMeta::default() },
        data: Some([("v".to_owned(), value), ("seq".to_owned(), seq.to_string())].into()),
        ..ConfigMap::default()
    }
}

/// A field of `/proc/PID/status` in bytes (`VmRSS`, `VmHWM`).
fn proc_status_bytes(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the server's /proc status");
    let line = status.lines().find(|l| l.starts_with(&format!("{field}:"))).expect("the field");
    let kib: u64 = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("a number of kB");
    kib * 1024
}

/// Opens a watch over TLS by hand and never reads its answer: the client a server must not buffer for.
async fn stalled_watch(
    address: &str,
    ca_pem: &str,
    token: &str,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    for certificate in rustls_pemfile_certs(ca_pem) {
        roots.add(certificate).expect("the CA certificate");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(address).await.expect("connect");
    let mut tls = connector.connect(ServerName::try_from("127.0.0.1").unwrap(), tcp).await.expect("TLS");
    let request = format!(
        "GET /api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0 HTTP/1.1\r\nHost: {address}\r\n\
         Authorization: Bearer {token}\r\nAccept: application/json\r\n\r\n"
    );
    tls.write_all(request.as_bytes()).await.expect("the request is sent");
    tls
}

fn rustls_pemfile_certs(pem: &str) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes()).map(|c| c.expect("PEM")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_watcher_costs_a_bounded_amount_and_an_attentive_one_misses_nothing() {
    let dir = TempDir::new("slow-clients");
    let server = ServerProcess::start(&dir.0);
    let pid = server.child.id();
    let client = client(&server.kubeconfig).await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    for i in 0..OBJECTS {
        api.create(&PostParams::default(), &config_map(&format!("cm-{i}"), 0)).await.expect("created");
    }
    let start_rv = api.list(&ListParams::default()).await.expect("list").metadata.resource_version.expect("an rv");

    let ca_pem = std::fs::read_to_string(dir.0.join("ca.crt")).expect("the CA");
    let token = std::fs::read_to_string(dir.0.join("token")).expect("the token");
    let mut stalled = stalled_watch(&server.address, &ca_pem, token.trim()).await;

    // The attentive watcher: every MODIFIED event, by object, in order; it watches again from where it was if the
    // server ends its stream (as client-go's reflector does).
    let seen: Arc<std::sync::Mutex<BTreeMap<String, Vec<usize>>>> = Arc::default();
    let attentive = {
        let (api, seen) = (api.clone(), Arc::clone(&seen));
        tokio::spawn(async move {
            let mut from = start_rv;
            let mut total = 0;
            while total < UPDATES {
                let mut stream = api.watch(&WatchParams::default().timeout(290), &from).await.expect("watch").boxed();
                while let Some(event) = stream.try_next().await.expect("the attentive watch is never cut off") {
                    let WatchEvent::Modified(object) = event else { continue };
                    from = object.metadata.resource_version.clone().expect("an rv");
                    let seq = object.data.as_ref().and_then(|d| d.get("seq")).and_then(|s| s.parse().ok());
                    let name = object.metadata.name.clone().expect("a name");
                    seen.lock().unwrap().entry(name).or_default().push(seq.expect("a seq"));
                    total += 1;
                    if total == UPDATES {
                        break;
                    }
                }
            }
        })
    };

    // The memory sampler.
    let peak = Arc::new(AtomicU64::new(0));
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (Arc::clone(&peak), Arc::clone(&sampling));
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                peak.fetch_max(proc_status_bytes(pid, "VmRSS"), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };

    // The load: each writer rewrites its share of the objects, 30 times each, in turn.
    let started = Instant::now();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let api = api.clone();
            tokio::spawn(async move {
                for round in 1..=UPDATES / OBJECTS {
                    for i in (w..OBJECTS).step_by(WRITERS) {
                        let name = format!("cm-{i}");
                        api.replace(&name, &PostParams::default(), &config_map(&name, round)).await.expect("updated");
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        tokio::time::timeout(LOAD_DEADLINE, writer).await.expect("the load ends in time").expect("no panic");
    }
    let load_time = started.elapsed();
    tokio::time::timeout(Duration::from_secs(120), attentive)
        .await
        .expect("the attentive watcher sees every update")
        .expect("no panic");
    sampling.store(false, Ordering::Relaxed);
    sampler.await.unwrap();

    let high_water = proc_status_bytes(pid, "VmHWM");
    let sampled = peak.load(Ordering::Relaxed);
    eprintln!(
        "{UPDATES} updates of ~1 MB in {load_time:?}; server RSS peak {} MB (sampled {} MB)",
        high_water >> 20,
        sampled >> 20
    );
    assert!(high_water < RSS_LIMIT_BYTES, "the server's peak RSS is {} MB", high_water >> 20);

    // Every update, in order, exactly once.
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert_eq!(seen.len(), OBJECTS);
    for (name, seqs) in seen.iter() {
        let expected: Vec<usize> = (1..=UPDATES / OBJECTS).collect();
        assert_eq!(seqs, &expected, "{name}");
    }

    // The stalled watch was cut off: reading now, the client finds its stream ended long before 1,800 updates.
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), stalled.read_to_end(&mut received)).await;
    assert!(read.is_ok(), "the stalled watch's connection is closed, not kept streaming");
    let events = received.windows(9).filter(|w| w == b"MODIFIED\"").count();
    assert!(events < UPDATES / 2, "the stalled watch was cut off, not buffered: it received {events} updates");

    // The store comes back to a few times the live data (plus the watch history's byte budget).
    let live = (OBJECTS * VALUE_BYTES) as u64;
    let file = |name: &str| std::fs::metadata(dir.0.join(name)).map_or(0, |m| m.len());
    let on_disk = file("store.db") + file("store.db-wal");
    let history = knet_store::Options::default().history_bytes;
    eprintln!("store on disk: {} MB for {} MB live", on_disk >> 20, live >> 20);
    assert!(on_disk < 3 * live + history + (16 << 20), "{} MB on disk for {} MB live", on_disk >> 20, live >> 20);
}
