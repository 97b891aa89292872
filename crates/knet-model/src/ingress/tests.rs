//! Snapshot tests of the route table built from the guide's manifests, and the helpers the other ingress tests share.
//! Re-bless with `UPDATE_EXPECT=1 cargo test -p knet-model ingress`.

use std::fmt::Write as _;

use expect_test::{Expect, expect};

use super::*;
use crate::Cluster;

/// A cluster of exactly the given objects' IngressClasses: without the `nginx` default class `knet up` would add,
/// so class selection is tested on what the YAML says.
pub(super) fn cluster(yaml: &str) -> Cluster {
    let loaded = knet_object::load_str("test.yaml", yaml);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let config = crate::ClusterConfig { default_ingress_class: false, ..crate::ClusterConfig::default() };
    Cluster::build(config, &loaded.manifests)
}

pub(super) fn table(yaml: &str) -> RouteTable {
    RouteTable::build(&cluster(yaml), &ControllerIdentity::default())
}

/// The table as `knet analyze` would list it: decisions, routes, defaults, problems.
pub(super) fn render(table: &RouteTable) -> String {
    let mut out = String::new();
    for status in table.ingresses() {
        let verdict = if status.decision.is_served() { "served" } else { "ignored" };
        let _ = writeln!(out, "{} [{}]: {verdict}: {}", status.ingress, status.class, status.decision.reason());
    }
    let _ = writeln!(out, "routes:");
    for route in table.routes() {
        let _ = writeln!(out, "  {route}");
    }
    for server in table.servers() {
        if let Fallback::Ingress { ingress, backend } = &server.fallback {
            let _ = writeln!(out, "fallback {}: {backend} [{ingress}]", server.host);
        }
    }
    let _ = writeln!(out, "problems:");
    for problem in table.problems() {
        let _ = writeln!(out, "  {problem}");
    }
    out
}

/// Routes each `host path` request and prints the answer in one line.
pub(super) fn check_requests(table: &RouteTable, requests: &[(&str, &str)], expect: Expect) {
    let mut out = String::new();
    for (host, path) in requests {
        let answer = table.route(host, path);
        let summary = match &answer.outcome {
            Outcome::Route { route, why, upstream } => {
                let upstream = match upstream {
                    RewriteOutcome::Upstream(uri) => uri.clone(),
                    other => format!("{other:?}"),
                };
                format!(
                    "{} {} ({}) -> {}:{} upstream {upstream} ({why})",
                    route.host, route.path, route.path_type, route.backend.name, route.backend.port
                )
            }
            Outcome::DefaultBackend { ingress, backend, catch_all } => format!(
                "defaultBackend {}:{} of {ingress}{}",
                backend.name,
                backend.port,
                if *catch_all { " (catch-all)" } else { "" }
            ),
            Outcome::NotFound => "404".to_owned(),
            Outcome::BadRequest { reason } => format!("400 {reason}"),
        };
        let _ = writeln!(out, "{host}{path} => {summary}");
    }
    expect.assert_eq(&out);
}

/// The guide's Services and workloads: frontend-service in `default`, backend-service and web-service in
/// `production`, web-service in `development`, and exercise 2's three tiers in `microservices`.
const GUIDE_WORKLOADS: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend}
spec:
  replicas: 2
  selector: {matchLabels: {app: frontend}}
  template:
    metadata: {labels: {app: frontend}}
    spec: {containers: [{name: web, image: nginx:1.21, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata:
  name: frontend-service
spec:
  type: LoadBalancer
  selector: {app: frontend}
  ports: [{port: 80, targetPort: 8080, protocol: TCP}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: backend, namespace: production}
spec:
  replicas: 2
  selector: {matchLabels: {app: backend, version: v1}}
  template:
    metadata: {labels: {app: backend, version: v1}}
    spec: {containers: [{name: api, image: api:1, ports: [{containerPort: 8080}, {containerPort: 9090}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: backend-service, namespace: production}
spec:
  type: ClusterIP
  selector: {app: backend, version: v1}
  ports:
  - {name: http, port: 8080, targetPort: 8080, protocol: TCP}
  - {name: metrics, port: 9090, targetPort: 9090, protocol: TCP}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: production}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx:1.21, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-service, namespace: production}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: development}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx:1.21, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-service, namespace: development}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: backend, namespace: microservices}
spec:
  replicas: 2
  selector: {matchLabels: {app: backend}}
  template:
    metadata: {labels: {app: backend}}
    spec: {containers: [{name: backend, image: node:16-alpine, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: backend-service, namespace: microservices}
spec:
  selector: {app: backend}
  ports: [{port: 8080, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: microservices}
spec:
  replicas: 3
  selector: {matchLabels: {app: frontend}}
  template:
    metadata: {labels: {app: frontend}}
    spec: {containers: [{name: frontend, image: nginx:1.21, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: frontend-service, namespace: microservices}
spec:
  type: LoadBalancer
  selector: {app: frontend}
  ports: [{port: 80, targetPort: 80}]
"#;

/// The guide's five Ingresses, as written.
const GUIDE_INGRESSES: &str = r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web-ingress
  annotations:
    kubernetes.io/ingress.class: "nginx"
    nginx.ingress.kubernetes.io/rewrite-target: /
    nginx.ingress.kubernetes.io/ssl-redirect: "true"
spec:
  tls:
  - hosts:
    - myapp.example.com
    secretName: tls-secret
  rules:
  - host: myapp.example.com
    http:
      paths:
      - path: /api
        pathType: Prefix
        backend:
          service:
            name: backend-service
            port:
              number: 8080
      - path: /
        pathType: Prefix
        backend:
          service:
            name: frontend-service
            port:
              number: 80
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: alb-ingress
  annotations:
    kubernetes.io/ingress.class: alb
    alb.ingress.kubernetes.io/scheme: internet-facing
    alb.ingress.kubernetes.io/target-type: ip
spec:
  rules:
  - host: myapp.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web-service
            port:
              number: 80
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: dev-ingress
  namespace: development
  annotations:
    nginx.ingress.kubernetes.io/auth-type: basic
    nginx.ingress.kubernetes.io/auth-secret: basic-auth
spec:
  rules:
  - host: dev.myapp.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web-service
            port:
              number: 80
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: prod-ingress
  namespace: production
  annotations:
    nginx.ingress.kubernetes.io/rate-limit: "100"
    nginx.ingress.kubernetes.io/rate-limit-window: "1m"
spec:
  tls:
  - hosts:
    - myapp.example.com
    secretName: prod-tls-secret
  rules:
  - host: myapp.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web-service
            port:
              number: 80
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: microservices-ingress
  namespace: microservices
  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: /
    nginx.ingress.kubernetes.io/rate-limit: "100"
spec:
  rules:
  - host: myapp.local
    http:
      paths:
      - path: /api
        pathType: Prefix
        backend:
          service:
            name: backend-service
            port:
              number: 8080
      - path: /
        pathType: Prefix
        backend:
          service:
            name: frontend-service
            port:
              number: 80
"#;

/// What `minikube addons enable ingress` installs: IngressClass `nginx`, marked default.
pub(super) const MINIKUBE_INGRESS_CLASS: &str = r#"
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations:
    ingressclass.kubernetes.io/is-default-class: "true"
spec:
  controller: k8s.io/ingress-nginx
"#;

pub(super) fn guide(extra: &str) -> RouteTable {
    table(&format!("{GUIDE_WORKLOADS}\n---\n{GUIDE_INGRESSES}\n---\n{extra}"))
}

#[test]
fn guide_without_an_ingress_class_serves_only_the_annotated_ingress() {
    expect![[r#"
        default/web-ingress [kubernetes.io/ingress.class: "nginx" (deprecated annotation)]: served: kubernetes.io/ingress.class: "nginx" names this controller's class (the annotation is deprecated: use spec.ingressClassName)
        default/alb-ingress [kubernetes.io/ingress.class: "alb" (deprecated annotation)]: ignored: kubernetes.io/ingress.class: "alb" is not this controller's class (nginx): left to another ingress controller
        development/dev-ingress [no class]: ignored: no ingressClassName, no kubernetes.io/ingress.class annotation and no default IngressClass: ingress-nginx ignores it
        production/prod-ingress [no class]: ignored: no ingressClassName, no kubernetes.io/ingress.class annotation and no default IngressClass: ingress-nginx ignores it
        microservices/microservices-ingress [no class]: ignored: no ingressClassName, no kubernetes.io/ingress.class annotation and no default IngressClass: ingress-nginx ignores it
        routes:
          myapp.example.com / (Prefix) -> frontend-service:80 -> 10.244.0.2:8080 (frontend-0), 10.244.0.3:8080 (frontend-1) regex tls=tls-secret (missing: default certificate) [default/web-ingress]
          myapp.example.com /api (Prefix) -> backend-service:8080 (no such Service: 503) rewrite=/ tls=tls-secret (missing: default certificate) [default/web-ingress]
        problems:
          ingress "default/alb-ingress": not served by this controller: kubernetes.io/ingress.class: "alb" is not this controller's class (nginx): left to another ingress controller
          ingress "development/dev-ingress": not served by this controller: no ingressClassName, no kubernetes.io/ingress.class annotation and no default IngressClass: ingress-nginx ignores it
          ingress "production/prod-ingress": not served by this controller: no ingressClassName, no kubernetes.io/ingress.class annotation and no default IngressClass: ingress-nginx ignores it
          ingress "microservices/microservices-ingress": not served by this controller: no ingressClassName, no kubernetes.io/ingress.class annotation and no default IngressClass: ingress-nginx ignores it
          ingress "default/web-ingress" at myapp.example.com /api (Prefix): service "backend-service" not found in namespace "default" (a backend can only name a Service in the Ingress's own namespace): ingress-nginx answers 503
          ingress "default/web-ingress": TLS for myapp.example.com names secret "default/tls-secret", which does not exist: ingress-nginx presents its default self-signed certificate
    "#]].assert_eq(&render(&guide("")));
}

#[test]
fn guide_on_minikube_serves_every_nginx_ingress() {
    let table = guide(MINIKUBE_INGRESS_CLASS);
    expect![[r#"
        default/web-ingress [kubernetes.io/ingress.class: "nginx" (deprecated annotation)]: served: kubernetes.io/ingress.class: "nginx" names this controller's class (the annotation is deprecated: use spec.ingressClassName)
        default/alb-ingress [kubernetes.io/ingress.class: "alb" (deprecated annotation)]: ignored: kubernetes.io/ingress.class: "alb" is not this controller's class (nginx): left to another ingress controller
        development/dev-ingress [default IngressClass "nginx"]: served: no class set, so the default IngressClass "nginx" is assigned on creation; IngressClass "nginx" has controller k8s.io/ingress-nginx
        production/prod-ingress [default IngressClass "nginx"]: served: no class set, so the default IngressClass "nginx" is assigned on creation; IngressClass "nginx" has controller k8s.io/ingress-nginx
        microservices/microservices-ingress [default IngressClass "nginx"]: served: no class set, so the default IngressClass "nginx" is assigned on creation; IngressClass "nginx" has controller k8s.io/ingress-nginx
        routes:
          dev.myapp.example.com / (Prefix) -> web-service:80 -> 10.244.0.7:80 (web-0) [development/dev-ingress]
          myapp.example.com / (Prefix) -> web-service:80 -> 10.244.0.6:80 (web-0) regex tls=prod-tls-secret (missing: default certificate) [production/prod-ingress]
          myapp.example.com /api (Prefix) -> backend-service:8080 (no such Service: 503) rewrite=/ tls=prod-tls-secret (missing: default certificate) [default/web-ingress]
          myapp.local / (Prefix) -> frontend-service:80 -> 10.244.0.10:80 (frontend-0), 10.244.0.11:80 (frontend-1), 10.244.0.12:80 (frontend-2) regex [microservices/microservices-ingress]
          myapp.local /api (Prefix) -> backend-service:8080 -> 10.244.0.8:8080 (backend-0), 10.244.0.9:8080 (backend-1) rewrite=/ [microservices/microservices-ingress]
        problems:
          ingress "default/alb-ingress": not served by this controller: kubernetes.io/ingress.class: "alb" is not this controller's class (nginx): left to another ingress controller
          ingress "production/prod-ingress": annotation nginx.ingress.kubernetes.io/rate-limit does not exist and ingress-nginx ignores it silently; did you mean nginx.ingress.kubernetes.io/limit-rps?
          ingress "production/prod-ingress": annotation nginx.ingress.kubernetes.io/rate-limit-window does not exist and ingress-nginx ignores it silently; did you mean nginx.ingress.kubernetes.io/limit-rpm?
          ingress "microservices/microservices-ingress": annotation nginx.ingress.kubernetes.io/rate-limit does not exist and ingress-nginx ignores it silently; did you mean nginx.ingress.kubernetes.io/limit-rps?
          ingress "development/dev-ingress": auth-secret "development/basic-auth" does not exist: ingress-nginx answers 503 on every path of this Ingress
          ingress "default/web-ingress" at myapp.example.com /api (Prefix): service "backend-service" not found in namespace "default" (a backend can only name a Service in the Ingress's own namespace): ingress-nginx answers 503
          host myapp.example.com path / (Prefix) is claimed by ingress "production/prod-ingress" and ingress "default/web-ingress": ingress-nginx keeps "production/prod-ingress", which it processes first (oldest first; with equal creation times, the greater namespace/name first), and ignores the other
          ingress "production/prod-ingress": TLS for myapp.example.com names secret "production/prod-tls-secret", which does not exist: ingress-nginx presents its default self-signed certificate
          ingress "default/web-ingress": TLS for myapp.example.com is ignored: ingress "production/prod-ingress" comes first and already set the host's certificate
          ingress "default/web-ingress": TLS for myapp.example.com names secret "default/tls-secret", which does not exist: ingress-nginx presents its default self-signed certificate
    "#]].assert_eq(&render(&table));
    check_requests(
        &table,
        &[
            ("myapp.example.com", "/"),
            ("myapp.example.com", "/api/users?page=2"),
            ("myapp.example.com", "/API"),
            ("dev.myapp.example.com", "/anything"),
            ("unknown.example.com", "/"),
        ],
        expect![[r#"
            myapp.example.com/ => myapp.example.com / (Prefix) -> web-service:80 upstream / (the first matching regex location, tried longest first: ~* "^/")
            myapp.example.com/api/users?page=2 => myapp.example.com /api (Prefix) -> backend-service:8080 upstream /?page=2 (the first matching regex location, tried longest first: ~* "^/api")
            myapp.example.com/API => myapp.example.com /api (Prefix) -> backend-service:8080 upstream / (the first matching regex location, tried longest first: ~* "^/api")
            dev.myapp.example.com/anything => dev.myapp.example.com / (Prefix) -> web-service:80 upstream /anything (the only matching path)
            unknown.example.com/ => 404
        "#]],
    );
}

#[test]
fn exercise_3_rewrites_every_api_request_to_the_root() {
    let table = guide(MINIKUBE_INGRESS_CLASS);
    check_requests(
        &table,
        &[
            ("myapp.local", "/"),
            ("myapp.local", "/api/health"),
            ("MyApp.local:80", "/API/health?verbose=1"),
            ("myapp.local", "/apis"),
            ("myapp.local", "/index.html"),
        ],
        expect![[r#"
            myapp.local/ => myapp.local / (Prefix) -> frontend-service:80 upstream / (the first matching regex location, tried longest first: ~* "^/")
            myapp.local/api/health => myapp.local /api (Prefix) -> backend-service:8080 upstream / (the first matching regex location, tried longest first: ~* "^/api")
            MyApp.local:80/API/health?verbose=1 => myapp.local /api (Prefix) -> backend-service:8080 upstream /?verbose=1 (the first matching regex location, tried longest first: ~* "^/api")
            myapp.local/apis => myapp.local /api (Prefix) -> backend-service:8080 upstream / (the first matching regex location, tried longest first: ~* "^/api")
            myapp.local/index.html => myapp.local / (Prefix) -> frontend-service:80 upstream /index.html (the first matching regex location, tried longest first: ~* "^/")
        "#]],
    );
    expect![[r#"
        request: host "myapp.local", path /api/health
        server: myapp.local (exact host)
        regex mode: rewrite-target on ingress microservices/microservices-ingress (path /api) makes every path of this host a case-insensitive regex, tried longest first
          /api (Prefix) [microservices/microservices-ingress]: matches (as ^/api)
          / (Prefix) [microservices/microservices-ingress]: matches (as ^/)
        answer: /api (Prefix) of ingress microservices/microservices-ingress -> backend-service:8080 -> 10.244.0.8:8080 (backend-0), 10.244.0.9:8080 (backend-1) (the first matching regex location, tried longest first: ~* "^/api")
        upstream URI: / (rewrite-target "/" replaces the whole URI)
    "#]].assert_eq(&table.route("myapp.local", "/api/health").to_string());
}
