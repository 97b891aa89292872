//! Workloads: selectors against templates, templates' pod specs, and the kinds' own fields.

use expect_test::expect;

use super::check;

#[test]
fn deployments() {
    check(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: good}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: no-selector}
spec:
  replicas: -1
  template:
    metadata: {labels: {app: x}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: mismatch}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: x, "bad key!": v}}
    spec:
      restartPolicy: Never
      containers: [{name: web, ports: [{containerPort: 0}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: empty-selector}
spec:
  selector: {matchLabels: {}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: "abc"}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
"#,
        expect![[r#"
            Deployment "good": valid
            Deployment "no-selector": spec.replicas: Invalid value: -1: must be greater than or equal to 0
            Deployment "no-selector": spec.selector: Required value
            Deployment "no-selector": spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`
            Deployment "mismatch": spec.template.metadata.labels: Invalid value: map[string]string{"app":"x", "bad key!":"v"}: `selector` does not match template `labels`
            Deployment "mismatch": spec.template.labels: Invalid value: "bad key!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')
            Deployment "mismatch": spec.template.spec.containers[0].image: Required value
            Deployment "mismatch": spec.template.spec.containers[0].ports[0].containerPort: Required value
            Deployment "mismatch": spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"
            Deployment "empty-selector": spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}: empty selector is invalid for deployment
            Deployment "empty-selector": spec.strategy.rollingUpdate.maxSurge: Invalid value: abc: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')
            Deployment "empty-selector": spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0
        "#]],
    );
}

#[test]
fn other_controllers() {
    check(
        r#"
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchExpressions: [{key: app, operator: In, values: [db]}]}
  template:
    metadata: {labels: {app: cache}}
    spec: {containers: [{name: db, image: postgres}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: agent}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs}
spec:
  selector: {matchLabels: {app: rs}}
"#,
        expect![[r#"
            StatefulSet "db": spec.template.metadata.labels: Invalid value: map[string]string{"app":"cache"}: `selector` does not match template `labels`
            DaemonSet "agent": spec.template.metadata.labels: Invalid value: map[string]string{"app":"agent"}: `selector` does not match template `labels`
            ReplicaSet "rs": spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`
            ReplicaSet "rs": spec.template.spec.containers: Required value
        "#]],
    );
}

#[test]
fn jobs_need_a_terminating_restart_policy() {
    check(
        r#"
apiVersion: batch/v1
kind: Job
metadata: {name: defaulted}
spec:
  template: {spec: {containers: [{name: c, image: busybox}]}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: ok}
spec:
  template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: a-cron-job-whose-name-is-too-long-for-the-jobs-it-makes}
spec:
  jobTemplate:
    spec:
      template: {spec: {restartPolicy: Sometimes, containers: [{name: c, image: busybox}]}}
"#,
        expect![[r#"
            Job "defaulted": spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"
            Job "ok": valid
            CronJob "a-cron-job-whose-name-is-too-long-for-the-jobs-it-makes": metadata.name: Invalid value: "a-cron-job-whose-name-is-too-long-for-the-jobs-it-makes": must be no more than 52 characters
            CronJob "a-cron-job-whose-name-is-too-long-for-the-jobs-it-makes": spec.schedule: Required value
            CronJob "a-cron-job-whose-name-is-too-long-for-the-jobs-it-makes": spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"
            CronJob "a-cron-job-whose-name-is-too-long-for-the-jobs-it-makes": spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"
        "#]],
    );
}

#[test]
fn endpoints_and_slices() {
    check(
        r#"
apiVersion: v1
kind: Endpoints
metadata: {name: ext}
subsets:
- addresses: [{ip: 192.0.2.1}, {ip: 127.0.0.1}, {ip: nope}]
  ports: [{port: 80}, {port: 0, name: b, protocol: ICMP}]
- ports: [{port: 80}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ext-1}
addressType: IPv4
endpoints:
- addresses: ["192.0.2.1", "2001:db8::1"]
- addresses: []
ports: [{port: 80}, {port: 81}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ext-2}
addressType: IP
endpoints: []
"#,
        expect![[r#"
            Endpoints "ext": subsets[0].addresses[1].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)
            Endpoints "ext": subsets[0].addresses[2].ip: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)
            Endpoints "ext": subsets[0].addresses[2].ip: Invalid value: "nope": must be a valid IP address
            Endpoints "ext": subsets[0].ports[0].name: Required value
            Endpoints "ext": subsets[0].ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive
            Endpoints "ext": subsets[0].ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"
            Endpoints "ext": subsets[1]: Required value: must specify `addresses` or `notReadyAddresses`
            EndpointSlice "ext-1": endpoints[0].addresses[1]: Invalid value: "2001:db8::1": must be a valid IPv4 address
            EndpointSlice "ext-1": endpoints[1].addresses: Required value: must contain at least 1 address
            EndpointSlice "ext-1": ports[1].name: Duplicate value: ""
            EndpointSlice "ext-2": addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"
        "#]],
    );
}
