//! The request handler, built by [`app`] as a function of the shared state so that tests drive it without a socket:
//! authentication, then routing, then one place that turns the outcome into a response.
//!
//! ```text
//!  request --authenticate--> 401
//!          --impersonate?---> 403 (knet has no other users to act as)
//!          --route----------> meta (version, health, discovery, OpenAPI)
//!                           | watch (async stream)
//!                           | resource verb (writes and lists on a blocking thread; a GET of one object inline,
//!                           |   cheaper than the hand-off) --> Reply --> response
//! ```
//!
//! `/version`, `/healthz`, `/livez` and `/readyz` answer without a credential, as kube-apiserver's default RBAC lets
//! anonymous clients read them; a request with a wrong token is refused everywhere.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use hyper::body::{Body, Bytes, Incoming};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT};
use hyper::{Request, Response};
use knet_apimachinery::status;

use crate::body::{self, HttpResponse, ResponseBody};
use crate::resource::{self, ApiRequest, Query, Reply};
use crate::routes::{self, Route};
use crate::state::State;
use crate::{identity, meta, util, watch};

/// The API server as a hyper service.
#[derive(Debug, Clone)]
pub struct App {
    state: Arc<State>,
}

/// Builds the request handler over `state`.
pub fn app(state: Arc<State>) -> App {
    App { state }
}

impl App {
    /// The shared state.
    pub fn state(&self) -> &Arc<State> {
        &self.state
    }

    /// Answers one request. Never fails: every error is a `Status` response.
    pub async fn handle<B>(&self, request: Request<B>) -> HttpResponse
    where
        B: Body<Data = Bytes> + Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if let Err(status) = check_head(&request) {
            return body::status(&status);
        }
        let route = routes::parse(request.uri().path());
        if !self.authenticated(&request, &route) {
            let mut response = body::status(&status::unauthorized());
            response.headers_mut().insert("www-authenticate", HeaderValue::from_static("Bearer realm=\"knet\""));
            return response;
        }
        if let Some(refusal) = identity::refuse_impersonation(request.headers()) {
            return body::status(&refusal);
        }
        let Route::Resource(path) = route else {
            return meta::handle(&route, request.headers());
        };
        let header = |name: HeaderName| request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (accept, content_type, user_agent) = (header(ACCEPT), header(CONTENT_TYPE), header(USER_AGENT));
        let method = request.method().clone();
        let query = Query(util::parse_query(request.uri().query()));
        let body = match body::read_limited(request.into_body()).await {
            Ok(body) => body,
            Err(status) => return body::status(&status),
        };
        let api_request = ApiRequest { method, path, query, accept, content_type, user_agent, body };
        if api_request.method == hyper::Method::GET && watch::is_watch(&api_request) {
            return watch::watch(Arc::clone(&self.state), api_request).await;
        }
        let state = Arc::clone(&self.state);
        if api_request.method == hyper::Method::GET
            && api_request.path.name.is_some()
            && api_request.path.subresource.is_none()
            && api_request.query.get("resourceVersion").is_none_or(|rv| rv.is_empty() || rv == "0")
        {
            // A GET of one object is one indexed read of a few KiB without an fsync (tens of microseconds): it is
            // answered on this thread, as the hand-off to the blocking pool and back costs more than the read. (One
            // that asks for a resourceVersion may wait for it, so it goes to the pool.)
            return into_response(resource::handle(&state, &api_request));
        }
        match tokio::task::spawn_blocking(move || resource::handle(&state, &api_request)).await {
            Ok(reply) => into_response(reply),
            Err(error) => body::status(&status::internal_error(&format!("request handler failed: {error}"))),
        }
    }

    /// Whether the request carries the admin token, or needs none.
    fn authenticated<B>(&self, request: &Request<B>, route: &Route) -> bool {
        let presented = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim);
        let public = matches!(route, Route::Version | Route::Health);
        match presented {
            Some(token) => constant_time_eq(token.as_bytes(), self.state.token.as_bytes()),
            None => public,
        }
    }
}

/// The longest URL (path and query) the API serves. A list's label selector with hundreds of values fits easily;
/// it must stay under the 64 KiB hyper's HTTP/1.1 parser takes at most, so that longer URLs up to there get a
/// `Status` from here.
const MAX_URL_BYTES: usize = 32 * 1024;
/// The most the headers of a request may take, names and values (kubectl's take about a kilobyte). Like the URL's,
/// the limit stays under what hyper's HTTP/1.1 parser reads at most, so heads between the two get a `Status`.
const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Refuses a request whose URL or headers are over the limits with a `Status`, before anything else is read, so a
/// client sending a huge head learns why (hyper itself only refuses heads over 1 MiB, and without a body).
fn check_head<B>(request: &Request<B>) -> Result<(), status::Status> {
    let url = request.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if url > MAX_URL_BYTES {
        return Err(status::uri_too_long(url, MAX_URL_BYTES));
    }
    let headers: usize = request.headers().iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
    if headers > MAX_HEADER_BYTES {
        return Err(status::header_fields_too_large(headers, MAX_HEADER_BYTES));
    }
    Ok(())
}

/// Compares secrets without an early exit, so the time taken does not tell how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn into_response(reply: Reply) -> HttpResponse {
    let mut response = body::whole(reply.code, reply.content_type, reply.body);
    for warning in reply.warnings {
        let text = format!("299 - {}", serde_json::Value::String(warning));
        if let Ok(value) = HeaderValue::from_str(&text) {
            response.headers_mut().append("warning", value);
        }
    }
    response
}

impl hyper::service::Service<Request<Incoming>> for App {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let app = self.clone();
        Box::pin(async move { Ok(app.handle(request).await) })
    }
}
