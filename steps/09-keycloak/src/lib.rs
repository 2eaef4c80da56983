//! # Step 9 — tokens from Keycloak
//!
//! Until now the server trusted one key from a file and `tokengen` played the
//! issuer. From here on a real OpenID provider — Keycloak — issues the tokens,
//! and the server learns its keys over HTTP:
//!
//! ```text
//! GET {issuer}/.well-known/openid-configuration   → jwks_uri        (OIDC Discovery)
//! GET {jwks_uri}                                   → {"keys":[…]}    (RFC 7517), cached
//! POST /mcp  Authorization: Bearer <Keycloak JWT>  → header kid → cached key → validate
//! ```
//!
//! What changed from step 8: only where keys come from. The [`key_cache`]
//! implements step 6's `KeySource`, so validation, metadata (step 7) and the
//! scope policy (step 8) are reused unchanged. The issuer becomes
//! `{KEYCLOAK_URL}/realms/{KEYCLOAK_REALM}` and the audience `echo-mcp-server`
//! ([`config`]); the protected-resource metadata names Keycloak as the
//! authorization server; `/health` reports the key cache.
//!
//! Spec: OpenID Connect Discovery 1.0 §3–4; RFC 7517 §5 (JWK Set); RFC 8725 §3.1;
//! RFC 9111 §5.2 (Cache-Control max-age); MCP 2025-11-25 Authorization › Token Handling.
//!
//! Run with Keycloak (or the stand-in) up: `scripts/idp.sh start`, then
//! `cargo run -p step9`, and try it:
//!
//! ```text
//! $ TOKEN=$(scripts/idp.sh token mcp-user)
//! $ curl -s localhost:9000/mcp -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
//!     -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' | jq -c '.result.tools[].name'
//! "echo"
//! ```

// The lesson (the blog's step 9).
pub mod config;
pub mod discovery;
pub mod key_cache;
// Beyond the blog: hardening: the HTTPS rule and capped provider reads (docs/hardening.md).
pub mod https_rule;
pub mod provider_http;

use std::sync::Arc;

use axum::Router;
use step1::{health, origin::OriginGuard};
use step6::auth::Auth;
use step7::metadata::{self, Metadata};

use crate::{
    config::KeycloakArgs,
    key_cache::{KeyCache, KeyCacheConfig},
};

/// What steps 9 and 10 build from their flags.
pub struct Setup {
    pub cache: Arc<KeyCache>,
    pub metadata: Metadata,
    pub auth: Auth,
    /// Step 6's flags with Keycloak's defaults applied.
    pub auth_args: step6::config::AuthArgs,
}

/// Why step 9 (and 10) cannot start; each message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Insecure(#[from] https_rule::InsecureUrl),
    #[error("cannot build the HTTP client for the provider: {0}")]
    HttpClient(#[from] reqwest::Error),
}

impl Setup {
    /// Build the key cache, metadata and authentication.
    /// The cache's background refresher is not started yet (see `KeyCache::spawn_refresher`).
    pub fn from_args(
        auth: step6::config::AuthArgs,
        keycloak: &KeycloakArgs,
    ) -> Result<Setup, SetupError> {
        let auth_args = keycloak.apply_defaults(auth);
        let metadata = Metadata::from_args(&auth_args);
        let urls = [
            ("provider URL", metadata.issuer.as_str()),
            ("server URL", metadata.server_url.as_str()),
        ];
        https_rule::check(&urls, keycloak.allow_insecure_http)?;
        let (connect_timeout, timeout) = keycloak.timeouts();
        let cache = KeyCache::new(KeyCacheConfig {
            issuer: metadata.issuer.clone(),
            connect_timeout,
            timeout,
            cooldown: keycloak.jwks_refresh_cooldown,
            allow_insecure_http: keycloak.allow_insecure_http,
        })?;
        let auth = step8::with_scope_hints(step7::auth(cache.clone(), &auth_args, &metadata));
        tracing::info!(issuer = %metadata.issuer, audience = ?auth.validator.audiences(), "accepting Keycloak tokens");
        Ok(Setup {
            cache,
            metadata,
            auth,
            auth_args,
        })
    }
}

/// A health probe reporting the key cache (with `details`, see `--health-details`).
pub fn cache_probe(cache: &Arc<KeyCache>, details: bool) -> health::Probe {
    let cache = Arc::clone(cache);
    Arc::new(move || cache.report(details))
}

/// `/mcp` behind authentication and step 8's scope check.
pub fn mcp_routes(auth: Auth) -> Router {
    step6::mcp_routes(dispatcher(&auth), auth)
}

/// Step 8's scope-checking dispatch, for the clients we accept as audience;
/// its 403s use `auth`'s challenge (which points to the metadata).
pub fn dispatcher(auth: &Auth) -> step2::mcp::Dispatch {
    let clients = auth.validator.audiences().to_vec();
    step8::dispatch::dispatcher(auth.challenge.clone(), clients)
}

/// Step 9's routes: `/health` (with the cache), `/mcp`, and the
/// protected-resource metadata (open CORS). There is no local JWKS any
/// more: the keys are Keycloak's.
pub fn routes(cache: &Arc<KeyCache>, details: bool, metadata: &Metadata, auth: Auth) -> Router {
    health::routes(cache_probe(cache, details))
        .merge(mcp_routes(auth))
        .merge(metadata::routes(metadata))
}

/// The whole step 9 application.
pub fn app(
    cache: &Arc<KeyCache>,
    details: bool,
    metadata: &Metadata,
    auth: Auth,
    guard: OriginGuard,
) -> Router {
    step1::app::layers(routes(cache, details, metadata, auth), guard)
}
