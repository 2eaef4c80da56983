//! # Step 10 — configuration from env files, and browser clients
//!
//! Step 9's server, made comfortable to run in the two shapes a deployment
//! takes, and reachable from browser-based MCP clients:
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

pub mod cors;
pub mod env_file;

use std::{path::Path, sync::Arc};

use axum::Router;
use step1::{health, origin::OriginGuard};
use step6::auth::Auth;
use step7::metadata::{self, Metadata};
use step9::key_cache::KeyCache;

/// Step 10's routes: step 9's, with CORS for the allow-listed origins on `/mcp`.
/// (The well-known documents keep step 7's open CORS.)
pub fn routes(
    cache: &Arc<KeyCache>,
    metadata: &Metadata,
    auth: Auth,
    origins: &[String],
) -> Router {
    health::routes(step9::cache_probe(cache))
        .merge(step9::mcp_routes(metadata, auth).layer(cors::layer(origins)))
        .merge(metadata::routes(metadata).layer(metadata::open_cors()))
}

/// The whole step 10 application. The CORS origins are also allowed by the Origin guard.
pub fn app(
    cache: &Arc<KeyCache>,
    metadata: &Metadata,
    auth: Auth,
    mut guard: OriginGuard,
    origins: &[String],
) -> Router {
    guard.allowed_origins.extend(origins.iter().cloned());
    step1::app::layers(routes(cache, metadata, auth, origins), guard)
}

/// The effective configuration as `(name, value)` lines — no secrets: a
/// variable whose name says SECRET, PASSWORD or TOKEN is shown as "(set)".
pub fn describe(env_file: Option<&Path>, settings: &[(&str, String)]) -> Vec<String> {
    let mut lines = vec![format!(
        "  env file        {}",
        env_file.map_or(
            "(none found; flags, environment and defaults)".to_string(),
            |p| p.display().to_string()
        )
    )];
    for (name, value) in settings {
        lines.push(format!("  {name:<15} {value}"));
    }
    for (name, _) in std::env::vars() {
        let secret = ["SECRET", "PASSWORD", "TOKEN"]
            .iter()
            .any(|w| name.contains(w));
        if secret && (name.starts_with("KEYCLOAK_") || name.starts_with("MCP_")) {
            lines.push(format!("  {name:<15} (set, not shown)"));
        }
    }
    lines
}
