//! # Step 3 — tools and prompts, described
//!
//! An MCP server offers *tools* (functions the model may call) and *prompts*
//! (templates the user may pick). Before anything can be called, a client
//! asks what exists: `tools/list` and `prompts/list`. This step adds the two
//! definitions and those two methods; calling them (`tools/call`,
//! `prompts/get`) still answers `-32601` until step 4.
//!
//! What changed from step 2: a [`catalog`] module with the definitions, and a
//! [`dispatch`] that answers the two list methods and hands every other call
//! to step 2's dispatch (so `ping` keeps working, unchanged).
//!
//! Spec: MCP 2025-11-25 Server › Tools (listing tools, tool definition,
//! output schema, structured content) and Server › Prompts (listing prompts).
//!
//! Run with `cargo run -p step3`, then try it:
//!
//! ```text
//! $ curl -s localhost:9000/mcp -H 'Content-Type: application/json' \
//!     -d '{"jsonrpc":"2.0","id":1,"method":"prompts/list"}'
//! {"jsonrpc":"2.0","id":1,"result":{"prompts":[{"name":"echo_prompt","title":"Echo prompt","description":"Asks the model to process a message.","arguments":[{"name":"message","description":"The message to process","required":true}]}]}}
//! ```

// The lesson (the blog's step 3).
pub mod catalog;
pub mod dispatch;

use axum::Router;
use step1::origin::OriginGuard;

/// The whole step 3 application: step 2's routes with step 3's dispatch.
pub fn app(guard: OriginGuard) -> Router {
    step1::app::layers(step2::routes(dispatch::dispatcher()), guard)
}
