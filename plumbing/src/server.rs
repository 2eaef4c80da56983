//! Listening, and stopping cleanly — the same for every step.
//!
//! A server on the network meets clients that are slow on purpose. With
//! no limits, a connection that sends half its headers, or announces
//! `Content-Length: 1000` and sends one byte, is held open for ever, and a
//! few thousand of them exhaust the process's file descriptors
//! ("slowloris"). So every step inherits these limits from here
//! ([`ServeArgs`]):
//!
//! ```text
//! headers not complete after --header-read-timeout (10 s)  → connection closed
//!   (also the idle time of a keep-alive connection)
//! request not answered after --request-timeout (30 s)      → 408 Request Timeout, connection closed
//!   (covers a body that trickles in)
//! answers unread for --write-timeout (10 s)                → connection closed (write_deadline)
//! more than --max-connections (512) open                    → the next one waits to be accepted
//! more than --max-connections-per-client (64) from one IP  → the next one is closed (connections)
//! above 7/8 of --max-connections, or after
//!   --max-requests-per-connection (1000) on one connection → the answer says Connection: close
//! ```
//!
//! `axum::serve` offers none of these knobs, so this module drives hyper's
//! HTTP/1 connection itself: an accept loop, one task per connection, a
//! semaphore for the connection bound.

use std::{
    convert::Infallible,
    future::Future,
    process::ExitCode,
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    http::{HeaderValue, Request, StatusCode, header::CONNECTION},
    response::Response,
};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use tokio::{net::TcpListener, sync::Semaphore};
use tower::ServiceExt;
use tower_http::timeout::TimeoutLayer;

use crate::{cli::ServeArgs, connections::Admission, write_deadline::WriteDeadline};

/// How long in-flight requests may run after Ctrl-C before the process exits.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Listen on `--bind` and serve `app` until Ctrl-C or SIGTERM.
///
/// Prints one line naming the URL, so a learner knows where to point curl.
/// Returns the process exit code: a port already in use is a message, not a
/// panic.
pub async fn serve(app: Router, args: &ServeArgs, name: &str) -> ExitCode {
    let bind = args.bind;
    let listener = match TcpListener::bind(bind).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!(
                "error: {name} could not listen on {bind}: {err}\n\
                 hint: is another step still running? Stop it, or pick a port with --bind 127.0.0.1:PORT"
            );
            return ExitCode::FAILURE;
        }
    };
    let local = listener.local_addr().unwrap_or(bind);
    println!("{name} listening on http://{local} (Ctrl-C to stop)");
    serve_on(listener, app, args, shutdown_signal()).await;
    tracing::info!("{name} stopped");
    ExitCode::SUCCESS
}

/// Serve `app` on `listener` with the limits of `args` until `shutdown`
/// resolves, then let in-flight requests finish (for at most 10 s).
///
/// Public so tests can run a real server on an ephemeral port.
pub async fn serve_on(
    listener: TcpListener,
    app: Router,
    args: &ServeArgs,
    shutdown: impl Future<Output = ()>,
) {
    // 408, not 503 or 504: the client was too slow, not the server.
    let app = app.layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        args.request_timeout,
    ));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(args.header_read_timeout);
    let slots = Arc::new(Semaphore::new(args.max_connections as usize));
    let admission = Admission::new(args.max_connections, args.per_client_limit());
    let connections = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        // Take a slot first: while all are in use we stop accepting, and the
        // kernel's backlog holds the newcomers.
        let permit = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break, // the semaphore is never closed
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Typically EMFILE: out of file descriptors. Wait, do not spin.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(ticket) = admission.admit(peer.ip()) else {
            tracing::debug!(client = %peer.ip(), "connection refused: this address holds its share");
            continue; // dropping the stream closes it; dropping the permit frees the slot
        };
        let service = TowerToHyperService::new(connection_service(&app, &admission, args));
        let io = TokioIo::new(WriteDeadline::new(stream, args.write_timeout));
        let connection = connections.watch(http.serve_connection(io, service));
        tokio::spawn(async move {
            let _slot = (permit, ticket); // both released when the connection ends
            if let Err(err) = connection.await {
                tracing::debug!(%err, "connection closed with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, connections.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some connections were still open after {SHUTDOWN_GRACE:?}; closing them");
    }
}

/// The app as one connection sees it: its answers say `Connection: close`
/// (and hyper then closes the connection) after `--max-requests-per-connection`
/// answers, or while the server is nearly full.
fn connection_service(
    app: &Router,
    admission: &Arc<Admission>,
    args: &ServeArgs,
) -> impl tower::Service<
    Request<Incoming>,
    Response = Response,
    Error = Infallible,
    Future = impl Future<Output = Result<Response, Infallible>> + Send,
> + Clone
+ Send
+ 'static {
    let answered = Arc::new(AtomicU32::new(0));
    let admission = Arc::clone(admission);
    let max_requests = args.max_requests_per_connection;
    ServiceExt::<Request<Incoming>>::map_response(app.clone(), move |mut response: Response| {
        let count = answered.fetch_add(1, Ordering::Relaxed) + 1;
        if count >= max_requests || admission.nearly_full() {
            response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
        }
        response
    })
}

/// Resolves on Ctrl-C, or on SIGTERM (what `kill PID` and test scripts send).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received, finishing in-flight requests");
}
