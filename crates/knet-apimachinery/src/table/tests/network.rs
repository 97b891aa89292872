//! `kubectl get services, endpoints, endpointslices, ingresses, ingressclasses, networkpolicies` for the guide's
//! exercises and the system objects.

use expect_test::expect;
use serde_json::{Value, json};

use super::{meta, render, resource};

fn service(name: &str, namespace: &str, spec: Value) -> Value {
    json!({"metadata": meta(name, namespace, 1), "spec": spec})
}

fn cluster_ip(ip: &str, selector: Value, ports: Value) -> Value {
    json!({"type": "ClusterIP", "clusterIP": ip, "clusterIPs": [ip], "selector": selector, "ports": ports})
}

#[test]
fn services() {
    let tcp = |port: i64| json!({"port": port, "protocol": "TCP", "targetPort": port});
    let services = [
        service(
            "backend-service",
            "microservices",
            cluster_ip("10.96.0.23", json!({"app": "backend"}), json!([tcp(8080)])),
        ),
        service(
            "postgres-service",
            "microservices",
            cluster_ip("10.96.0.24", json!({"app": "postgres"}), json!([tcp(5432)])),
        ),
        service(
            "frontend-service",
            "microservices",
            json!({"type": "LoadBalancer", "clusterIPs": ["10.96.0.25"],
            "selector": {"app": "frontend"}, "ports": [{"port": 80, "protocol": "TCP", "nodePort": 31080}]}),
        ),
        service(
            "kube-dns",
            "kube-system",
            cluster_ip(
                "10.96.0.10",
                json!({"k8s-app": "kube-dns"}),
                json!([{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}, {"port": 9153, "protocol": "TCP"}]),
            ),
        ),
    ];
    expect![[r#"
        NAME               TYPE           CLUSTER-IP   EXTERNAL-IP   PORT(S)                  AGE
        backend-service    ClusterIP      10.96.0.23   <none>        8080/TCP                 1s
        postgres-service   ClusterIP      10.96.0.24   <none>        5432/TCP                 1s
        frontend-service   LoadBalancer   10.96.0.25   <pending>     80:31080/TCP             1s
        kube-dns           ClusterIP      10.96.0.10   <none>        53/UDP,53/TCP,9153/TCP   1s
    "#]]
    .assert_eq(&render(resource("", "services"), &services, false));
}

#[test]
fn service_types_and_external_addresses() {
    let http = json!([{"port": 80, "protocol": "TCP", "nodePort": 30080}]);
    let balanced = json!({"loadBalancer": {"ingress": [{"ip": "192.168.49.200"}, {"hostname": "lb.example.com"}, {"ip": "192.168.49.100"}]}});
    let mut with_address =
        service("web", "default", json!({"type": "LoadBalancer", "clusterIPs": ["10.96.1.1"], "ports": http}));
    with_address["status"] = balanced.clone();
    let mut with_both = service(
        "both",
        "default",
        json!({"type": "LoadBalancer", "clusterIPs": ["10.96.1.2"],
        "externalIPs": ["203.0.113.9"], "ports": http}),
    );
    with_both["status"] = balanced;
    let services = [
        service(
            "node-port",
            "default",
            json!({"type": "NodePort", "clusterIP": "10.96.1.3", "selector": {"app": "web", "tier": "front"}, "ports": http}),
        ),
        service(
            "external-ips",
            "default",
            json!({"type": "ClusterIP", "clusterIPs": ["10.96.1.4"], "externalIPs": ["203.0.113.1", "203.0.113.2"],
            "ports": [{"port": 443, "protocol": "TCP"}]}),
        ),
        with_address,
        with_both,
        service("database", "default", json!({"type": "ExternalName", "externalName": "db.example.com"})),
        service(
            "headless",
            "default",
            json!({"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"],
            "ports": [{"port": 5432, "protocol": "TCP"}]}),
        ),
        service(
            "sctp",
            "default",
            cluster_ip(
                "10.96.1.5",
                json!({}),
                json!([{"port": 9, "protocol": "SCTP"}, {"port": 7, "protocol": "UDP"}]),
            ),
        ),
    ];
    expect![[r#"
        NAME           TYPE           CLUSTER-IP   EXTERNAL-IP                                                PORT(S)        AGE   SELECTOR
        node-port      NodePort       10.96.1.3    <none>                                                     80:30080/TCP   1s    app=web,tier=front
        external-ips   ClusterIP      10.96.1.4    203.0.113.1,203.0.113.2                                    443/TCP        1s    <none>
        web            LoadBalancer   10.96.1.1    192.168.49.100,192.168.49.200,lb.example.com               80:30080/TCP   1s    <none>
        both           LoadBalancer   10.96.1.2    192.168.49.100,192.168.49.200,lb.example.com,203.0.113.9   80:30080/TCP   1s    <none>
        database       ExternalName   <none>       db.example.com                                             <none>         1s    <none>
        headless       ClusterIP      None         <none>                                                     5432/TCP       1s    <none>
        sctp           ClusterIP      10.96.1.5    <none>                                                     9/SCTP,7/UDP   1s    <none>
    "#]]
    .assert_eq(&render(resource("", "services"), &services, true));
}

#[test]
fn endpoints() {
    let subset = |ips: &[&str], ports: Value| {
        let addresses: Vec<Value> = ips.iter().map(|ip| json!({"ip": ip})).collect();
        json!({"addresses": addresses, "ports": ports})
    };
    let endpoints =
        |name: &str, subsets: Value| json!({"metadata": meta(name, "microservices", 1), "subsets": subsets});
    let http = json!([{"port": 8080, "protocol": "TCP"}]);
    let objects = [
        endpoints("backend-service", json!([subset(&["10.244.0.13", "10.244.0.14"], http.clone())])),
        endpoints(
            "frontend-service",
            json!([
                subset(&["10.244.0.20", "10.244.0.21", "10.244.0.22"], http.clone()),
                subset(&["10.244.0.23"], json!([{"port": 80}, {"port": 443}]))
            ]),
        ),
        endpoints("postgres-service", json!([])),
        endpoints("no-subsets", Value::Null),
        endpoints("headless", json!([subset(&["10.244.0.30", "10.244.0.31"], json!([]))])),
        endpoints("dual", json!([subset(&["fd00::7"], http)])),
    ];
    expect![[r#"
        NAME               ENDPOINTS                                                        AGE
        backend-service    10.244.0.13:8080,10.244.0.14:8080                                1s
        frontend-service   10.244.0.20:8080,10.244.0.21:8080,10.244.0.22:8080 + 2 more...   1s
        postgres-service   <none>                                                           1s
        no-subsets         <none>                                                           1s
        headless           10.244.0.30,10.244.0.31                                          1s
        dual               [fd00::7]:8080                                                   1s
    "#]]
    .assert_eq(&render(resource("", "endpoints"), &objects, false));
}

#[test]
fn endpoint_slices() {
    let slice = |name: &str, ports: Value, addresses: &[&[&str]]| {
        let endpoints: Vec<Value> =
            addresses.iter().map(|a| json!({"addresses": a, "conditions": {"ready": true}})).collect();
        json!({"metadata": meta(name, "microservices", 2), "addressType": "IPv4", "ports": ports, "endpoints": endpoints})
    };
    let objects = [
        slice(
            "backend-service-abcde",
            json!([{"name": "", "port": 8080, "protocol": "TCP"}]),
            &[&["10.244.0.13"], &["10.244.0.14"]],
        ),
        slice(
            "many-xyz",
            json!([{"name": "a", "port": 1}, {"name": "b", "port": 2}, {"name": "c", "port": 3}, {"name": "d", "port": 4}]),
            &[&["10.0.0.1", "10.0.0.2"], &["10.0.0.3"], &["10.0.0.4"], &["10.0.0.5"]],
        ),
        slice("unnamed-xyz", json!([{"name": "http"}, {"port": null}]), &[]),
        slice("empty-xyz", json!([]), &[]),
    ];
    expect![[r#"
        NAME                    ADDRESSTYPE   PORTS               ENDPOINTS                                AGE
        backend-service-abcde   IPv4          8080                10.244.0.13,10.244.0.14                  2s
        many-xyz                IPv4          1,2,3 + 1 more...   10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...   2s
        unnamed-xyz             IPv4          http,*              <unset>                                  2s
        empty-xyz               IPv4          <unset>             <unset>                                  2s
    "#]]
    .assert_eq(&render(resource("discovery.k8s.io", "endpointslices"), &objects, false));
}

#[test]
fn ingresses() {
    let ingress = |name: &str, spec: Value, status: Value| json!({"metadata": meta(name, "microservices", 30), "spec": spec, "status": status});
    let rule = |host: &str| json!({"host": host, "http": {"paths": []}});
    let objects = [
        // Exercise 3, before the controller writes an address.
        ingress("microservices-ingress", json!({"rules": [rule("myapp.local")]}), json!({"loadBalancer": {}})),
        ingress(
            "frontend-ingress",
            json!({"ingressClassName": "nginx", "rules": [rule("shop.local")],
            "tls": [{"hosts": ["shop.local"], "secretName": "shop-tls"}]}),
            json!({"loadBalancer": {"ingress": [{"ip": "192.168.49.2"}]}}),
        ),
        ingress(
            "catch-all",
            json!({"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}}),
            json!({}),
        ),
        ingress(
            "many-hosts",
            json!({"ingressClassName": "nginx",
            "rules": [rule("a.local"), rule(""), rule("b.local"), rule("c.local"), rule("d.local")]}),
            json!({}),
        ),
    ];
    expect![[r#"
        NAME                    CLASS    HOSTS                                 ADDRESS        PORTS     AGE
        microservices-ingress   <none>   myapp.local                                          80        30s
        frontend-ingress        nginx    shop.local                            192.168.49.2   80, 443   30s
        catch-all               <none>   *                                                    80        30s
        many-hosts              nginx    a.local,b.local,c.local + 2 more...                  80        30s
    "#]]
    .assert_eq(&render(resource("networking.k8s.io", "ingresses"), &objects, false));
}

#[test]
fn ingress_classes() {
    let class = |name: &str, spec: Value| json!({"metadata": meta(name, "", 3600), "spec": spec});
    let objects = [
        class("nginx", json!({"controller": "k8s.io/ingress-nginx"})),
        class(
            "alb",
            json!({"controller": "ingress.k8s.aws/alb",
            "parameters": {"apiGroup": "elbv2.k8s.aws", "kind": "IngressClassParams", "name": "alb-params"}}),
        ),
        class(
            "core-params",
            json!({"controller": "example.com/c", "parameters": {"kind": "ConfigMap", "name": "cfg", "scope": "Namespace"}}),
        ),
    ];
    expect![[r#"
        NAME          CONTROLLER             PARAMETERS                                    AGE
        nginx         k8s.io/ingress-nginx   <none>                                        60m
        alb           ingress.k8s.aws/alb    IngressClassParams.elbv2.k8s.aws/alb-params   60m
        core-params   example.com/c          ConfigMap/cfg                                 60m
    "#]]
    .assert_eq(&render(resource("networking.k8s.io", "ingressclasses"), &objects, false));
}

#[test]
fn network_policies() {
    let policy = |name: &str, selector: Value| json!({"metadata": meta(name, "microservices", 0), "spec": {"podSelector": selector, "policyTypes": ["Ingress"]}});
    // Exercise 2, and the tutorial's output: `deny-all` selects every pod and prints `<none>`.
    let objects = [
        policy("allow-frontend-to-backend", json!({"matchLabels": {"app": "backend"}})),
        policy("deny-all", json!({})),
        policy("backend-to-database", json!({"matchLabels": {"app": "postgres"}})),
        policy("allow-dns-egress", Value::Null),
        policy(
            "tiers",
            json!({"matchLabels": {"app": "web"}, "matchExpressions": [
            {"key": "tier", "operator": "NotIn", "values": ["db"]}, {"key": "canary", "operator": "DoesNotExist"}]}),
        ),
    ];
    expect![[r#"
        NAME                        POD-SELECTOR                      AGE
        allow-frontend-to-backend   app=backend                       0s
        deny-all                    <none>                            0s
        backend-to-database         app=postgres                      0s
        allow-dns-egress            <none>                            0s
        tiers                       app=web,!canary,tier notin (db)   0s
    "#]]
    .assert_eq(&render(resource("networking.k8s.io", "networkpolicies"), &objects, false));
}
