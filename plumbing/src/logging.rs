//! Logging to stderr through `tracing`, and what may never be logged.
//!
//! Every step logs the same way: one line per request (method, path, status,
//! latency, request id) and whatever the step itself has to say. Nothing in
//! this workspace logs a token, a secret or an `Authorization` header at any
//! level; the request span carries only method, path and id. A string that
//! came from outside (a provider's error, a token's claim) is logged through
//! `escape_debug()`, so it cannot forge log lines or move a terminal's cursor.

use std::io::IsTerminal;

use tracing_subscriber::{filter::Targets, prelude::*};

/// Log to stderr, filtered by `RUST_LOG` (default `info`).
///
/// `RUST_LOG` takes levels and per-target levels — `debug`,
/// `info,step6=debug,tower_http=warn` — parsed by tracing-subscriber's
/// `Targets`, which needs no regex engine (its `EnvFilter` does, and costs
/// the first build ~20 s of CPU for span-field filters nobody here uses).
/// An unreadable `RUST_LOG` is reported and `info` is used.
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
