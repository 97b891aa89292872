//! Snapshot tests of defaulting: a manifest in, the defaulted object out as YAML.

use expect_test::{Expect, expect};
use serde::Serialize;

use super::apply;
use crate::object::Object;

/// Loads `yaml`, defaults every object, and prints each as YAML; also checks that a second pass changes nothing.
fn check(yaml: &str, expect: Expect) {
    let loaded = crate::load_str("test.yaml", yaml);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let mut out = String::new();
    for manifest in loaded.manifests {
        let mut object = manifest.object;
        apply(&mut object);
        let mut again = object.clone();
        apply(&mut again);
        assert_eq!(object, again, "defaulting is not idempotent");
        out.push_str("---\n");
        out.push_str(&to_yaml(&object));
    }
    expect.assert_eq(&out);
}

fn yaml<T: Serialize>(value: &T) -> String {
    serde_yaml::to_string(value).unwrap_or_else(|e| format!("cannot print: {e}\n"))
}

fn to_yaml(object: &Object) -> String {
    match object {
        Object::Namespace(v) => yaml(v),
        Object::Pod(v) => yaml(v),
        Object::Deployment(v) => yaml(v),
        Object::ReplicaSet(v) => yaml(v),
        Object::StatefulSet(v) => yaml(v),
        Object::DaemonSet(v) => yaml(v),
        Object::Job(v) => yaml(v),
        Object::CronJob(v) => yaml(v),
        Object::Service(v) => yaml(v),
        Object::Endpoints(v) => yaml(v),
        Object::EndpointSlice(v) => yaml(v),
        Object::Ingress(v) => yaml(v),
        Object::IngressClass(v) => yaml(v),
        Object::NetworkPolicy(v) => yaml(v),
        Object::ConfigMap(v) => yaml(v),
        Object::Secret(v) => yaml(v),
        Object::Other(v) => yaml(&v.raw),
    }
}

#[test]
fn services() {
    check(
        r#"
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}, {port: 443, targetPort: https, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: sticky}
spec:
  type: NodePort
  clusterIP: 10.96.0.20
  sessionAffinity: ClientIP
  ports: [{port: 53, protocol: UDP}]
---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec: {type: LoadBalancer, ports: [{port: 80, targetPort: 0}]}
---
apiVersion: v1
kind: Service
metadata: {name: headless}
spec: {clusterIP: None}
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: example.com}
---
apiVersion: v1
kind: Service
metadata: {name: external-ips}
spec: {externalIPs: [192.0.2.1], ports: [{port: 80}]}
"#,
        expect![[r#"
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: web
            spec:
              internalTrafficPolicy: Cluster
              ipFamilyPolicy: SingleStack
              ports:
              - port: 80
                protocol: TCP
                targetPort: 80
              - port: 443
                protocol: TCP
                targetPort: https
              selector:
                app: web
              sessionAffinity: None
              type: ClusterIP
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: sticky
            spec:
              clusterIP: 10.96.0.20
              clusterIPs:
              - 10.96.0.20
              externalTrafficPolicy: Cluster
              internalTrafficPolicy: Cluster
              ipFamilyPolicy: SingleStack
              ports:
              - port: 53
                protocol: UDP
                targetPort: 53
              sessionAffinity: ClientIP
              sessionAffinityConfig:
                clientIP:
                  timeoutSeconds: 10800
              type: NodePort
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: lb
            spec:
              allocateLoadBalancerNodePorts: true
              externalTrafficPolicy: Cluster
              internalTrafficPolicy: Cluster
              ipFamilyPolicy: SingleStack
              ports:
              - port: 80
                protocol: TCP
                targetPort: 80
              sessionAffinity: None
              type: LoadBalancer
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: headless
            spec:
              clusterIP: None
              clusterIPs:
              - None
              internalTrafficPolicy: Cluster
              ipFamilyPolicy: RequireDualStack
              sessionAffinity: None
              type: ClusterIP
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: ext
            spec:
              externalName: example.com
              sessionAffinity: None
              type: ExternalName
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: external-ips
            spec:
              externalIPs:
              - 192.0.2.1
              externalTrafficPolicy: Cluster
              internalTrafficPolicy: Cluster
              ipFamilyPolicy: SingleStack
              ports:
              - port: 80
                protocol: TCP
                targetPort: 80
              sessionAffinity: None
              type: ClusterIP
        "#]],
    );
}

#[test]
fn network_policies() {
    check(
        r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ingress-only}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 80}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: with-egress}
spec:
  podSelector: {}
  egress: [{ports: [{port: 53, protocol: UDP}, {port: 53}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: empty-egress}
spec:
  podSelector: {}
  egress: []
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: explicit}
spec:
  podSelector: {}
  policyTypes: [Egress]
"#,
        expect![[r#"
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              name: ingress-only
            spec:
              ingress:
              - ports:
                - port: 80
                  protocol: TCP
              podSelector: {}
              policyTypes:
              - Ingress
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              name: with-egress
            spec:
              egress:
              - ports:
                - port: 53
                  protocol: UDP
                - port: 53
                  protocol: TCP
              podSelector: {}
              policyTypes:
              - Ingress
              - Egress
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              name: empty-egress
            spec:
              egress: []
              podSelector: {}
              policyTypes:
              - Ingress
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              name: explicit
            spec:
              podSelector: {}
              policyTypes:
              - Egress
        "#]],
    );
}

#[test]
fn pods() {
    check(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  hostNetwork: true
  containers:
  - name: web
    image: nginx
    ports: [{containerPort: 80}, {containerPort: 53, protocol: UDP, hostPort: 53}]
    readinessProbe: {httpGet: {port: 80}}
    livenessProbe: {tcpSocket: {port: 80}, periodSeconds: 5}
    lifecycle: {preStop: {httpGet: {port: 80, path: /quit}}}
  initContainers:
  - {name: init, image: "busybox:1.36"}
  - {name: pinned, image: "registry:5000/app@sha256:abc"}
"#,
        expect![[r#"
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
            spec:
              containers:
              - image: nginx
                imagePullPolicy: Always
                lifecycle:
                  preStop:
                    httpGet:
                      path: /quit
                      port: 80
                      scheme: HTTP
                livenessProbe:
                  failureThreshold: 3
                  periodSeconds: 5
                  successThreshold: 1
                  tcpSocket:
                    port: 80
                  timeoutSeconds: 1
                name: web
                ports:
                - containerPort: 80
                  hostPort: 80
                  protocol: TCP
                - containerPort: 53
                  hostPort: 53
                  protocol: UDP
                readinessProbe:
                  failureThreshold: 3
                  httpGet:
                    path: /
                    port: 80
                    scheme: HTTP
                  periodSeconds: 10
                  successThreshold: 1
                  timeoutSeconds: 1
                terminationMessagePath: /dev/termination-log
                terminationMessagePolicy: File
              dnsPolicy: ClusterFirst
              enableServiceLinks: true
              hostNetwork: true
              initContainers:
              - image: busybox:1.36
                imagePullPolicy: IfNotPresent
                name: init
                terminationMessagePath: /dev/termination-log
                terminationMessagePolicy: File
              - image: registry:5000/app@sha256:abc
                imagePullPolicy: IfNotPresent
                name: pinned
                terminationMessagePath: /dev/termination-log
                terminationMessagePolicy: File
              restartPolicy: Always
              schedulerName: default-scheduler
              securityContext: {}
              terminationGracePeriodSeconds: 30
        "#]],
    );
}

#[test]
fn workloads() {
    check(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx:latest}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template: {metadata: {labels: {app: agent}}, spec: {containers: [{name: a, image: a:1}]}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  selector: {matchLabels: {app: db}}
  template: {metadata: {labels: {app: db}}, spec: {containers: [{name: db, image: db:1}]}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 0 * * *"
  jobTemplate: {spec: {template: {spec: {restartPolicy: OnFailure, containers: [{name: c, image: c:1}]}}}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  template: {metadata: {labels: {job: once}}, spec: {restartPolicy: Never, containers: [{name: c, image: c:1}]}}
"#,
        expect![[r#"
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              progressDeadlineSeconds: 600
              replicas: 1
              revisionHistoryLimit: 10
              selector:
                matchLabels:
                  app: web
              strategy:
                rollingUpdate:
                  maxSurge: 25%
                  maxUnavailable: 25%
                type: RollingUpdate
              template:
                metadata:
                  labels:
                    app: web
                spec:
                  containers:
                  - image: nginx:latest
                    imagePullPolicy: Always
                    name: web
                    terminationMessagePath: /dev/termination-log
                    terminationMessagePolicy: File
                  dnsPolicy: ClusterFirst
                  restartPolicy: Always
                  schedulerName: default-scheduler
                  securityContext: {}
                  terminationGracePeriodSeconds: 30
            ---
            apiVersion: apps/v1
            kind: DaemonSet
            metadata:
              name: agent
            spec:
              revisionHistoryLimit: 10
              selector:
                matchLabels:
                  app: agent
              template:
                metadata:
                  labels:
                    app: agent
                spec:
                  containers:
                  - image: a:1
                    imagePullPolicy: IfNotPresent
                    name: a
                    terminationMessagePath: /dev/termination-log
                    terminationMessagePolicy: File
                  dnsPolicy: ClusterFirst
                  restartPolicy: Always
                  schedulerName: default-scheduler
                  securityContext: {}
                  terminationGracePeriodSeconds: 30
              updateStrategy:
                rollingUpdate:
                  maxSurge: 0
                  maxUnavailable: 1
                type: RollingUpdate
            ---
            apiVersion: apps/v1
            kind: StatefulSet
            metadata:
              name: db
            spec:
              persistentVolumeClaimRetentionPolicy:
                whenDeleted: Retain
                whenScaled: Retain
              podManagementPolicy: OrderedReady
              replicas: 1
              revisionHistoryLimit: 10
              selector:
                matchLabels:
                  app: db
              template:
                metadata:
                  labels:
                    app: db
                spec:
                  containers:
                  - image: db:1
                    imagePullPolicy: IfNotPresent
                    name: db
                    terminationMessagePath: /dev/termination-log
                    terminationMessagePolicy: File
                  dnsPolicy: ClusterFirst
                  restartPolicy: Always
                  schedulerName: default-scheduler
                  securityContext: {}
                  terminationGracePeriodSeconds: 30
              updateStrategy:
                rollingUpdate:
                  partition: 0
                type: RollingUpdate
            ---
            apiVersion: batch/v1
            kind: CronJob
            metadata:
              name: nightly
            spec:
              concurrencyPolicy: Allow
              failedJobsHistoryLimit: 1
              jobTemplate:
                spec:
                  template:
                    spec:
                      containers:
                      - image: c:1
                        imagePullPolicy: IfNotPresent
                        name: c
                        terminationMessagePath: /dev/termination-log
                        terminationMessagePolicy: File
                      dnsPolicy: ClusterFirst
                      restartPolicy: OnFailure
                      schedulerName: default-scheduler
                      securityContext: {}
                      terminationGracePeriodSeconds: 30
              schedule: 0 0 * * *
              successfulJobsHistoryLimit: 3
              suspend: false
            ---
            apiVersion: batch/v1
            kind: Job
            metadata:
              labels:
                job: once
              name: once
            spec:
              backoffLimit: 6
              completionMode: NonIndexed
              completions: 1
              parallelism: 1
              podReplacementPolicy: TerminatingOrFailed
              suspend: false
              template:
                metadata:
                  labels:
                    job: once
                spec:
                  containers:
                  - image: c:1
                    imagePullPolicy: IfNotPresent
                    name: c
                    terminationMessagePath: /dev/termination-log
                    terminationMessagePolicy: File
                  dnsPolicy: ClusterFirst
                  restartPolicy: Never
                  schedulerName: default-scheduler
                  securityContext: {}
                  terminationGracePeriodSeconds: 30
        "#]],
    );
}

#[test]
fn namespaces_endpoints_and_classes() {
    check(
        r#"
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {team: a}}
---
apiVersion: v1
kind: Endpoints
metadata: {name: ext}
subsets: [{addresses: [{ip: 192.0.2.1}], ports: [{port: 80}]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ext-1}
addressType: IPv4
endpoints: [{addresses: [192.0.2.1]}]
ports: [{port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: example.com/x, parameters: {kind: K, name: n}}
"#,
        expect![[r#"
            ---
            apiVersion: v1
            kind: Namespace
            metadata:
              labels:
                kubernetes.io/metadata.name: prod
                team: a
              name: prod
            ---
            apiVersion: v1
            kind: Endpoints
            metadata:
              name: ext
            subsets:
            - addresses:
              - ip: 192.0.2.1
              ports:
              - port: 80
                protocol: TCP
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            addressType: IPv4
            endpoints:
            - addresses:
              - 192.0.2.1
            metadata:
              name: ext-1
            ports:
            - name: ''
              port: 80
              protocol: TCP
            ---
            apiVersion: networking.k8s.io/v1
            kind: IngressClass
            metadata:
              name: nginx
            spec:
              controller: example.com/x
              parameters:
                kind: K
                name: n
                scope: Cluster
        "#]],
    );
}

#[test]
fn image_tags() {
    use super::image_tag;
    assert_eq!(image_tag("nginx"), "latest");
    assert_eq!(image_tag("nginx:1.27"), "1.27");
    assert_eq!(image_tag("localhost:5000/app"), "latest");
    assert_eq!(image_tag("localhost:5000/app:v1"), "v1");
    assert_eq!(image_tag("app@sha256:abc"), "");
    assert_eq!(image_tag("app:v2@sha256:abc"), "v2");
}
