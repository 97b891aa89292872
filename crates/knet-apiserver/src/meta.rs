//! The endpoints that are not resources: `/version`, health checks, discovery (aggregated v2 and v2beta1, and
//! legacy), OpenAPI v3 and OpenAPI v2 (JSON, or gnostic's protobuf as kubectl asks for it), with the schemas of
//! every served kind. The documents come from `knet-apimachinery`; this module negotiates
//! their form and answers `ETag` revalidation of aggregated discovery with 304.

use hyper::HeaderMap;
use hyper::header::{ACCEPT, ETAG, HeaderValue, IF_NONE_MATCH};
use knet_apimachinery::negotiate::{self, Target};
use knet_apimachinery::status;
use knet_apimachinery::{discovery, openapi};
use serde::Serialize;

use crate::body::{self, HttpResponse};
use crate::resource::negotiation_error;
use crate::routes::Route;

/// The media type of OpenAPI v2 in protobuf.
const OPENAPI_V2_PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// Answers a non-resource route.
pub fn handle(route: &Route, headers: &HeaderMap) -> HttpResponse {
    let accept = headers.get(ACCEPT).and_then(|v| v.to_str().ok());
    match route {
        Route::Version => serialized(200, "application/json", &discovery::version()),
        Route::Health => body::whole(200, "text/plain; charset=utf-8", "ok"),
        Route::Api | Route::Apis => {
            let representation = match negotiate::negotiate(accept, Target::Discovery) {
                Ok(representation) => representation,
                Err(error) => return body::status(&negotiation_error(error)),
            };
            match (representation.discovery_version(), route) {
                (Some(version), Route::Api) => {
                    aggregated(headers, representation.content_type(), &discovery::aggregated_core(version))
                }
                (Some(version), _) => {
                    aggregated(headers, representation.content_type(), &discovery::aggregated_groups(version))
                }
                (None, Route::Api) => serialized(200, "application/json", &discovery::api_versions(None)),
                (None, _) => serialized(200, "application/json", &discovery::api_group_list()),
            }
        }
        Route::ApiGroup(group) => match discovery::api_group(group) {
            Some(document) => serialized(200, "application/json", &document),
            None => body::status(&status::resource_not_found()),
        },
        Route::GroupVersion { group, version } => match discovery::api_resource_list(group, version) {
            Some(document) => serialized(200, "application/json", &document),
            None => body::status(&status::resource_not_found()),
        },
        Route::OpenApiIndex => body::json(200, &openapi::index()),
        Route::OpenApiDocument(key) => {
            match openapi::parse_group_version_key(key).and_then(|(group, version)| openapi::document(group, version)) {
                Some(document) => body::json(200, &document),
                None => body::status(&status::resource_not_found()),
            }
        }
        Route::OpenApiV2 => {
            if accept.is_some_and(|a| a.contains("protobuf")) {
                body::whole(200, OPENAPI_V2_PROTOBUF, openapi::v2_document_protobuf())
            } else {
                body::json(200, &openapi::v2_document())
            }
        }
        Route::UnknownResource { group, plural } => body::status(&status::resource_type_not_served(group, plural)),
        Route::Resource(_) | Route::NotFound => body::status(&status::resource_not_found()),
    }
}

fn serialized(code: u16, content_type: &str, document: &impl Serialize) -> HttpResponse {
    body::whole(code, content_type, serde_json::to_vec(document).unwrap_or_default())
}

/// An aggregated discovery document with its `ETag`; 304 when the client already has it.
fn aggregated(headers: &HeaderMap, content_type: &str, document: &impl Serialize) -> HttpResponse {
    let bytes = serde_json::to_vec(document).unwrap_or_default();
    let etag = discovery::etag(&bytes);
    let fresh = headers.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v == etag);
    let mut response =
        if fresh { body::whole(304, content_type, Vec::new()) } else { body::whole(200, content_type, bytes) };
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(ETAG, value);
    }
    response
}
