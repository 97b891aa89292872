//! Crash safety: a child process writing in a loop is killed with SIGKILL; every acknowledged write survives, whole.
//!
//! The child is this test binary itself, re-executed with `KNET_STORE_CRASH_CHILD_DB` set so that only
//! `child_process_writer` runs and does its work. It prints one `ACK` line per write after the write method returned,
//! which is the moment the API server would answer its client. The parent kills it at an arbitrary point of its loop,
//! reopens the store (SQLite recovers the WAL) and checks the file three ways: through the `Store` API, through the
//! history, and row by row with raw SQL.

#![cfg(unix)]

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use knet_store::{EventKind, ObjectKey, Store};
use serde_json::{Value, json};
use support::{TempDir, embedded_rv};

const CHILD_DB: &str = "KNET_STORE_CRASH_CHILD_DB";
const CHILD_ROUND: &str = "KNET_STORE_CRASH_CHILD_ROUND";
const RESOURCE: &str = "apps/deployments";

/// Writes until killed when run as the child (does nothing in a normal test run): creates, updates and deletes, and
/// prints `ACK <kind> <namespace> <name> <rv>` after each acknowledged write.
#[test]
fn child_process_writer() {
    let (Ok(db), Ok(round)) = (std::env::var(CHILD_DB), std::env::var(CHILD_ROUND)) else {
        return;
    };
    let store = Store::open(Path::new(&db)).expect("the child opens the store");
    // Written straight to the file descriptor (not through the test harness's capture), one line per write.
    let mut out = std::io::stdout().lock();
    let mut live: Vec<String> = Vec::new();
    // Bounded, so that an orphaned child cannot write forever.
    for i in 0..50_000_usize {
        let namespace = format!("round-{round}");
        let (kind, name, event) = match i % 10 {
            7 | 8 if !live.is_empty() => {
                let name = live[(i * 7) % live.len()].clone();
                let key = ObjectKey::namespaced(RESOURCE, &namespace, &name);
                ("MODIFIED", name.clone(), store.update(&key, deployment(&namespace, &name, i), None))
            }
            9 if !live.is_empty() => {
                let name = live.swap_remove((i * 3) % live.len());
                let key = ObjectKey::namespaced(RESOURCE, &namespace, &name);
                ("DELETED", name, store.delete(&key, None))
            }
            _ => {
                let name = format!("web-{i}");
                live.push(name.clone());
                let key = ObjectKey::namespaced(RESOURCE, &namespace, &name);
                ("ADDED", name.clone(), store.create(&key, deployment(&namespace, &name, i)))
            }
        };
        let event = event.expect("the child's write succeeds");
        writeln!(out, "ACK {kind} {namespace} {name} {}", event.resource_version).expect("stdout");
    }
}

/// A Deployment-sized object (about 1 KiB), different on every write.
fn deployment(namespace: &str, name: &str, generation: usize) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "generation": generation, "labels": {"app": name}},
        "spec": {
            "replicas": generation % 5,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{
                    "name": "web",
                    "image": format!("registry.example/web:{generation}"),
                    "ports": [{"name": "http", "containerPort": 8080}],
                    "env": [{"name": "PADDING", "value": "x".repeat(600)}],
                }]},
            },
        },
    })
}

#[derive(Debug, Clone, PartialEq)]
struct Ack {
    kind: EventKind,
    key: ObjectKey,
    rv: u64,
}

fn parse_ack(line: &str) -> Option<Ack> {
    let mut parts = line.strip_prefix("ACK ")?.split(' ');
    let kind = match parts.next()? {
        "ADDED" => EventKind::Added,
        "MODIFIED" => EventKind::Modified,
        _ => EventKind::Deleted,
    };
    let key = ObjectKey::namespaced(RESOURCE, parts.next()?, parts.next()?);
    Some(Ack { kind, key, rv: parts.next()?.parse().ok()? })
}

/// Runs one child until it has acknowledged `at_least` writes, kills it with SIGKILL, and returns every write it
/// acknowledged (including those printed between the count and the kill).
fn run_and_kill(db: &Path, round: usize, at_least: usize) -> Vec<Ack> {
    let mut child = Command::new(std::env::current_exe().expect("the test binary"))
        .args(["--exact", "child_process_writer", "--nocapture", "--test-threads=1"])
        .env(CHILD_DB, db)
        .env(CHILD_ROUND, round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn the writer");
    let stdout = child.stdout.take().expect("piped stdout");
    let (lines, received) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut acks = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while acks.len() < at_least {
        let left = deadline.saturating_duration_since(Instant::now());
        match received.recv_timeout(left) {
            Ok(line) => acks.extend(parse_ack(&line)),
            Err(error) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the writer acknowledged only {} writes before {error:?}", acks.len());
            }
        }
    }
    child.kill().expect("SIGKILL the writer");
    let status = child.wait().expect("reap the writer");
    assert_eq!(status.signal(), Some(9), "the writer died of SIGKILL, in the middle of its loop: {status:?}");
    // The pipe still holds what the child printed before it died: those writes were acknowledged too.
    reader.join().expect("the reader thread");
    acks.extend(received.try_iter().filter_map(|line| parse_ack(&line)));
    acks
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = TempDir::new("crash");
    let db = dir.db();
    let mut acked: Vec<Ack> = Vec::new();
    for round in 0..3 {
        let acks = run_and_kill(&db, round, 200 + 150 * round);
        let max_acked = acks.iter().map(|a| a.rv).max().expect("some acks");
        assert!(acks.windows(2).all(|w| w[0].rv < w[1].rv), "acks are in resourceVersion order");
        acked.extend(acks);

        check_rows(&db);
        let store = Store::open(&db).expect("reopen after SIGKILL");
        let revision = store.current_revision();
        // The child writes one object at a time, so at most one write was committed but not yet acknowledged.
        assert!(revision == max_acked || revision == max_acked + 1, "revision {revision}, last ack {max_acked}");

        // Every acknowledged write is in the history, as it was acknowledged (the window is larger than the test).
        let history: BTreeMap<u64, (EventKind, ObjectKey)> = store
            .events_since(RESOURCE, None, 0)
            .expect("the whole history")
            .into_iter()
            .map(|e| (e.resource_version, (e.kind, e.key)))
            .collect();
        for ack in &acked {
            assert_eq!(history.get(&ack.rv), Some(&(ack.kind, ack.key.clone())), "history of {ack:?}");
        }

        // Every acknowledged object is present with its resourceVersion or a later one, unless a later write
        // deleted it; every acknowledged delete left the object absent unless a later write created it again.
        let mut last: BTreeMap<&ObjectKey, &Ack> = BTreeMap::new();
        for ack in &acked {
            last.insert(&ack.key, ack);
        }
        for (key, ack) in last {
            let stored = store.get(key).expect("get");
            let later = history.range(ack.rv + 1..).rfind(|(_, (_, k))| k == key);
            match (ack.kind, stored, later) {
                (EventKind::Deleted, None, _) => {}
                (_, Some(object), later) => {
                    let rv = embedded_rv(&object);
                    assert!(rv == ack.rv || later.is_some_and(|(&l, _)| l == rv), "{ack:?} is stored as rv {rv}");
                }
                (_, None, Some((_, (EventKind::Deleted, _)))) => {}
                (_, None, later) => panic!("acknowledged {ack:?} is missing (later write: {later:?})"),
            }
        }

        // The counter goes on after the crash: nothing acknowledged is numbered again.
        let after = store.create(&ObjectKey::namespaced(RESOURCE, "after", format!("r{round}")), json!({})).unwrap();
        assert_eq!(after.resource_version, revision + 1);
    }
}

/// Row by row, with raw SQL: the file passes SQLite's integrity check, every stored value parses as JSON and embeds
/// its row's resourceVersion, the counter is the newest resourceVersion, and the history's sizes add up.
fn check_rows(db: &Path) {
    let conn = rusqlite::Connection::open(db).expect("raw open");
    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap();
    assert_eq!(integrity, "ok");
    let revision: i64 = conn.query_row("SELECT rv FROM revision", [], |row| row.get(0)).unwrap();
    let mut newest = 0;
    for table in ["objects", "events"] {
        let mut statement = conn.prepare(&format!("SELECT rv, value FROM {table}")).unwrap();
        let rows = statement.query_map([], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))).unwrap();
        for row in rows {
            let (rv, text) = row.unwrap();
            let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{table} rv {rv}: {e}"));
            assert_eq!(value["metadata"]["resourceVersion"], rv.to_string(), "{table} rv {rv}");
            newest = newest.max(rv);
        }
    }
    assert_eq!(newest, revision, "the newest event is the revision");
    // The history's running total, kept beside the revision by every write, is exact after the crash.
    let (total, sum, wrong_sizes): (i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT history_bytes FROM revision), (SELECT coalesce(sum(size), 0) FROM events),
                (SELECT count(*) FROM events WHERE size != octet_length(value) + coalesce(octet_length(previous), 0))",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .unwrap();
    assert_eq!((total, wrong_sizes), (sum, 0), "history sizes");
}
