//! Pod specs: containers, ports, probes, DNS, host networking.

use expect_test::expect;

use super::check;

#[test]
fn a_plain_pod_is_valid() {
    check(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - name: web
    image: nginx:1.27
    ports: [{name: http, containerPort: 80}]
    readinessProbe: {httpGet: {port: http}}
    livenessProbe: {tcpSocket: {port: 80}}
"#,
        expect![[r#"
            Pod "web": valid
        "#]],
    );
}

#[test]
fn containers_are_required_and_named() {
    check(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: empty}
spec: {containers: []}
---
apiVersion: v1
kind: Pod
metadata: {name: names}
spec:
  containers:
  - {image: nginx}
  - {name: Web, image: nginx}
  - {name: web, image: nginx}
  - {name: web}
  initContainers:
  - {name: web, image: busybox}
"#,
        expect![[r#"
            Pod "empty": spec.containers: Required value
            Pod "names": spec.containers[0].name: Required value
            Pod "names": spec.containers[1].name: Invalid value: "Web": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')
            Pod "names": spec.containers[3].image: Required value
            Pod "names": spec.containers[3].name: Duplicate value: "web"
            Pod "names": spec.initContainers[0].name: Duplicate value: "web"
        "#]],
    );
}

#[test]
fn container_ports() {
    check(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: ports}
spec:
  containers:
  - name: web
    image: nginx
    ports:
    - {containerPort: 0}
    - {containerPort: 70000, name: http}
    - {containerPort: 81, name: http}
    - {containerPort: 82, name: HTTP_PORT}
    - {containerPort: 83, protocol: ICMP, hostPort: 8080}
    - {containerPort: 84, hostPort: 8080, protocol: ICMP}
"#,
        expect![[r#"
            Pod "ports": spec.containers[0].ports[0].containerPort: Required value
            Pod "ports": spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive
            Pod "ports": spec.containers[0].ports[2].name: Duplicate value: "http"
            Pod "ports": spec.containers[0].ports[3].name: Invalid value: "HTTP_PORT": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)
            Pod "ports": spec.containers[0].ports[3].name: Invalid value: "HTTP_PORT": must contain at least one letter (a-z)
            Pod "ports": spec.containers[0].ports[4].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"
            Pod "ports": spec.containers[0].ports[5].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"
            Pod "ports": spec.containers[0].ports[5].hostPort: Duplicate value: "ICMP//8080"
        "#]],
    );
}

#[test]
fn probes() {
    check(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: probes}
spec:
  containers:
  - name: web
    image: nginx
    livenessProbe: {httpGet: {port: 0, scheme: FTP}, successThreshold: 2}
    readinessProbe: {tcpSocket: {port: "very-long-port-name"}, exec: {command: ["true"]}, terminationGracePeriodSeconds: 5}
    startupProbe: {initialDelaySeconds: -1}
    lifecycle: {preStop: {sleep: {seconds: 60}}}
"#,
        expect![[r#"
            Pod "probes": spec.containers[0].lifecycle.preStop.sleep: Invalid value: 60: must be non-negative and less than terminationGracePeriodSeconds (30)
            Pod "probes": spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive
            Pod "probes": spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"
            Pod "probes": spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1
            Pod "probes": spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type
            Pod "probes": spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: must not be set for readinessProbes
            Pod "probes": spec.containers[0].startupProbe: Required value: must specify a handler type
            Pod "probes": spec.containers[0].startupProbe.initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0
        "#]],
    );
}

#[test]
fn dns_policy_and_config() {
    check(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: policy}
spec:
  dnsPolicy: Foo
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: none-without-config}
spec:
  dnsPolicy: None
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: none-without-nameservers}
spec:
  dnsPolicy: None
  dnsConfig: {searches: [example.com]}
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: config}
spec:
  dnsConfig:
    nameservers: [1.1.1.1, 8.8.8.8, 9.9.9.9, dns.example.com]
    searches: [svc.cluster.local., _tcp.example.com, "Bad..Domain", "."]
    options: [{name: ndots, value: "2"}, {value: "1"}]
  containers: [{name: c, image: busybox}]
"#,
        expect![[r#"
            Pod "policy": spec.dnsPolicy: Unsupported value: "Foo": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"
            Pod "none-without-config": spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None
            Pod "none-without-nameservers": spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when `dnsPolicy` is None
            Pod "config": spec.dnsConfig.nameservers: Invalid value: []string{"1.1.1.1", "8.8.8.8", "9.9.9.9", "dns.example.com"}: must not have more than 3 nameservers
            Pod "config": spec.dnsConfig.nameservers[3]: Invalid value: "dns.example.com": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)
            Pod "config": spec.dnsConfig.searches[2]: Invalid value: "Bad..Domain": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*')
            Pod "config": spec.dnsConfig.options[1]: Required value: must not be empty
        "#]],
    );
}

#[test]
fn host_network_ports_and_mounts() {
    check(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: hostnet}
spec:
  hostNetwork: true
  containers:
  - name: c
    image: " busybox"
    ports: [{containerPort: 53, hostPort: 5353}, {containerPort: 54}]
    volumeMounts: [{name: data, mountPath: /data}, {name: cfg, mountPath: /data}]
  volumes: [{name: cfg, configMap: {name: cfg}}, {name: cfg, emptyDir: {}}]
"#,
        expect![[r#"
            Pod "hostnet": spec.volumes[1].name: Duplicate value: "cfg"
            Pod "hostnet": spec.containers[0].volumeMounts[0].name: Not found: "data"
            Pod "hostnet": spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/data": must be unique
            Pod "hostnet": spec.containers[0].ports[0].hostPort: Invalid value: 5353: must match `containerPort` when `hostNetwork` is true
            Pod "hostnet": spec.containers[0].image: Invalid value: " busybox": must not have leading or trailing whitespace
        "#]],
    );
}

#[test]
fn dns_search_limits() {
    let many: Vec<String> = (0..33).map(|i| format!("d{i}.example.com")).collect();
    let long = format!("{}.com", "a".repeat(60));
    let longs: Vec<String> = (0..34).map(|_| long.clone()).collect();
    check(
        &format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: many}}\nspec:\n  dnsConfig: {{searches: [{}]}}\n  containers: [{{name: c, image: busybox}}]\n",
            many.join(", ")
        ),
        expect![[r#"
            Pod "many": spec.dnsConfig.searches: Invalid value: []string{"d0.example.com", "d1.example.com", "d2.example.com", "d3.example.com", "d4.example.com", "d5.example.com", "d6.example.com", "d7.example.com", "d8.example.com", "d9.example.com", "d10.example.com", "d11.example.com", "d12.example.com", "d13.example.com", "d14.example.com", "d15.example.com", "d16.example.com", "d17.example.com", "d18.example.com", "d19.example.com", "d20.example.com", "d21.example.com", "d22.example.com", "d23.example.com", "d24.example.com", "d25.example.com", "d26.example.com", "d27.example.com", "d28.example.com", "d29.example.com", "d30.example.com", "d31.example.com", "d32.example.com"}: must not have more than 32 search paths
        "#]],
    );
    let report = super::report(
        &format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: long}}\nspec:\n  dnsConfig: {{searches: [{}]}}\n  containers: [{{name: c, image: busybox}}]\n",
            longs.join(", ")
        ),
        &Default::default(),
    );
    assert!(
        report.contains("must not have more than 2048 characters (including spaces) in the search list"),
        "{report}"
    );
}
