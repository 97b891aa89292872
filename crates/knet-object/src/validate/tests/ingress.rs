//! Ingresses and IngressClasses.

use expect_test::expect;

use super::check;

#[test]
fn a_plain_ingress_is_valid() {
    check(
        r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  ingressClassName: nginx
  tls: [{hosts: ["*.example.com"], secretName: tls}]
  rules:
  - host: "*.example.com"
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /api, pathType: Exact, backend: {service: {name: api, port: {name: http}}}}
"#,
        expect![[r#"
            Ingress "web": valid
        "#]],
    );
}

#[test]
fn path_types() {
    check(
        r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - http:
      paths:
      - {path: /, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /, pathType: Foo, backend: {service: {name: web, port: {number: 80}}}}
      - {path: api, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: "/a//b/./c/..", pathType: Exact, backend: {service: {name: web, port: {number: 80}}}}
      - {path: "/a%2Fb/.", pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: "relative", pathType: ImplementationSpecific, backend: {service: {name: web, port: {number: 80}}}}
      - {pathType: ImplementationSpecific, backend: {service: {name: web, port: {number: 80}}}}
"#,
        expect![[r#"
            Ingress "web": spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified
            Ingress "web": spec.rules[0].http.paths[1].pathType: Unsupported value: "Foo": supported values: "Exact", "ImplementationSpecific", "Prefix"
            Ingress "web": spec.rules[0].http.paths[2].path: Invalid value: "api": must be an absolute path
            Ingress "web": spec.rules[0].http.paths[3].path: Invalid value: "/a//b/./c/..": must not contain '//'
            Ingress "web": spec.rules[0].http.paths[3].path: Invalid value: "/a//b/./c/..": must not contain '/./'
            Ingress "web": spec.rules[0].http.paths[3].path: Invalid value: "/a//b/./c/..": cannot end with '/..'
            Ingress "web": spec.rules[0].http.paths[4].path: Invalid value: "/a%2Fb/.": must not contain '%2F'
            Ingress "web": spec.rules[0].http.paths[4].path: Invalid value: "/a%2Fb/.": cannot end with '/.'
            Ingress "web": spec.rules[0].http.paths[5].path: Invalid value: "relative": must be an absolute path
        "#]],
    );
}

#[test]
fn hosts() {
    check(
        r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  tls: [{hosts: ["foo.*.com", "Example.com"]}]
  rules:
  - host: 1.2.3.4
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
  - host: "*.*.example.com"
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
  - host: "example.com:8080"
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
"#,
        expect![[r#"
            Ingress "web": spec.rules[0].host: Invalid value: "1.2.3.4": must be a DNS name, not an IP address
            Ingress "web": spec.rules[1].host: Invalid value: "*.*.example.com": a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')
            Ingress "web": spec.rules[2].host: Invalid value: "example.com:8080": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')
            Ingress "web": spec.tls[0].hosts[0]: Invalid value: "foo.*.com": a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')
            Ingress "web": spec.tls[0].hosts[1]: Invalid value: "Example.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')
        "#]],
    );
}

#[test]
fn backends() {
    check(
        r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend:
    service: {name: web, port: {number: 80}}
    resource: {apiGroup: example.com, kind: Bucket, name: static}
  rules:
  - http:
      paths:
      - {path: /a, pathType: Prefix, backend: {}}
      - {path: /b, pathType: Prefix, backend: {service: {name: web, port: {name: http, number: 80}}}}
      - {path: /c, pathType: Prefix, backend: {service: {name: web}}}
      - {path: /d, pathType: Prefix, backend: {service: {name: Web_1, port: {number: 70000}}}}
      - {path: /e, pathType: Prefix, backend: {service: {name: web, port: {name: HTTP}}}}
      - {path: /f, pathType: Prefix, backend: {resource: {kind: "a/b", name: ".."}}}
"#,
        expect![[r#"
            Ingress "web": spec.defaultBackend: Invalid value: "": cannot set both resource and service backends
            Ingress "web": spec.rules[0].http.paths[0].backend: Invalid value: "": resource or service backend is required
            Ingress "web": spec.rules[0].http.paths[1].backend: Invalid value: "": cannot set both port name & port number
            Ingress "web": spec.rules[0].http.paths[2].backend: Required value: port name or number is required
            Ingress "web": spec.rules[0].http.paths[3].backend.service.name: Invalid value: "Web_1": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')
            Ingress "web": spec.rules[0].http.paths[3].backend.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive
            Ingress "web": spec.rules[0].http.paths[4].backend.service.port.name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)
            Ingress "web": spec.rules[0].http.paths[4].backend.service.port.name: Invalid value: "HTTP": must contain at least one letter (a-z)
            Ingress "web": spec.rules[0].http.paths[5].backend.resource.kind: Invalid value: "a/b": may not contain '/'
            Ingress "web": spec.rules[0].http.paths[5].backend.resource.name: Invalid value: "..": may not be '..'
        "#]],
    );
}

#[test]
fn rules_or_default_backend_and_paths_are_required() {
    check(
        r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: empty}
spec: {}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: no-paths}
spec:
  rules: [{host: example.com, http: {paths: []}}]
"#,
        expect![[r#"
            Ingress "empty": spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified
            Ingress "no-paths": spec.rules[0].http.paths: Required value
        "#]],
    );
}

#[test]
fn class_name_and_annotation() {
    check(
        r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations: {kubernetes.io/ingress.class: nginx}
spec:
  ingressClassName: Traefik_2
  defaultBackend: {service: {name: web, port: {number: 80}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: same
  annotations: {kubernetes.io/ingress.class: nginx}
spec:
  ingressClassName: nginx
  defaultBackend: {service: {name: web, port: {number: 80}}}
"#,
        expect![[r#"
            Ingress "web": spec.ingressClassName: Invalid value: "Traefik_2": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')
            Ingress "web": annotations.kubernetes.io/ingress.class: Invalid value: "nginx": must match `ingressClassName` when both are specified
            Ingress "same": valid
        "#]],
    );
}

#[test]
fn ingress_classes() {
    check(
        r#"
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx, parameters: {kind: Config, name: cfg}}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: missing}
spec: {}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: no-domain}
spec: {controller: nginx}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: bad-parts}
spec: {controller: "Example.com/a b"}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: scoped}
spec:
  controller: example.com/lb
  parameters: {kind: Config, name: cfg, scope: Namespace}
"#,
        expect![[r#"
            IngressClass "nginx": valid
            IngressClass "missing": spec.controller: Required value
            IngressClass "no-domain": spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")
            IngressClass "bad-parts": spec.controller: Invalid value: "Example.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')
            IngressClass "bad-parts": spec.controller: Invalid value: "a b": Invalid path (regex used for validation is '[A-Za-z0-9/\-._~%!$&'()*+,;=:]+')
            IngressClass "scoped": spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'
        "#]],
    );
}

#[test]
fn ingress_class_controller_length_and_parameters() {
    check(
        &format!(
            r#"
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {{name: long}}
spec: {{controller: "example.com/{}"}}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {{name: params}}
spec:
  controller: example.com/lb
  parameters: {{apiGroup: Example.com, kind: "", name: "a%b", scope: Cluster, namespace: infra}}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {{name: scope}}
spec:
  controller: example.com/lb
  parameters: {{kind: K, name: n, scope: Global}}
"#,
            "x".repeat(250)
        ),
        expect![[r#"
            IngressClass "long": spec.controller: Too long: may not be more than 250 bytes
            IngressClass "params": spec.parameters.apiGroup: Invalid value: "Example.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')
            IngressClass "params": spec.parameters.kind: Required value
            IngressClass "params": spec.parameters.name: Invalid value: "a%b": may not contain '%'
            IngressClass "params": spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'
            IngressClass "scope": spec.parameters.scope: Unsupported value: "Global": supported values: "Cluster", "Namespace"
        "#]],
    );
}
