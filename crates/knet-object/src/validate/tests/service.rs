//! Services: ports, types, cluster IPs, node ports, affinity, traffic policies.

use expect_test::expect;

use super::{check, check_with};
use crate::validate::ValidationConfig;

#[test]
fn a_plain_service_is_valid() {
    check(
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n",
        expect![[r#"
            Service "web": valid
        "#]],
    );
}

#[test]
fn ports_are_required_except_for_headless_and_external_name() {
    check(
        r#"
apiVersion: v1
kind: Service
metadata: {name: none}
spec: {selector: {app: web}}
---
apiVersion: v1
kind: Service
metadata: {name: headless}
spec: {clusterIP: None, selector: {app: web}}
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: db.example.com.}
"#,
        expect![[r#"
            Service "none": spec.ports: Required value
            Service "headless": valid
            Service "ext": valid
        "#]],
    );
}

#[test]
fn port_numbers_protocols_and_names() {
    check(
        r#"
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports:
  - {name: http, port: 0}
  - {port: 443, protocol: FOO}
  - {name: http, port: 8080, targetPort: 70000}
  - {name: Metrics_Port, port: 9090, targetPort: "-bad--name-"}
  - {name: long-but-fine-as-a-dns-label, port: 9091, targetPort: metrics}
"#,
        expect![[r#"
            Service "web": spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive
            Service "web": spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive
            Service "web": spec.ports[1].name: Required value
            Service "web": spec.ports[1].protocol: Unsupported value: "FOO": supported values: "SCTP", "TCP", "UDP"
            Service "web": spec.ports[2].name: Duplicate value: "http"
            Service "web": spec.ports[2].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive
            Service "web": spec.ports[3].name: Invalid value: "Metrics_Port": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')
            Service "web": spec.ports[3].targetPort: Invalid value: "-bad--name-": must not contain consecutive hyphens
            Service "web": spec.ports[3].targetPort: Invalid value: "-bad--name-": must not begin or end with a hyphen
        "#]],
    );
}

#[test]
fn duplicate_port_and_protocol() {
    check(
        r#"
apiVersion: v1
kind: Service
metadata: {name: dns}
spec:
  ports:
  - {name: a, port: 53, protocol: UDP}
  - {name: b, port: 53, protocol: TCP}
  - {name: c, port: 53, protocol: UDP}
"#,
        expect![[r#"
            Service "dns": spec.ports[2]: Duplicate value: core.ServicePort{Name:"", Protocol:"UDP", AppProtocol:(*string)(nil), Port:53, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}
        "#]],
    );
}

#[test]
fn unsupported_type_and_session_affinity() {
    check(
        r#"
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: Foo
  sessionAffinity: Sticky
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: sticky}
spec:
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 0}}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: sticky-default}
spec:
  sessionAffinity: ClientIP
  ports: [{port: 80}]
"#,
        expect![[r#"
            Service "web": spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"
            Service "web": spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"
            Service "sticky": spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400
            Service "sticky-default": valid
        "#]],
    );
}

#[test]
fn node_ports_must_be_in_range_and_only_where_allowed() {
    check(
        r#"
apiVersion: v1
kind: Service
metadata: {name: np}
spec:
  type: NodePort
  ports: [{port: 80, nodePort: 80}, {name: x, port: 81, nodePort: 1}]
---
apiVersion: v1
kind: Service
metadata: {name: cip}
spec:
  ports: [{port: 80, nodePort: 30080}]
---
apiVersion: v1
kind: Service
metadata: {name: twice}
spec:
  type: NodePort
  ports: [{name: a, port: 80, nodePort: 30080}, {name: b, port: 81, nodePort: 30080}]
"#,
        expect![[r#"
            Service "np": spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767
            Service "cip": spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'
            Service "twice": spec.ports[1].nodePort: Invalid value: 30080: provided port is already allocated
        "#]],
    );
}

#[test]
fn node_port_range_comes_from_the_config() {
    let config = ValidationConfig { node_port_range: 20000..=20010 };
    check_with(
        "apiVersion: v1\nkind: Service\nmetadata: {name: np}\nspec:\n  type: NodePort\n  ports: [{port: 80, nodePort: 30080}]\n",
        &config,
        expect![[r#"
            Service "np": spec.ports[0].nodePort: Invalid value: 30080: provided port is not in the valid range. The range of valid ports is 20000-20010
        "#]],
    );
}

#[test]
fn external_name_services() {
    check(
        r#"
apiVersion: v1
kind: Service
metadata: {name: missing}
spec: {type: ExternalName}
---
apiVersion: v1
kind: Service
metadata: {name: ip}
spec: {type: ExternalName, externalName: 10.1.2.3}
---
apiVersion: v1
kind: Service
metadata: {name: with-ip}
spec: {type: ExternalName, externalName: db.example.com, clusterIP: 10.96.0.5}
"#,
        expect![[r#"
            Service "missing": spec.externalName: Required value
            Service "ip": valid
            Service "with-ip": spec.clusterIPs: Forbidden: may not be set for ExternalName services
        "#]],
    );
}

#[test]
fn cluster_ips() {
    check(
        r#"
apiVersion: v1
kind: Service
metadata: {name: bad-ip}
spec: {clusterIP: abc}
---
apiVersion: v1
kind: Service
metadata: {name: lb-headless}
spec: {type: LoadBalancer, clusterIP: None, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: np-headless}
spec: {type: NodePort, clusterIP: None, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: mismatch}
spec: {clusterIP: 10.96.0.1, clusterIPs: [10.96.0.2], ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: two-v4}
spec: {clusterIP: 10.96.0.1, clusterIPs: [10.96.0.1, 10.96.0.2], ipFamilyPolicy: RequireDualStack, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: dual-single}
spec: {clusterIP: 10.96.0.1, clusterIPs: [10.96.0.1, "fd00::1"], ports: [{port: 80}]}
"#,
        expect![[r#"
            Service "bad-ip": spec.clusterIPs[0]: Invalid value: "abc": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)
            Service "lb-headless": spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for LoadBalancer services
            Service "np-headless": spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services
            Service "mismatch": spec.clusterIPs: Invalid value: []string{"10.96.0.2"}: first value must match `clusterIP`
            Service "two-v4": spec.clusterIPs: Invalid value: []string{"10.96.0.1", "10.96.0.2"}: may specify no more than one IP for each IP family
            Service "dual-single": spec.ipFamilyPolicy: Invalid value: "SingleStack": must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified
        "#]],
    );
}

#[test]
fn load_balancer_only_fields_and_traffic_policies() {
    check(
        r#"
apiVersion: v1
kind: Service
metadata: {name: cip}
spec:
  loadBalancerSourceRanges: [10.0.0.0/8, "300.0.0.0/8"]
  externalTrafficPolicy: Local
  loadBalancerClass: example.com/lb
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  loadBalancerSourceRanges: [" 10.0.0.0/8 "]
  externalTrafficPolicy: Nearby
  internalTrafficPolicy: Nearby
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: ext-ips}
spec:
  externalIPs: [192.0.2.10, 127.0.0.1, nope]
  ports: [{port: 80}]
"#,
        expect![[r#"
            Service "cip": spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'
            Service "cip": spec.LoadBalancerSourceRanges[1]: Invalid value: "300.0.0.0/8": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)
            Service "cip": spec.loadBalancerClass: Forbidden: may only be used when `type` is 'LoadBalancer'
            Service "cip": spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services
            Service "lb": spec.externalTrafficPolicy: Unsupported value: "Nearby": supported values: "Cluster", "Local"
            Service "lb": spec.internalTrafficPolicy: Unsupported value: "Nearby": supported values: "Cluster", "Local"
            Service "ext-ips": spec.externalIPs[1]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)
            Service "ext-ips": spec.externalIPs[2]: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)
        "#]],
    );
}

#[test]
fn families_app_protocols_and_health_checks() {
    check(
        r#"
apiVersion: v1
kind: Service
metadata: {name: fam}
spec:
  ipFamilies: [IPv4, IPv4, IPv5]
  ipFamilyPolicy: DualStack
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: misc}
spec:
  healthCheckNodePort: 30999
  trafficDistribution: Anywhere
  sessionAffinity: None
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 5}}
  ports: [{port: 80, appProtocol: "kubernetes.io/h2c"}, {name: b, port: 81, appProtocol: "not/a/name"}]
"#,
        expect![[r#"
            Service "fam": spec.ipFamilies[1]: Duplicate value: "IPv4"
            Service "fam": spec.ipFamilies[2]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"
            Service "fam": spec.ipFamilyPolicy: Unsupported value: "DualStack": supported values: "PreferDualStack", "RequireDualStack", "SingleStack"
            Service "misc": spec.ports[0].name: Required value
            Service "misc": spec.ports[1].appProtocol: Invalid value: "not/a/name": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')
            Service "misc": spec.healthCheckNodePort: Invalid value: 30999: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'
            Service "misc": spec.trafficDistribution: Unsupported value: "Anywhere": supported values: "PreferClose"
        "#]],
    );
}
