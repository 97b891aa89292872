//! Events for LoadBalancer addresses: the API server gives a `type: LoadBalancer` Service an address from the local
//! pool as it admits it (`status.loadBalancer.ingress`); this controller says so on the Service, once per address,
//! in the words of MetalLB (the load balancer bare-metal clusters use): `IPAllocated`, `Assigned IP ["10.250.0.1"]`.

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Service;
use kube::api::Api;
use kube::runtime::controller::{Action as Requeue, Controller};
use kube::runtime::watcher;

use crate::events::Type;
use crate::{Context, Result};

/// The component named on the events.
const COMPONENT: &str = "knet-lb";

/// Runs the controller until it is stopped.
pub async fn run(context: Arc<Context>) {
    Controller::new(Api::<Service>::all(context.client.clone()), watcher::Config::default())
        .run(reconcile, |_, error, _| crate::retry(COMPONENT, error), context)
        .for_each(|_| std::future::ready(()))
        .await;
}

/// The event message for a Service's load-balancer addresses, if it is a LoadBalancer that has some.
pub fn assigned(service: &Service) -> Option<String> {
    if service.spec.as_ref()?.type_.as_deref() != Some("LoadBalancer") {
        return None;
    }
    let ingress = service.status.as_ref()?.load_balancer.as_ref()?.ingress.as_ref()?;
    let addresses: Vec<String> = ingress.iter().filter_map(|i| i.ip.as_ref()).map(|ip| format!("{ip:?}")).collect();
    (!addresses.is_empty()).then(|| format!("Assigned IP [{}]", addresses.join(",")))
}

async fn reconcile(service: Arc<Service>, context: Arc<Context>) -> Result<Requeue> {
    if let Some(message) = assigned(&service) {
        context.events.record_once(COMPONENT, &*service, Type::Normal, "IPAllocated", &message).await?;
    }
    Ok(Requeue::await_change())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(value: serde_json::Value) -> Service {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn only_load_balancers_with_an_address_are_announced() {
        let lb = service(serde_json::json!({
            "spec": { "type": "LoadBalancer" },
            "status": { "loadBalancer": { "ingress": [{ "ip": "10.250.0.1", "ipMode": "VIP" }] } }
        }));
        assert_eq!(assigned(&lb).as_deref(), Some(r#"Assigned IP ["10.250.0.1"]"#));
        let pending =
            service(serde_json::json!({ "spec": { "type": "LoadBalancer" }, "status": { "loadBalancer": {} } }));
        assert_eq!(assigned(&pending), None);
        let cluster_ip = service(serde_json::json!({ "spec": { "type": "ClusterIP" } }));
        assert_eq!(assigned(&cluster_ip), None);
    }
}
