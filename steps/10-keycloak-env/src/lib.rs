//! # Step 10 — running it for real, and the production choices
//!
//! Two halves. **Running it for real** (the blog's step 10): env files, the
//! printed configuration, CORS — below. **Production choices** (optional):
//! [`introspection`] (RFC 7662 instead of local JWT checks), [`auth_mode`]
//! (`strict` / `optional` / `permissive`), a pinned key-set URL
//! (`--jwks-url`), and the HTTPS rule for provider URLs (step 9's
//! `https_rule`, with `--allow-insecure-http`).
//!
//! Running it for real — step 9's server, made comfortable to run in the two
//! shapes a deployment takes, and reachable from browser-based MCP clients:
//!
//! - [`env_file`] — `--env env/keycloak_direct.env` (the server at :9000 talks
//!   to Keycloak at :8080) or `--env env/keycloak_proxy.env` (clients reach the
//!   server through a proxy at :9090, so the public URL — and with it every URL
//!   in the metadata and the challenges — is the proxy's, not the bind
//!   address). Loaded with dotenvy, never overriding variables already set.
//! - the effective configuration is printed at start ([`describe`]) — without
//!   secrets — so "which Keycloak is this talking to?" has an answer.
//! - [`cors`] — an origin allow-list for `/mcp` (default: MCP Inspector on
//!   http://localhost:6274), preflight answered before authentication,
//!   `WWW-Authenticate` exposed to the page.
//!
//! Spec: Fetch Standard › CORS protocol (preflight, `Access-Control-Expose-Headers`);
//! MCP 2025-11-25 Basic › Transports › Security Warning; RFC 9728 §3 (metadata at the
//! public URL).
//!
//! Run with `scripts/idp.sh start` then `cargo run -p step10` (or
//! `cargo run -p step10 -- --env env/keycloak_proxy.env`).

// The lesson (the blog's step 10).
pub mod cors;
pub mod describe;
pub mod env_file;
pub mod run;
// Beyond the blog: production choices (docs/production.md), and CORS only for browsers (speed).
pub mod auth_mode;
pub mod browser_only;
pub mod dpop;
pub mod introspection;
pub mod production;

pub use production::{CLIENT_SECRET_VAR, ProductionArgs};

use std::sync::Arc;

use axum::{Router, middleware};
use plumbing::shared::Shared;
use serde_json::json;
use step1::{health, origin::OriginGuard};
use step6::auth::Auth;
use step7::metadata::{self, Metadata};
use step9::key_cache::KeyCache;
use tower::ServiceBuilder;

use crate::{
    auth_mode::{AuthMode, ModeAuth, Validation},
    browser_only::BrowserOnlyLayer,
};

/// A health probe: the key cache, and the authentication mode (a warning when permissive).
pub fn probe(
    cache: &Arc<KeyCache>,
    details: bool,
    validation: Validation,
    mode: AuthMode,
) -> health::Probe {
    let cache = Arc::clone(cache);
    Arc::new(move || {
        let mut report = cache.report(details);
        let mut auth = json!({
            "validation": format!("{validation:?}").to_lowercase(),
            "mode": format!("{mode:?}").to_lowercase()
        });
        if mode == AuthMode::Permissive {
            auth["warning"] =
                json!("PERMISSIVE: invalid or missing tokens are let through (debugging only)");
        }
        report.insert("auth".into(), auth);
        report
    })
}

/// Step 10's routes: step 9's, with CORS for the allow-listed origins on `/mcp`.
/// (The well-known documents keep step 7's open CORS.) `answer` answers
/// `/mcp` once the caller is known — step 9's dispatch ([`builtin_mcp`]), or
/// another MCP server (step 12: an rmcp server). With `mode`, `/mcp` is
/// guarded by the production middleware instead of step 6's.
pub fn routes(
    cache: &Arc<KeyCache>,
    details: bool,
    metadata: &Metadata,
    auth: Auth,
    origins: &[String],
    mode: Option<ModeAuth>,
    answer: Router,
) -> Router {
    let (validation, auth_mode) = match &mode {
        None => (Validation::Jwt, AuthMode::Strict),
        Some(m) => match *m.verifier {
            auth_mode::Verifier::Jwt(_) => (Validation::Jwt, m.mode),
            auth_mode::Verifier::Introspection(_) => (Validation::Introspection, m.mode),
        },
    };
    let authenticated = match mode {
        None => answer.route_layer(middleware::from_fn_with_state(
            auth,
            step6::auth::require_identity,
        )),
        Some(mode) => answer.route_layer(middleware::from_fn_with_state(
            mode,
            auth_mode::authenticate,
        )),
    };
    let mcp = ServiceBuilder::new()
        // Beyond the blog: tower-http's CORS only for browsers' requests (browser_only).
        .layer(BrowserOnlyLayer::new(cors::layer(origins)))
        .service(authenticated);
    health::routes(probe(cache, details, validation, auth_mode))
        // Behind an `Arc`: the layers above copy a pointer per request, not the stack.
        .route_service("/mcp", Shared::new(mcp))
        .merge(metadata::routes(metadata))
}

/// `/mcp` as steps 8–9 answer it: step 2's transport, step 8's dispatch.
pub fn builtin_mcp(auth: &Auth) -> Router {
    step2::mcp::routes(step9::dispatcher(auth))
}

/// The whole step 10 application, `/mcp` answered by `answer` ([`builtin_mcp`]
/// in step 10, an rmcp server in step 12). The CORS origins are also let
/// through step 1's Origin guard ([`cors::guard_exception`]): a browser client
/// that CORS admits must not then be refused by the guard.
#[allow(clippy::too_many_arguments)]
pub fn app(
    cache: &Arc<KeyCache>,
    details: bool,
    metadata: &Metadata,
    auth: Auth,
    guard: OriginGuard,
    origins: &[String],
    mode: Option<ModeAuth>,
    answer: Router,
) -> Router {
    let guard = guard.except(cors::guard_exception(origins));
    let routes = routes(cache, details, metadata, auth, origins, mode, answer);
    step1::app::layers(routes, guard)
}
