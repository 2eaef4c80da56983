//! # Step 8 — scopes: authenticated is not the same as allowed
//!
//! Step 6 answered *who are you?*; this step answers *may you do this?* Each
//! JSON-RPC method needs a scope ([`policy`]), read from the token's standard
//! `scope` claim; the `admin` role may do everything ([`grants`]). A valid
//! token that is too narrow gets `403` with an `insufficient_scope` challenge
//! naming the missing scope, and a JSON-RPC error carrying the request's id
//! ([`dispatch`]).
//!
//! What changed from step 7: nothing in the HTTP layer — the check wraps
//! the dispatch function (step 8 → step 6 → step 4 → step 3 → step 2), so
//! the policy sees the parsed method and the caller, and answers before any
//! tool runs.
//!
//! Spec: RFC 6750 §3.1 (`insufficient_scope`, 403), RFC 9068 §2.2.3 (`scope`) and
//! §7.2 (roles), MCP 2025-11-25 Authorization › Scope Challenge Handling.
//!
//! Run with `cargo run -p step8`, then try it:
//!
//! ```text
//! $ TOKEN=$(cargo run -q -p tokengen -- --demo alice)      # mcp:read mcp:tools
//! $ curl -s -i localhost:9000/mcp -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
//!     -d '{"jsonrpc":"2.0","id":5,"method":"prompts/get","params":{"name":"echo_prompt","arguments":{"message":"x"}}}'
//! HTTP/1.1 403 Forbidden
//! www-authenticate: Bearer realm="mcp-server", error="insufficient_scope", scope="mcp:prompts", resource_metadata="http://localhost:9000/.well-known/oauth-protected-resource/mcp"
//! ```

// The lesson (the blog's step 8).
pub mod dispatch;
pub mod grants;
pub mod policy;

use std::sync::Arc;

use axum::Router;
use step1::origin::OriginGuard;
use step5::public_key::PublicKey;
use step6::{auth::Auth, scope_hint::ScopeHint};
use step7::metadata::Metadata;

/// Step 7's authentication, with 401s that name the scope the request's
/// method needs under the [`policy`] (`initialize` and other methods any
/// token may call: step 7's baseline, `mcp:read`). How the method is found
/// on the way to a 401: `step6::scope_hint`.
pub fn with_scope_hints(mut auth: Auth) -> Auth {
    let mut challenge = (*auth.challenge).clone();
    challenge.scope_hint = Some(ScopeHint(Arc::new(
        |method: &str| match policy::requirement(method) {
            policy::Requirement::AnyScope(scopes) => scopes.first().copied(),
            policy::Requirement::Authenticated => None,
        },
    )));
    auth.challenge = Arc::new(challenge);
    auth
}

/// The whole step 8 application: step 7 with the scope check in dispatch.
pub fn app(key: &PublicKey, metadata: &Metadata, auth: Auth, guard: OriginGuard) -> Router {
    let auth = with_scope_hints(auth);
    let clients = auth.validator.audiences().to_vec();
    let dispatch = dispatch::dispatcher(auth.challenge.clone(), clients);
    step1::app::layers(step7::routes(key, metadata, dispatch, auth), guard)
}
