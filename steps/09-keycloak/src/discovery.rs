//! Finding the provider's endpoints: OpenID Connect Discovery, with Keycloak's
//! paths as a fallback.
//!
//! ```text
//! GET {issuer}/.well-known/openid-configuration
//! → {"issuer":"http://localhost:8080/realms/mcp-realm",
//!    "jwks_uri":"http://localhost:8080/realms/mcp-realm/protocol/openid-connect/certs",
//!    "introspection_endpoint":"http://localhost:8080/realms/mcp-realm/protocol/openid-connect/token/introspect", …}
//! ```
//!
//! What we check before believing it:
//! - the document's `issuer` equals the one we trust, character for character
//!   (OIDC Discovery §4.3) — otherwise anyone who can answer that URL could
//!   point us at their own keys;
//! - every URL in it passes the HTTPS rule ([`crate::https_rule`]): a
//!   `jwks_uri` on plain http lets anyone on the path hand us keys;
//! - it is at most 64 KiB ([`crate::provider_http`]).
//!
//! This is the one discovery fetch of the workspace: step 9's key cache asks
//! it for `jwks_uri`, step 10's introspection for `introspection_endpoint`.
//! If discovery is unreachable, the callers fall back to Keycloak's fixed
//! paths under the issuer (agentgateway's Keycloak provider does the same).

use serde::Deserialize;

use crate::{
    https_rule,
    provider_http::{self, MAX_DOCUMENT_BYTES, ProviderError},
};

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error("discovery document names issuer {found:?}, expected {expected:?}")]
    IssuerMismatch { found: String, expected: String },
    #[error(transparent)]
    Insecure(#[from] https_rule::InsecureUrl),
}

/// The parts of the discovery document this workspace uses.
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub introspection_endpoint: Option<String>,
}

/// Keycloak's key-set path, used when discovery fails.
pub fn keycloak_certs_url(issuer: &str) -> String {
    format!(
        "{}/protocol/openid-connect/certs",
        issuer.trim_end_matches('/')
    )
}

/// Keycloak's introspection path, used when discovery fails.
pub fn keycloak_introspection_url(issuer: &str) -> String {
    format!(
        "{}/protocol/openid-connect/token/introspect",
        issuer.trim_end_matches('/')
    )
}

/// Fetch and check `issuer`'s discovery document.
pub async fn discover(
    http: &reqwest::Client,
    issuer: &str,
    allow_insecure_http: bool,
) -> Result<ProviderMetadata, DiscoveryError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let (_, body) = provider_http::fetch_capped(http.get(&url), &url, MAX_DOCUMENT_BYTES).await?;
    let document: ProviderMetadata = provider_http::parse_json(&body, &url)?;
    if document.issuer != issuer {
        return Err(DiscoveryError::IssuerMismatch {
            found: document.issuer,
            expected: issuer.to_string(),
        });
    }
    https_rule::check_one("jwks_uri", &document.jwks_uri, allow_insecure_http)?;
    if let Some(endpoint) = &document.introspection_endpoint {
        https_rule::check_one("introspection_endpoint", endpoint, allow_insecure_http)?;
    }
    Ok(document)
}
