//! `knet up`: the API server and the controllers, in one process, until SIGINT or SIGTERM. The controllers are
//! clients of the API server like any other, built from the kubeconfig it writes.

use anyhow::{Context as _, Result};
use knet_apiserver::{Config, Server};
use knet_controllers::Controllers;

/// Runs the control plane in the foreground; prints one line when it is ready to serve.
pub fn up(config: Config) -> Result<()> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    runtime.block_on(async {
        let stop = knet_apiserver::stop_signal()?;
        if !config.no_dataplane {
            eprintln!(
                "knet: this knet has no node data plane yet: running as --no-dataplane (pods are scheduled, given \
                 addresses and reported Running, but no process runs and no packet flows)"
            );
        }
        let server = Server::start(&config).await?;
        let client = knet_controllers::client_from_kubeconfig(&server.kubeconfig).await?;
        let controllers = Controllers::start(
            client,
            knet_controllers::Config {
                node_name: knet_apiserver::NODE_NAME.to_owned(),
                // There is no node data plane yet: the stand-in node runs pods on paper, whatever was asked.
                stand_in_node: true,
                root_ca: Some(server.ca_pem.clone()),
                ..knet_controllers::Config::default()
            },
        );
        println!("{}", server.ready_line());
        stop.await;
        controllers.stop().await;
        server.stop().await;
        eprintln!("knet API server stopped");
        Ok(())
    })
}
