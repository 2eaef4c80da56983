//! Step 4's dispatch: the methods that make the server useful.
//!
//! ```text
//! initialize      → lifecycle::initialize   (2025-11-25 and earlier)
//! server/discover → lifecycle::discover     (2026-07-28)
//! tools/call      → calls::call_tool
//! prompts/get     → calls::get_prompt
//! anything else   → step 3 (tools/list, prompts/list, ping, or -32601)
//! ```
//!
//! Each handler is a plain function from params to `Result<Value, RpcError>`,
//! so later steps can reuse them (step 6 adds the caller's identity to the
//! `initialize` result) without touching HTTP.

use std::sync::Arc;

use axum::{http::Extensions, response::Response};
use serde_json::{Map, Value};
use step2::{
    jsonrpc::{Call, RpcError, reply},
    mcp::Dispatch,
};

use crate::{calls, lifecycle};

pub fn dispatch(call: Call, context: &Extensions) -> Response {
    let handler: fn(&Map<String, Value>) -> Result<Value, RpcError> = match call.method.as_str() {
        "initialize" => lifecycle::initialize,
        "server/discover" => lifecycle::discover,
        "tools/call" => calls::call_tool,
        "prompts/get" => calls::get_prompt,
        _ => return step3::dispatch::dispatch(call, context),
    };
    let outcome = call.params_object().and_then(|params| handler(&params));
    reply(&call, outcome)
}

/// [`dispatch`] in the shape `step2::mcp::routes` takes.
pub fn dispatcher() -> Dispatch {
    Arc::new(dispatch)
}
