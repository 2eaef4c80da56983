//! From a `401` to the authorization server's endpoints.
//!
//! **Protected-resource metadata** (RFC 9728) — where to look, in order:
//!
//! ```text
//! 1. the URL in WWW-Authenticate: resource_metadata="…"                 (RFC 9728 §5.1)
//!    — only if it is on the server's own origin (anything else is an SSRF lever)
//! 2. {origin}/.well-known/oauth-protected-resource{path}   e.g. …/oauth-protected-resource/mcp
//! 3. {origin}/.well-known/oauth-protected-resource
//! ```
//!
//! Its `resource` must be this server (same origin, and the server's path
//! under it): otherwise a malicious document could send us — and our
//! token — elsewhere (RFC 9728 §3.3).
//!
//! **Authorization-server metadata** (RFC 8414, OIDC Discovery) — for an
//! issuer with a path (`http://kc:8080/realms/mcp-realm`), MCP 2025-11-25
//! says try, in order:
//!
//! ```text
//! 1. {origin}/.well-known/oauth-authorization-server/realms/mcp-realm
//! 2. {origin}/.well-known/openid-configuration/realms/mcp-realm
//! 3. {origin}/realms/mcp-realm/.well-known/openid-configuration
//! ```
//!
//! (without a path: the first two, without the suffix). The document's
//! `issuer` must equal the issuer we asked for, and it must list `S256` in
//! `code_challenge_methods_supported` — the MCP spec says a client MUST
//! refuse to proceed otherwise.

use serde::Deserialize;
use url::Url;

use crate::{capped, error::ClientError, narrate};

/// RFC 9728 protected-resource metadata (the fields we use).
#[derive(Debug, Clone, Deserialize)]
pub struct ResourceMetadata {
    pub resource: String,
    #[serde(default)]
    pub authorization_servers: Vec<String>,
    #[serde(default)]
    pub scopes_supported: Option<Vec<String>>,
}

/// RFC 8414 authorization-server metadata (the fields we use).
#[derive(Debug, Clone, Deserialize)]
pub struct AuthServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub registration_endpoint: Option<String>,
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// RFC 9207: the server puts `iss` on every redirect, so we insist on it.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// The server accepts an https URL as `client_id` (see [`crate::cimd`]).
    #[serde(default)]
    pub client_id_metadata_document_supported: bool,
}

/// `scheme://host[:port]` of a URL.
pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

async fn get_json<T: serde::de::DeserializeOwned>(http: &reqwest::Client, url: &str) -> Option<T> {
    let response = match http.get(url).send().await {
        Ok(response) => response,
        Err(e) => {
            narrate::detail(&format!("GET {url} → {e}"));
            return None;
        }
    };
    let status = response.status();
    narrate::detail(&format!("GET {url} → {}", status.as_u16()));
    if !status.is_success() {
        return None;
    }
    match capped::read_capped(response, url, capped::MAX_DOCUMENT_BYTES).await {
        Ok(body) => serde_json::from_slice(&body).ok(),
        Err(e) => {
            narrate::detail(&e.to_string());
            None
        }
    }
}

/// Does the metadata's `resource` cover `server` (same origin, path prefix)?
pub fn resource_matches(resource: &str, server: &Url) -> bool {
    let Ok(resource) = Url::parse(resource) else {
        return false;
    };
    let prefix = resource.path().trim_end_matches('/');
    // An empty prefix (the resource is the origin) covers every path: each
    // starts with "/".
    origin(&resource) == origin(server)
        && (server.path() == prefix || server.path().starts_with(&format!("{prefix}/")))
}

/// Find and check the protected-resource metadata of `server`.
/// `None` when the server publishes none (a 2025-03-26-era server).
pub async fn protected_resource_metadata(
    http: &reqwest::Client,
    server: &Url,
    from_header: Option<&str>,
) -> Result<Option<ResourceMetadata>, ClientError> {
    let path = server.path().trim_end_matches('/');
    let mut candidates = Vec::new();
    // The header's URL is followed only on the server's own origin. Anywhere
    // else it would make us send a request wherever a server likes — to
    // http://127.0.0.1:<port>/admin/… on the user's machine, or a cloud
    // metadata address (SSRF). RFC 9728 §3 puts the document on the
    // resource's origin, so the well-known URLs below lose nothing.
    if let Some(url) = from_header {
        if Url::parse(url).is_ok_and(|u| origin(&u) == origin(server)) {
            candidates.push(url.to_string());
        } else {
            narrate::say(&format!(
                "not following resource_metadata {url:?}: it is not on the server's origin {} (it could point anywhere); trying the well-known URLs instead",
                origin(server)
            ));
        }
    }
    if !path.is_empty() {
        candidates.push(format!(
            "{}/.well-known/oauth-protected-resource{path}",
            origin(server)
        ));
    }
    candidates.push(format!(
        "{}/.well-known/oauth-protected-resource",
        origin(server)
    ));
    for url in candidates {
        if let Some(metadata) = get_json::<ResourceMetadata>(http, &url).await {
            if !resource_matches(&metadata.resource, server) {
                return Err(ClientError::Discovery(format!(
                    "the protected-resource metadata at {url} is for {:?}, not for {server}: refusing to follow it",
                    metadata.resource
                )));
            }
            return Ok(Some(metadata));
        }
    }
    Ok(None)
}

/// The metadata URLs to try for `issuer`, in the 2025-11-25 order.
pub fn issuer_metadata_urls(issuer: &Url) -> Vec<String> {
    let origin = origin(issuer);
    let path = issuer.path().trim_end_matches('/');
    if path.is_empty() {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server"),
            format!("{origin}/.well-known/openid-configuration"),
        ]
    } else {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server{path}"),
            format!("{origin}/.well-known/openid-configuration{path}"),
            format!("{origin}{path}/.well-known/openid-configuration"),
        ]
    }
}

/// Fetch and check the authorization server's metadata.
pub async fn authorization_server_metadata(
    http: &reqwest::Client,
    issuer: &str,
) -> Result<Option<AuthServerMetadata>, ClientError> {
    let issuer_url = Url::parse(issuer)
        .map_err(|e| ClientError::Discovery(format!("issuer {issuer:?} is not a URL: {e}")))?;
    for url in issuer_metadata_urls(&issuer_url) {
        if let Some(metadata) = get_json::<AuthServerMetadata>(http, &url).await {
            if metadata.issuer != issuer {
                return Err(ClientError::IssuerMismatch {
                    found: metadata.issuer,
                    expected: issuer.to_string(),
                });
            }
            let methods = metadata
                .code_challenge_methods_supported
                .clone()
                .unwrap_or_default();
            if !methods.iter().any(|m| m == "S256") {
                return Err(ClientError::NoS256 {
                    issuer: issuer.to_string(),
                    found: if methods.is_empty() {
                        "absent".into()
                    } else {
                        methods.join(", ")
                    },
                });
            }
            return Ok(Some(metadata));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_with_a_path_gets_three_candidates_in_order() {
        let urls = issuer_metadata_urls(&Url::parse("http://kc:8080/realms/mcp-realm").unwrap());
        assert_eq!(
            urls,
            [
                "http://kc:8080/.well-known/oauth-authorization-server/realms/mcp-realm",
                "http://kc:8080/.well-known/openid-configuration/realms/mcp-realm",
                "http://kc:8080/realms/mcp-realm/.well-known/openid-configuration",
            ]
        );
        let urls = issuer_metadata_urls(&Url::parse("https://as.example/").unwrap());
        assert_eq!(urls.len(), 2);
    }

    #[test]
    fn resource_must_cover_the_server() {
        let server = Url::parse("http://localhost:9000/mcp").unwrap();
        assert!(resource_matches("http://localhost:9000/mcp", &server));
        assert!(resource_matches("http://localhost:9000/", &server));
        assert!(!resource_matches("http://localhost:9001/mcp", &server));
        assert!(!resource_matches("http://evil.example/mcp", &server));
        assert!(!resource_matches("http://localhost:9000/other", &server));
        assert!(!resource_matches("http://localhost:9000/mc", &server));
        let deeper = Url::parse("http://localhost:9000/mcp/tenant-1").unwrap();
        assert!(resource_matches("http://localhost:9000/mcp", &deeper));
        assert!(resource_matches("http://localhost:9000/mcp/", &deeper));
        assert!(!resource_matches(
            "http://localhost:9000/mcp/tenant-2",
            &deeper
        ));
        assert!(!resource_matches("not a url", &server));
    }

    /// A server that publishes its metadata only at the path-specific
    /// well-known URL (RFC 9728 §3.1) is found there; one that publishes it
    /// only at the root is found at the root; none → `None`.
    #[tokio::test]
    async fn the_path_specific_url_comes_first_then_the_root() {
        /// A server on a free port publishing its metadata (for its `/mcp`)
        /// at `at` only; `None`: nowhere.
        async fn server_publishing_at(at: Option<&'static str>) -> Url {
            use axum::{Json, Router, routing::get};
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mcp = format!("http://{}/mcp", listener.local_addr().unwrap());
            let document = serde_json::json!({"resource": mcp});
            let mut router = Router::new();
            if let Some(at) = at {
                router = router.route(at, get(move || async move { Json(document) }));
            }
            tokio::spawn(async move { axum::serve(listener, router).await });
            Url::parse(&mcp).unwrap()
        }
        let http = reqwest::Client::new();
        for at in [
            "/.well-known/oauth-protected-resource/mcp",
            "/.well-known/oauth-protected-resource",
        ] {
            let server = server_publishing_at(Some(at)).await;
            let found = protected_resource_metadata(&http, &server, None)
                .await
                .unwrap();
            assert_eq!(found.map(|m| m.resource), Some(server.to_string()), "{at}");
        }
        let server = server_publishing_at(None).await;
        assert!(
            protected_resource_metadata(&http, &server, None)
                .await
                .unwrap()
                .is_none()
        );
    }
}
