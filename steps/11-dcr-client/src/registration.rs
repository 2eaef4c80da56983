//! Dynamic client registration (RFC 7591): the client introduces itself.
//!
//! ```text
//! POST {registration_endpoint}
//! Content-Type: application/json
//!
//! {"client_name":"mcp-auth-step-by-step (step 11)",
//!  "redirect_uris":["http://127.0.0.1:41234/callback"],
//!  "grant_types":["authorization_code","refresh_token"], "response_types":["code"],
//!  "token_endpoint_auth_method":"none", "application_type":"native",
//!  "scope":"mcp:read mcp:tools mcp:prompts"}
//!
//! HTTP/1.1 201 Created
//! {"client_id":"…", "token_endpoint_auth_method":"none", …}
//! ```
//!
//! A program on a user's machine cannot keep a secret, so we ask to be a
//! *public* client (`none`) when the server allows it, and rely on PKCE.
//! The server's answer decides: we use the method it registered.

use serde_json::json;

use crate::{capped, credentials::ClientCredentials, error::ClientError, narrate, secret::Secret};

/// Which token-endpoint authentication to ask for, given what the server supports.
pub fn preferred_auth_method(supported: Option<&[String]>) -> &'static str {
    let supported = supported.unwrap_or_default();
    if supported.is_empty() || supported.iter().any(|m| m == "none") {
        "none"
    } else if supported.iter().any(|m| m == "client_secret_basic") {
        "client_secret_basic"
    } else {
        "client_secret_post"
    }
}

pub async fn register(
    http: &reqwest::Client,
    endpoint: &str,
    redirect_uri: &str,
    scope: Option<&str>,
    auth_method: &str,
) -> Result<ClientCredentials, ClientError> {
    let mut body = json!({
        "client_name": "mcp-auth-step-by-step (step 11)",
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": auth_method,
        "application_type": "native",
    });
    if let Some(scope) = scope {
        body["scope"] = json!(scope);
    }
    narrate::say(&format!(
        "POST {endpoint}  (redirect_uri {redirect_uri}, auth method {auth_method})"
    ));
    let response = http
        .post(endpoint)
        .json(&body)
        .send()
        .await
        .map_err(|e| ClientError::Registration(format!("{endpoint}: {e}")))?;
    let status = response.status();
    let answer = capped::read_json(response, endpoint)
        .await
        .map_err(|e| ClientError::Registration(e.to_string()))?;
    if !status.is_success() {
        return Err(ClientError::Registration(format!(
            "HTTP {} {}",
            status.as_u16(),
            answer
        )));
    }
    let client_id = answer["client_id"]
        .as_str()
        .ok_or_else(|| ClientError::Registration(format!("no client_id in {answer}")))?;
    let method = answer["token_endpoint_auth_method"]
        .as_str()
        .unwrap_or(auth_method);
    narrate::say(&format!(
        "← {}  client_id {client_id}, token_endpoint_auth_method {method}",
        status.as_u16()
    ));
    Ok(ClientCredentials {
        client_id: client_id.to_string(),
        client_secret: answer["client_secret"].as_str().map(Secret::new),
        token_endpoint_auth_method: method.to_string(),
        redirect_uri: Some(redirect_uri.to_string()),
        registered_at: Some(crate::credentials::now_unix()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_when_allowed() {
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(preferred_auth_method(None), "none");
        assert_eq!(
            preferred_auth_method(Some(&list(&["client_secret_basic", "none"]))),
            "none"
        );
        assert_eq!(
            preferred_auth_method(Some(&list(&["client_secret_post", "client_secret_basic"]))),
            "client_secret_basic"
        );
        assert_eq!(
            preferred_auth_method(Some(&list(&["client_secret_post"]))),
            "client_secret_post"
        );
    }
}
