//! Finding the key set: OpenID Connect Discovery, with Keycloak's path as a fallback.
//!
//! ```text
//! GET {issuer}/.well-known/openid-configuration
//! → {"issuer":"http://localhost:8080/realms/mcp-realm",
//!    "jwks_uri":"http://localhost:8080/realms/mcp-realm/protocol/openid-connect/certs", …}
//! ```
//!
//! The document's `issuer` must equal the one we trust, character for
//! character (OIDC Discovery §4.3) — otherwise anyone who can answer that
//! URL could point us at their own keys. If discovery is unreachable we fall
//! back to Keycloak's fixed path `{issuer}/protocol/openid-connect/certs`,
//! which agentgateway's Keycloak provider uses too.

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("discovery request failed: {0}")]
    Http(String),
    #[error("discovery answered HTTP {0}")]
    Status(u16),
    #[error("discovery document is not valid: {0}")]
    Invalid(String),
    #[error("discovery document names issuer {found:?}, expected {expected:?}")]
    IssuerMismatch { found: String, expected: String },
}

#[derive(Debug, Deserialize)]
struct Document {
    issuer: String,
    jwks_uri: String,
}

/// Keycloak's key-set path, used when discovery fails.
pub fn keycloak_certs_url(issuer: &str) -> String {
    format!(
        "{}/protocol/openid-connect/certs",
        issuer.trim_end_matches('/')
    )
}

/// The `jwks_uri` of `issuer`, from its discovery document.
pub async fn discover_jwks_uri(
    http: &reqwest::Client,
    issuer: &str,
) -> Result<String, DiscoveryError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let response = http
        .get(&url)
        .send()
        .await
        .map_err(|e| DiscoveryError::Http(e.to_string()))?;
    if !response.status().is_success() {
        return Err(DiscoveryError::Status(response.status().as_u16()));
    }
    let document: Document = response
        .json()
        .await
        .map_err(|e| DiscoveryError::Invalid(e.to_string()))?;
    if document.issuer != issuer {
        return Err(DiscoveryError::IssuerMismatch {
            found: document.issuer,
            expected: issuer.to_string(),
        });
    }
    Ok(document.jwks_uri)
}
