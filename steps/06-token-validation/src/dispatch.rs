//! Step 6's dispatch: step 4's, plus *who* in the `initialize` result (and
//! in `server/discover`'s, its 2026-07-28 counterpart).
//!
//! The result of `initialize` may carry `_meta` (MCP Basic › General
//! fields › `_meta`): a place for extra information that clients pass over
//! if they do not know it. Official clients accept it, so a learner can see
//! the server's view of the caller in the very first answer:
//!
//! ```text
//! {"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-11-25", …,
//!   "_meta":{"mcp-auth-step-by-step/identity":
//!            {"sub":"alice","username":"alice","scopes":["mcp:read","mcp:tools"],"expires_at":1767225600}}}}
//! ```

use std::sync::Arc;

use axum::{http::Extensions, response::Response};
use serde_json::json;
use step2::{
    jsonrpc::{Call, reply},
    mcp::Dispatch,
};

use crate::identity::Identity;

/// The `_meta` key under which the identity is reported.
pub const IDENTITY_META_KEY: &str = "mcp-auth-step-by-step/identity";

pub fn dispatch(call: Call, context: &Extensions) -> Response {
    let handler = match call.method.as_str() {
        "initialize" => step4::lifecycle::initialize,
        "server/discover" => step4::lifecycle::discover,
        _ => return step4::dispatch::dispatch(call, context),
    };
    let outcome = call
        .params_object()
        .and_then(|params| handler(&params))
        .map(|mut result| {
            if let Some(identity) = context.get::<Identity>() {
                result["_meta"] = json!({ IDENTITY_META_KEY: identity.to_meta() });
            }
            result
        });
    reply(&call, outcome)
}

/// [`dispatch`] in the shape `step2::mcp::routes` takes.
pub fn dispatcher() -> Dispatch {
    Arc::new(dispatch)
}
