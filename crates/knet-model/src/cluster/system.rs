//! The objects every cluster has, added to a snapshot unless the input defines them: the system namespaces, the
//! `kubernetes` and `kube-dns` Services with the cluster DNS pods, the default IngressClass `nginx`, and the ingress
//! controller's pod where Ingresses exist.

use std::net::{IpAddr, Ipv4Addr};

use k8s_openapi::api::networking::v1::IngressClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use knet_object::Origin;

use super::{Builder, Container, ContainerPort, Located, Pod, Replica, WorkloadKind};
use crate::ingress::DEFAULT_CLASS_ANNOTATION;
use crate::ports::Protocol;
use crate::selector::Labels;
use crate::service::Service;

impl Builder {
    /// What every real cluster has, unless the input already defines it: the system namespaces, the `kubernetes`
    /// Service, and cluster DNS (`kube-dns` Service in front of CoreDNS pods labelled `k8s-app=kube-dns`).
    pub(super) fn add_system_objects(&mut self) {
        for ns in ["default", "kube-system"] {
            self.imply_namespace(ns);
        }
        let origin = Origin::synthetic("<cluster>");
        let config = self.cluster.config.clone();
        if self.cluster.find_service("default", "kubernetes").is_none() {
            let service =
                system_service("default", "kubernetes", config.api_service_ip, &[("https", "TCP", 443, 6443)], None);
            self.cluster.services.push(Service::compile(&service, origin.clone(), &mut self.cluster.problems));
        }
        if self.cluster.find_service("kube-system", "kube-dns").is_none() {
            let ports = [("dns", "UDP", 53, 53), ("dns-tcp", "TCP", 53, 53), ("metrics", "TCP", 9153, 9153)];
            let service = system_service("kube-system", "kube-dns", config.dns_service_ip, &ports, Some("kube-dns"));
            self.cluster.services.push(Service::compile(&service, origin.clone(), &mut self.cluster.problems));
        }
        let has_dns_pods =
            self.cluster.pods.iter().any(|p| {
                p.namespace == "kube-system" && p.labels.get("k8s-app").map(String::as_str) == Some("kube-dns")
            });
        if !has_dns_pods {
            let labels: Labels = [("k8s-app".to_owned(), "kube-dns".to_owned())].into();
            let ports = vec![
                ContainerPort { name: Some("dns".into()), port: 53, protocol: Protocol::Udp },
                ContainerPort { name: Some("dns-tcp".into()), port: 53, protocol: Protocol::Tcp },
                ContainerPort { name: Some("metrics".into()), port: 9153, protocol: Protocol::Tcp },
            ];
            let ip =
                self.ips.next(config.pod_ip_range, |a| &mut a.next_pod).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
            self.cluster.pods.push(Pod {
                namespace: "kube-system".into(),
                name: "coredns".into(),
                kind: WorkloadKind::Deployment,
                labels,
                containers: vec![Container { name: "coredns".into(), command: None, ports }],
                observed_ip: None,
                replicas: vec![Replica { name: "coredns-0".into(), ip, hostname: None }],
                subdomain: None,
                host_network: false,
                dns_policy: "Default".into(),
                dns_config: None,
                ready: true,
                system: true,
                origin,
            });
        }
    }

    /// The IngressClass `nginx` that `minikube addons enable ingress` and `knet up` create, marked as the default
    /// class unless the input already has a default; Ingresses that name no class then get it, as on those clusters.
    pub(super) fn add_ingress_class(&mut self) {
        use k8s_openapi::api::networking::v1::IngressClassSpec;
        let classes = &self.cluster.ingress_classes;
        if classes.iter().any(|c| c.name() == "nginx") {
            return;
        }
        let has_default = classes.iter().any(|c| {
            c.value.metadata.annotations.as_ref().and_then(|a| a.get(DEFAULT_CLASS_ANNOTATION)).map(String::as_str)
                == Some("true")
        });
        let annotations = (!has_default).then(|| [(DEFAULT_CLASS_ANNOTATION.to_owned(), "true".to_owned())].into());
        self.cluster.ingress_classes.push(Located {
            value: IngressClass {
                metadata: ObjectMeta { name: Some("nginx".into()), annotations, ..ObjectMeta::default() },
                spec: Some(IngressClassSpec { controller: Some("k8s.io/ingress-nginx".into()), parameters: None }),
            },
            origin: Origin::synthetic("<cluster>"),
        });
    }

    /// Where Ingresses exist, the controller that serves them exists too: ingress-nginx's controller pod in namespace
    /// `ingress-nginx`, labelled as its Helm chart and the minikube addon label it. Policies see it as any other pod.
    pub(super) fn add_ingress_controller(&mut self) {
        let has_controller = self.cluster.pods.iter().any(is_ingress_controller);
        if self.cluster.ingresses.is_empty() || has_controller {
            return;
        }
        self.imply_namespace(INGRESS_CONTROLLER_NAMESPACE);
        let labels: Labels = [
            ("app.kubernetes.io/name", "ingress-nginx"),
            ("app.kubernetes.io/instance", "ingress-nginx"),
            ("app.kubernetes.io/component", "controller"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let ports = vec![
            ContainerPort { name: Some("http".into()), port: 80, protocol: Protocol::Tcp },
            ContainerPort { name: Some("https".into()), port: 443, protocol: Protocol::Tcp },
        ];
        let ip = self
            .ips
            .next(self.cluster.config.pod_ip_range, |a| &mut a.next_pod)
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        self.cluster.pods.push(Pod {
            namespace: INGRESS_CONTROLLER_NAMESPACE.into(),
            name: "ingress-nginx-controller".into(),
            kind: WorkloadKind::Deployment,
            labels,
            containers: vec![Container { name: "controller".into(), command: None, ports }],
            observed_ip: None,
            replicas: vec![Replica { name: "ingress-nginx-controller-0".into(), ip, hostname: None }],
            subdomain: None,
            host_network: false,
            dns_policy: "ClusterFirst".into(),
            dns_config: None,
            ready: true,
            system: true,
            origin: Origin::synthetic("<cluster>"),
        });
    }
}

/// The namespace ingress-nginx is installed in (`minikube addons enable ingress` and the Helm chart agree).
pub const INGRESS_CONTROLLER_NAMESPACE: &str = "ingress-nginx";

pub(super) fn is_ingress_controller(pod: &Pod) -> bool {
    pod.namespace == INGRESS_CONTROLLER_NAMESPACE
        && pod.labels.get("app.kubernetes.io/component").map(String::as_str) == Some("controller")
}

fn system_service(
    namespace: &str,
    name: &str,
    ip: IpAddr,
    ports: &[(&str, &str, i32, i32)],
    k8s_app: Option<&str>,
) -> k8s_openapi::api::core::v1::Service {
    use k8s_openapi::api::core::v1::{ServicePort, ServiceSpec};
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    k8s_openapi::api::core::v1::Service {
        metadata: ObjectMeta { name: Some(name.into()), namespace: Some(namespace.into()), ..ObjectMeta::default() },
        spec: Some(ServiceSpec {
            cluster_ip: Some(ip.to_string()),
            selector: k8s_app.map(|app| [("k8s-app".to_owned(), app.to_owned())].into()),
            ports: Some(
                ports
                    .iter()
                    .map(|&(port_name, protocol, port, target)| ServicePort {
                        name: Some(port_name.into()),
                        protocol: Some(protocol.into()),
                        port,
                        target_port: Some(IntOrString::Int(target)),
                        ..ServicePort::default()
                    })
                    .collect(),
            ),
            ..ServiceSpec::default()
        }),
        status: None,
    }
}
