//! # Step 1 — a health endpoint behind an Origin / Host guard
//!
//! Before there is any MCP, there is an HTTP server on your laptop. The first
//! thing such a server must do is refuse to be talked to by web pages it does
//! not trust. A local MCP server is reachable by every page your browser opens:
//! a page on `evil.example` can POST to `http://localhost:9000`, and with DNS
//! rebinding it can even make the browser believe `evil.example` *is* your
//! machine. The Streamable HTTP transport therefore says servers **MUST
//! validate the `Origin` header** and **SHOULD bind only to localhost**
//! (MCP 2025-11-25, Basic › Transports › Security warning).
//!
//! This step adds:
//! - `GET /health` — a tiny JSON status document ([`health`]);
//! - the guard ([`origin`]) — no `Origin` is fine (curl, SDK clients), a
//!   loopback `Origin` is fine, any other `Origin` is `403`; a `Host` header
//!   that is not a loopback name is `403` while we are bound to loopback;
//! - the split between *routes* and *layers* ([`app`]) that lets later steps
//!   add routes and re-apply the guard.
//!
//! What every server needs but no step teaches — the accept loop and its
//! limits, logging, request ids, the shared flags — is in the `plumbing`
//! crate, below this one; skip it on a first read.
//!
//! Run with `cargo run -p step1`, then try it:
//!
//! ```text
//! $ curl -s localhost:9000/health
//! {"status":"healthy"}
//! $ curl -s -o /dev/null -w '%{http_code}\n' -H 'Origin: http://localhost.evil.example' localhost:9000/health
//! 403
//! $ curl -s -o /dev/null -w '%{http_code}\n' -H 'Host: evil.example' localhost:9000/health
//! 403
//! ```

// The lesson (the blog's step 1).
pub mod app;
pub mod health;
pub mod origin;
