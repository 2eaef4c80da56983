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

pub mod dispatch;
pub mod grants;
pub mod policy;

use axum::Router;
use step1::origin::OriginGuard;
use step5::public_key::PublicKey;
use step6::auth::Auth;
use step7::metadata::Metadata;

/// The whole step 8 application: step 7 with the scope check in dispatch.
pub fn app(key: &PublicKey, metadata: &Metadata, auth: Auth, guard: OriginGuard) -> Router {
    let clients = auth.validator.audiences().to_vec();
    let dispatch = dispatch::dispatcher(auth.challenge.clone(), clients);
    step1::app::layers(step7::routes(key, metadata, dispatch, auth), guard)
}
