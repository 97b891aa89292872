//! Benchmark 3, watch: watchers on the ConfigMaps of a namespace receive a series of writes; each receipt is matched
//! by resourceVersion to the instants around its write, beside the same writes with nobody watching.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use http_body_util::BodyExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams, WatchParams};
use serde_json::{Value, json};

use crate::Settings;
use crate::setup::{Kind, client, clients, create, create_namespace};
use crate::stats::{Latencies, micros_since};

#[derive(Debug)]
pub(crate) struct WatchResult {
    pub(crate) watchers: usize,
    pub(crate) writes: usize,
    /// Write call to receipt, per watcher and write.
    pub(crate) delivery: Latencies,
    /// Write acknowledgment to receipt (negative when the event arrives before the write's response).
    pub(crate) after_ack: Latencies,
    /// The write call itself.
    pub(crate) write: Latencies,
    /// The same writes with no watcher.
    pub(crate) bare_write: Latencies,
    /// The write call to the first watcher's receipt of it.
    pub(crate) first: Latencies,
    /// The first watcher's receipt of a write to each watcher's: what the fan-out to every watcher adds.
    pub(crate) spread: Latencies,
    pub(crate) missing: usize,
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

pub(crate) async fn bench_watch(kubeconfig: &Path, settings: &Settings) -> Result<WatchResult> {
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
