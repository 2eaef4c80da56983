//! Step 3's dispatch: answers the two list methods, delegates the rest.
//!
//! ```text
//! tools/list   → {"tools":   [echo]}
//! prompts/list → {"prompts": [echo_prompt]}
//! anything else → step 2 (ping, or -32601)
//! ```
//!
//! One page is enough for one tool, so there is no `nextCursor`; a `cursor`
//! parameter is accepted and ignored (MCP Server › Utilities › Pagination).

use std::sync::Arc;

use axum::{http::Extensions, response::Response};
use serde_json::json;
use step2::{
    jsonrpc::{Call, reply},
    mcp::Dispatch,
};

use crate::catalog;

pub fn dispatch(call: Call, context: &Extensions) -> Response {
    match call.method.as_str() {
        "tools/list" => reply(&call, Ok(json!({ "tools": catalog::tools() }))),
        "prompts/list" => reply(&call, Ok(json!({ "prompts": catalog::prompts() }))),
        _ => step2::dispatch::dispatch(call, context),
    }
}

/// [`dispatch`] in the shape `step2::mcp::routes` takes.
pub fn dispatcher() -> Dispatch {
    Arc::new(dispatch)
}
