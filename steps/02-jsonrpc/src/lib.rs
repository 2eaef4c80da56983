//! # Step 2 — JSON-RPC 2.0 on `POST /mcp`
//!
//! MCP messages are JSON-RPC 2.0 messages. Over the Streamable HTTP transport
//! a client POSTs one message to one endpoint (`/mcp`) and reads the answer
//! from the response body. This step builds that envelope — and, more
//! importantly, every way it can go wrong — before there is a single tool:
//!
//! | the client sends                              | the server answers                      |
//! |-----------------------------------------------|-----------------------------------------|
//! | a request `{"jsonrpc":"2.0","id":1,"method":"ping"}` | `200`, `{"jsonrpc":"2.0","id":1,"result":{}}` |
//! | a method we do not know                        | `200`, error `-32601`, the request's id |
//! | a notification (no `id`) or a response         | `202 Accepted`, empty body              |
//! | text that is not JSON                          | `400`, error `-32700`, `"id": null`     |
//! | JSON that is not a request (batch, bad id, …)  | `400`, error `-32600`                   |
//! | a body over 1 MiB                              | `413`                                   |
//! | a `Content-Type` other than JSON               | `415`                                   |
//! | an unsupported `MCP-Protocol-Version` header   | `400`, error `-32022`                   |
//! | a 2026-07-28 request with unmatched headers    | `400`, error `-32020` (see [`era`])     |
//! | `GET` or `DELETE /mcp`                         | `405`, `Allow: POST`                    |
//!
//! Nothing a client sends can produce a 5xx. The Python original answered
//! malformed JSON with a `text/plain` 500, and an unknown method with HTTP 400
//! in its step 2 and HTTP 500 from its step 4 on.
//!
//! Modules: [`jsonrpc`] is the wire format (types and the parser),
//! [`mcp`] is the HTTP endpoint, [`dispatch`] maps a method to its answer —
//! and is the function steps 3, 4 and 8 wrap. [`era`] holds everything that
//! differs between MCP 2025-11-25 (an `initialize` handshake) and 2026-07-28
//! (stateless: every request names its version), so that no dispatch
//! function has to know which one it is serving.
//!
//! Spec: JSON-RPC 2.0 (§4 Request, §4.1 Notification, §5 Response, §5.1
//! Error object); MCP 2025-11-25 Basic (messages, "the ID MUST NOT be null")
//! and Basic › Transports › Streamable HTTP (sending messages, protocol
//! version header).
//!
//! Run with `cargo run -p step2`, then try it:
//!
//! ```text
//! $ curl -s localhost:9000/mcp -H 'Content-Type: application/json' \
//!     -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
//! {"jsonrpc":"2.0","id":1,"result":{}}
//! $ curl -s localhost:9000/mcp -H 'Content-Type: application/json' -d '{oops'
//! {"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: the body is not valid JSON"}}
//! ```

// The lesson (the blog's step 2).
pub mod dispatch;
pub mod jsonrpc;
pub mod mcp;
// Beyond the blog: the 2026-07-28 wire (docs/wire-2026-07-28.md).
pub mod era;
#[cfg(feature = "testkit")]
pub mod testkit;

use axum::Router;
use step1::origin::OriginGuard;

/// Step 2's routes: step 1's `/health` plus `/mcp` answered by `dispatch`.
pub fn routes(dispatch: mcp::Dispatch) -> Router {
    step1::app::routes().merge(mcp::routes(dispatch))
}

/// The whole step 2 application.
pub fn app(guard: OriginGuard) -> Router {
    step1::app::layers(routes(dispatch::dispatcher()), guard)
}
