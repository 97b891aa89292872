//! Tests of negotiation: the `Accept` and `Content-Type` headers kubectl 1.27–1.33 sent in the captures
//! (`shared/reference/kubectl/captures/*.jsonl`), edge cases of the grammar, and a property test.

use expect_test::{Expect, expect};
use proptest::prelude::*;

use super::*;

/// Every distinct `Accept` header in the captures, with the target of the request that carried it.
const CAPTURED: &[(&str, Target)] = &[
    // kubectl 1.30–1.33: GET /api, GET /apis.
    (
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
        Target::Discovery,
    ),
    // kubectl 1.27–1.29: GET /api, GET /apis.
    ("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json", Target::Discovery),
    // kubectl get: a list, and one object.
    (
        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
        Target::List,
    ),
    (
        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
        Target::Object,
    ),
    // Typed clients (describe, exec, create namespace): protobuf first, JSON as the fallback.
    ("application/vnd.kubernetes.protobuf,application/json", Target::Object),
    ("application/vnd.kubernetes.protobuf,application/json", Target::List),
    // apply, wait, delete; OpenAPI; logs; the dispatcher's GET /version.
    ("application/json", Target::Object),
    ("application/json", Target::Watch),
    ("application/json, */*", Target::Plain),
    ("application/json, */*", Target::Object),
    ("*/*", Target::Plain),
    // kubectl 1.33 apply asks for OpenAPI v2 in protobuf only (knet answers 404 before negotiating).
    ("application/com.github.proto-openapi.spec.v2@v1.0+protobuf", Target::Plain),
];

fn outcome(accept: Option<&str>, target: Target) -> String {
    match negotiate(accept, target) {
        Ok(representation) => representation.content_type().to_owned(),
        Err(error) => format!("{} {error}", if matches!(error, Error::NotAcceptable { .. }) { 406 } else { 415 }),
    }
}

fn check(cases: &[(Option<&str>, Target)], expected: Expect) {
    let lines: Vec<String> = cases
        .iter()
        .map(|(accept, target)| format!("{target:?} {accept:?}\n  -> {}", outcome(*accept, *target)))
        .collect();
    expected.assert_eq(&(lines.join("\n") + "\n"));
}

#[test]
fn captured_accept_headers() {
    let cases: Vec<(Option<&str>, Target)> = CAPTURED.iter().map(|(accept, target)| (Some(*accept), *target)).collect();
    check(
        &cases,
        expect![[r#"
            Discovery Some("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")
              -> application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList
            Discovery Some("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")
              -> application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList
            List Some("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")
              -> application/json;as=Table;v=v1;g=meta.k8s.io
            Object Some("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")
              -> application/json;as=Table;v=v1;g=meta.k8s.io
            Object Some("application/vnd.kubernetes.protobuf,application/json")
              -> application/json
            List Some("application/vnd.kubernetes.protobuf,application/json")
              -> application/json
            Object Some("application/json")
              -> application/json
            Watch Some("application/json")
              -> application/json
            Plain Some("application/json, */*")
              -> application/json
            Object Some("application/json, */*")
              -> application/json
            Plain Some("*/*")
              -> application/json
            Plain Some("application/com.github.proto-openapi.spec.v2@v1.0+protobuf")
              -> 406 only the following media types are accepted: application/json
        "#]],
    );
}

#[test]
fn parameters_are_matched_exactly_and_in_any_order() {
    check(
        &[
            // v2 must not match v2beta1, nor v2 match a v2 prefix.
            (Some("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"), Target::Discovery),
            (Some("application/json;g=apidiscovery.k8s.io;v=v2alpha1;as=APIGroupDiscoveryList"), Target::Discovery),
            (Some("application/json;as=APIGroupDiscoveryList;v=v2;g=apidiscovery.k8s.io"), Target::Discovery),
            (Some("application/json ; AS=Table ; V=\"v1\" ; G=meta.k8s.io"), Target::List),
            (Some("Application/JSON;as=Table;v=v1;g=meta.k8s.io"), Target::List),
            // A conversion knet does not know, with nothing to fall back to.
            (Some("application/json;as=Table;v=v2;g=meta.k8s.io"), Target::List),
            (Some("application/json;as=Table;v=v1;g=example.com"), Target::List),
            (Some("application/json;g=meta.k8s.io;v=v1"), Target::List),
            // The right conversion on the wrong endpoint.
            (Some("application/json;as=Table;v=v1;g=meta.k8s.io"), Target::Discovery),
            (Some("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"), Target::List),
            (Some("application/json;as=Table;v=v1;g=meta.k8s.io"), Target::Plain),
        ],
        expect![[r#"
            Discovery Some("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList")
              -> application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList
            Discovery Some("application/json;g=apidiscovery.k8s.io;v=v2alpha1;as=APIGroupDiscoveryList")
              -> 406 only the following media types are accepted: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList, application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList, application/json
            Discovery Some("application/json;as=APIGroupDiscoveryList;v=v2;g=apidiscovery.k8s.io")
              -> application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList
            List Some("application/json ; AS=Table ; V=\"v1\" ; G=meta.k8s.io")
              -> application/json;as=Table;v=v1;g=meta.k8s.io
            List Some("Application/JSON;as=Table;v=v1;g=meta.k8s.io")
              -> application/json;as=Table;v=v1;g=meta.k8s.io
            List Some("application/json;as=Table;v=v2;g=meta.k8s.io")
              -> 406 only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadataList;v=v1beta1;g=meta.k8s.io
            List Some("application/json;as=Table;v=v1;g=example.com")
              -> 406 only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadataList;v=v1beta1;g=meta.k8s.io
            List Some("application/json;g=meta.k8s.io;v=v1")
              -> 406 only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadataList;v=v1beta1;g=meta.k8s.io
            Discovery Some("application/json;as=Table;v=v1;g=meta.k8s.io")
              -> 406 only the following media types are accepted: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList, application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList, application/json
            List Some("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
              -> 406 only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadataList;v=v1beta1;g=meta.k8s.io
            Plain Some("application/json;as=Table;v=v1;g=meta.k8s.io")
              -> 406 only the following media types are accepted: application/json
        "#]],
    );
}

#[test]
fn quality_and_wildcards() {
    check(
        &[
            (None, Target::Discovery),
            (Some(""), Target::List),
            (Some("  "), Target::Object),
            // A higher q wins over the order written.
            (Some("application/json;q=0.5, application/json;as=Table;v=v1;g=meta.k8s.io"), Target::List),
            (Some("application/json;as=Table;v=v1;g=meta.k8s.io;q=0.9, application/json"), Target::List),
            // Equal q: the order written.
            (Some("application/json;as=Table;v=v1beta1;g=meta.k8s.io;q=0.5, application/json;q=0.5"), Target::List),
            // q=0 means "not this".
            (Some("application/json;q=0, */*;q=0.1"), Target::Object),
            (Some("application/json;q=0"), Target::Object),
            // Specificity: */* after a full type of equal quality.
            (Some("*/*, application/json;as=Table;v=v1;g=meta.k8s.io"), Target::List),
            (Some("application/*"), Target::Discovery),
            (Some("*"), Target::Plain),
            // Unreadable clauses are skipped, not fatal.
            (Some("application/json;q=2, text/plain, application/json;as=Table;g=meta.k8s.io;v=v1"), Target::List),
            (Some("garbage, ;;, application/json"), Target::Object),
            (Some("application/json;q=abc"), Target::Object),
            (Some("text/html, application/yaml, application/vnd.kubernetes.protobuf"), Target::Object),
            // A quoted parameter may hold the separators.
            (Some("application/json;x=\"a,b;c\";as=Table;v=v1;g=meta.k8s.io"), Target::Watch),
            (Some("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"), Target::List),
            (Some("application/json;as=PartialObjectMetadata;v=v1beta1;g=meta.k8s.io"), Target::Watch),
            (Some("application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"), Target::List),
        ],
        expect![[r#"
            Discovery None
              -> application/json
            List Some("")
              -> application/json
            Object Some("  ")
              -> application/json
            List Some("application/json;q=0.5, application/json;as=Table;v=v1;g=meta.k8s.io")
              -> application/json;as=Table;v=v1;g=meta.k8s.io
            List Some("application/json;as=Table;v=v1;g=meta.k8s.io;q=0.9, application/json")
              -> application/json
            List Some("application/json;as=Table;v=v1beta1;g=meta.k8s.io;q=0.5, application/json;q=0.5")
              -> application/json;as=Table;v=v1beta1;g=meta.k8s.io
            Object Some("application/json;q=0, */*;q=0.1")
              -> application/json
            Object Some("application/json;q=0")
              -> 406 only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadata;v=v1beta1;g=meta.k8s.io
            List Some("*/*, application/json;as=Table;v=v1;g=meta.k8s.io")
              -> application/json;as=Table;v=v1;g=meta.k8s.io
            Discovery Some("application/*")
              -> application/json
            Plain Some("*")
              -> application/json
            List Some("application/json;q=2, text/plain, application/json;as=Table;g=meta.k8s.io;v=v1")
              -> application/json;as=Table;v=v1;g=meta.k8s.io
            Object Some("garbage, ;;, application/json")
              -> application/json
            Object Some("application/json;q=abc")
              -> 406 only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadata;v=v1beta1;g=meta.k8s.io
            Object Some("text/html, application/yaml, application/vnd.kubernetes.protobuf")
              -> 406 only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadata;v=v1beta1;g=meta.k8s.io
            Watch Some("application/json;x=\"a,b;c\";as=Table;v=v1;g=meta.k8s.io")
              -> application/json;as=Table;v=v1;g=meta.k8s.io
            List Some("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io")
              -> application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io
            Watch Some("application/json;as=PartialObjectMetadata;v=v1beta1;g=meta.k8s.io")
              -> application/json;as=PartialObjectMetadata;v=v1beta1;g=meta.k8s.io
            List Some("application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io")
              -> 406 only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadataList;v=v1beta1;g=meta.k8s.io
        "#]],
    );
}

#[test]
fn representation_details() {
    let v2 = negotiate(Some(CAPTURED[0].0), Target::Discovery);
    assert_eq!(v2, Ok(Representation::DiscoveryV2));
    assert_eq!(v2.map(Representation::discovery_version), Ok(Some(DiscoveryVersion::V2)));
    assert_eq!(Representation::Json.discovery_version(), None);
    let error = negotiate(Some("text/html"), Target::Plain);
    assert_eq!(error, Err(Error::NotAcceptable { accept: "text/html".into(), accepted: vec!["application/json"] }));
    let ranges = parse_accept("application/json;g=apidiscovery.k8s.io;v=v2;q=0.5, */*");
    assert_eq!(ranges.len(), 2);
    assert_eq!((ranges[0].kind.as_str(), ranges[0].subtype.as_str(), ranges[0].quality), ("*", "*", 1000));
    assert_eq!(ranges[1].param("v"), Some("v2"));
    assert_eq!(ranges[1].quality, 500);
    assert_eq!(parse_quality("0.125"), Some(125));
    assert_eq!(parse_quality("1.000"), Some(1000));
    assert_eq!(parse_quality("1.001"), None);
    assert_eq!(parse_quality("0.1234"), None);
    assert_eq!(parse_quality(".5"), None);
}

#[test]
fn body_formats() {
    let cases = [
        (None, BodyFormat::Json),
        (Some(""), BodyFormat::Json),
        // From the captures: create namespace (1.32+), apply, second apply, server-side apply.
        (Some("application/vnd.kubernetes.protobuf"), BodyFormat::Protobuf),
        (Some("application/json"), BodyFormat::Json),
        (Some("application/strategic-merge-patch+json"), BodyFormat::StrategicMergePatch),
        (Some("application/apply-patch+yaml"), BodyFormat::ApplyPatchYaml),
        (Some("application/merge-patch+json"), BodyFormat::MergePatch),
        (Some("application/json-patch+json"), BodyFormat::JsonPatch),
        (Some("Application/JSON; charset=utf-8"), BodyFormat::Json),
        (Some("application/yaml"), BodyFormat::Yaml),
        (Some("application/x-yaml"), BodyFormat::Yaml),
        (Some("text/plain;charset=utf-8"), BodyFormat::Unknown("text/plain".into())),
    ];
    for (header, expected) in cases {
        assert_eq!(BodyFormat::parse(header), expected, "{header:?}");
    }
    assert_eq!(BodyFormat::Protobuf.media_type(), "application/vnd.kubernetes.protobuf");
    assert!(BodyFormat::StrategicMergePatch.is_patch());
    assert!(!BodyFormat::Json.is_patch());
    assert_eq!(BodyFormat::Protobuf.for_create(), Ok(BodyFormat::Protobuf));
    assert_eq!(BodyFormat::JsonPatch.for_patch(), Ok(BodyFormat::JsonPatch));
    let refused = BodyFormat::Json.for_patch().map_err(|e| e.to_string());
    assert_eq!(
        refused,
        Err("the body of the request was in an unknown format - accepted media types include: \
             application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, \
             application/apply-patch+yaml"
            .into())
    );
    let refused = BodyFormat::parse(Some("text/plain")).for_create();
    assert_eq!(
        refused,
        Err(Error::UnsupportedMediaType { content_type: "text/plain".into(), accepted: CREATE_BODY_TYPES.to_vec() })
    );
}

proptest! {
    #[test]
    fn negotiation_never_panics(accept in ".{0,200}") {
        for target in [Target::Discovery, Target::Object, Target::List, Target::Watch, Target::Plain] {
            let _ = negotiate(Some(&accept), target);
        }
        let _ = BodyFormat::parse(Some(&accept));
    }

    /// Headers built from the pieces that matter, so the interesting paths are actually reached.
    #[test]
    fn structured_headers_never_panic_and_answer_what_was_offered(
        clauses in proptest::collection::vec(
            (
                prop::sample::select(vec!["application/json", "*/*", "application/*", "application/vnd.kubernetes.protobuf", "text/plain", "*", "a/b/c", ""]),
                proptest::collection::vec(
                    (
                        prop::sample::select(vec!["as", "g", "v", "q", "AS", " v ", "x"]),
                        prop::sample::select(vec!["Table", "meta.k8s.io", "v1", "v1beta1", "v2", "v2beta1", "APIGroupDiscoveryList", "apidiscovery.k8s.io", "0", "0.5", "1", "\"v1\"", "\"", ""]),
                    ),
                    0..4,
                ),
            ),
            0..5,
        ),
    ) {
        let header: Vec<String> = clauses
            .iter()
            .map(|(essence, params)| {
                let params: String = params.iter().map(|(k, v)| format!(";{k}={v}")).collect();
                format!("{essence}{params}")
            })
            .collect();
        let header = header.join(",");
        for target in [Target::Discovery, Target::Object, Target::List, Target::Watch, Target::Plain] {
            if let Ok(representation) = negotiate(Some(&header), target) {
                prop_assert!(Representation::offered(target).contains(&representation), "{header} {target:?}");
            }
        }
    }
}
