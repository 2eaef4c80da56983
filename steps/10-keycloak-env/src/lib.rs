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

pub mod auth_mode;
pub mod cors;
pub mod env_file;
pub mod introspection;

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use axum::{Router, middleware};
use clap::Args;
use serde_json::json;
use step1::{health, origin::OriginGuard};
use step6::auth::Auth;
use step7::metadata::{self, Metadata};
use step9::key_cache::KeyCache;

use crate::{
    auth_mode::{AuthMode, ModeAuth, Validation},
    introspection::ClientSecret,
};

/// Choices for running in production (all off by default: strict local JWT validation).
#[derive(Debug, Clone, Args)]
pub struct ProductionArgs {
    /// How tokens are checked: locally against the key set (jwt), or by asking the provider (introspection).
    #[arg(long, value_enum, env = "MCP_VALIDATION", default_value = "jwt")]
    pub validation: Validation,

    /// strict: every request needs a valid token; optional: no token = anonymous (scope checks still
    /// deny); permissive: validate and log, never reject (debugging only).
    #[arg(long, value_enum, env = "MCP_AUTH_MODE", default_value = "strict")]
    pub auth_mode: AuthMode,

    /// Pin the key-set URL instead of discovering it (for providers without OIDC discovery).
    #[arg(long, env = "JWKS_URL")]
    pub jwks_url: Option<String>,

    /// The client id this server introspects with (its own confidential client).
    #[arg(long, env = "KEYCLOAK_CLIENT_ID", default_value = "echo-mcp-server")]
    pub introspection_client_id: String,

    /// A file holding that client's secret (needed for --validation introspection). Or set
    /// KEYCLOAK_CLIENT_SECRET in the environment or the env file. There is no flag for the
    /// secret itself: a command line is visible to every user of the machine (`ps`).
    #[arg(long, env = "KEYCLOAK_CLIENT_SECRET_FILE", value_name = "FILE")]
    pub introspection_client_secret_file: Option<PathBuf>,

    /// Seconds an active introspection answer is reused (0: ask every time). This is the
    /// revocation delay of introspection mode.
    #[arg(long, env = "INTROSPECTION_CACHE_SECS", default_value_t = 10)]
    pub introspection_cache_secs: i64,
}

/// The variable that holds the introspection client's secret.
pub const CLIENT_SECRET_VAR: &str = "KEYCLOAK_CLIENT_SECRET";

impl ProductionArgs {
    /// The introspection client's secret: from `--introspection-client-secret-file`, else
    /// from `KEYCLOAK_CLIENT_SECRET`; `None` when neither is set.
    pub fn client_secret(&self) -> Result<Option<ClientSecret>, std::io::Error> {
        if let Some(path) = &self.introspection_client_secret_file {
            let text = std::fs::read_to_string(path)?;
            return Ok(Some(ClientSecret::new(
                text.trim_end_matches(['\r', '\n']).to_string(),
            )));
        }
        Ok(std::env::var(CLIENT_SECRET_VAR)
            .ok()
            .filter(|s| !s.is_empty())
            .map(ClientSecret::new))
    }
}

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
/// (The well-known documents keep step 7's open CORS.) With `mode`, `/mcp`
/// is guarded by the production middleware instead of step 6's.
pub fn routes(
    cache: &Arc<KeyCache>,
    details: bool,
    metadata: &Metadata,
    auth: Auth,
    origins: &[String],
    mode: Option<ModeAuth>,
) -> Router {
    let (validation, auth_mode) = match &mode {
        None => (Validation::Jwt, AuthMode::Strict),
        Some(m) => match *m.verifier {
            auth_mode::Verifier::Jwt(_) => (Validation::Jwt, m.mode),
            auth_mode::Verifier::Introspection(_) => (Validation::Introspection, m.mode),
        },
    };
    let mcp = match mode {
        None => step9::mcp_routes(auth),
        Some(mode) => step2::mcp::routes(step9::dispatcher(&auth)).route_layer(
            middleware::from_fn_with_state(mode, auth_mode::authenticate),
        ),
    };
    health::routes(probe(cache, details, validation, auth_mode))
        .merge(mcp.layer(cors::layer(origins)))
        .merge(metadata::routes(metadata))
}

/// The whole step 10 application. The CORS origins are also allowed by the Origin guard.
pub fn app(
    cache: &Arc<KeyCache>,
    details: bool,
    metadata: &Metadata,
    auth: Auth,
    mut guard: OriginGuard,
    origins: &[String],
    mode: Option<ModeAuth>,
) -> Router {
    guard.allowed_origins.extend(origins.iter().cloned());
    step1::app::layers(routes(cache, details, metadata, auth, origins, mode), guard)
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
