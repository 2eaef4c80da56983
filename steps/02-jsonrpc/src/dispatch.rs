//! Dispatch: from a method name to its answer.
//!
//! Step 2 knows one method, `ping` (MCP Basic › Utilities › Ping), whose
//! answer is an empty object:
//!
//! ```text
//! {"jsonrpc": "2.0", "id": "123", "method": "ping"}
//! {"jsonrpc": "2.0", "id": "123", "result": {}}
//! ```
//!
//! Every other method gets `-32601 Method not found`, with the request's id.
//!
//! This function is the seam of the step chain. Step 3 writes its own
//! `dispatch` that answers `tools/list` and `prompts/list` and hands every
//! other call to this one; step 4 does the same for `initialize` and the
//! calls; step 8 checks scopes first and then calls step 4's.

use std::sync::Arc;

use axum::{http::Extensions, response::Response};
use serde_json::json;

use crate::{
    jsonrpc::{Call, RpcError, reply},
    mcp::Dispatch,
};

/// Answer one request. `_context` carries what outer layers learned about the
/// caller (from step 6 on: who they are); step 2 does not need it.
pub fn dispatch(call: Call, _context: &Extensions) -> Response {
    match call.method.as_str() {
        "ping" => reply(&call, Ok(json!({}))),
        other => reply(&call, Err(RpcError::method_not_found(other))),
    }
}

/// [`dispatch`] in the shape [`crate::mcp::routes`] takes.
pub fn dispatcher() -> Dispatch {
    Arc::new(dispatch)
}
