//! Benchmark 2, GET: concurrent kube-rs clients GET one ConfigMap, back to back and at a fixed rate, beside
//! `GET /version` through the same clients.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Client;
use kube::api::Api;
use serde_json::json;

use crate::Settings;
use crate::setup::{Kind, client, clients, create, create_namespace};
use crate::stats::Latencies;

#[derive(Debug, Clone, Copy)]
enum Target {
    /// `GET /version`.
    Version,
    /// `GET` of one ConfigMap, decoded into its k8s-openapi type.
    ConfigMap,
}

#[derive(Debug)]
pub(crate) struct Load {
    pub(crate) latencies: Latencies,
    pub(crate) requests: usize,
    pub(crate) errors: usize,
    pub(crate) elapsed: Duration,
}

impl Load {
    pub(crate) fn throughput(&self) -> f64 {
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
pub(crate) struct GetResult {
    pub(crate) clients: usize,
    pub(crate) single: Load,
    pub(crate) version: Load,
    pub(crate) configmap: Load,
    pub(crate) paced_interval: Duration,
    pub(crate) paced_version: Load,
    pub(crate) paced_configmap: Load,
}

pub(crate) async fn bench_get(kubeconfig: &Path, settings: &Settings) -> Result<GetResult> {
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
