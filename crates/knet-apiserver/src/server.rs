//! Serving: the state dir's lock and credentials, the store, the system objects, the TLS listener and its
//! connections (HTTP/2 and HTTP/1.1 by ALPN), and a graceful stop on SIGINT or SIGTERM.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use knet_store::Store;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::app::app;
use crate::credentials;
use crate::error::{Error, Result};
use crate::state::State;
use crate::state_dir::{Lock, StateDir};
use crate::{Config, expiry, system};

/// How long a client has to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long open requests get to finish at shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an HTTP/1.1 client has to send a request's head once it starts one (slow-loris clients are cut off).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The most an HTTP/1.1 request's head (request line and headers) may take before hyper itself refuses it with a bare
/// 431, at once (with a larger read buffer, hyper left a head over 64 KiB unanswered until the head timeout). Heads
/// over the API's own limits but under this one get a `Status` (`app::check_head`). It also bounds hyper's write
/// buffer per connection.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The most connections served at once; more are closed as they come, so a flood of connections cannot take the
/// server's memory or file descriptors. Far above what kubectl, the controllers and the benchmarks open.
const MAX_CONNECTIONS: usize = 4096;

/// A running API server.
#[derive(Debug)]
pub struct Server {
    /// The address it listens on.
    pub address: SocketAddr,
    /// The kubeconfig written for it.
    pub kubeconfig: PathBuf,
    /// The cluster CA certificate (PEM) that clients trust.
    pub ca_pem: String,
    state: Arc<State>,
    stop: watch::Sender<bool>,
    accept_loop: JoinHandle<()>,
    _lock: Lock,
}

impl Server {
    /// Starts serving: takes the state dir's lock, loads or creates the credentials, opens the store, creates the
    /// system objects, binds `127.0.0.1:port` (port 0: any free port) and writes the kubeconfig.
    pub async fn start(config: &Config) -> Result<Server> {
        let dir = StateDir::new(&config.state_dir);
        let lock = dir.lock()?;
        let credentials = credentials::ensure(&dir)?;
        let tls = credentials::server_config(&dir, &credentials)?;
        let store = Store::open(&dir.prepare_store()?)?;
        let state = State::new(store, credentials.token.clone())?;
        {
            let state = Arc::clone(&state);
            tokio::task::spawn_blocking(move || system::ensure(&state)).await.map_err(|e| Error::Runtime {
                what: "creating the system objects",
                source: std::io::Error::other(e),
            })??;
        }
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, config.port));
        let listener =
            TcpListener::bind(address).await.map_err(|source| Error::Bind { address: address.to_string(), source })?;
        let address = listener.local_addr().map_err(|source| Error::Bind { address: address.to_string(), source })?;
        let kubeconfig = credentials::write_kubeconfig(&dir, &credentials, &format!("https://{address}"))?;
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(expiry::expire_events(Arc::clone(&state), expiry::EVENT_TTL, stopped.clone()));
        let accept_loop = tokio::spawn(accept_loop(listener, TlsAcceptor::from(tls), Arc::clone(&state), stopped));
        Ok(Server { address, kubeconfig, ca_pem: credentials.ca_pem, state, stop, accept_loop, _lock: lock })
    }

    /// The shared state (for tests and in-process controllers).
    pub fn state(&self) -> &Arc<State> {
        &self.state
    }

    /// Stops accepting, ends the watches, gives open requests a moment to finish, and releases the state dir.
    pub async fn stop(self) {
        self.state.shutdown();
        self.stop.send_replace(true);
        let _ = self.accept_loop.await;
        self.state.store.set_commit_hook(None);
    }
}

async fn accept_loop(listener: TcpListener, tls: TlsAcceptor, state: Arc<State>, mut stopped: watch::Receiver<bool>) {
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEAD_BYTES)
        .http2()
        .max_header_list_size(u32::try_from(MAX_HEAD_BYTES).unwrap_or(u32::MAX));
    let connections = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let service = app(state);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else {
                    // Out of file descriptors, most likely: give connections a moment to close.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
                    // Over the limit: closed at once, before any TLS work.
                    continue;
                };
                let _ = tcp.set_nodelay(true);
                let (tls, service, builder, watcher) = (tls.clone(), service.clone(), builder.clone(), graceful.watcher());
                tokio::spawn(async move {
                    let _permit = permit;
                    let handshake = async {
                        let mut tcp = tcp;
                        if answer_plain_http(&mut tcp).await {
                            return None;
                        }
                        tls.accept(tcp).await.ok()
                    };
                    let Ok(Some(stream)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await else { return };
                    let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    let _ = watcher.watch(connection.into_owned()).await;
                });
            }
            _ = stopped.changed() => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
}

/// What Go's HTTPS server writes to a client that speaks plain HTTP to it, before it closes the connection.
const PLAIN_HTTP_ANSWER: &[u8] = b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";

/// Answers, as Go's `net/http` does, a client that sent plain HTTP where a TLS handshake belongs: when the first five
/// bytes look like an HTTP request line rather than a TLS record header, it gets a 400 it can read (not a TLS alert
/// it would print as garbage) and the connection is closed. Returns whether it did.
async fn answer_plain_http(tcp: &mut tokio::net::TcpStream) -> bool {
    use tokio::io::AsyncWriteExt;
    let mut head = [0u8; 5];
    loop {
        match tcp.peek(&mut head).await {
            Ok(n) if n >= head.len() => break,
            // The client closed, or sent too little to judge: the TLS handshake deals with it.
            Ok(0) | Err(_) => return false,
            Ok(n) if !looks_like_http(&head[..n]) => return false,
            // A prefix of a request line: wait a moment for the rest (the handshake timeout bounds the wait; readiness
            // cannot tell, the bytes peeked are still unread).
            Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    if !looks_like_http(&head) {
        return false;
    }
    let _ = tcp.write_all(PLAIN_HTTP_ANSWER).await;
    let _ = tcp.shutdown().await;
    true
}

/// Whether the start of a connection is (a prefix of) one of the request lines Go recognises.
fn looks_like_http(head: &[u8]) -> bool {
    [&b"GET /"[..], b"HEAD ", b"POST ", b"PUT /", b"OPTIO"].iter().any(|method| method.starts_with(head))
}

/// Serves the API server alone in the foreground: starts, prints its ready line, serves until SIGINT or SIGTERM.
/// (`knet up` runs the controllers beside it.)
pub fn run(config: Config) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Runtime { what: "starting the async runtime", source })?;
    runtime.block_on(async {
        let stop = stop_signal()?;
        let server = Server::start(&config).await?;
        println!("{}", server.ready_line());
        stop.await;
        server.stop().await;
        eprintln!("knet API server stopped");
        Ok(())
    })
}

impl Server {
    /// The one line `knet up` prints when it serves.
    pub fn ready_line(&self) -> String {
        format!("knet API server ready at https://{} (export KUBECONFIG={})", self.address, self.kubeconfig.display())
    }
}

/// A future that completes at the first SIGINT or SIGTERM; the handlers are installed before it is returned, so a
/// signal that comes before it is awaited is not lost.
pub fn stop_signal() -> Result<impl Future<Output = ()>> {
    let mut interrupt = signal(tokio::signal::unix::SignalKind::interrupt())?;
    let mut terminate = signal(tokio::signal::unix::SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

fn signal(kind: tokio::signal::unix::SignalKind) -> Result<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(kind).map_err(|source| Error::Runtime { what: "installing a signal handler", source })
}
