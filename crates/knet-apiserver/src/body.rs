//! HTTP bodies: reading a request body under kube-apiserver's size limit, and the response body, which is either whole
//! or a stream of chunks (watch events) fed through a [`ChunkQueue`] bounded in chunks and bytes.
//!
//! ```text
//!  watcher --push (waits for room, at most a while)--> ChunkQueue --poll_frame--> hyper --> client
//!     |                                                  (≤ max chunks, ≤ max bytes)
//!     +--abort (too slow): queue emptied, the body ends with an error, hyper resets the stream or closes
//! ```
//!
//! The queue is what a client that stops reading can make the server hold for it: hyper polls the body only when its
//! own write buffer has room, so everything else waits in the queue, and the queue is bounded.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::{Body, Bytes, Frame, SizeHint};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};
use knet_apimachinery::status::{self, MAX_REQUEST_BODY_BYTES, Status};
use tokio::sync::Notify;

/// The body of every response.
#[derive(Debug)]
pub enum ResponseBody {
    /// The whole body, sent once.
    Full(Option<Bytes>),
    /// Chunks as they come; the body ends when the queue is finished, with an error when it was aborted.
    Stream(QueueReader),
}

/// Why a streamed body ended early: its writer gave up on a client that did not read.
#[derive(Debug, thiserror::Error)]
#[error("the client did not read the stream for too long")]
pub struct Aborted;

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = Aborted;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Aborted>>> {
        match self.get_mut() {
            ResponseBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            ResponseBody::Stream(reader) => reader.poll_chunk(cx).map(|chunk| chunk.map(|c| c.map(Frame::data))),
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

/// A queue of chunks between one writer (a watch) and the response body, bounded in chunks and bytes.
#[derive(Debug)]
pub struct ChunkQueue {
    state: Mutex<QueueState>,
    /// Woken when the reader takes a chunk or goes away, for a writer waiting for room.
    room: Notify,
    max_chunks: usize,
    max_bytes: usize,
}

#[derive(Debug, Default)]
struct QueueState {
    chunks: VecDeque<Bytes>,
    bytes: usize,
    /// The writer is done: the body ends once the queue is empty.
    finished: bool,
    /// The writer gave up on the client: the body ends with an error at once.
    aborted: bool,
    /// The body is gone (the client went away, or the connection closed).
    reader_gone: bool,
    /// The body's task, waiting for a chunk.
    waker: Option<Waker>,
}

/// Why a chunk could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushError {
    /// The body is gone: nobody reads any more.
    Closed,
    /// The queue stayed full for the whole wait: the client does not read.
    Full,
}

impl ChunkQueue {
    /// A queue holding at most `max_chunks` chunks and `max_bytes` bytes (a single larger chunk is let through when
    /// the queue is empty, or nothing that large could ever be sent), and the body that reads it.
    pub fn new(max_chunks: usize, max_bytes: usize) -> (Arc<ChunkQueue>, ResponseBody) {
        let queue = Arc::new(ChunkQueue {
            state: Mutex::new(QueueState::default()),
            room: Notify::new(),
            max_chunks: max_chunks.max(1),
            max_bytes,
        });
        (Arc::clone(&queue), ResponseBody::Stream(QueueReader { queue }))
    }

    /// Queues `chunk`, waiting up to `patience` for room; a client that leaves the queue full for that long is too
    /// slow, and the caller should [`ChunkQueue::abort`].
    pub async fn push(&self, chunk: Bytes, patience: Duration) -> Result<(), PushError> {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            // Registered before the check, so a chunk taken between the check and the wait still wakes this writer.
            let room = self.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            {
                let mut state = self.lock();
                if state.reader_gone {
                    return Err(PushError::Closed);
                }
                let fits = state.chunks.is_empty()
                    || (state.chunks.len() < self.max_chunks && state.bytes + chunk.len() <= self.max_bytes);
                if fits {
                    state.bytes += chunk.len();
                    state.chunks.push_back(chunk);
                    if let Some(waker) = state.waker.take() {
                        waker.wake();
                    }
                    return Ok(());
                }
            }
            if tokio::time::timeout_at(deadline, room).await.is_err() {
                return Err(PushError::Full);
            }
        }
    }

    /// Ends the body once the queued chunks are sent.
    pub fn finish(&self) {
        let mut state = self.lock();
        state.finished = true;
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }

    /// Drops what is queued and ends the body with an error, so hyper resets the stream (HTTP/2) or closes the
    /// connection (HTTP/1.1) as soon as it polls the body again, and the client starts over.
    pub fn abort(&self) {
        let mut state = self.lock();
        state.chunks.clear();
        state.bytes = 0;
        state.aborted = true;
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }

    /// Whether the body is gone.
    pub fn is_closed(&self) -> bool {
        self.lock().reader_gone
    }

    /// Waits until the body is gone (the client went away).
    pub async fn closed(&self) {
        loop {
            let room = self.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            if self.is_closed() {
                return;
            }
            room.await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The reading end of a [`ChunkQueue`], inside a [`ResponseBody`]. Dropping it tells the writer nobody reads.
#[derive(Debug)]
pub struct QueueReader {
    queue: Arc<ChunkQueue>,
}

impl QueueReader {
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Aborted>>> {
        let mut state = self.queue.lock();
        if state.aborted {
            return Poll::Ready(Some(Err(Aborted)));
        }
        if let Some(chunk) = state.chunks.pop_front() {
            state.bytes -= chunk.len();
            drop(state);
            self.queue.room.notify_waiters();
            return Poll::Ready(Some(Ok(chunk)));
        }
        if state.finished {
            return Poll::Ready(None);
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for QueueReader {
    fn drop(&mut self) {
        let mut state = self.queue.lock();
        state.reader_gone = true;
        state.chunks.clear();
        state.bytes = 0;
        drop(state);
        self.queue.room.notify_waiters();
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

/// How much of a body over the limit is read and thrown away before the 413 is sent: an HTTP/2 client still sending
/// its body when the answer comes takes the stream's reset for an error and never shows the 413 (an HTTP/1.1 one
/// gets the answer and a closed connection). Past this, the answer goes out anyway.
const DISCARD_LIMIT: u64 = 16 * 1024 * 1024;

/// Reads a request body whole, refusing one over kube-apiserver's 3 MiB limit with its 413, after reading (and
/// discarding) the rest of it up to [`DISCARD_LIMIT`].
pub async fn read_limited<B>(body: B) -> Result<Bytes, Status>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if body.size_hint().lower() > DISCARD_LIMIT {
        return Err(status::request_entity_too_large(MAX_REQUEST_BODY_BYTES));
    }
    let mut body = std::pin::pin!(body);
    let mut collected = Vec::new();
    let mut seen: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|error| status::bad_request(format!("reading the request body: {}", error.into())))?;
        let Ok(data) = frame.into_data() else { continue };
        seen += data.len() as u64;
        if seen > DISCARD_LIMIT {
            break;
        }
        if seen <= MAX_REQUEST_BODY_BYTES {
            collected.extend_from_slice(&data);
        }
    }
    if seen > MAX_REQUEST_BODY_BYTES {
        return Err(status::request_entity_too_large(MAX_REQUEST_BODY_BYTES));
    }
    Ok(Bytes::from(collected))
}
