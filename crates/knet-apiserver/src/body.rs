//! HTTP bodies: reading a request body under kube-apiserver's size limit, and the response body, which is either whole
//! or a stream of chunks (watch events) fed by a channel.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use http_body_util::BodyExt;
use hyper::body::{Body, Bytes, Frame, SizeHint};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};
use knet_apimachinery::status::{self, MAX_REQUEST_BODY_BYTES, Status};
use tokio::sync::mpsc;

/// The body of every response.
#[derive(Debug)]
pub enum ResponseBody {
    /// The whole body, sent once.
    Full(Option<Bytes>),
    /// Chunks as they come; the body ends when every sender is gone.
    Stream(mpsc::Receiver<Bytes>),
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            ResponseBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            ResponseBody::Stream(receiver) => receiver.poll_recv(cx).map(|chunk| chunk.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, ResponseBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseBody::Full(Some(bytes)) => SizeHint::with_exact(bytes.len() as u64),
            ResponseBody::Full(None) => SizeHint::with_exact(0),
            ResponseBody::Stream(_) => SizeHint::default(),
        }
    }
}

/// The response type of the server.
pub type HttpResponse = Response<ResponseBody>;

/// A response with `code`, `content_type` and a whole body.
pub fn whole(code: u16, content_type: &str, body: impl Into<Bytes>) -> HttpResponse {
    let mut response = Response::new(ResponseBody::Full(Some(body.into())));
    *response.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    response
}

/// A JSON response.
pub fn json(code: u16, value: &serde_json::Value) -> HttpResponse {
    whole(code, "application/json", serde_json::to_vec(value).unwrap_or_default())
}

/// A `Status` response, with the HTTP status it names.
pub fn status(status: &Status) -> HttpResponse {
    whole(status.code(), "application/json", status.to_json_string())
}

/// Reads a request body whole, refusing one over kube-apiserver's 3 MiB limit with its 413.
pub async fn read_limited<B>(body: B) -> Result<Bytes, Status>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if body.size_hint().lower() > MAX_REQUEST_BODY_BYTES {
        return Err(status::request_entity_too_large(MAX_REQUEST_BODY_BYTES));
    }
    let limited = http_body_util::Limited::new(body, MAX_REQUEST_BODY_BYTES as usize);
    match limited.collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => {
            Err(status::request_entity_too_large(MAX_REQUEST_BODY_BYTES))
        }
        Err(error) => Err(status::bad_request(format!("reading the request body: {error}"))),
    }
}
