//! KN3xxx fixtures: Ingress backends, classes, annotations, Secrets and conflicts.

use expect_test::expect;

use super::{codes, report};

/// Deployment `web` (app=web, 8080 named `http`) behind Service `web` port 80 (`http`), in `default`.
pub(super) const WEB: &str = "
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        ports: [{containerPort: 8080, name: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
";

/// A Service without endpoints, and one whose targetPort is a number.
const MORE_SERVICES: &str = "
apiVersion: v1
kind: Service
metadata: {name: nobody}
spec:
  selector: {app: nobody}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: web-numeric}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
";

/// An Ingress of class nginx with one rule for `shop.example.com`: `{path}` → `{backend}`.
fn ingress(name: &str, path: &str, backend: &str) -> String {
    format!(
        "
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: {name}}}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: {path}
        pathType: Prefix
        backend: {backend}
"
    )
}

fn with_web(documents: &[String]) -> String {
    let mut text = WEB.to_owned();
    for document in documents {
        text.push_str("---");
        text.push_str(document);
    }
    text
}

fn good() -> String {
    with_web(&[ingress("shop", "/", "{service: {name: web, port: {name: http}}}")])
}

pub(super) fn backends() -> String {
    with_web(&[
        ingress("missing", "/a", "{service: {name: web-service, port: {number: 80}}}"),
        ingress("port", "/b", "{service: {name: web, port: {number: 8080}}}"),
        ingress("port-name", "/c", "{service: {name: web, port: {name: https}}}"),
        ingress("empty", "/d", "{service: {name: nobody, port: {number: 80}}}"),
        ingress("bucket", "/e", "{resource: {apiGroup: k8s.example.com, kind: Bucket, name: static}}"),
        ingress("target", "/f", "{service: {name: web-numeric, port: {number: 8080}}}"),
        MORE_SERVICES.to_owned(),
    ])
}

#[test]
fn kn3001_kn3002_kn3003_kn3011_kn3012_backends() {
    expect![[r#"
        fixture.yaml:22   error    KN3001  Ingress default/missing    spec.rules[0].http.paths[0].backend.service.name
            ingress "missing" at shop.example.com /a (Prefix): service "web-service" is not in namespace default in the given manifests (a backend can only name a Service of the Ingress's own namespace), so ingress-nginx answers 503.
            hint: Create Service "web-service" in namespace default, or name an existing Service.
        fixture.yaml:35   error    KN3002  Ingress default/port       spec.rules[0].http.paths[0].backend.service.port
            ingress "port" at shop.example.com /b (Prefix): service "default/web" has no port 8080 (it has 80 (http)), so ingress-nginx answers 503.
            hint: Name one of the Service's ports (spec.ports[].port or .name), not the targetPort.
        fixture.yaml:48   error    KN3002  Ingress default/port-name  spec.rules[0].http.paths[0].backend.service.port
            ingress "port-name" at shop.example.com /c (Prefix): service "default/web" has no port https (it has 80 (http)), so ingress-nginx answers 503.
            hint: Name one of the Service's ports (spec.ports[].port or .name), not the targetPort.
        fixture.yaml:61   warning  KN3003  Ingress default/empty      spec.rules[0].http.paths[0].backend.service
            ingress "empty" at shop.example.com /d (Prefix): service "default/nobody" port 80 has no ready endpoints, so ingress-nginx answers 503.
            hint: Make the Service select running pods whose containers declare its target port (see the Service's own findings).
        fixture.yaml:74   warning  KN3011  Ingress default/bucket     spec.rules[0].http.paths[0].backend
            ingress "default/bucket" at shop.example.com /e (Prefix): resource backend k8s.example.com/Bucket "static": ingress-nginx routes only to Services and leaves this path to its default backend (404).
        fixture.yaml:87   warning  KN3012  Ingress default/target     spec.rules[0].http.paths[0].backend.service.port
            ingress "default/target" at shop.example.com /f (Prefix): service "default/web-numeric" has no port 8080; ingress-nginx falls back to the port whose targetPort is 8080 (port 80) where other controllers do not: name the Service port 80 instead.
        fixture.yaml:100  warning  KN1001  Service default/nobody     spec.selector
            service "nobody": selector app=nobody matches no pod in namespace default in the given manifests, so the Service has no endpoints and connections to it are refused.

        3 errors, 4 warnings, 0 infos.
    "#]].assert_eq(&report(&backends()));
    let fine = codes(&good());
    assert!(fine.is_empty(), "{fine:?}");
}

pub(super) const CLASSES: &str = "
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: old-style
  annotations: {kubernetes.io/ingress.class: nginx}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: alb}
spec:
  ingressClassName: alb
  rules:
  - host: alb.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: classless}
spec:
  rules:
  - host: classless.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
";

#[test]
fn kn3004_kn3009_classes() {
    expect![[r#"
        fixture.yaml:22  warning  KN3004  Ingress default/old-style  metadata.annotations[kubernetes.io/ingress.class]
            ingress "old-style" selects its class with the deprecated annotation kubernetes.io/ingress.class: "nginx"; it is still honoured, but spec.ingressClassName replaces it.
            hint: Remove the annotation and set `spec.ingressClassName: nginx` (an IngressClass named "nginx" must exist; the two cannot be combined).
        fixture.yaml:30  info     KN3009  Ingress default/alb        spec.ingressClassName
            ingress "alb" is not served by knet's ingress-nginx: ingressClassName "alb": no IngressClass "alb" in the input and it is not this controller's class (nginx): left to another ingress controller.

        0 errors, 1 warning, 1 info.
    "#]].assert_eq(&report(&format!("{WEB}---{CLASSES}")));
}

pub(super) const TWO_DEFAULT_CLASSES: &str = "
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations: {ingressclass.kubernetes.io/is-default-class: \"true\"}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: other
  annotations: {ingressclass.kubernetes.io/is-default-class: \"true\"}
spec: {controller: example.com/other}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: classless}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
";

#[test]
fn kn3010_ambiguous_default_class() {
    expect![[r#"
        fixture.yaml:36  warning  KN3010  Ingress default/classless  spec.ingressClassName
            ingress "default/classless": 2 IngressClasses are marked default (nginx, other); the newest is assigned, taken here to be "nginx": mark only one default.
            hint: Mark exactly one IngressClass with ingressclass.kubernetes.io/is-default-class: "true", or set spec.ingressClassName.

        0 errors, 1 warning, 0 infos.
    "#]].assert_eq(&report(&format!("{WEB}---{TWO_DEFAULT_CLASSES}")));
}

pub(super) fn annotations() -> String {
    let mut prod = ingress("prod", "/", "{service: {name: web, port: {number: 80}}}");
    prod = prod.replace(
        "metadata: {name: prod}",
        "metadata:\n  name: prod\n  annotations:\n    nginx.ingress.kubernetes.io/rate-limit: \"100\"\n    nginx.ingress.kubernetes.io/rate-limit-window: 1m\n    nginx.ingress.kubernetes.io/ssl-redirekt: \"true\"\n    nginx.ingress.kubernetes.io/auth-type: basic\n    nginx.ingress.kubernetes.io/auth-secret: basic-auth",
    );
    with_web(&[prod])
}

#[test]
fn kn3005_kn3008_annotations() {
    expect![[r#"
        fixture.yaml:22  warning  KN3005  Ingress default/prod  metadata.annotations[nginx.ingress.kubernetes.io/rate-limit-window]
            ingress "default/prod": annotation nginx.ingress.kubernetes.io/rate-limit-window does not exist and ingress-nginx ignores it silently; did you mean nginx.ingress.kubernetes.io/limit-rpm?
            hint: ingress-nginx limits requests per client IP with `limit-rps` or `limit-rpm` (for example `nginx.ingress.kubernetes.io/limit-rpm: "100"`); `limit-burst-multiplier` sets the burst. A refused request gets 503.
        fixture.yaml:22  warning  KN3005  Ingress default/prod  metadata.annotations[nginx.ingress.kubernetes.io/rate-limit]
            ingress "default/prod": annotation nginx.ingress.kubernetes.io/rate-limit does not exist and ingress-nginx ignores it silently; did you mean nginx.ingress.kubernetes.io/limit-rps?
            hint: ingress-nginx limits requests per client IP with `limit-rps` or `limit-rpm` (for example `nginx.ingress.kubernetes.io/limit-rpm: "100"`); `limit-burst-multiplier` sets the burst. A refused request gets 503.
        fixture.yaml:22  warning  KN3005  Ingress default/prod  metadata.annotations[nginx.ingress.kubernetes.io/ssl-redirekt]
            ingress "default/prod": annotation nginx.ingress.kubernetes.io/ssl-redirekt does not exist and ingress-nginx ignores it silently; did you mean nginx.ingress.kubernetes.io/ssl-redirect?
            hint: Use nginx.ingress.kubernetes.io/ssl-redirect, or remove the annotation.
        fixture.yaml:22  warning  KN3008  Ingress default/prod  metadata.annotations[nginx.ingress.kubernetes.io/auth-secret]
            ingress "default/prod": auth-secret "default/basic-auth" does not exist: ingress-nginx answers 503 on every path of this Ingress.
            hint: Create the Secret with an htpasswd file under the key `auth`: `htpasswd -c auth user && kubectl create secret generic <name> --from-file=auth`.

        0 errors, 4 warnings, 0 infos.
    "#]].assert_eq(&report(&annotations()));
    let known = good().replace(
        "metadata: {name: shop}",
        "metadata:\n  name: shop\n  annotations: {nginx.ingress.kubernetes.io/limit-rpm: \"100\"}",
    );
    assert!(codes(&known).is_empty());
}

pub(super) fn conflict() -> String {
    let other = ingress("shop-v2", "/", "{service: {name: web, port: {number: 80}}}")
        .replace("metadata: {name: shop-v2}", "metadata: {name: shop-v2, namespace: staging}")
        .replace("name: web, port", "name: web2, port");
    let staging_service = "
apiVersion: v1
kind: Service
metadata: {name: web2, namespace: staging}
spec:
  ports: [{port: 80}]
";
    with_web(&[ingress("shop", "/", "{service: {name: web, port: {number: 80}}}"), other, staging_service.to_owned()])
}

#[test]
fn kn3006_path_conflict() {
    expect![[r#"
        fixture.yaml:22  error    KN3006  Ingress default/shop     spec.rules[0].http.paths[0]
            host shop.example.com path / (Prefix) is claimed by ingress "staging/shop-v2" and ingress "default/shop": ingress-nginx keeps "staging/shop-v2", which it processes first (oldest first; with equal creation times, the greater namespace/name first), and ignores the other.
            hint: Give one of the routes another host or path, or merge the two Ingresses into one.
        fixture.yaml:35  warning  KN3003  Ingress staging/shop-v2  spec.rules[0].http.paths[0].backend.service
            ingress "shop-v2" at shop.example.com / (Prefix): service "staging/web2" port 80 has no ready endpoints, so ingress-nginx answers 503.
            hint: Make the Service select running pods whose containers declare its target port (see the Service's own findings).

        1 error, 1 warning, 0 infos.
    "#]].assert_eq(&report(&conflict()));
    // The same path on another host is no conflict.
    let apart = conflict().replacen("host: shop.example.com", "host: other.example.com", 1);
    assert!(!codes(&apart).contains("KN3006"));
}

pub(super) fn tls() -> String {
    let with_tls = ingress("shop", "/", "{service: {name: web, port: {number: 80}}}").replace(
        "  rules:",
        "  tls:\n  - hosts: [shop.example.com]\n    secretName: shop-tls\n  - hosts: [elsewhere.example.com]\n    secretName: shop-tls\n  rules:",
    );
    with_web(&[with_tls])
}

#[test]
fn kn3007_kn3013_tls() {
    expect![[r#"
        fixture.yaml:22  warning  KN3007  Ingress default/shop  spec.tls[0].secretName
            ingress "default/shop": TLS for shop.example.com names secret "default/shop-tls", which does not exist: ingress-nginx presents its default self-signed certificate.
            hint: Create the TLS Secret: `kubectl create secret tls shop-tls --cert=... --key=... -n default`.
        fixture.yaml:22  warning  KN3007  Ingress default/shop  spec.tls[1].secretName
            ingress "default/shop": TLS for elsewhere.example.com names secret "default/shop-tls", which does not exist: ingress-nginx presents its default self-signed certificate.
            hint: Create the TLS Secret: `kubectl create secret tls shop-tls --cert=... --key=... -n default`.
        fixture.yaml:22  warning  KN3013  Ingress default/shop  spec.tls[1].hosts
            ingress "default/shop": TLS host elsewhere.example.com is not the host of any rule of this Ingress, so its certificate is never presented for it (TLS applies to the hosts of the Ingress's own rules).

        0 errors, 3 warnings, 0 infos.
    "#]].assert_eq(&report(&tls()));
    let secret = "
apiVersion: v1
kind: Secret
metadata: {name: shop-tls}
type: kubernetes.io/tls
data: {tls.crt: \"\", tls.key: \"\"}
";
    let fixed =
        format!("{}---{secret}", tls().replace("  - hosts: [elsewhere.example.com]\n    secretName: shop-tls\n", ""));
    assert!(codes(&fixed).is_empty(), "{:?}", codes(&fixed));
}

pub(super) fn canary() -> String {
    let canary = ingress("shop-canary", "/new", "{service: {name: web, port: {number: 80}}}").replace(
        "metadata: {name: shop-canary}",
        "metadata:\n  name: shop-canary\n  annotations: {nginx.ingress.kubernetes.io/canary: \"true\", nginx.ingress.kubernetes.io/canary-weight: \"10\"}",
    );
    with_web(&[ingress("shop", "/", "{service: {name: web, port: {number: 80}}}"), canary])
}

#[test]
fn kn3014_canary_without_main() {
    expect![[r#"
        fixture.yaml:35  warning  KN3014  Ingress default/shop-canary  spec.rules[0].http.paths[0]
            ingress "default/shop-canary" at shop.example.com /new (Prefix): a canary, but no main Ingress serves this host and path, so ingress-nginx drops the canary backend.
            hint: A canary Ingress needs a main Ingress with the same host and path.

        0 errors, 1 warning, 0 infos.
    "#]].assert_eq(&report(&canary()));
    assert!(!codes(&canary().replace("path: /new", "path: /")).contains("KN3014"));
}

/// `web` behind an Ingress, isolated by a policy that admits only `app: frontend`: the controller cannot reach it.
pub(super) fn blocked_by_policy(admit_controller: bool) -> String {
    let admit = if admit_controller {
        "
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}
    ports: [{protocol: TCP, port: 8080}]"
    } else {
        ""
    };
    format!(
        "{WEB}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: site}}
spec:
  ingressClassName: nginx
  rules:
  - host: site.example
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: only-frontend}}
spec:
  podSelector: {{matchLabels: {{app: web}}}}
  ingress:
  - from: [{{podSelector: {{matchLabels: {{app: frontend}}}}}}]{admit}
"
    )
}

#[test]
fn kn3015_backend_blocked_by_policy() {
    expect![[r#"
        fixture.yaml:22  error    KN3015  Ingress default/site                 spec.rules[0].http.paths[0].backend
            ingress "default/site" at site.example / (Prefix): default/web[Deployment] does not admit the ingress controller (ingress-nginx/ingress-nginx-controller) on TCP 8080: ingress isolated by default/only-frontend, and no rule admits the controller, so the route times out.
            hint: Add to the pods' ingress rules: `from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]` with `ports: [{protocol: TCP, port: 8080}]`; `knet explain --from ingress-nginx/ingress-nginx-controller --to default/web:8080` shows the whole chain.
        fixture.yaml:33  warning  KN2002  NetworkPolicy default/only-frontend  spec.ingress[0].from[0].podSelector
            networkpolicy "only-frontend" spec.ingress[0].from[0]: podSelector app=frontend matches no pod in namespace default in the given manifests, so this peer allows nothing here (it may match pods of the real cluster).

        1 error, 1 warning, 0 infos.
    "#]].assert_eq(&report(&blocked_by_policy(false)));
    assert!(!codes(&blocked_by_policy(true)).contains("KN3015"));
}
