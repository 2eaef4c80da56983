//! # Step 6 — a Bearer token is required on `/mcp`
//!
//! The server now asks every MCP request *who are you?* The answer is a JWT
//! access token in the `Authorization` header (RFC 6750), signed by the demo
//! issuer's private key (`tokengen`), verified with the public key of step 5.
//! `/health` and `/.well-known/*` stay open; `/mcp` does not.
//!
//! | request | answer |
//! |---|---|
//! | no token, or `Basic …`, or `?access_token=` in the URL | `401`, `WWW-Authenticate: Bearer realm="mcp-server"` |
//! | a bad token (every kind `tokengen --forge` makes, see `tokengen --help`) | `401`, `… error="invalid_token", error_description="…"` |
//! | a valid token | the MCP answer; `initialize` shows who you are in `_meta` |
//!
//! What changed from step 5:
//! - [`config`] — `--server-url`, `--issuer`, `--audience` (URLs; defaults follow the server URL);
//! - [`keys`] — the `KeySource` seam (step 5's file now; step 9 swaps in Keycloak's JWKS);
//! - [`validate`] — the validation policy around `jsonwebtoken` (RS256 pinned, iss/aud/exp/sub
//!   required, `typ` of an access token, no unknown `crit`, 30 s leeway, lifetime ≤ 1 h, 8 KiB
//!   bound) and [`token_cache`], so a token is verified once a minute while its key is published;
//! - [`identity`] — the caller, from the standard claims;
//! - [`auth`] — `Identity` as an extractor, the middleware on `/mcp`, the RFC 6750 answers;
//! - [`dispatch`] — `initialize` reports the identity under `_meta`.
//!
//! Spec: RFC 6750 §2.1 (the header), §3 and §3.1 (challenges, `invalid_token`); RFC 7519
//! (JWT) and RFC 9068 (access-token profile); RFC 8725 (JWT best practices: pin algorithms);
//! RFC 8707 (the audience is the resource); MCP 2025-11-25 Authorization › Access Token Usage,
//! Token Handling.
//!
//! Run with `cargo run -p step6`, then try it:
//!
//! ```text
//! $ curl -s -i localhost:9000/mcp -H 'Content-Type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
//! HTTP/1.1 401 Unauthorized
//! www-authenticate: Bearer realm="mcp-server"
//! $ TOKEN=$(cargo run -q -p tokengen -- --demo alice)
//! $ curl -s localhost:9000/mcp -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
//!     -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
//! {"jsonrpc":"2.0","id":1,"result":{}}
//! ```

// The lesson (the blog's step 6).
pub mod auth;
pub mod config;
pub mod dispatch;
pub mod identity;
pub mod keys;
pub mod validate;
// Beyond the blog: the 401's scope for the request's method, for step 8's
// policy (MCP 2025-11-25 scope selection).
pub mod scope_hint;
// Beyond the blog: hardening: the verified-token cache, and bound tokens
// (DPoP, mTLS) refused when sent as plain bearer tokens (docs/hardening.md).
pub mod bound;
pub mod token_cache;
pub mod token_rules;

use std::sync::Arc;

use axum::{Router, middleware};
use step1::origin::OriginGuard;
use step2::mcp::Dispatch;
use step5::public_key::PublicKey;

use crate::{
    auth::{Auth, Challenge},
    config::AuthArgs,
    keys::KeySource,
    validate::Validator,
};

/// The realm in every challenge (the blog's value).
pub const REALM: &str = "mcp-server";

/// The authentication state for `args`, checking tokens with keys from `keys`.
pub fn auth(keys: Arc<dyn KeySource>, args: &AuthArgs) -> Auth {
    for warning in config::renamed_variable_warnings(|name| std::env::var(name).ok()) {
        tracing::warn!("{warning}");
    }
    let validator = Validator::new(keys, args.issuer(), args.audiences())
        .with_cache_capacity(args.token_cache)
        .with_max_lifetime(args.max_token_lifetime)
        .with_token_type(args.token_type.unwrap_or(validate::TokenType::AtJwt));
    Auth {
        validator: Arc::new(validator),
        challenge: Arc::new(Challenge::new(REALM)),
    }
}

/// `/mcp` answered by `dispatch`, behind authentication. `route_layer` so
/// the check runs only for requests that match the route.
pub fn mcp_routes(dispatch: Dispatch, auth: Auth) -> Router {
    step2::mcp::routes(dispatch)
        .route_layer(middleware::from_fn_with_state(auth, auth::require_identity))
}

/// The Origin/Host guard for a server bound to `bind` and reached as `--server-url`.
pub fn guard(bind: std::net::SocketAddr, args: &AuthArgs) -> OriginGuard {
    if let Some(warning) = config::port_mismatch(bind, &args.server_url) {
        tracing::warn!("{warning}");
    }
    OriginGuard::for_bind(bind).allow_host(args.server_url.host())
}

/// The whole step 6 application.
pub fn app(key: &PublicKey, auth: Auth, guard: OriginGuard) -> Router {
    let mcp = mcp_routes(dispatch::dispatcher(), auth);
    step1::app::layers(step5::routes(key, mcp), guard)
}
