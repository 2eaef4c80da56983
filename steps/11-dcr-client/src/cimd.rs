//! Client ID Metadata Documents: a client whose `client_id` is an https URL
//! where its metadata is published (MCP 2025-11-25 and 2026-07-28
//! Authorization › Client Registration; draft-ietf-oauth-client-id-metadata-document).
//!
//! Instead of registering with every authorization server (RFC 7591), the
//! client publishes one JSON document and uses its URL as `client_id`; the
//! authorization server fetches it when the user signs in. 2026-07-28
//! prefers this to dynamic registration, which it deprecates. It is used
//! only when both sides agree:
//!
//! ```text
//! authorization-server metadata: "client_id_metadata_document_supported": true
//! the user:                      --client-metadata-url https://example.com/mcp-client.json
//! ```
//!
//! The client cannot publish the document itself (it must be served over
//! https from a host the user controls), so it prints what to publish.

use serde_json::{Value, json};
use url::Url;

use crate::error::ClientError;

/// The URL must be https, name a document (a path other than `/`), and
/// carry no fragment — it becomes the client's identity at the provider.
pub fn check_url(url: &str) -> Result<Url, ClientError> {
    let parsed = Url::parse(url)
        .map_err(|e| ClientError::Registration(format!("--client-metadata-url {url:?}: {e}")))?;
    let problem = if parsed.scheme() != "https" {
        Some("must be an https URL")
    } else if parsed.path() == "/" || parsed.path().is_empty() {
        Some("must name a document (a path such as /mcp-client.json)")
    } else if parsed.fragment().is_some() || parsed.username() != "" || parsed.password().is_some()
    {
        Some("must not carry a fragment or credentials")
    } else {
        None
    };
    match problem {
        Some(why) => Err(ClientError::Registration(format!(
            "--client-metadata-url {url:?} {why}"
        ))),
        None => Ok(parsed),
    }
}

/// The document to publish at `url`, for a public client redirecting to
/// `redirect_uri` (a loopback listener: fix its port with --redirect-port so
/// the published document stays right).
pub fn document(url: &Url, redirect_uri: &str) -> Value {
    json!({
        "client_id": url.as_str(),
        "client_name": "mcp-auth-step-by-step step 11",
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "application_type": "native"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_documents() {
        assert!(check_url("https://example.com/mcp-client.json").is_ok());
        for bad in [
            "http://example.com/client.json",
            "https://example.com/",
            "https://example.com",
            "https://example.com/c.json#x",
            "https://user:pw@example.com/c.json",
            "not a url",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_document_names_itself_and_its_redirect() {
        let url = check_url("https://example.com/c.json").unwrap();
        let doc = document(&url, "http://127.0.0.1:33418/callback");
        assert_eq!(doc["client_id"], "https://example.com/c.json");
        assert_eq!(doc["redirect_uris"][0], "http://127.0.0.1:33418/callback");
        assert_eq!(doc["token_endpoint_auth_method"], "none");
    }
}
