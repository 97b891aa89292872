//! Property tests: validation and defaulting never panic, whatever the manifest, and defaulting is idempotent.
//!
//! Random text rarely decodes into a typed object, so the main property starts from valid manifests of every kind
//! and mutates them while keeping each value's JSON type: strings become other (often hostile) strings, numbers
//! other numbers, and fields disappear. That keeps most mutants decodable, so validation runs on them.

use proptest::prelude::*;
use serde_json::Value;

use crate::defaults;
use crate::validate::validate;

/// Valid manifests that between them reach every validator.
const SEEDS: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: web, namespace: prod, labels: {app: web}}
spec:
  type: NodePort
  clusterIP: 10.96.0.10
  selector: {app: web}
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}
  externalIPs: [192.0.2.1]
  ports: [{name: http, port: 80, targetPort: http, nodePort: 30080, protocol: TCP}, {name: dns, port: 53, targetPort: 5353, protocol: UDP}]
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: db.example.com}
---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec: {type: LoadBalancer, clusterIP: 10.96.0.11, clusterIPs: [10.96.0.11], ipFamilies: [IPv4], ipFamilyPolicy: SingleStack, externalTrafficPolicy: Local, healthCheckNodePort: 30000, loadBalancerSourceRanges: [10.0.0.0/8], loadBalancerClass: example.com/lb, ports: [{port: 443}]}
---
apiVersion: v1
kind: Service
metadata: {name: headless}
spec: {clusterIP: None, ports: [{port: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, generateName: web-}
spec:
  hostNetwork: true
  dnsPolicy: None
  dnsConfig: {nameservers: [1.1.1.1], searches: [example.com], options: [{name: ndots, value: "2"}]}
  hostAliases: [{ip: 10.0.0.1, hostnames: [db.local]}]
  volumes: [{name: data, emptyDir: {}}]
  initContainers: [{name: init, image: busybox, restartPolicy: Always, ports: [{containerPort: 9000, hostPort: 9000}]}]
  containers:
  - name: web
    image: nginx:1.27
    env: [{name: A, value: b}]
    volumeMounts: [{name: data, mountPath: /data}]
    ports: [{name: http, containerPort: 80, hostPort: 80, protocol: TCP}]
    readinessProbe: {httpGet: {path: /, port: http, scheme: HTTP, httpHeaders: [{name: X-A, value: b}]}, periodSeconds: 5}
    livenessProbe: {tcpSocket: {port: 80}, successThreshold: 1}
    startupProbe: {grpc: {port: 9090}, failureThreshold: 30}
    lifecycle: {preStop: {sleep: {seconds: 5}}, postStart: {exec: {command: ["true"]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}, matchExpressions: [{key: tier, operator: In, values: [front]}]}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: "10%"}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  selector: {matchLabels: {app: db}}
  template: {metadata: {labels: {app: db}}, spec: {containers: [{name: db, image: postgres}]}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template: {metadata: {labels: {app: agent}}, spec: {containers: [{name: agent, image: agent}]}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs}
spec:
  selector: {matchLabels: {app: rs}}
  template: {metadata: {labels: {app: rs}}, spec: {containers: [{name: rs, image: rs}]}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 0 * * *"
  jobTemplate: {spec: {template: {spec: {restartPolicy: OnFailure, containers: [{name: c, image: busybox}]}}}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  manualSelector: true
  selector: {matchLabels: {job: once}}
  template: {metadata: {labels: {job: once}}, spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, annotations: {kubernetes.io/ingress.class: nginx}}
spec:
  ingressClassName: nginx
  defaultBackend: {resource: {apiGroup: example.com, kind: Bucket, name: static}}
  tls: [{hosts: ["*.example.com"], secretName: tls}]
  rules:
  - host: "*.example.com"
    http: {paths: [{path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}, {path: /, pathType: Exact, backend: {service: {name: web, port: {name: http}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: example.com/ingress, parameters: {apiGroup: example.com, kind: Params, name: p, scope: Namespace, namespace: infra}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}, namespaceSelector: {matchExpressions: [{key: team, operator: Exists}]}}, {ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
    ports: [{port: 5432, endPort: 5440, protocol: TCP}, {port: metrics}]
  egress:
  - to: [{ipBlock: {cidr: "2001:db8::/32", except: ["2001:db8:1::/48"]}}]
    ports: [{port: 53, protocol: UDP}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: ext}
subsets: [{addresses: [{ip: 192.0.2.1, hostname: a, nodeName: n}], notReadyAddresses: [{ip: 192.0.2.2}], ports: [{name: a, port: 80, protocol: TCP}, {name: b, port: 81}]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ext-1}
addressType: IPv4
endpoints: [{addresses: [192.0.2.1], hostname: a}]
ports: [{name: http, port: 80, protocol: TCP, appProtocol: http}]
---
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {team: a}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {a.b: c}
"#;

/// The seeds as JSON values, one per document.
fn seeds() -> Vec<Value> {
    SEEDS.split("\n---\n").filter_map(|doc| serde_yaml::from_str::<Value>(doc).ok()).collect()
}

/// JSON pointers to every leaf (scalar) of a value.
fn leaves(value: &Value, pointer: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let key = key.replace('~', "~0").replace('/', "~1");
                leaves(child, format!("{pointer}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                leaves(child, format!("{pointer}/{i}"), out);
            }
        }
        _ => out.push(pointer),
    }
}

/// One change to a seed: which leaf (by position, modulo the number of leaves), and what to do with it.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace a string leaf with this string, or a number leaf with this number's value.
    Replace(usize, String, i64),
    /// Remove the field (or list item) holding the leaf.
    Remove(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let strings = prop_oneof![
        prop::sample::select(vec![
            "",
            "None",
            "-",
            "a--b",
            "A_B",
            "*",
            "*.x",
            "x.*",
            "1.2.3.4",
            "::1",
            "0.0.0.0",
            "10.0.0.0/33",
            "10.0.0.0/8",
            "fe80::/10",
            "/a/../b",
            "//",
            "%2F",
            "a/b/c",
            "/",
            ".",
            "..",
            "Exists",
            "In",
            "TCP",
            "SCTP",
            "ICMP",
            "ClusterIP",
            "NodePort",
            "LoadBalancer",
            "ExternalName",
            "Exact",
            "Prefix",
            "ImplementationSpecific",
            "Ingress",
            "Egress",
            "ClientIP",
            "Local",
            "Cluster",
            "Never",
            "Always",
            "OnFailure",
            "IPv6",
            "FQDN",
            "RequireDualStack",
            "Namespace",
            "é",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,70}",
    ];
    let numbers = prop_oneof![
        prop::sample::select(vec![
            0i64,
            -1,
            1,
            65535,
            65536,
            30000,
            32767,
            86400,
            i64::from(i32::MAX),
            -i64::from(i32::MAX)
        ]),
        any::<i32>().prop_map(i64::from),
    ];
    prop_oneof![
        3 => (any::<usize>(), strings, numbers).prop_map(|(i, s, n)| Mutation::Replace(i, s, n)),
        1 => any::<usize>().prop_map(Mutation::Remove),
    ]
}

/// Applies a mutation; a mutation that does not fit (its leaf moved away) is skipped.
fn mutate(value: &mut Value, mutation: &Mutation) {
    let mut pointers = Vec::new();
    leaves(value, String::new(), &mut pointers);
    if pointers.is_empty() {
        return;
    }
    match mutation {
        Mutation::Replace(i, string, number) => {
            let Some(leaf) = value.pointer_mut(&pointers[i % pointers.len()]) else {
                return;
            };
            *leaf = match &*leaf {
                Value::String(_) => Value::String(string.clone()),
                Value::Number(_) => Value::from(*number),
                Value::Bool(b) => Value::Bool(!b),
                other => other.clone(),
            };
        }
        Mutation::Remove(i) => {
            let pointer = &pointers[i % pointers.len()];
            let Some((parent, last)) = pointer.rsplit_once('/') else {
                return;
            };
            match value.pointer_mut(parent) {
                Some(Value::Object(map)) => {
                    map.remove(&last.replace("~1", "/").replace("~0", "~"));
                }
                Some(Value::Array(items)) => match last.parse::<usize>() {
                    Ok(index) if index < items.len() => {
                        items.remove(index);
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }
}

/// Checks the two properties on one object.
fn check_object(text: &str) -> Result<(), TestCaseError> {
    for manifest in crate::load_str("fuzz.json", text).manifests {
        let mut once = manifest.object;
        let _ = validate(&once);
        defaults::apply(&mut once);
        let _ = validate(&once);
        let mut twice = once.clone();
        defaults::apply(&mut twice);
        prop_assert_eq!(once, twice);
    }
    Ok(())
}

#[test]
fn every_seed_is_valid() {
    for seed in seeds() {
        let text = seed.to_string();
        let report = super::report(&text, &Default::default());
        assert!(report.ends_with(": valid\n"), "{report}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn mutated_manifests_never_panic_and_defaulting_is_idempotent(
        seed in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let seeds = seeds();
        let mut value = seeds[seed.index(seeds.len())].clone();
        for mutation in &mutations {
            mutate(&mut value, mutation);
        }
        check_object(&value.to_string())?;
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        check_object(&text)?;
    }
}
