//! Benchmark 4, restart: a store filled through the API, then `Server::start` to ready and to the first list, beside
//! the same restart of a store holding only the system objects.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams};

use crate::Settings;
use crate::setup::{KINDS, Runtimes, client, clients, config, create, create_namespace};

/// One restart: `Server::start` to ready, to the end of the first list of all ConfigMaps, and how many it listed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Restart {
    pub(crate) ready: Duration,
    pub(crate) first_list: Duration,
    pub(crate) listed: usize,
}

#[derive(Debug)]
pub(crate) struct RestartResult {
    pub(crate) objects: usize,
    pub(crate) fill: Duration,
    pub(crate) loaded: Vec<Restart>,
    pub(crate) empty: Vec<Restart>,
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

pub(crate) fn bench_restart(runtimes: &Runtimes, root: &Path, settings: &Settings) -> Result<RestartResult> {
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
