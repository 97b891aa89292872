//! `knet-store-bench`: times the store's durable creates, GETs and restart (open + list all) beside raw SQLite on the
//! same rows, and prints Markdown table rows. The numbers in BENCHMARKS.md come from this program.
//!
//! Usage: `knet-store-bench [--dir DIR] [OBJECTS...]` (default 1000 and 10000 objects, in a fresh directory under the
//! system temp dir, removed afterwards). `--dir` puts the files on another file system, since what a durable write
//! costs is mostly the file system's fsync.
//!
//! `knet-store-bench [--dir DIR] churn [OBJECTS [KIB [UPDATES]]]` (default 300 objects of 1024 KiB, 5 updates each)
//! measures the file instead: it creates the objects, updates each `UPDATES` times, deletes them all, and prints the
//! size of the database file plus its `-wal` at the peak, after the churn (beside the history's bytes, all that is
//! left to keep), and once the store is closed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use knet_store::{ObjectKey, Store};
use rusqlite::Connection;
use serde_json::{Value, json};

const RESOURCE: &str = "pods";
const NAMESPACES: usize = 20;
const GETS: usize = 10_000;

/// A Pod as kube-apiserver stores one after scheduling (about 1.3 KiB of JSON).
fn pod(namespace: &str, name: &str, i: usize) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": format!("6f1c2a4e-{i:04x}-4b1e-9c3d-{i:012x}"),
            "creationTimestamp": "2025-01-01T00:00:00Z",
            "labels": {"app": format!("app-{}", i % 50), "pod-template-hash": "7d4b9c"},
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("app-{}-7d4b9c", i % 50),
                "uid": "0b5e3f1a-1111-4b1e-9c3d-000000000000", "controller": true, "blockOwnerDeletion": true,
            }],
        },
        "spec": {
            "containers": [{
                "name": "app",
                "image": "registry.k8s.io/e2e-test-images/agnhost:2.53",
                "args": ["netexec", "--http-port=8080"],
                "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent",
            }],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default",
            "nodeName": "knet",
            "schedulerName": "default-scheduler",
            "enableServiceLinks": true,
        },
        "status": {
            "phase": "Running",
            "conditions": [
                {"type": "Ready", "status": "True", "lastTransitionTime": "2025-01-01T00:00:01Z"},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2025-01-01T00:00:00Z"},
            ],
            "hostIP": "192.168.49.2",
            "podIP": format!("10.244.{}.{}", i / 250, i % 250 + 2),
            "startTime": "2025-01-01T00:00:00Z",
        },
    })
}

fn key(i: usize) -> ObjectKey {
    ObjectKey::namespaced(RESOURCE, format!("ns-{}", i % NAMESPACES), format!("pod-{i}"))
}

fn millis(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn per_write(total: Duration, n: usize) -> String {
    format!("{} ({:.0}/s)", micros(total / n as u32), n as f64 / total.as_secs_f64())
}

/// One table row for `n` objects in `dir`.
fn measure(dir: &Path, n: usize) -> Result<String, Box<dyn std::error::Error>> {
    let objects: Vec<(ObjectKey, Value)> = (0..n)
        .map(|i| {
            let key = key(i);
            let object = pod(key.namespace.as_deref().unwrap_or(""), &key.name, i);
            (key, object)
        })
        .collect();

    // The store: one durable transaction per create, as the API server does per request.
    let path = dir.join(format!("store-{n}.db"));
    let store = Store::open(&path)?;
    let start = Instant::now();
    for (key, object) in &objects {
        store.create(key, object.clone())?;
    }
    let create = start.elapsed();

    // GET latency, single-threaded, keys in a scrambled order.
    let mut latencies = Vec::with_capacity(GETS);
    for i in 0..GETS {
        let (key, _) = &objects[(i * 7919) % n];
        let start = Instant::now();
        let found = store.get(key)?;
        latencies.push(start.elapsed());
        std::hint::black_box(found);
    }
    latencies.sort_unstable();
    let p50 = latencies[GETS / 2];
    let p99 = latencies[GETS * 99 / 100];
    drop(store);

    // Restart: open the file again and list everything, as the API server does to warm its caches.
    let start = Instant::now();
    let store = Store::open(&path)?;
    let open = start.elapsed();
    let listed = store.list(RESOURCE, None, None, None)?;
    let restart = start.elapsed();
    if listed.items.len() != n {
        return Err(format!("listed {} objects after restart, stored {n}", listed.items.len()).into());
    }
    drop(store);

    // The references: the same JSON rows into a bare table with the same settings, without the store's
    // bookkeeping (resourceVersion stamping, history rows, revision counter).
    let rows: Vec<(String, String, String)> = objects
        .iter()
        .map(|(key, object)| (key.namespace.clone().unwrap_or_default(), key.name.clone(), object.to_string()))
        .collect();
    let raw_per_row = raw_insert(&dir.join(format!("raw-per-row-{n}.db")), &rows, false)?;
    let raw_path = dir.join(format!("raw-one-tx-{n}.db"));
    let raw_one_tx = raw_insert(&raw_path, &rows, true)?;
    let raw_read = raw_read_all(&raw_path, n)?;

    let size = std::fs::metadata(&path)?.len() as f64 / (1024.0 * 1024.0);
    Ok(format!(
        "| {n} | {} | {} | {} | {} | {} | {} | {} | **{}** | {} | {size:.1} MiB |",
        per_write(create, n),
        per_write(raw_per_row, n),
        per_write(raw_one_tx, n),
        micros(p50),
        micros(p99),
        millis(open),
        millis(restart - open),
        millis(restart),
        millis(raw_read),
    ))
}

fn raw_connection(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS objects (namespace TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
         PRIMARY KEY (namespace, name))",
    )?;
    Ok(conn)
}

/// Raw inserts: one transaction (one fsync) per row, or all rows in one transaction.
fn raw_insert(path: &Path, rows: &[(String, String, String)], one_transaction: bool) -> rusqlite::Result<Duration> {
    let mut conn = raw_connection(path)?;
    let start = Instant::now();
    if one_transaction {
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare("INSERT INTO objects (namespace, name, value) VALUES (?1, ?2, ?3)")?;
            for row in rows {
                insert.execute((&row.0, &row.1, &row.2))?;
            }
        }
        tx.commit()?;
    } else {
        let mut insert = conn.prepare("INSERT INTO objects (namespace, name, value) VALUES (?1, ?2, ?3)")?;
        for row in rows {
            insert.execute((&row.0, &row.1, &row.2))?;
        }
    }
    Ok(start.elapsed())
}

/// Raw restart: open the file and parse every row, in key order.
fn raw_read_all(path: &Path, n: usize) -> Result<Duration, Box<dyn std::error::Error>> {
    let start = Instant::now();
    let conn = raw_connection(path)?;
    let mut select = conn.prepare("SELECT value FROM objects ORDER BY namespace, name")?;
    let mut parsed = Vec::with_capacity(n);
    for text in select.query_map([], |row| row.get::<_, String>(0))? {
        parsed.push(serde_json::from_str::<Value>(&text?)?);
    }
    let elapsed = start.elapsed();
    if parsed.len() != n {
        return Err(format!("read {} raw rows, wrote {n}", parsed.len()).into());
    }
    Ok(elapsed)
}

/// The size of the database file plus its `-wal`, in MiB.
fn file_size(path: &Path) -> f64 {
    let wal = path.with_extension("db-wal");
    let len = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    (len(path) + len(&wal)) as f64 / (1024.0 * 1024.0)
}

/// The churn measurement: `n` objects of about `kib` KiB each, created, updated `updates` times each, deleted.
fn churn(dir: &Path, n: usize, kib: usize, updates: usize) -> Result<(), Box<dyn std::error::Error>> {
    let path = dir.join("churn.db");
    let store = Store::open(&path)?;
    let object = |i: usize, generation: usize| {
        let key = key(i);
        let mut object = pod(key.namespace.as_deref().unwrap_or(""), &key.name, i);
        // Different on every write, so that SQLite cannot share anything between versions.
        let filler: String =
            (0..kib * 1024).map(|j| char::from(b'a' + ((i + j * 7 + generation) % 26) as u8)).collect();
        object["data"] = json!({"filler": filler, "generation": generation});
        (key, object)
    };
    let start = Instant::now();
    let mut peak = 0.0_f64;
    for i in 0..n {
        let (key, object) = object(i, 0);
        store.create(&key, object)?;
        peak = peak.max(file_size(&path));
    }
    for generation in 1..=updates {
        for i in 0..n {
            let (key, object) = object(i, generation);
            store.update(&key, object, None)?;
            peak = peak.max(file_size(&path));
        }
    }
    for i in 0..n {
        store.delete(&key(i), None)?;
        peak = peak.max(file_size(&path));
    }
    let after = file_size(&path);
    let elapsed = start.elapsed();
    // What the store still holds: no objects, and the history, read in pages as a catching-up watcher would.
    let mut from = match store.events_page(RESOURCE, None, 0, 1, 0) {
        Err(knet_store::Error::Expired { oldest, .. }) => oldest,
        _ => 0,
    };
    let mut history = 0;
    loop {
        let page = store.events_page(RESOURCE, None, from, 1_000, 8 * 1024 * 1024)?;
        let Some(last) = page.last() else { break };
        from = last.resource_version;
        history += page.iter().map(|event| event.size).sum::<usize>();
    }
    drop(store);
    let closed = file_size(&path);
    println!(
        "| {n} x {kib} KiB, {updates} updates, deleted | {} writes in {:.1} s | peak {peak:.1} MiB | after the churn \
         {after:.1} MiB | history left {:.1} MiB | closed {closed:.1} MiB |",
        n * (updates + 2),
        elapsed.as_secs_f64(),
        history as f64 / (1024.0 * 1024.0),
    );
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut sizes = Vec::new();
    let mut churn_mode = false;
    while let Some(arg) = args.next() {
        match (arg.as_str(), arg.parse::<usize>()) {
            ("--dir", _) => dir = args.next().map(PathBuf::from),
            ("churn", _) => churn_mode = true,
            (_, Ok(n)) if n > 0 => sizes.push(n),
            _ => {
                eprintln!(
                    "usage: knet-store-bench [--dir DIR] [OBJECTS...]\n       \
                     knet-store-bench [--dir DIR] churn [OBJECTS [KIB [UPDATES]]]"
                );
                return ExitCode::from(2);
            }
        }
    }
    let base = dir.unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("knet-store-bench-{}", std::process::id()));
    if let Err(error) = std::fs::create_dir_all(&dir) {
        eprintln!("knet-store-bench: cannot create {}: {error}", dir.display());
        return ExitCode::FAILURE;
    }
    if churn_mode {
        let arg = |i: usize, default: usize| sizes.get(i).copied().unwrap_or(default);
        let result = churn(&dir, arg(0, 300), arg(1, 1024), arg(2, 5));
        let _ = std::fs::remove_dir_all(&dir);
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                let mut message = error.to_string();
                let mut source = error.source();
                while let Some(cause) = source {
                    message = format!("{message}: {cause}");
                    source = cause.source();
                }
                eprintln!("knet-store-bench: churn: {message}");
                ExitCode::FAILURE
            }
        };
    }
    if sizes.is_empty() {
        sizes = vec![1_000, 10_000];
    }
    println!(
        "| objects | store create (durable, 1 tx each) | raw insert, 1 tx each | raw insert, 1 tx for all | store get p50 \
         | store get p99 | store open | store list all | **restart: open + list** | raw open + read all | store file |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut status = ExitCode::SUCCESS;
    for n in sizes {
        match measure(&dir, n) {
            Ok(row) => println!("{row}"),
            Err(error) => {
                eprintln!("knet-store-bench: {n} objects: {error}");
                status = ExitCode::FAILURE;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    status
}
