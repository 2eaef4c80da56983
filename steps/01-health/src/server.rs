//! Logging, listening, and stopping cleanly — the same for every step.
//!
//! A server on the network meets clients that are slow on purpose. With
//! no limits, a connection that sends half its headers, or announces
//! `Content-Length: 1000` and sends one byte, is held open for ever, and a
//! few thousand of them exhaust the process's file descriptors
//! ("slowloris"). So every step inherits three limits from here
//! ([`ServeArgs`]):
//!
//! ```text
//! headers not complete after --header-read-timeout (10 s)  → connection closed
//!   (also the idle time of a keep-alive connection)
//! request not answered after --request-timeout (30 s)      → 408 Request Timeout, connection closed
//!   (covers a body that trickles in)
//! more than --max-connections (512) open                    → the next one waits to be accepted
//! ```
//!
//! `axum::serve` offers none of these knobs, so this module drives hyper's
//! HTTP/1 connection itself: an accept loop, one task per connection, a
//! semaphore for the connection bound.

use std::{future::Future, io::IsTerminal, process::ExitCode, sync::Arc, time::Duration};

use axum::{Router, http::StatusCode};
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use tokio::{net::TcpListener, sync::Semaphore};
use tower_http::timeout::TimeoutLayer;
use tracing_subscriber::{filter::Targets, prelude::*};

use crate::cli::ServeArgs;

/// How long in-flight requests may run after Ctrl-C before the process exits.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Log to stderr, filtered by `RUST_LOG` (default `info`).
///
/// `RUST_LOG` takes levels and per-target levels — `debug`,
/// `info,step6=debug,tower_http=warn` — parsed by tracing-subscriber's
/// `Targets`, which needs no regex engine (its `EnvFilter` does, and costs
/// the first build ~20 s of CPU for span-field filters nobody here uses).
/// An unreadable `RUST_LOG` is reported and `info` is used.
///
/// Nothing in this workspace logs a token, a secret or an `Authorization`
/// header at any level; the request span carries only method, path and id.
pub fn init_tracing() {
    let (filter, problem) = log_filter(std::env::var("RUST_LOG").ok().as_deref());
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .with(filter)
        .init();
    if let Some(problem) = problem {
        tracing::warn!("RUST_LOG is not understood ({problem}); logging at info");
    }
}

/// The filter for a `RUST_LOG` value (absent or empty: `info`), and why the
/// value was not used, if it was not.
fn log_filter(value: Option<&str>) -> (Targets, Option<String>) {
    let fallback = || Targets::new().with_default(tracing::Level::INFO);
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => (fallback(), None),
        Some(text) => match text.parse::<Targets>() {
            Ok(targets) => (targets, None),
            Err(e) => (fallback(), Some(e.to_string())),
        },
    }
}

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
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(err) => {
                    // Typically EMFILE: out of file descriptors. Wait, do not spin.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let connection = connections.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _slot = permit; // released when the connection ends
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_log_without_a_regex_engine() {
        use tracing::Level;
        let (filter, problem) = log_filter(Some("warn,step6=debug"));
        assert!(problem.is_none());
        assert!(filter.would_enable("step6::auth", &Level::DEBUG));
        assert!(!filter.would_enable("step2", &Level::INFO));
        let (filter, _) = log_filter(None);
        assert!(filter.would_enable("anything", &Level::INFO));
        assert!(!filter.would_enable("anything", &Level::DEBUG));
        let (_, problem) = log_filter(Some("step6=loud"));
        assert!(problem.is_some());
    }
}
