//! # Step 4 — a working MCP server
//!
//! With the envelope (step 2) and the catalog (step 3) in place, this step
//! makes the server *do* something:
//!
//! - [`lifecycle`]: `initialize` — the first request of every session, where
//!   client and server agree on a protocol version and say what they can do;
//! - [`calls`]: `tools/call` runs `echo`, `prompts/get` fills `echo_prompt`;
//! - [`dispatch`]: routes those three methods and hands the rest to step 3.
//!
//! The server is stateless: no `Mcp-Session-Id`, no SSE. `notifications/
//! initialized` is answered `202` by step 2's endpoint, and `GET`/`DELETE
//! /mcp` are `405` (`Allow: POST`), which the transport allows for servers
//! that offer no stream and no session.
//!
//! Spec: MCP 2025-11-25 Basic › Lifecycle (initialization, version
//! negotiation), Server › Tools (calling tools, structured content, error
//! handling — SEP-1303 moved argument errors into the tool result), Server ›
//! Prompts (getting a prompt).
//!
//! Run with `cargo run -p step4`, then try it:
//!
//! ```text
//! $ curl -s localhost:9000/mcp -H 'Content-Type: application/json' -d '{"jsonrpc":"2.0","id":1,
//!     "method":"tools/call","params":{"name":"echo","arguments":{"message":"hi","repeat_count":2}}}'
//! {"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hihi"}],"structuredContent":{"echo":"hihi","repeat_count":2}}}
//! ```

// The lesson (the blog's step 4).
pub mod calls;
pub mod dispatch;
pub mod lifecycle;

use axum::Router;
use step1::origin::OriginGuard;

/// The whole step 4 application: step 2's routes with step 4's dispatch.
pub fn app(guard: OriginGuard) -> Router {
    step1::app::layers(step2::routes(dispatch::dispatcher()), guard)
}
