//! The protobuf schemas knet decodes: for each message, its field numbers, JSON names and types, copied from
//! Kubernetes' `generated.proto` files (`k8s.io/api/core/v1`, `apps/v1`, `networking/v1`,
//! `k8s.io/apimachinery/pkg/apis/meta/v1`).
//!
//! The schemas cover what `kubectl create <kind>` sends in protobuf (namespace, configmap, secret, serviceaccount,
//! service, deployment, ingress), and the common fields of a Pod for client-go's typed clients. A field missing
//! here is decoded only when it holds a zero value, which is what Go writes for a field nobody set; any other
//! value makes the decoder refuse the body rather than drop data. Adding a field is adding one line.

/// A message type: its name (for error messages) and fields.
#[derive(Debug)]
pub struct Message {
    pub name: &'static str,
    pub fields: &'static [Field],
}

impl Message {
    /// The field with protobuf number `number`.
    pub fn field(&self, number: u32) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.number == number)
    }
}

/// One field of a message.
#[derive(Debug)]
pub struct Field {
    pub number: u32,
    /// The JSON name.
    pub name: &'static str,
    pub ty: Type,
    pub repeated: bool,
    /// Whether a zero value is written to JSON. Go omits zero values of plain fields (`omitempty`) but keeps
    /// pointer fields that are set: `replicas: 0` and `automountServiceAccountToken: false` mean something.
    pub keep_zero: bool,
}

/// The type of a field's value.
#[derive(Debug)]
pub enum Type {
    String,
    /// A varint read as a signed 32-bit integer.
    Int32,
    /// A varint read as a signed 64-bit integer.
    Int64,
    Bool,
    /// Raw bytes, written to JSON in base64.
    Bytes,
    Message(&'static Message),
    /// A message whose fields Go embeds into the parent's JSON object (`json:",inline"`).
    Inline(&'static Message),
    /// `map<string, string>`: repeated entries `{1: key, 2: value}`.
    StringMap,
    /// `map<string, bytes>`, values written in base64.
    BytesMap,
    /// `map<string, Quantity>` (resource lists), values written as the quantity's string.
    QuantityMap,
    /// `intstr.IntOrString {1: type, 2: intVal, 3: strVal}`, written as a JSON number or string.
    IntOrString,
    /// `resource.Quantity {1: string}`, written as its string.
    Quantity,
    /// `metav1.Time {1: seconds, 2: nanos}`, written as RFC 3339 with second precision.
    Time,
}

const fn field(number: u32, name: &'static str, ty: Type) -> Field {
    Field { number, name, ty, repeated: false, keep_zero: false }
}

/// A pointer field in Go: a zero value that was sent is kept.
const fn pointer(number: u32, name: &'static str, ty: Type) -> Field {
    Field { number, name, ty, repeated: false, keep_zero: true }
}

const fn repeated(number: u32, name: &'static str, ty: Type) -> Field {
    Field { number, name, ty, repeated: true, keep_zero: false }
}

use Type::*;

// k8s.io/apimachinery/pkg/apis/meta/v1

pub static OBJECT_META: Message = Message {
    name: "ObjectMeta",
    fields: &[
        field(1, "name", String),
        field(2, "generateName", String),
        field(3, "namespace", String),
        field(4, "selfLink", String),
        field(5, "uid", String),
        field(6, "resourceVersion", String),
        field(7, "generation", Int64),
        field(8, "creationTimestamp", Time),
        field(9, "deletionTimestamp", Time),
        pointer(10, "deletionGracePeriodSeconds", Int64),
        field(11, "labels", StringMap),
        field(12, "annotations", StringMap),
        repeated(13, "ownerReferences", Message(&OWNER_REFERENCE)),
        repeated(14, "finalizers", String),
    ],
};

static OWNER_REFERENCE: Message = Message {
    name: "OwnerReference",
    fields: &[
        field(5, "apiVersion", String),
        field(1, "kind", String),
        field(3, "name", String),
        field(4, "uid", String),
        pointer(6, "controller", Bool),
        pointer(7, "blockOwnerDeletion", Bool),
    ],
};

static LABEL_SELECTOR: Message = Message {
    name: "LabelSelector",
    fields: &[
        field(1, "matchLabels", StringMap),
        repeated(2, "matchExpressions", Message(&LABEL_SELECTOR_REQUIREMENT)),
    ],
};

static LABEL_SELECTOR_REQUIREMENT: Message = Message {
    name: "LabelSelectorRequirement",
    fields: &[field(1, "key", String), field(2, "operator", String), repeated(3, "values", String)],
};

// k8s.io/api/core/v1: Namespace

pub static NAMESPACE: Message = Message {
    name: "Namespace",
    fields: &[
        field(1, "metadata", Message(&OBJECT_META)),
        field(2, "spec", Message(&NAMESPACE_SPEC)),
        field(3, "status", Message(&NAMESPACE_STATUS)),
    ],
};

static NAMESPACE_SPEC: Message = Message { name: "NamespaceSpec", fields: &[repeated(1, "finalizers", String)] };

static NAMESPACE_STATUS: Message = Message { name: "NamespaceStatus", fields: &[field(1, "phase", String)] };

// ConfigMap, Secret, ServiceAccount

pub static CONFIG_MAP: Message = Message {
    name: "ConfigMap",
    fields: &[
        field(1, "metadata", Message(&OBJECT_META)),
        pointer(4, "immutable", Bool),
        field(2, "data", StringMap),
        field(3, "binaryData", BytesMap),
    ],
};

pub static SECRET: Message = Message {
    name: "Secret",
    fields: &[
        field(1, "metadata", Message(&OBJECT_META)),
        pointer(5, "immutable", Bool),
        field(2, "data", BytesMap),
        field(4, "stringData", StringMap),
        field(3, "type", String),
    ],
};

pub static SERVICE_ACCOUNT: Message = Message {
    name: "ServiceAccount",
    fields: &[
        field(1, "metadata", Message(&OBJECT_META)),
        repeated(2, "secrets", Message(&OBJECT_REFERENCE)),
        repeated(3, "imagePullSecrets", Message(&LOCAL_OBJECT_REFERENCE)),
        pointer(4, "automountServiceAccountToken", Bool),
    ],
};

static OBJECT_REFERENCE: Message = Message {
    name: "ObjectReference",
    fields: &[
        field(1, "kind", String),
        field(2, "namespace", String),
        field(3, "name", String),
        field(4, "uid", String),
        field(5, "apiVersion", String),
        field(6, "resourceVersion", String),
        field(7, "fieldPath", String),
    ],
};

static LOCAL_OBJECT_REFERENCE: Message = Message { name: "LocalObjectReference", fields: &[field(1, "name", String)] };

// Service

pub static SERVICE: Message = Message {
    name: "Service",
    fields: &[
        field(1, "metadata", Message(&OBJECT_META)),
        field(2, "spec", Message(&SERVICE_SPEC)),
        field(3, "status", Message(&SERVICE_STATUS)),
    ],
};

static SERVICE_SPEC: Message = Message {
    name: "ServiceSpec",
    fields: &[
        repeated(1, "ports", Message(&SERVICE_PORT)),
        field(2, "selector", StringMap),
        field(3, "clusterIP", String),
        repeated(18, "clusterIPs", String),
        field(4, "type", String),
        repeated(5, "externalIPs", String),
        field(7, "sessionAffinity", String),
        field(8, "loadBalancerIP", String),
        repeated(9, "loadBalancerSourceRanges", String),
        field(10, "externalName", String),
        field(11, "externalTrafficPolicy", String),
        field(12, "healthCheckNodePort", Int32),
        field(13, "publishNotReadyAddresses", Bool),
        field(14, "sessionAffinityConfig", Message(&SESSION_AFFINITY_CONFIG)),
        repeated(19, "ipFamilies", String),
        pointer(17, "ipFamilyPolicy", String),
        pointer(20, "allocateLoadBalancerNodePorts", Bool),
        pointer(21, "loadBalancerClass", String),
        pointer(22, "internalTrafficPolicy", String),
        pointer(23, "trafficDistribution", String),
    ],
};

static SERVICE_PORT: Message = Message {
    name: "ServicePort",
    fields: &[
        field(1, "name", String),
        field(2, "protocol", String),
        pointer(6, "appProtocol", String),
        field(3, "port", Int32),
        field(4, "targetPort", IntOrString),
        field(5, "nodePort", Int32),
    ],
};

static SESSION_AFFINITY_CONFIG: Message =
    Message { name: "SessionAffinityConfig", fields: &[field(1, "clientIP", Message(&CLIENT_IP_CONFIG))] };

static CLIENT_IP_CONFIG: Message = Message { name: "ClientIPConfig", fields: &[pointer(1, "timeoutSeconds", Int32)] };

static SERVICE_STATUS: Message =
    Message { name: "ServiceStatus", fields: &[field(1, "loadBalancer", Message(&LOAD_BALANCER_STATUS))] };

static LOAD_BALANCER_STATUS: Message =
    Message { name: "LoadBalancerStatus", fields: &[repeated(1, "ingress", Message(&LOAD_BALANCER_INGRESS))] };

static LOAD_BALANCER_INGRESS: Message = Message {
    name: "LoadBalancerIngress",
    fields: &[field(1, "ip", String), field(2, "hostname", String), pointer(3, "ipMode", String)],
};

// Pod, and the pod template of workloads

pub static POD: Message = Message {
    name: "Pod",
    fields: &[
        field(1, "metadata", Message(&OBJECT_META)),
        field(2, "spec", Message(&POD_SPEC)),
        field(3, "status", Message(&POD_STATUS)),
    ],
};

static POD_STATUS: Message = Message { name: "PodStatus", fields: &[field(1, "phase", String)] };

static POD_TEMPLATE_SPEC: Message = Message {
    name: "PodTemplateSpec",
    fields: &[field(1, "metadata", Message(&OBJECT_META)), field(2, "spec", Message(&POD_SPEC))],
};

static POD_SPEC: Message = Message {
    name: "PodSpec",
    fields: &[
        repeated(20, "initContainers", Message(&CONTAINER)),
        repeated(2, "containers", Message(&CONTAINER)),
        field(3, "restartPolicy", String),
        pointer(4, "terminationGracePeriodSeconds", Int64),
        pointer(5, "activeDeadlineSeconds", Int64),
        field(6, "dnsPolicy", String),
        field(7, "nodeSelector", StringMap),
        field(8, "serviceAccountName", String),
        field(9, "serviceAccount", String),
        pointer(21, "automountServiceAccountToken", Bool),
        field(10, "nodeName", String),
        field(11, "hostNetwork", Bool),
        field(12, "hostPID", Bool),
        field(13, "hostIPC", Bool),
        pointer(27, "shareProcessNamespace", Bool),
        repeated(15, "imagePullSecrets", Message(&LOCAL_OBJECT_REFERENCE)),
        field(16, "hostname", String),
        field(17, "subdomain", String),
        field(19, "schedulerName", String),
        field(24, "priorityClassName", String),
        pointer(25, "priority", Int32),
        pointer(29, "runtimeClassName", String),
        pointer(30, "enableServiceLinks", Bool),
        pointer(31, "preemptionPolicy", String),
        pointer(35, "setHostnameAsFQDN", Bool),
        pointer(37, "hostUsers", Bool),
        repeated(1, "volumes", Message(&VOLUME)),
        repeated(22, "tolerations", Message(&TOLERATION)),
    ],
};

// Volumes and tolerations: what `kubectl debug node/NAME` puts in its pod (a hostPath volume of `/`, a toleration of
// everything), and the volume sources the guide's manifests use.

static VOLUME: Message =
    Message { name: "Volume", fields: &[field(1, "name", String), field(2, "volumeSource", Inline(&VOLUME_SOURCE))] };

static VOLUME_SOURCE: Message = Message {
    name: "VolumeSource",
    fields: &[
        pointer(1, "hostPath", Message(&HOST_PATH_VOLUME_SOURCE)),
        pointer(2, "emptyDir", Message(&EMPTY_DIR_VOLUME_SOURCE)),
        pointer(6, "secret", Message(&SECRET_VOLUME_SOURCE)),
        pointer(19, "configMap", Message(&CONFIG_MAP_VOLUME_SOURCE)),
    ],
};

static HOST_PATH_VOLUME_SOURCE: Message =
    Message { name: "HostPathVolumeSource", fields: &[field(1, "path", String), pointer(2, "type", String)] };

static EMPTY_DIR_VOLUME_SOURCE: Message =
    Message { name: "EmptyDirVolumeSource", fields: &[field(1, "medium", String), pointer(2, "sizeLimit", Quantity)] };

static SECRET_VOLUME_SOURCE: Message = Message {
    name: "SecretVolumeSource",
    fields: &[field(1, "secretName", String), pointer(3, "defaultMode", Int32), pointer(4, "optional", Bool)],
};

static CONFIG_MAP_VOLUME_SOURCE: Message = Message {
    name: "ConfigMapVolumeSource",
    fields: &[
        field(1, "localObjectReference", Inline(&LOCAL_OBJECT_REFERENCE)),
        pointer(3, "defaultMode", Int32),
        pointer(4, "optional", Bool),
    ],
};

/// A container's security context, as `kubectl debug --profile` sets it (`sysadmin`: privileged; `netadmin`:
/// capabilities; `restricted`: non-root, no escalation, every capability dropped, the runtime's seccomp profile).
static SECURITY_CONTEXT: Message = Message {
    name: "SecurityContext",
    fields: &[
        pointer(1, "capabilities", Message(&CAPABILITIES)),
        pointer(2, "privileged", Bool),
        pointer(4, "runAsUser", Int64),
        pointer(5, "runAsNonRoot", Bool),
        pointer(6, "readOnlyRootFilesystem", Bool),
        pointer(7, "allowPrivilegeEscalation", Bool),
        pointer(8, "runAsGroup", Int64),
        pointer(9, "procMount", String),
        pointer(11, "seccompProfile", Message(&SECCOMP_PROFILE)),
    ],
};

static CAPABILITIES: Message =
    Message { name: "Capabilities", fields: &[repeated(1, "add", String), repeated(2, "drop", String)] };

static SECCOMP_PROFILE: Message =
    Message { name: "SeccompProfile", fields: &[field(1, "type", String), pointer(2, "localhostProfile", String)] };

static VOLUME_MOUNT: Message = Message {
    name: "VolumeMount",
    fields: &[
        field(1, "name", String),
        field(2, "readOnly", Bool),
        field(3, "mountPath", String),
        field(4, "subPath", String),
        pointer(5, "mountPropagation", String),
        field(6, "subPathExpr", String),
        pointer(7, "recursiveReadOnly", String),
    ],
};

static TOLERATION: Message = Message {
    name: "Toleration",
    fields: &[
        field(1, "key", String),
        field(2, "operator", String),
        field(3, "value", String),
        field(4, "effect", String),
        pointer(5, "tolerationSeconds", Int64),
    ],
};

static CONTAINER: Message = Message {
    name: "Container",
    fields: &[
        field(1, "name", String),
        field(2, "image", String),
        repeated(3, "command", String),
        repeated(4, "args", String),
        field(5, "workingDir", String),
        repeated(6, "ports", Message(&CONTAINER_PORT)),
        repeated(7, "env", Message(&ENV_VAR)),
        field(8, "resources", Message(&RESOURCE_REQUIREMENTS)),
        repeated(9, "volumeMounts", Message(&VOLUME_MOUNT)),
        pointer(15, "securityContext", Message(&SECURITY_CONTEXT)),
        field(13, "terminationMessagePath", String),
        field(20, "terminationMessagePolicy", String),
        field(14, "imagePullPolicy", String),
        field(16, "stdin", Bool),
        field(17, "stdinOnce", Bool),
        field(18, "tty", Bool),
        pointer(24, "restartPolicy", String),
    ],
};

static CONTAINER_PORT: Message = Message {
    name: "ContainerPort",
    fields: &[
        field(1, "name", String),
        field(2, "hostPort", Int32),
        field(3, "containerPort", Int32),
        field(4, "protocol", String),
        field(5, "hostIP", String),
    ],
};

static ENV_VAR: Message = Message { name: "EnvVar", fields: &[field(1, "name", String), field(2, "value", String)] };

static RESOURCE_REQUIREMENTS: Message = Message {
    name: "ResourceRequirements",
    fields: &[field(1, "limits", QuantityMap), field(2, "requests", QuantityMap)],
};

// k8s.io/api/apps/v1: Deployment

pub static DEPLOYMENT: Message = Message {
    name: "Deployment",
    fields: &[
        field(1, "metadata", Message(&OBJECT_META)),
        field(2, "spec", Message(&DEPLOYMENT_SPEC)),
        field(3, "status", Message(&DEPLOYMENT_STATUS)),
    ],
};

static DEPLOYMENT_SPEC: Message = Message {
    name: "DeploymentSpec",
    fields: &[
        pointer(1, "replicas", Int32),
        field(2, "selector", Message(&LABEL_SELECTOR)),
        field(3, "template", Message(&POD_TEMPLATE_SPEC)),
        field(4, "strategy", Message(&DEPLOYMENT_STRATEGY)),
        field(5, "minReadySeconds", Int32),
        pointer(6, "revisionHistoryLimit", Int32),
        field(7, "paused", Bool),
        pointer(9, "progressDeadlineSeconds", Int32),
    ],
};

static DEPLOYMENT_STRATEGY: Message = Message {
    name: "DeploymentStrategy",
    fields: &[field(1, "type", String), field(2, "rollingUpdate", Message(&ROLLING_UPDATE_DEPLOYMENT))],
};

static ROLLING_UPDATE_DEPLOYMENT: Message = Message {
    name: "RollingUpdateDeployment",
    fields: &[pointer(1, "maxUnavailable", IntOrString), pointer(2, "maxSurge", IntOrString)],
};

/// The status a client sends with a new Deployment: only its zero values are accepted (see the module comment),
/// so no field is listed.
static DEPLOYMENT_STATUS: Message = Message { name: "DeploymentStatus", fields: &[] };

// k8s.io/api/networking/v1: Ingress

pub static INGRESS: Message = Message {
    name: "Ingress",
    fields: &[
        field(1, "metadata", Message(&OBJECT_META)),
        field(2, "spec", Message(&INGRESS_SPEC)),
        field(3, "status", Message(&INGRESS_STATUS)),
    ],
};

static INGRESS_SPEC: Message = Message {
    name: "IngressSpec",
    fields: &[
        pointer(4, "ingressClassName", String),
        field(1, "defaultBackend", Message(&INGRESS_BACKEND)),
        repeated(2, "tls", Message(&INGRESS_TLS)),
        repeated(3, "rules", Message(&INGRESS_RULE)),
    ],
};

static INGRESS_BACKEND: Message = Message {
    name: "IngressBackend",
    fields: &[
        field(4, "service", Message(&INGRESS_SERVICE_BACKEND)),
        field(3, "resource", Message(&TYPED_LOCAL_OBJECT_REFERENCE)),
    ],
};

static INGRESS_SERVICE_BACKEND: Message = Message {
    name: "IngressServiceBackend",
    fields: &[field(1, "name", String), field(2, "port", Message(&SERVICE_BACKEND_PORT))],
};

static SERVICE_BACKEND_PORT: Message =
    Message { name: "ServiceBackendPort", fields: &[field(1, "name", String), field(2, "number", Int32)] };

static TYPED_LOCAL_OBJECT_REFERENCE: Message = Message {
    name: "TypedLocalObjectReference",
    fields: &[pointer(1, "apiGroup", String), field(2, "kind", String), field(3, "name", String)],
};

static INGRESS_TLS: Message =
    Message { name: "IngressTLS", fields: &[repeated(1, "hosts", String), field(2, "secretName", String)] };

static INGRESS_RULE: Message = Message {
    name: "IngressRule",
    fields: &[field(1, "host", String), field(2, "ingressRuleValue", Inline(&INGRESS_RULE_VALUE))],
};

static INGRESS_RULE_VALUE: Message =
    Message { name: "IngressRuleValue", fields: &[field(1, "http", Message(&HTTP_INGRESS_RULE_VALUE))] };

static HTTP_INGRESS_RULE_VALUE: Message =
    Message { name: "HTTPIngressRuleValue", fields: &[repeated(1, "paths", Message(&HTTP_INGRESS_PATH))] };

static HTTP_INGRESS_PATH: Message = Message {
    name: "HTTPIngressPath",
    fields: &[field(1, "path", String), pointer(3, "pathType", String), field(2, "backend", Message(&INGRESS_BACKEND))],
};

static INGRESS_STATUS: Message =
    Message { name: "IngressStatus", fields: &[field(1, "loadBalancer", Message(&INGRESS_LOAD_BALANCER_STATUS))] };

static INGRESS_LOAD_BALANCER_STATUS: Message = Message {
    name: "IngressLoadBalancerStatus",
    fields: &[repeated(1, "ingress", Message(&INGRESS_LOAD_BALANCER_INGRESS))],
};

static INGRESS_LOAD_BALANCER_INGRESS: Message =
    Message { name: "IngressLoadBalancerIngress", fields: &[field(1, "ip", String), field(2, "hostname", String)] };

// k8s.io/api/authentication/v1 and authorization/v1: the reviews `kubectl auth whoami` and `kubectl auth can-i` send.
// Their status is the server's to fill in: only its zero value is accepted.

static REVIEW_STATUS: Message = Message { name: "Status", fields: &[] };

pub static SELF_SUBJECT_REVIEW: Message = Message {
    name: "SelfSubjectReview",
    fields: &[field(1, "metadata", Message(&OBJECT_META)), field(2, "status", Message(&REVIEW_STATUS))],
};

pub static SELF_SUBJECT_ACCESS_REVIEW: Message = Message {
    name: "SelfSubjectAccessReview",
    fields: &[
        field(1, "metadata", Message(&OBJECT_META)),
        field(2, "spec", Message(&SELF_SUBJECT_ACCESS_REVIEW_SPEC)),
        field(3, "status", Message(&REVIEW_STATUS)),
    ],
};

static SELF_SUBJECT_ACCESS_REVIEW_SPEC: Message = Message {
    name: "SelfSubjectAccessReviewSpec",
    fields: &[
        pointer(1, "resourceAttributes", Message(&RESOURCE_ATTRIBUTES)),
        pointer(2, "nonResourceAttributes", Message(&NON_RESOURCE_ATTRIBUTES)),
    ],
};

static RESOURCE_ATTRIBUTES: Message = Message {
    name: "ResourceAttributes",
    fields: &[
        field(1, "namespace", String),
        field(2, "verb", String),
        field(3, "group", String),
        field(4, "version", String),
        field(5, "resource", String),
        field(6, "subresource", String),
        field(7, "name", String),
    ],
};

static NON_RESOURCE_ATTRIBUTES: Message =
    Message { name: "NonResourceAttributes", fields: &[field(1, "path", String), field(2, "verb", String)] };

pub static SELF_SUBJECT_RULES_REVIEW: Message = Message {
    name: "SelfSubjectRulesReview",
    fields: &[
        field(1, "metadata", Message(&OBJECT_META)),
        field(2, "spec", Message(&SELF_SUBJECT_RULES_REVIEW_SPEC)),
        field(3, "status", Message(&REVIEW_STATUS)),
    ],
};

static SELF_SUBJECT_RULES_REVIEW_SPEC: Message =
    Message { name: "SelfSubjectRulesReviewSpec", fields: &[field(1, "namespace", String)] };

/// The kinds knet decodes from protobuf, by `apiVersion` and `kind`.
pub static KINDS: &[(&str, &str, &Message)] = &[
    ("v1", "Namespace", &NAMESPACE),
    ("v1", "ConfigMap", &CONFIG_MAP),
    ("v1", "Secret", &SECRET),
    ("v1", "ServiceAccount", &SERVICE_ACCOUNT),
    ("v1", "Service", &SERVICE),
    ("v1", "Pod", &POD),
    ("apps/v1", "Deployment", &DEPLOYMENT),
    ("networking.k8s.io/v1", "Ingress", &INGRESS),
    ("authentication.k8s.io/v1", "SelfSubjectReview", &SELF_SUBJECT_REVIEW),
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview", &SELF_SUBJECT_ACCESS_REVIEW),
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview", &SELF_SUBJECT_RULES_REVIEW),
];
