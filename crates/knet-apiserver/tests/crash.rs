//! Crash safety of the API server: it runs as a child process (the `knet-apiserver` binary) while several kube-rs
//! clients create and update ConfigMaps, is SIGKILLed in the middle of the stream, and is started again on the same
//! state dir. Every write whose answer came back must be there with its content (or the content of the one write
//! that was in flight for that object), every object must be whole, the stale lock and pid file of the killed server
//! must not stop the restart, and resourceVersions must keep growing. SIGKILL loses no page cache, so this checks
//! the process's crash safety (a write is committed before it is answered), not a power cut's.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::ResourceExt;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};

mod support;
use serde_json::json;
use support::{ServerProcess, TempDir, client};

/// How long starting the server, or any other wait, may take before the test fails instead of hanging.
const WAIT: Duration = Duration::from_secs(10);
/// How many concurrent writers.
const WRITERS: usize = 4;
/// How many acknowledged writes before the kill.
const KILL_AFTER: usize = 60;

/// The payload of version `seq` of object `name`: a few KiB (several SQLite pages) that say whose they are, so a
/// torn or mixed-up object cannot pass for a whole one.
fn payload(name: &str, seq: u32) -> String {
    format!("{name}@{seq};").repeat(4096 / (name.len() + 4))
}

fn config_map(name: &str, seq: u32) -> ConfigMap {
    let labels = [("suite".to_owned(), "crash".to_owned())].into();
    let data = [("seq".to_owned(), seq.to_string()), ("payload".to_owned(), payload(name, seq))].into();
    ConfigMap {
        metadata: ObjectMeta { name: Some(name.to_owned()), labels: Some(labels), ..ObjectMeta::default() },
        data: Some(data),
        ..ConfigMap::default()
    }
}

fn rv(cm: &ConfigMap) -> u64 {
    cm.resource_version().and_then(|rv| rv.parse().ok()).expect("an integer resourceVersion")
}

/// What the writers did to one object.
#[derive(Debug, Default, Clone, Copy)]
struct Written {
    /// The highest version sent (its answer may never have come).
    attempted: Option<u32>,
    /// The highest version acknowledged, with the resourceVersion of the answer.
    acknowledged: Option<(u32, u64)>,
}

type Journal = Arc<Mutex<BTreeMap<String, Written>>>;

fn record(journal: &Journal, name: &str, f: impl FnOnce(&mut Written)) {
    f(journal.lock().unwrap_or_else(PoisonError::into_inner).entry(name.to_owned()).or_default());
}

/// One writer: creates `w{id}-{i}` (version 0), replaces every third one (version 1) and merge-patches every fifth
/// (version 2), until a request fails (the server is gone). Reports each acknowledgement on `acks`.
async fn writer(api: Api<ConfigMap>, id: usize, journal: Journal, acks: Arc<tokio::sync::watch::Sender<usize>>) {
    let ack = |name: &str, seq: u32, object: &ConfigMap| {
        record(&journal, name, |w| w.acknowledged = Some((seq, rv(object))));
        acks.send_modify(|n| *n += 1);
    };
    for i in 0.. {
        let name = format!("w{id}-{i}");
        record(&journal, &name, |w| w.attempted = Some(0));
        let Ok(created) = api.create(&PostParams::default(), &config_map(&name, 0)).await else { return };
        ack(&name, 0, &created);
        if i % 3 == 0 {
            let mut next = config_map(&name, 1);
            next.metadata.resource_version = created.metadata.resource_version.clone();
            record(&journal, &name, |w| w.attempted = Some(1));
            let Ok(replaced) = api.replace(&name, &PostParams::default(), &next).await else { return };
            ack(&name, 1, &replaced);
        }
        if i % 5 == 0 {
            let patch = json!({ "data": { "seq": "2", "payload": payload(&name, 2) } });
            record(&journal, &name, |w| w.attempted = Some(2));
            let Ok(patched) = api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await else { return };
            ack(&name, 2, &patched);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let dir = TempDir::new("crash");

    let mut server = ServerProcess::start(&dir.0);
    let api = Api::<ConfigMap>::namespaced(client(&server.kubeconfig).await, "default");
    let journal: Journal = Arc::default();
    let (acks, mut acked) = tokio::sync::watch::channel(0);
    let acks = Arc::new(acks);
    let writers: Vec<_> =
        (0..WRITERS).map(|id| tokio::spawn(writer(api.clone(), id, Arc::clone(&journal), Arc::clone(&acks)))).collect();
    tokio::time::timeout(WAIT, acked.wait_for(|n| *n >= KILL_AFTER))
        .await
        .expect("the writers get answers in time")
        .expect("the writers run");
    server.kill();
    for writer in writers {
        tokio::time::timeout(WAIT, writer).await.expect("each writer stops once the server is gone").expect("no panic");
    }
    let journal = journal.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let acknowledged = journal.values().filter(|w| w.acknowledged.is_some()).count();
    assert!(acknowledged >= KILL_AFTER / 3, "the writers got answers: {journal:?}");
    let max_acknowledged_rv = journal.values().filter_map(|w| w.acknowledged.map(|(_, rv)| rv)).max().unwrap_or(0);

    // The killed server left its lock file and pid file; the kernel released the flock, so the restart goes on.
    assert!(dir.0.join("pid").exists(), "SIGKILL leaves the pid file behind");
    let server = ServerProcess::start(&dir.0);
    let pid = std::fs::read_to_string(dir.0.join("pid")).expect("a pid file");
    assert_eq!(pid.trim(), server.child.id().to_string(), "the pid file names the new server");
    let api = Api::<ConfigMap>::namespaced(client(&server.kubeconfig).await, "default");
    let list = api.list(&ListParams::default().labels("suite=crash")).await.expect("list after the restart");
    let present: BTreeMap<String, ConfigMap> = list.items.into_iter().map(|cm| (cm.name_any(), cm)).collect();

    // Every object present is whole, and one that the writers wrote.
    for (name, cm) in &present {
        let data = cm.data.clone().unwrap_or_default();
        let seq: u32 = data.get("seq").and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{name}: seq: {data:?}"));
        assert_eq!(data.get("payload"), Some(&payload(name, seq)), "{name}: the payload of version {seq} is whole");
        assert_eq!(data.len(), 2, "{name}: no stray keys");
        let written = journal.get(name).unwrap_or_else(|| panic!("{name}: an object nobody wrote"));
        assert!(written.attempted.is_some_and(|a| seq <= a), "{name}: version {seq} was sent: {written:?}");
    }
    // Every acknowledged write is there: the acknowledged version with its resourceVersion, or the version in flight
    // after it (sent, committed, but its answer lost in the kill).
    for (name, written) in &journal {
        let Some((seq, acked_rv)) = written.acknowledged else { continue };
        let cm = present.get(name).unwrap_or_else(|| panic!("{name}: acknowledged version {seq} is lost"));
        let found: u32 = cm.data.as_ref().and_then(|d| d.get("seq")).and_then(|s| s.parse().ok()).unwrap_or(0);
        assert!(found >= seq, "{name}: acknowledged version {seq}, found the older {found}");
        if found == seq {
            assert_eq!(rv(cm), acked_rv, "{name}: the acknowledged version keeps its resourceVersion");
        } else {
            assert!(rv(cm) > acked_rv, "{name}: a later version has a later resourceVersion");
        }
    }

    // resourceVersions keep growing after the restart.
    let max_present_rv = present.values().map(rv).max().unwrap_or(0);
    let list_rv: u64 = list.metadata.resource_version.and_then(|rv| rv.parse().ok()).expect("a list resourceVersion");
    assert!(list_rv >= max_present_rv.max(max_acknowledged_rv), "the list's resourceVersion covers everything");
    let after =
        api.create(&PostParams::default(), &config_map("after-restart", 0)).await.expect("a write after restart");
    assert!(
        rv(&after) > max_present_rv.max(max_acknowledged_rv),
        "a write after the restart takes a larger resourceVersion: {} after {max_present_rv} / {max_acknowledged_rv}",
        rv(&after)
    );
    eprintln!("{acknowledged} objects acknowledged, {} present after the SIGKILL", present.len());
    drop(server);
}
