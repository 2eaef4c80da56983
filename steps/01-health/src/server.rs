//! Logging, listening, and stopping cleanly — the same for every step.

use std::{io::IsTerminal, net::SocketAddr, process::ExitCode};

use axum::Router;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// Log to stderr, filtered by `RUST_LOG` (default `info`).
///
/// Nothing in this workspace logs a token, a secret or an `Authorization`
/// header at any level; the request span carries only method, path and id.
pub fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// Listen on `bind` and serve `app` until Ctrl-C or SIGTERM.
///
/// Prints one line naming the URL, so a learner knows where to point curl.
/// Returns the process exit code: a port already in use is a message, not a
/// panic.
pub async fn serve(app: Router, bind: SocketAddr, name: &str) -> ExitCode {
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
    match axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
    {
        Ok(()) => {
            tracing::info!("{name} stopped");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {name} stopped with an I/O error: {err}");
            ExitCode::FAILURE
        }
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
