//! The catalogue of lint rules: one entry per stable code, with the words SARIF and `docs/lint.md` show for it.
//!
//! A code is never reused or renumbered: tools filter and suppress by code. A finding always names its rule through
//! one of the constants here, so a code cannot appear in output without being documented.

use super::Severity;

/// One lint rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The stable code, `KN` and four digits: the family in the first digit.
    pub code: &'static str,
    /// A short kebab-case name, for SARIF's `rules[].name`.
    pub name: &'static str,
    /// The usual severity; a finding may be milder when the input cannot show more (see the rule's docs).
    pub severity: Severity,
    /// One sentence: what the rule finds.
    pub summary: &'static str,
    /// What to do about it.
    pub help: &'static str,
}

macro_rules! rules {
    ($($constant:ident = $code:literal $name:literal $severity:ident, $summary:literal, $help:literal;)*) => {
        $(
            pub const $constant: Rule = Rule {
                code: $code,
                name: $name,
                severity: Severity::$severity,
                summary: $summary,
                help: $help,
            };
        )*
        /// Every rule, ordered by code.
        pub const RULES: &[Rule] = &[$($constant),*];
    };
}

rules! {
    UNDECODABLE_DOCUMENT = "KN0001" "undecodable-document" Error,
        "A document is not valid YAML or JSON, or not a Kubernetes object knet can decode.",
        "Fix the document at the reported line; the other documents of the file are still checked.";
    INVALID_OBJECT = "KN0002" "invalid-object" Error,
        "The API server would refuse the object (HTTP 422): the message names the field, as kubectl prints it.",
        "Fix the field. Until then the object is left out of every other check, as it would be missing from the cluster.";
    MODEL_PROBLEM = "KN0003" "uncompilable-object" Error,
        "Part of an object could not be compiled into the network model (a selector operator or address it cannot read).",
        "Fix the named field; the rest of the object is still analysed.";

    SERVICE_SELECTS_NO_POD = "KN1001" "service-selects-no-pod" Warning,
        "A Service's selector matches no pod of its namespace in the given manifests, so it has no endpoints and connections to it are refused.",
        "Make the selector match the pod template's labels, in the Service's namespace; a Service never selects pods of another namespace.";
    TARGET_PORT_NOT_DECLARED = "KN1002" "target-port-not-declared" Warning,
        "A numeric targetPort is a port no container of the selected pods declares, so traffic goes to a port nothing is known to listen on.",
        "Point targetPort at a declared containerPort (or its name), or declare the port the process listens on.";
    NAMED_TARGET_PORT_UNKNOWN = "KN1003" "named-target-port-unknown" Error,
        "A named targetPort names no container port (with that protocol) of a selected pod, so that pod is not an endpoint of the Service port.",
        "Name the containerPort as targetPort says, or use the port number.";
    NOTHING_LISTENS = "KN1004" "nothing-listens" Info,
        "A Service sends traffic to a workload whose containers only run commands like `sleep`, so nothing listens on the target port.",
        "Run a server in the container, or expect connections to the Service to be refused.";
    EXTERNAL_NAME_IS_IP = "KN1005" "external-name-is-ip" Error,
        "An ExternalName Service holds an IP address: the cluster DNS serves it as a CNAME to a name that does not exist.",
        "Use a DNS name in externalName, or a Service without a selector plus an EndpointSlice for an address.";

    NAMESPACE_SELECTOR_MATCHES_NOTHING = "KN2001" "namespace-selector-matches-nothing" Warning,
        "A NetworkPolicy peer's namespaceSelector matches no namespace in the given manifests, so the peer allows nothing.",
        "Namespaces carry only `kubernetes.io/metadata.name: <name>` unless labelled; select on that label.";
    POD_SELECTOR_MATCHES_NOTHING = "KN2002" "pod-selector-matches-nothing" Warning,
        "A NetworkPolicy peer's podSelector matches no pod of the namespaces it covers in the given manifests.",
        "Check the labels and the namespace: a podSelector without a namespaceSelector only covers the policy's own namespace.";
    POLICY_SELECTS_NO_POD = "KN2003" "policy-selects-no-pod" Warning,
        "A NetworkPolicy's podSelector selects no pod in its namespace in the given manifests, so it has no effect (info when the namespace has no pods at all).",
        "Make spec.podSelector match the pods' labels, in the policy's namespace.";
    EGRESS_POLICY_ISOLATES_INGRESS = "KN2004" "egress-policy-isolates-ingress" Warning,
        "A NetworkPolicy with egress rules, no ingress rules and no policyTypes defaults to policyTypes [Ingress, Egress]: it also denies all incoming traffic to the pods it selects.",
        "Write `policyTypes: [Egress]` if only egress is meant to be restricted.";
    RULES_IGNORED_BY_POLICY_TYPES = "KN2005" "rules-ignored-by-policy-types" Warning,
        "A NetworkPolicy has rules for a direction its policyTypes leaves out, so those rules are ignored.",
        "Add the direction to policyTypes, or remove the rules.";
    DNS_UDP_BLOCKED = "KN2006" "dns-udp-blocked" Error,
        "A pod is isolated for egress and no policy allows UDP 53 to its DNS server, so every name lookup fails.",
        "Allow egress to the cluster DNS pods (namespace kube-system, k8s-app=kube-dns) on UDP 53 and TCP 53.";
    DNS_TCP_BLOCKED = "KN2007" "dns-tcp-blocked" Warning,
        "A pod may query its DNS server over UDP 53 but not TCP 53, so lookups whose answers are truncated fail.",
        "Allow TCP 53 next to UDP 53 in the DNS egress rule.";

    INGRESS_BACKEND_MISSING = "KN3001" "ingress-backend-service-missing" Error,
        "An Ingress backend names a Service that is not in the Ingress's namespace in the given manifests: the controller answers 503.",
        "Create the Service in the Ingress's namespace, or fix the backend's service name.";
    INGRESS_BACKEND_PORT_MISSING = "KN3002" "ingress-backend-port-missing" Error,
        "An Ingress backend names a Service port (number or name) that the Service does not have: the controller answers 503.",
        "Use one of the Service's ports (spec.ports[].port, or its name), not the targetPort.";
    INGRESS_BACKEND_NO_ENDPOINTS = "KN3003" "ingress-backend-no-endpoints" Warning,
        "An Ingress backend's Service has no ready endpoints for the port, so the controller answers 503.",
        "Make the Service select running pods whose containers declare the target port.";
    DEPRECATED_INGRESS_CLASS_ANNOTATION = "KN3004" "deprecated-ingress-class-annotation" Warning,
        "The Ingress uses the deprecated `kubernetes.io/ingress.class` annotation (an error when it contradicts spec.ingressClassName).",
        "Use `spec.ingressClassName` instead (the two cannot be combined), with an IngressClass of that name.";
    UNKNOWN_NGINX_ANNOTATION = "KN3005" "unknown-nginx-annotation" Warning,
        "An `nginx.ingress.kubernetes.io/*` annotation is one ingress-nginx does not read: it is ignored without a word (info for an old alias it still reads).",
        "Use the annotation the message suggests (for rate limits: `limit-rps` or `limit-rpm`), or remove it.";
    INGRESS_PATH_CONFLICT = "KN3006" "ingress-path-conflict" Error,
        "Two Ingresses of the same class claim the same host, path and pathType (or both define the catch-all default backend): the controller serves only one of them.",
        "Move one of the routes to another host or path, or merge the Ingresses.";
    TLS_SECRET_MISSING = "KN3007" "tls-secret-missing" Warning,
        "An Ingress TLS entry names no Secret, or one that is not in the Ingress's namespace in the given manifests: the controller serves its default (self-signed) certificate.",
        "Create the kubernetes.io/tls Secret (kubectl create secret tls) in the Ingress's namespace.";
    AUTH_SECRET_MISSING = "KN3008" "auth-secret-missing" Warning,
        "An Ingress's `nginx.ingress.kubernetes.io/auth-secret` names a Secret that is not in the given manifests: ingress-nginx answers 503 to every request.",
        "Create the Secret (htpasswd under key `auth`) in the Ingress's namespace.";
    INGRESS_CLASS_NOT_SERVED = "KN3009" "ingress-class-not-served" Info,
        "knet's ingress controller (ingress-nginx, class nginx) does not serve the Ingress: it names another class (info) or no class at all (warning).",
        "Nothing to do if another controller serves that class; otherwise set spec.ingressClassName to the controller's class.";
    AMBIGUOUS_DEFAULT_CLASS = "KN3010" "ambiguous-default-ingress-class" Warning,
        "Several IngressClasses are marked default, so which one an Ingress without a class gets depends on their age.",
        "Mark exactly one IngressClass as the default, or set spec.ingressClassName.";
    NOT_A_SERVICE_BACKEND = "KN3011" "not-a-service-backend" Warning,
        "An Ingress backend names a resource (or nothing) instead of a Service: ingress-nginx routes only to Services and answers such paths from its default backend (404).",
        "Route the path to a Service.";
    BACKEND_MATCHES_TARGET_PORT = "KN3012" "backend-port-matches-target-port" Warning,
        "An Ingress backend port is not a port of the Service but one of its targetPorts: ingress-nginx falls back to that Service port, other controllers do not.",
        "Name the Service port (spec.ports[].port) in the backend.";
    TLS_NOT_APPLIED = "KN3013" "tls-not-applied" Warning,
        "An Ingress TLS entry has no effect for a host: no rule of the Ingress serves the host, or an Ingress processed earlier already set its certificate.",
        "List TLS hosts only on the Ingress whose rules serve them, once per host.";
    CANARY_WITHOUT_MAIN = "KN3014" "canary-without-main" Warning,
        "A canary Ingress (`nginx.ingress.kubernetes.io/canary: \"true\"`) has no main Ingress with the same host and path, so ingress-nginx drops it.",
        "Create the main Ingress for the host and path, or remove the canary annotation.";
    INGRESS_BACKEND_BLOCKED_BY_POLICY = "KN3015" "ingress-backend-blocked-by-policy" Error,
        "The NetworkPolicies of an Ingress backend's pods do not admit the ingress controller's pod on the target port, so the route times out (ingress-nginx answers 504).",
        "Allow ingress from the controller: a rule with `namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}` on the target port, next to the existing rules.";

    SEARCH_LIST_WALK = "KN4001" "search-list-walk" Info,
        "A host name in configuration has fewer dots than ndots, so a pod's resolver tries every search domain (A and AAAA each) before the name itself.",
        "End the name with a dot where the client accepts it, or lower `ndots` with `dnsConfig.options` on the pods.";
    SHORT_NAME_NO_SERVICE = "KN4002" "name-names-no-service" Warning,
        "A cluster name in configuration names a Service that is not in the given manifests, so from a pod of that namespace it does not resolve.",
        "Create the Service, or write `<service>.<namespace>` if it lives in another namespace.";
    RESOLVER_MISSES_CLUSTER_DNS = "KN4003" "resolver-misses-cluster-dns" Warning,
        "A pod searches the cluster zone but none of its nameservers is the cluster DNS, so Service names do not resolve.",
        "Put the cluster DNS address first in dnsConfig.nameservers, or use dnsPolicy ClusterFirst with dnsConfig options.";
}

/// The rule with this code.
pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code == code)
}
