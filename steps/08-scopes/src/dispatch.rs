//! Step 8's dispatch: check the policy, then hand over to step 6's.
//!
//! A caller whose token is valid but too narrow gets `403` and a challenge
//! naming the scope to ask for (RFC 6750 §3.1 `insufficient_scope`). A
//! client can then re-authorize with that scope added — the "step-up" flow
//! of MCP 2025-11-25 (Authorization › Scope Challenge Handling):
//!
//! ```text
//! POST /mcp  {"jsonrpc":"2.0","id":5,"method":"prompts/get",…}   (token with mcp:read mcp:tools)
//!
//! HTTP/1.1 403 Forbidden
//! WWW-Authenticate: Bearer realm="mcp-server", error="insufficient_scope", scope="mcp:prompts",
//!                   resource_metadata="http://localhost:9000/.well-known/oauth-protected-resource/mcp"
//!
//! {"jsonrpc":"2.0","id":5,"error":{"code":-32001,"message":"Forbidden: this call needs the scope mcp:prompts",
//!  "data":{"error":"insufficient_scope","scope":"mcp:prompts"}}}
//! ```
//!
//! The body keeps the request's id, so a client can match the failure to
//! its call. The Python original had no `insufficient_scope` challenge at
//! all, and its `prompts/get` failed with a 500.

use std::sync::Arc;

use axum::{
    Json,
    http::{Extensions, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;
use step2::{
    jsonrpc::{self, Call, Id, RpcError},
    mcp::Dispatch,
};
use step6::{auth::Challenge, identity::Identity};

use crate::{grants::Grants, policy};

/// JSON-RPC error code for "authenticated, but not allowed" (server-defined range).
pub const FORBIDDEN: i64 = -32001;

/// A call refused for lack of scope: one `IntoResponse`, the 403 above.
/// The challenge is step 7's (realm, `resource_metadata`), built by step 6's
/// one `WWW-Authenticate` builder with `error` and the needed `scope`.
#[derive(Debug)]
pub struct InsufficientScope {
    pub id: Id,
    pub scope: &'static str,
    pub challenge: Arc<Challenge>,
}

impl IntoResponse for InsufficientScope {
    fn into_response(self) -> Response {
        let mut error = RpcError::new(
            FORBIDDEN,
            format!("Forbidden: this call needs the scope {}", self.scope),
        );
        error.data = Some(Box::new(
            json!({"error": "insufficient_scope", "scope": self.scope}),
        ));
        let challenge = self
            .challenge
            .header_value(&[("error", "insufficient_scope"), ("scope", self.scope)]);
        let mut response = (
            StatusCode::FORBIDDEN,
            Json(jsonrpc::failure(Some(&self.id), &error)),
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge);
        response.extensions_mut().insert(NeededScope(self.scope));
        response
    }
}

/// What the caller in `context` may do. Behind step 6's middleware there is
/// always an identity; without one (a wiring mistake) nothing is allowed
/// beyond the open methods.
pub fn grants<'a>(context: &'a Extensions, clients: &'a [String]) -> Grants<'a> {
    match context.get::<Identity>() {
        Some(identity) => Grants::of(identity, clients),
        None => Grants::none(),
    }
}

/// The scope a 403 asked for, on the response for middleware outside
/// dispatch: step 10's permissive mode turns the 403 of a caller it let
/// through into the token's 401, asking for the same scope.
#[derive(Debug, Clone, Copy)]
pub struct NeededScope(pub &'static str);

/// Step 8's dispatch. `clients` are the client ids whose roles count
/// (the accepted audiences); `challenge` (step 7's, with `resource_metadata`)
/// answers every 403.
pub fn dispatcher(challenge: Arc<Challenge>, clients: Vec<String>) -> Dispatch {
    Arc::new(move |call: Call, context: &Extensions| {
        match policy::check(&call.method, &grants(context, &clients)) {
            Ok(()) => step6::dispatch::dispatch(call, context),
            Err(scope) => {
                tracing::info!(method = %call.method.escape_debug(), needed = scope, "insufficient scope");
                InsufficientScope {
                    id: call.id,
                    scope,
                    challenge: challenge.clone(),
                }
                .into_response()
            }
        }
    })
}
