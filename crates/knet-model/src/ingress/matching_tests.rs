//! Snapshot and property tests of matching: the Kubernetes docs' path table, hosts, class selection, conflicts,
//! backends, TLS and regex mode. Re-bless with `UPDATE_EXPECT=1 cargo test -p knet-model ingress`.

use std::fmt::Write as _;
use std::sync::LazyLock;

use expect_test::expect;
use proptest::prelude::*;

use super::tests::{MINIKUBE_INGRESS_CLASS, check_requests, cluster, guide, render, table};
use super::*;
use crate::Cluster;

/// The cases of the Kubernetes documentation's path-matching table and of the ingress conformance suite.
const PATH_RULES: &str = r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: path-rules}
spec:
  ingressClassName: nginx
  rules:
  - host: exact
    http:
      paths:
      - {path: /foo, pathType: Exact, backend: {service: {name: foo-exact, port: {number: 80}}}}
  - host: prefix
    http:
      paths:
      - {path: /foo, pathType: Prefix, backend: {service: {name: foo-prefix, port: {number: 80}}}}
      - {path: /aaa/bbb, pathType: Prefix, backend: {service: {name: aaa-bbb-prefix, port: {number: 80}}}}
      - {path: /aaa, pathType: Prefix, backend: {service: {name: aaa-prefix, port: {number: 80}}}}
  - host: root
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: root, port: {number: 80}}}}
  - host: mixed
    http:
      paths:
      - {path: /foo, pathType: Prefix, backend: {service: {name: foo-prefix, port: {number: 80}}}}
      - {path: /foo, pathType: Exact, backend: {service: {name: foo-exact, port: {number: 80}}}}
  - host: slashes
    http:
      paths:
      - {path: /aaa/bbb/, pathType: Prefix, backend: {service: {name: aaa-bbb-slash-prefix, port: {number: 80}}}}
      - {path: /foo/, pathType: Exact, backend: {service: {name: foo-slash-exact, port: {number: 80}}}}
      - {path: /foo, pathType: Prefix, backend: {service: {name: foo-prefix, port: {number: 80}}}}
      - {path: /bar/, pathType: Prefix, backend: {service: {name: bar-slash-prefix, port: {number: 80}}}}
      - {path: /bar, pathType: Prefix, backend: {service: {name: bar-prefix, port: {number: 80}}}}
  - host: nginx-prefix
    http:
      paths:
      - {path: /foo, pathType: ImplementationSpecific, backend: {service: {name: foo-impl, port: {number: 80}}}}
"#;

#[test]
fn kubernetes_docs_path_matching() {
    let table = table(PATH_RULES);
    check_requests(
        &table,
        &[
            ("exact", "/foo"),
            ("exact", "/foo/"),
            ("exact", "/FOO"),
            ("exact", "/bar"),
            ("prefix", "/foo"),
            ("prefix", "/foo/"),
            ("prefix", "/foo/bar"),
            ("prefix", "/foobar"),
            ("prefix", "/FOO"),
            ("prefix", "/aaa/bbb"),
            ("prefix", "/aaa/bbb/ccc"),
            ("prefix", "/aaa/bbbxyz"),
            ("prefix", "/aaa/ccc"),
            ("prefix", "/aaaccc"),
            ("root", "/"),
            ("root", "/aaa/bbb"),
            ("mixed", "/foo"),
            ("mixed", "/foo/"),
            ("slashes", "/aaa/bbb"),
            ("slashes", "/aaa/bbb/"),
            ("slashes", "/foo"),
            ("slashes", "/foo/"),
            ("slashes", "/bar/x"),
            ("slashes", "/bar"),
            ("nginx-prefix", "/foobar"),
            ("nginx-prefix", "/fo"),
            ("prefix", "/aaa/./bbb//ccc"),
            ("prefix", "/aaa/%62bb"),
            ("prefix", "/../etc"),
        ],
        expect![[r#"
            exact/foo => exact /foo (Exact) -> foo-exact:80 upstream /foo (the only matching path)
            exact/foo/ => 404
            exact/FOO => 404
            exact/bar => 404
            prefix/foo => prefix /foo (Prefix) -> foo-prefix:80 upstream /foo (the only matching path)
            prefix/foo/ => prefix /foo (Prefix) -> foo-prefix:80 upstream /foo/ (the only matching path)
            prefix/foo/bar => prefix /foo (Prefix) -> foo-prefix:80 upstream /foo/bar (the only matching path)
            prefix/foobar => 404
            prefix/FOO => 404
            prefix/aaa/bbb => prefix /aaa/bbb (Prefix) -> aaa-bbb-prefix:80 upstream /aaa/bbb (the longest matching path, over /aaa)
            prefix/aaa/bbb/ccc => prefix /aaa/bbb (Prefix) -> aaa-bbb-prefix:80 upstream /aaa/bbb/ccc (the longest matching path, over /aaa)
            prefix/aaa/bbbxyz => prefix /aaa (Prefix) -> aaa-prefix:80 upstream /aaa/bbbxyz (the only matching path)
            prefix/aaa/ccc => prefix /aaa (Prefix) -> aaa-prefix:80 upstream /aaa/ccc (the only matching path)
            prefix/aaaccc => 404
            root/ => root / (Prefix) -> root:80 upstream / (the only matching path)
            root/aaa/bbb => root / (Prefix) -> root:80 upstream /aaa/bbb (the only matching path)
            mixed/foo => mixed /foo (Exact) -> foo-exact:80 upstream /foo (as long as the Prefix path, and Exact comes before Prefix)
            mixed/foo/ => mixed /foo (Prefix) -> foo-prefix:80 upstream /foo/ (the only matching path)
            slashes/aaa/bbb => slashes /aaa/bbb/ (Prefix) -> aaa-bbb-slash-prefix:80 upstream /aaa/bbb (the only matching path)
            slashes/aaa/bbb/ => slashes /aaa/bbb/ (Prefix) -> aaa-bbb-slash-prefix:80 upstream /aaa/bbb/ (the only matching path)
            slashes/foo => slashes /foo (Prefix) -> foo-prefix:80 upstream /foo (the only matching path)
            slashes/foo/ => slashes /foo/ (Exact) -> foo-slash-exact:80 upstream /foo/ (the longest matching path, over /foo)
            slashes/bar/x => slashes /bar/ (Prefix) -> bar-slash-prefix:80 upstream /bar/x (the longest matching path, over /bar)
            slashes/bar => slashes /bar/ (Prefix) -> bar-slash-prefix:80 upstream /bar (the longest matching path, over /bar)
            nginx-prefix/foobar => nginx-prefix /foo (ImplementationSpecific) -> foo-impl:80 upstream /foobar (the only matching path)
            nginx-prefix/fo => 404
            prefix/aaa/./bbb//ccc => prefix /aaa/bbb (Prefix) -> aaa-bbb-prefix:80 upstream /aaa/./bbb//ccc (the longest matching path, over /aaa)
            prefix/aaa/%62bb => prefix /aaa/bbb (Prefix) -> aaa-bbb-prefix:80 upstream /aaa/%62bb (the longest matching path, over /aaa)
            prefix/../etc => 400 request path "/../etc" climbs above the root
        "#]],
    );
}

#[test]
fn the_why_of_a_plain_lookup() {
    let table = table(PATH_RULES);
    expect![[r#"
        request: host "prefix", path /aaa/bbb/ccc
        server: prefix (exact host)
          /foo (Prefix) [default/path-rules]: no match
          /aaa/bbb (Prefix) [default/path-rules]: matches
          /aaa (Prefix) [default/path-rules]: matches
        answer: /aaa/bbb (Prefix) of ingress default/path-rules -> aaa-bbb-prefix:80 (no such Service: 503) (the longest matching path, over /aaa)
        upstream URI: /aaa/bbb/ccc
    "#]].assert_eq(&table.route("prefix", "/aaa/bbb/ccc").to_string());
    expect![[r#"
        request: host "mixed", path /foo
        server: mixed (exact host)
          /foo (Prefix) [default/path-rules]: matches
          /foo (Exact) [default/path-rules]: matches
        answer: /foo (Exact) of ingress default/path-rules -> foo-exact:80 (no such Service: 503) (as long as the Prefix path, and Exact comes before Prefix)
        upstream URI: /foo
    "#]].assert_eq(&table.route("mixed", "/foo").to_string());
}

const HOSTS: &str = r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: hosts}
spec:
  ingressClassName: nginx
  rules:
  - host: "*.example.com"
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: wildcard, port: {number: 80}}}}
  - host: foo.example.com
    http:
      paths:
      - {path: /only, pathType: Prefix, backend: {service: {name: foo, port: {number: 80}}}}
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: any-host, port: {number: 80}}}}
  - host: "*.a.example.com"
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: wildcard-a, port: {number: 80}}}}
"#;

#[test]
fn hosts_pick_the_server_before_the_path() {
    let table = table(HOSTS);
    check_requests(
        &table,
        &[
            ("bar.example.com", "/x"),
            ("BAR.Example.COM.", "/x"),
            ("foo.example.com", "/only/x"),
            // foo.example.com has its own server, so neither the wildcard nor the host-less rule answers.
            ("foo.example.com", "/other"),
            ("example.com", "/"),
            ("x.a.example.com", "/"),
            ("x.y.a.example.com", "/"),
            ("", "/"),
            ("10.0.0.1:8080", "/"),
        ],
        expect![[r#"
            bar.example.com/x => *.example.com / (Prefix) -> wildcard:80 upstream /x (the only matching path)
            BAR.Example.COM./x => *.example.com / (Prefix) -> wildcard:80 upstream /x (the only matching path)
            foo.example.com/only/x => foo.example.com /only (Prefix) -> foo:80 upstream /only/x (the only matching path)
            foo.example.com/other => 404
            example.com/ => * / (Prefix) -> any-host:80 upstream / (the only matching path)
            x.a.example.com/ => *.a.example.com / (Prefix) -> wildcard-a:80 upstream / (the only matching path)
            x.y.a.example.com/ => * / (Prefix) -> any-host:80 upstream / (the only matching path)
            / => * / (Prefix) -> any-host:80 upstream / (the only matching path)
            10.0.0.1:8080/ => * / (Prefix) -> any-host:80 upstream / (the only matching path)
        "#]],
    );
}

const CLASSES: &str = r#"
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: public
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: aws
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: ingress.k8s.aws/alb}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: traefik}
spec: {controller: traefik.io/ingress-controller}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: by-field}
spec: {ingressClassName: traefik, defaultBackend: {service: {name: s, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: by-field-public}
spec: {ingressClassName: public, defaultBackend: {service: {name: s, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: by-annotation
  annotations: {kubernetes.io/ingress.class: nginx}
spec: {defaultBackend: {service: {name: s, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: disagreeing
  annotations: {kubernetes.io/ingress.class: nginx}
spec: {ingressClassName: traefik, defaultBackend: {service: {name: s, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: by-default}
spec: {defaultBackend: {service: {name: s, port: {number: 80}}}}
"#;

#[test]
fn class_selection() {
    let cluster = cluster(CLASSES);
    let mut out = String::new();
    for ingress in &cluster.ingresses {
        let choice = ingress_class(&cluster, ingress);
        let decision = ControllerIdentity::default().decide(&cluster, &choice);
        let _ = writeln!(
            out,
            "{}: {choice} via {:?} deprecated={} conflict={} ambiguous={} -> {}",
            ingress.name(),
            choice.source,
            choice.uses_deprecated_annotation(),
            choice.annotation_conflicts(),
            choice.ambiguous_default(),
            decision.reason()
        );
    }
    expect![[r#"
        by-field: ingressClassName "traefik" via Field deprecated=false conflict=false ambiguous=false -> ingressClassName "traefik": IngressClass "traefik" has controller "traefik.io/ingress-controller", not k8s.io/ingress-nginx: left to that controller
        by-field-public: ingressClassName "public" via Field deprecated=false conflict=false ambiguous=false -> ingressClassName "public": IngressClass "public" has controller k8s.io/ingress-nginx
        by-annotation: kubernetes.io/ingress.class: "nginx" (deprecated annotation) via Annotation deprecated=true conflict=false ambiguous=false -> kubernetes.io/ingress.class: "nginx" names this controller's class (the annotation is deprecated: use spec.ingressClassName)
        disagreeing: ingressClassName "traefik" via Field deprecated=true conflict=true ambiguous=false -> ingressClassName "traefik": IngressClass "traefik" has controller "traefik.io/ingress-controller", not k8s.io/ingress-nginx: left to that controller
        by-default: default IngressClass "aws" via DefaultClass deprecated=false conflict=false ambiguous=true -> no class set, so the default IngressClass "aws" is assigned on creation; IngressClass "aws" has controller "ingress.k8s.aws/alb", not k8s.io/ingress-nginx: left to that controller
    "#]].assert_eq(&out);
    let without_class = cluster_without_classes();
    let watch_all = ControllerIdentity { watch_without_class: true, ..ControllerIdentity::default() };
    let choice = ingress_class(&without_class, &without_class.ingresses[0]);
    expect![[r#"
        no ingressClassName, no kubernetes.io/ingress.class annotation and no default IngressClass: ingress-nginx ignores it
        no class set; served because --watch-ingress-without-class is on"#]].assert_eq(&format!(
        "{}\n{}",
        ControllerIdentity::default()
            .decide(&without_class, &choice)
            .reason(),
        watch_all.decide(&without_class, &choice).reason()
    ));
}

fn cluster_without_classes() -> Cluster {
    cluster(
        r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: classless}
spec: {defaultBackend: {service: {name: s, port: {number: 80}}}}
"#,
    )
}

const CONFLICTS: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec: {containers: [{name: app, image: app, ports: [{name: web, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: app}
spec:
  selector: {app: app}
  ports: [{name: http, port: 80, targetPort: web}]
---
apiVersion: v1
kind: Service
metadata: {name: nobody}
spec:
  selector: {app: nobody}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {type: ExternalName, externalName: db.example.org}
---
apiVersion: v1
kind: Secret
metadata: {name: shop-tls}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: a-shop}
spec:
  ingressClassName: nginx
  defaultBackend: {service: {name: app, port: {name: http}}}
  tls:
  - {hosts: [shop.example.com, "*.shop.example.com", unused.example.com], secretName: shop-tls}
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /cart, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
      - {path: /by-target-port, pathType: Prefix, backend: {service: {name: app, port: {name: web}}}}
      - {path: /nobody, pathType: Prefix, backend: {service: {name: nobody, port: {number: 80}}}}
      - {path: /wrong-port, pathType: Prefix, backend: {service: {name: app, port: {number: 8443}}}}
      - {path: /db, pathType: Prefix, backend: {service: {name: db, port: {number: 5432}}}}
      - path: /bucket
        pathType: Prefix
        backend: {resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: static-assets}}
  - host: eu.shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: b-shop}
spec:
  ingressClassName: nginx
  tls:
  - {hosts: [shop.example.com], secretName: other-tls}
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /cart, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}
      - {path: /cart, pathType: Exact, backend: {service: {name: app, port: {number: 80}}}}
      - {path: foo, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
      - {path: /a//b, pathType: Exact, backend: {service: {name: app, port: {number: 80}}}}
      - {path: /x, pathType: prefix, backend: {service: {name: app, port: {number: 80}}}}
      - {path: /legacy, backend: {service: {name: app, port: {number: 80}}}}
  - host: "Shop.Example.com"
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: catch-all}
spec:
  ingressClassName: nginx
  defaultBackend: {service: {name: app, port: {number: 80}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: another-catch-all}
spec:
  ingressClassName: nginx
  defaultBackend: {service: {name: nobody, port: {number: 80}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop-canary
  annotations:
    nginx.ingress.kubernetes.io/canary: "true"
    nginx.ingress.kubernetes.io/canary-weight: "10"
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /cart, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
      - {path: /nowhere, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
"#;

#[test]
fn conflicts_backends_tls_and_defaults() {
    let table = table(CONFLICTS);
    expect![[r#"
        default/a-shop [ingressClassName "nginx"]: served: ingressClassName "nginx": this controller's class (no IngressClass "nginx" in the input; assuming the one ingress-nginx installs, controller k8s.io/ingress-nginx)
        default/b-shop [ingressClassName "nginx"]: served: ingressClassName "nginx": this controller's class (no IngressClass "nginx" in the input; assuming the one ingress-nginx installs, controller k8s.io/ingress-nginx)
        default/catch-all [ingressClassName "nginx"]: served: ingressClassName "nginx": this controller's class (no IngressClass "nginx" in the input; assuming the one ingress-nginx installs, controller k8s.io/ingress-nginx)
        default/another-catch-all [ingressClassName "nginx"]: served: ingressClassName "nginx": this controller's class (no IngressClass "nginx" in the input; assuming the one ingress-nginx installs, controller k8s.io/ingress-nginx)
        default/shop-canary [ingressClassName "nginx"]: served: ingressClassName "nginx": this controller's class (no IngressClass "nginx" in the input; assuming the one ingress-nginx installs, controller k8s.io/ingress-nginx)
        routes:
          eu.shop.example.com / (Prefix) -> app:80 -> 10.244.0.2:8080 (app-0) tls=shop-tls [default/a-shop]
          shop.example.com /by-target-port (Prefix) -> app:web -> 10.244.0.2:8080 (app-0) tls=other-tls (missing: default certificate) [default/a-shop]
          shop.example.com /cart (Exact) -> app:80 -> 10.244.0.2:8080 (app-0) tls=other-tls (missing: default certificate) [default/b-shop]
          shop.example.com /cart (Prefix) -> missing:80 (no such Service: 503) tls=other-tls (missing: default certificate) canary=app:80 [default/b-shop]
          shop.example.com /db (Prefix) -> db:5432 -> ExternalName db.example.org:5432 tls=other-tls (missing: default certificate) [default/a-shop]
          shop.example.com /legacy (ImplementationSpecific) -> app:80 -> 10.244.0.2:8080 (app-0) tls=other-tls (missing: default certificate) [default/b-shop]
          shop.example.com /nobody (Prefix) -> nobody:80 (no ready endpoints: 503) tls=other-tls (missing: default certificate) [default/a-shop]
          shop.example.com /wrong-port (Prefix) -> app:8443 (no such Service port: 503) tls=other-tls (missing: default certificate) [default/a-shop]
        fallback eu.shop.example.com: app:http -> 10.244.0.2:8080 (app-0) [default/a-shop]
        fallback *: app:80 -> 10.244.0.2:8080 (app-0) [default/catch-all]
        problems:
          ingress "default/b-shop": rule host "Shop.Example.com" has upper-case letters; hosts must be lower case: the API server rejects this Ingress; the rule is left out
          ingress "default/another-catch-all" at defaultBackend: service "default/nobody" port 80 has no ready endpoints: ingress-nginx answers 503
          ingresses "default/catch-all" and "default/another-catch-all" both define a defaultBackend without rules: ingress-nginx uses "default/catch-all" as the catch-all default and ignores the other
          ingress "default/b-shop" at shop.example.com /cart (Prefix): service "missing" not found in namespace "default" (a backend can only name a Service in the Ingress's own namespace): ingress-nginx answers 503
          ingress "default/b-shop" at shop.example.com foo (Prefix): must be an absolute path: the API server rejects it; the path is left out
          ingress "default/b-shop" at shop.example.com /a//b (Exact): must not contain "//": the API server rejects it; the path is left out
          ingress "default/b-shop" at shop.example.com /x: pathType "prefix" is not Exact, Prefix or ImplementationSpecific: the API server rejects it; the path is left out
          ingress "default/b-shop" at shop.example.com /legacy: pathType is required in networking.k8s.io/v1 and the API server rejects a path without it; ingress-nginx would treat it as ImplementationSpecific (a string prefix)
          ingress "default/a-shop" at shop.example.com /by-target-port (Prefix): service "default/app" has no port web; ingress-nginx falls back to the port whose targetPort is web (port 80) where other controllers do not: name the Service port 80 instead
          ingress "default/a-shop" at shop.example.com /nobody (Prefix): service "default/nobody" port 80 has no ready endpoints: ingress-nginx answers 503
          ingress "default/a-shop" at shop.example.com /wrong-port (Prefix): service "default/app" has no port 8443 (it has 80 (http)): ingress-nginx answers 503
          ingress "default/a-shop" at shop.example.com /bucket (Prefix): resource backend k8s.example.com/StorageBucket "static-assets": ingress-nginx routes only to Services and leaves this path to its default backend (404)
          host shop.example.com path /cart (Prefix) is claimed by ingress "default/b-shop" and ingress "default/a-shop": ingress-nginx keeps "default/b-shop", which it processes first (oldest first; with equal creation times, the greater namespace/name first), and ignores the other
          ingress "default/shop-canary" at shop.example.com /nowhere (Prefix): a canary, but no main Ingress serves this host and path, so ingress-nginx drops the canary backend
          ingress "default/b-shop": TLS for shop.example.com names secret "default/other-tls", which does not exist: ingress-nginx presents its default self-signed certificate
          ingress "default/a-shop": TLS for shop.example.com is ignored: ingress "default/b-shop" comes first and already set the host's certificate
          ingress "default/a-shop": TLS host unused.example.com is not the host of any rule of this Ingress, so its certificate is never presented for it (TLS applies to the hosts of the Ingress's own rules)
    "#]].assert_eq(&render(&table));
    check_requests(
        &table,
        &[
            ("shop.example.com", "/cart/items"),
            ("shop.example.com", "/cart"),
            ("shop.example.com", "/elsewhere"),
            ("eu.shop.example.com", "/x"),
            ("other.example.com", "/x"),
        ],
        expect![[r#"
            shop.example.com/cart/items => shop.example.com /cart (Prefix) -> missing:80 upstream /cart/items (the only matching path)
            shop.example.com/cart => shop.example.com /cart (Exact) -> app:80 upstream /cart (as long as the Prefix path, and Exact comes before Prefix)
            shop.example.com/elsewhere => 404
            eu.shop.example.com/x => eu.shop.example.com / (Prefix) -> app:80 upstream /x (the only matching path)
            other.example.com/x => defaultBackend app:80 of default/catch-all (catch-all)
        "#]],
    );
}

#[test]
fn use_regex_switches_the_whole_host_and_regex_paths_are_not_evaluated() {
    let table = table(
        r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: regex
  annotations: {nginx.ingress.kubernetes.io/use-regex: "true"}
spec:
  ingressClassName: nginx
  rules:
  - host: r.example.com
    http:
      paths:
      - {path: "/api/v[0-9]+", pathType: ImplementationSpecific, backend: {service: {name: versioned, port: {number: 80}}}}
      - {path: /static, pathType: ImplementationSpecific, backend: {service: {name: static, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: plain}
spec:
  ingressClassName: nginx
  rules:
  - host: r.example.com
    http:
      paths:
      - {path: /exact, pathType: Exact, backend: {service: {name: exact, port: {number: 80}}}}
"#,
    );
    check_requests(
        &table,
        &[
            ("r.example.com", "/STATIC/app.js"),
            ("r.example.com", "/exact/and/more"),
            ("r.example.com", "/api/v2/users"),
        ],
        expect![[r#"
            r.example.com/STATIC/app.js => r.example.com /static (ImplementationSpecific) -> static:80 upstream /STATIC/app.js (the first matching regex location, tried longest first: ~* "^/static")
            r.example.com/exact/and/more => r.example.com /exact (Exact) -> exact:80 upstream /exact/and/more (the first matching regex location, tried longest first: ~* "^/exact")
            r.example.com/api/v2/users => 404
        "#]],
    );
    expect![[r#"
        request: host "r.example.com", path /api/v2/users
        server: r.example.com (exact host)
        regex mode: use-regex on ingress default/regex (path /api/v[0-9]+) makes every path of this host a case-insensitive regex, tried longest first
          /api/v[0-9]+ (ImplementationSpecific) [default/regex]: regex not evaluated (as ^/api/v[0-9]+)
          /static (ImplementationSpecific) [default/regex]: no match (as ^/static)
          /exact (Exact) [default/plain]: no match (as ^/exact)
        answer: 404 from the controller's default backend (no path matched and no defaultBackend applies)
        caveat: the regex location(s) ^/api/v[0-9]+ come first and were not evaluated; if one matches, it answers instead
    "#]].assert_eq(&table.route("r.example.com", "/api/v2/users").to_string());
}

/// Regression: ingress-nginx orders Ingresses with equal creation times by the string "namespace/name", greater
/// first, and '/' sorts after '-', so "default/a" comes before "default-x/b" although "default" < "default-x".
#[test]
fn equal_creation_times_order_by_the_namespace_slash_name_string() {
    let table = table(
        r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: b, namespace: default-x}
spec:
  ingressClassName: nginx
  rules:
  - host: same.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: x, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: a, namespace: default}
spec:
  ingressClassName: nginx
  rules:
  - host: same.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: y, port: {number: 80}}}}
      - {path: /, pathType: Prefix, backend: {service: {name: z, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: old, namespace: default-x, creationTimestamp: "2020-01-01T00:00:00Z"}
spec:
  ingressClassName: nginx
  rules:
  - host: older.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: old, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: new, namespace: default-x, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  ingressClassName: nginx
  rules:
  - host: older.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: new, port: {number: 80}}}}
"#,
    );
    let conflicts: Vec<String> = table
        .problems()
        .iter()
        .filter(|p| matches!(p, Problem::PathConflict { .. }))
        .map(ToString::to_string)
        .collect();
    expect![[r#"
        [
            "ingress \"default/a\" lists same.example.com / (Prefix) more than once: ingress-nginx uses the first and ignores the rest",
            "host same.example.com path / (Prefix) is claimed by ingress \"default/a\" and ingress \"default-x/b\": ingress-nginx keeps \"default/a\", which it processes first (oldest first; with equal creation times, the greater namespace/name first), and ignores the other",
            "host older.example.com path / (Prefix) is claimed by ingress \"default-x/old\" and ingress \"default-x/new\": ingress-nginx keeps \"default-x/old\", which it processes first (oldest first; with equal creation times, the greater namespace/name first), and ignores the other",
        ]
    "#]].assert_debug_eq(&conflicts);
}

static PATH_TABLE: LazyLock<RouteTable> = LazyLock::new(|| table(PATH_RULES));
static GUIDE_TABLE: LazyLock<RouteTable> = LazyLock::new(|| guide(MINIKUBE_INGRESS_CLASS));

proptest! {
    /// Whatever the Host and path, a lookup answers (and explains itself) without panicking.
    #[test]
    fn route_never_panics(host in "\\PC{0,40}", path in "\\PC{0,60}") {
        let _ = PATH_TABLE.route(&host, &path).to_string();
        let _ = GUIDE_TABLE.route(&host, &path).to_string();
    }

    #[test]
    fn route_never_panics_on_pathlike_input(
        host in "(exact|prefix|mixed|slashes|myapp\\.local)(:[0-9]{0,6})?\\.?",
        path in "(/|%[0-9a-fA-F]{0,2}|\\.|[a-zA-Z]|\\?|#){0,20}",
    ) {
        let _ = PATH_TABLE.route(&host, &path).to_string();
        let _ = GUIDE_TABLE.route(&host, &path).to_string();
    }
}
