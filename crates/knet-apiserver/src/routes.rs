//! URL paths to routes: the non-resource endpoints (`/version`, health, discovery, OpenAPI) and the resource paths of
//! every entry of `knet_apimachinery::resources::RESOURCES`, in the shapes kube-apiserver serves them:
//!
//! ```text
//! /api/v1/{plural}[/{name}[/{subresource}]]                          core, cluster-scoped or all namespaces
//! /api/v1/namespaces/{namespace}/{plural}[/{name}[/{subresource}]]   core, namespaced
//! /apis/{group}/{version}/...                                        the same below a named group
//! /api/v1/watch/...                                                  the deprecated watch prefix (watch=true)
//! ```

use knet_apimachinery::resources::{self, ResourceType};

use crate::util::percent_decode;

/// What a request path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/version`.
    Version,
    /// `/healthz`, `/livez`, `/readyz` (and their `/...` checks).
    Health,
    /// `/api`: the core group's versions (legacy) or the aggregated core discovery.
    Api,
    /// `/apis`: the groups (legacy) or the aggregated discovery of the named groups.
    Apis,
    /// `/apis/{group}`.
    ApiGroup(String),
    /// `/api/v1`, `/apis/{group}/{version}`: the resource list of a group version.
    GroupVersion { group: String, version: String },
    /// `/openapi/v3`.
    OpenApiIndex,
    /// `/openapi/v3/{key}` with key `api/v1` or `apis/{group}/{version}`.
    OpenApiDocument(String),
    /// `/openapi/v2`.
    OpenApiV2,
    /// A resource path.
    Resource(ResourcePath),
    /// A resource path whose resource is not served (`/apis/autoscaling/v2/.../horizontalpodautoscalers`).
    UnknownResource { group: String, plural: String },
    /// Nothing served here.
    NotFound,
}

/// A resource path, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePath {
    pub resource: &'static ResourceType,
    /// The namespace of the URL, for namespaced resources; `None` for all namespaces or a cluster-scoped resource.
    pub namespace: Option<String>,
    /// The object's name; `None` for the collection.
    pub name: Option<String>,
    /// `status`, `scale`, `log`, `exec`, ...
    pub subresource: Option<String>,
    /// Whether the path used the deprecated `/watch/` prefix.
    pub watch_prefix: bool,
}

/// Parses a request path (without the query).
pub fn parse(path: &str) -> Route {
    let segments: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(|s| percent_decode(s, false)).collect();
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    match s.as_slice() {
        ["version"] => Route::Version,
        ["healthz" | "livez" | "readyz", ..] => Route::Health,
        ["api"] => Route::Api,
        ["apis"] => Route::Apis,
        ["apis", group] => Route::ApiGroup((*group).to_owned()),
        ["api", version] => Route::GroupVersion { group: String::new(), version: (*version).to_owned() },
        ["apis", group, version] => Route::GroupVersion { group: (*group).to_owned(), version: (*version).to_owned() },
        ["openapi", "v3"] => Route::OpenApiIndex,
        ["openapi", "v3", rest @ ..] => Route::OpenApiDocument(rest.join("/")),
        ["openapi", "v2"] => Route::OpenApiV2,
        ["api", version, rest @ ..] => resource_route("", version, rest),
        ["apis", group, version, rest @ ..] => resource_route(group, version, rest),
        _ => Route::NotFound,
    }
}

fn resource_route(group: &str, version: &str, rest: &[&str]) -> Route {
    let (watch_prefix, rest) = match rest {
        ["watch", rest @ ..] => (true, rest),
        rest => (false, rest),
    };
    let found = |plural: &str| resources::by_path(group, version, plural);
    let route = |resource: &'static ResourceType, namespace: Option<&str>, tail: &[&str]| -> Route {
        let (name, subresource) = match tail {
            [] => (None, None),
            [name] => (Some(*name), None),
            [name, sub] => (Some(*name), Some(*sub)),
            _ => return Route::NotFound,
        };
        Route::Resource(ResourcePath {
            resource,
            namespace: namespace.map(str::to_owned),
            name: name.map(str::to_owned),
            subresource: subresource.map(str::to_owned),
            watch_prefix,
        })
    };
    // A namespaced resource inside a namespace: /namespaces/{ns}/{plural}/...
    if let ["namespaces", namespace, plural, tail @ ..] = rest
        && let Some(resource) = found(plural).filter(|r| r.namespaced)
    {
        return route(resource, Some(namespace), tail);
    }
    let unknown = |plural: &str| Route::UnknownResource { group: group.to_owned(), plural: plural.to_owned() };
    match rest {
        // `/namespaces/{ns}/{plural}` of a resource not served, unless `{plural}` is a subresource of a namespace.
        ["namespaces", _, plural, ..]
            if found(plural).is_none() && found("namespaces").is_none_or(|ns| !ns.subresources.contains(plural)) =>
        {
            unknown(plural)
        }
        [plural, tail @ ..] => match found(plural) {
            Some(resource) => route(resource, None, tail),
            None => unknown(plural),
        },
        [] => Route::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(path: &str) -> String {
        match parse(path) {
            Route::Resource(r) => format!(
                "{} ns={:?} name={:?} sub={:?} watch={}",
                r.resource.qualified_plural(),
                r.namespace,
                r.name,
                r.subresource,
                r.watch_prefix
            ),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn paths() {
        let paths = [
            "/version",
            "/api",
            "/apis/apps",
            "/apis/apps/v1",
            "/openapi/v3/apis/networking.k8s.io/v1",
            "/api/v1/namespaces",
            "/api/v1/namespaces/microservices",
            "/api/v1/namespaces/microservices/status",
            "/api/v1/namespaces/microservices/services",
            "/api/v1/namespaces/microservices/services/backend",
            "/api/v1/namespaces/default/pods/web/log",
            "/api/v1/services",
            "/apis/apps/v1/namespaces/x/deployments/web/scale",
            "/apis/networking.k8s.io/v1/ingressclasses/nginx",
            "/api/v1/watch/namespaces/x/pods",
            "/api/v1/namespaces/x/ingressclasses",
            "/api/v1/nodes/a/b/c",
            "/api/v1/widgets",
            "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers",
        ];
        let shown: Vec<String> = paths.iter().map(|p| format!("{p} -> {}", show(p))).collect();
        expect_test::expect![[r#"
            /version -> Version
            /api -> Api
            /apis/apps -> ApiGroup("apps")
            /apis/apps/v1 -> GroupVersion { group: "apps", version: "v1" }
            /openapi/v3/apis/networking.k8s.io/v1 -> OpenApiDocument("apis/networking.k8s.io/v1")
            /api/v1/namespaces -> namespaces ns=None name=None sub=None watch=false
            /api/v1/namespaces/microservices -> namespaces ns=None name=Some("microservices") sub=None watch=false
            /api/v1/namespaces/microservices/status -> namespaces ns=None name=Some("microservices") sub=Some("status") watch=false
            /api/v1/namespaces/microservices/services -> services ns=Some("microservices") name=None sub=None watch=false
            /api/v1/namespaces/microservices/services/backend -> services ns=Some("microservices") name=Some("backend") sub=None watch=false
            /api/v1/namespaces/default/pods/web/log -> pods ns=Some("default") name=Some("web") sub=Some("log") watch=false
            /api/v1/services -> services ns=None name=None sub=None watch=false
            /apis/apps/v1/namespaces/x/deployments/web/scale -> deployments.apps ns=Some("x") name=Some("web") sub=Some("scale") watch=false
            /apis/networking.k8s.io/v1/ingressclasses/nginx -> ingressclasses.networking.k8s.io ns=None name=Some("nginx") sub=None watch=false
            /api/v1/watch/namespaces/x/pods -> pods ns=Some("x") name=None sub=None watch=true
            /api/v1/namespaces/x/ingressclasses -> UnknownResource { group: "", plural: "ingressclasses" }
            /api/v1/nodes/a/b/c -> NotFound
            /api/v1/widgets -> UnknownResource { group: "", plural: "widgets" }
            /apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers -> UnknownResource { group: "autoscaling", plural: "horizontalpodautoscalers" }
        "#]]
        .assert_eq(&(shown.join("\n") + "\n"));
    }
}
