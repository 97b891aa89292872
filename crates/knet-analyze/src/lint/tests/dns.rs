//! KN4xxx fixtures: names in configuration, and resolvers that miss the cluster DNS.

use expect_test::expect;

use super::{codes, report};

pub(super) const CONFIG: &str = "
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: shop}
data:
  api: https://user:secret@api.example.com/v1
  db: postgres.data.svc.cluster.local:5432
  cache: redis://redis:6379
  local: http://web:8080
  other: http://web.data:8080
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  ports: [{port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: postgres, namespace: data}
spec:
  ports: [{port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: redis, namespace: data}
spec:
  ports: [{port: 6379}]
";

#[test]
fn kn4001_kn4002_names_in_a_config_map() {
    expect![[r#"
        fixture.yaml:1  warning  KN4002  ConfigMap shop/app-config  data[cache]
            configmap "app-config" data[cache]: host "redis" means service "redis" in namespace shop, which is not in the given manifests, so from a ClusterFirst pod of namespace shop the name does not resolve (NXDOMAIN through the search list, then asked upstream).
            hint: A Service of that name exists elsewhere: write redis.data to reach it from namespace shop.
        fixture.yaml:1  warning  KN4002  ConfigMap shop/app-config  data[other]
            configmap "app-config" data[other]: host "web.data" means service "web" in namespace data, which is not in the given manifests, so from a ClusterFirst pod of namespace shop the name does not resolve (NXDOMAIN through the search list, then asked upstream).
            hint: A Service of that name exists elsewhere: write web to reach it from namespace shop.
        fixture.yaml:1  info     KN4001  ConfigMap shop/app-config  data[api]
            configmap "app-config" data[api]: host "api.example.com" (outside the cluster) has 2 dots, fewer than ndots:5, so a ClusterFirst pod of namespace shop tries 3 search domains first (api.example.com.shop.svc.cluster.local., api.example.com.svc.cluster.local., api.example.com.cluster.local.): 8 queries (A and AAAA for 4 names) where 2 would do.
            hint: Write "api.example.com." with a trailing dot where the client accepts it, or set `dnsConfig: {options: [{name: ndots, value: "2"}]}` on the pods that read it.
        fixture.yaml:1  info     KN4001  ConfigMap shop/app-config  data[db]
            configmap "app-config" data[db]: host "postgres.data.svc.cluster.local" (a full cluster name without the trailing dot) has 4 dots, fewer than ndots:5, so a ClusterFirst pod of namespace shop tries 3 search domains first (postgres.data.svc.cluster.local.shop.svc.cluster.local., postgres.data.svc.cluster.local.svc.cluster.local., postgres.data.svc.cluster.local.cluster.local.): 8 queries (A and AAAA for 4 names) where 2 would do.
            hint: Write "postgres.data.svc.cluster.local." with a trailing dot where the client accepts it, or set `dnsConfig: {options: [{name: ndots, value: "4"}]}` on the pods that read it.

        0 errors, 2 warnings, 2 infos.
    "#]].assert_eq(&report(CONFIG));
    let fixed = CONFIG
        .replace("api.example.com/", "api.example.com./")
        .replace("svc.cluster.local:", "svc.cluster.local.:")
        .replace("redis://redis:", "redis://redis.data:")
        .replace("web.data:8080", "postgres.data:5432");
    assert!(codes(&fixed).is_empty(), "{:?}", codes(&fixed));
}

pub(super) const ENV: &str = "
apiVersion: apps/v1
kind: Deployment
metadata: {name: backend}
spec:
  selector: {matchLabels: {app: backend}}
  template:
    metadata: {labels: {app: backend}}
    spec:
      containers:
      - name: backend
        image: node
        env:
        - {name: PAYMENTS_URL, value: 'https://payments.example.com/api'}
        - {name: DB_HOST, value: database}
        - {name: POSTGRES_DB, value: myapp}
";

#[test]
fn kn4001_kn4002_names_in_env() {
    expect![[r#"
        fixture.yaml:1  warning  KN4002  Deployment default/backend  spec.template.spec.containers[0].env[1].value
            deployment backend env DB_HOST: host "database" means service "database" in namespace default, which is not in the given manifests, so from deployment backend the name does not resolve (NXDOMAIN through the search list, then asked upstream).
            hint: Create Service "database" in namespace default, or correct the name.
        fixture.yaml:1  info     KN4001  Deployment default/backend  spec.template.spec.containers[0].env[0].value
            deployment backend env PAYMENTS_URL: host "payments.example.com" (outside the cluster) has 2 dots, fewer than ndots:5, so deployment backend tries 3 search domains first (payments.example.com.default.svc.cluster.local., payments.example.com.svc.cluster.local., payments.example.com.cluster.local.): 8 queries (A and AAAA for 4 names) where 2 would do.
            hint: Write "payments.example.com." with a trailing dot where the client accepts it, or set `dnsConfig: {options: [{name: ndots, value: "2"}]}` on the pods that read it.

        0 errors, 1 warning, 1 info.
    "#]].assert_eq(&report(ENV));
    // ndots:1 makes `payments.example.com` go out as is first.
    let tuned =
        ENV.replace("      containers:", "      dnsConfig: {options: [{name: ndots, value: '1'}]}\n      containers:");
    assert!(!codes(&tuned).contains("KN4001"));
}

pub(super) const CUSTOM_DNS: &str = "
apiVersion: v1
kind: Pod
metadata: {name: custom-dns-pod}
spec:
  dnsPolicy: None
  dnsConfig:
    nameservers: [8.8.8.8, 1.1.1.1]
    searches: [default.svc.cluster.local, svc.cluster.local, cluster.local]
    options: [{name: ndots, value: '2'}]
  containers: [{name: app, image: nginx}]
";

#[test]
fn kn4003_resolver_misses_cluster_dns() {
    expect![[r#"
        fixture.yaml:1  warning  KN4003  Pod default/custom-dns-pod  spec.dnsConfig.nameservers
            pod custom-dns-pod searches the cluster zone (default.svc.cluster.local, svc.cluster.local, cluster.local) but asks only 8.8.8.8 and 1.1.1.1, which do not serve cluster.local: no Service name resolves from this pod, and every search step is a query to those servers.
            hint: Put the cluster DNS (10.96.0.10) first in dnsConfig.nameservers, or keep dnsPolicy ClusterFirst and set only dnsConfig.options.

        0 errors, 1 warning, 0 infos.
    "#]].assert_eq(&report(CUSTOM_DNS));
    let fixed = CUSTOM_DNS.replace("[8.8.8.8, 1.1.1.1]", "[10.96.0.10, 8.8.8.8]");
    assert!(codes(&fixed).is_empty(), "{:?}", codes(&fixed));
}
