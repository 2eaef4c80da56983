//! # Plumbing — what every server step stands on, and no step teaches
//!
//! Skip this crate on a first read: none of it is in the blog, and every
//! step from 1 to 10 uses it unchanged. It is here because a server that
//! faces a network needs it, and a step that had to show it would bury its
//! lesson.
//!
//! - [`cli`] — the flags every server shares: `--bind` and the connection
//!   limits, with their environment variables.
//! - [`server`] — the accept loop: timeouts for slow clients (slowloris),
//!   a connection cap, graceful shutdown on Ctrl-C or SIGTERM. Its helpers:
//!   [`connections`] (a share of the connections per client address, fewer
//!   keep-alives when nearly full) and [`write_deadline`] (a client that
//!   never reads its answers is cut off).
//! - [`logging`] — `tracing` to stderr, `RUST_LOG`, and what may never be
//!   logged.
//! - [`request_id`] — an `x-request-id` on every request and log line, so a
//!   client-visible error can be matched to its reason in the log.
//! - [`shared`] — a service stack behind an `Arc`, so that axum's
//!   per-request clones of a route copy a pointer, not the stack.
//! - `testkit` (feature) — send a request through a router in a test, read
//!   the answer; used by every step's tests.
//!
//! Every limit, its flag, its default and the attack it stops are listed in
//! [docs/hardening.md](../docs/hardening.md).

pub mod cli;
pub mod connections;
pub mod logging;
pub mod request_id;
pub mod server;
pub mod shared;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod write_deadline;
