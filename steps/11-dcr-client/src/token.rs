//! The token request (RFC 6749 §4.1.3) and refresh (§6), with PKCE and `resource`.
//!
//! ```text
//! POST {token_endpoint}
//! Content-Type: application/x-www-form-urlencoded
//! [Authorization: Basic base64(urlencode(client_id):urlencode(secret))]   ← client_secret_basic
//!
//! grant_type=authorization_code&code=…&redirect_uri=…&code_verifier=…
//! &resource=http://localhost:9000/mcp&client_id=…                         ← client_id unless Basic
//! [&client_secret=…]                                                       ← client_secret_post
//! ```

use std::time::{Duration, Instant};

use base64::{Engine, engine::general_purpose::STANDARD};
use url::form_urlencoded;

use crate::{capped, credentials::ClientCredentials, error::ClientError, narrate, secret::Secret};

/// What a token response gave us. The tokens are bearer credentials: `Debug`
/// shows them as `[redacted]` ([`Secret`]).
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub expires_at: Option<Instant>,
    pub scope: Option<String>,
}

impl Tokens {
    pub fn expired(&self) -> bool {
        self.expires_at.is_some_and(|at| Instant::now() >= at)
    }
}

/// The longest `expires_in` we believe: a year. Any number an authorization
/// server sends is survivable — `u64::MAX` seconds would overflow `Instant`.
const MAX_EXPIRES_IN: Duration = Duration::from_secs(365 * 24 * 3600);

/// When a token that lives `expires_in` seconds from now expires.
pub fn expires_at(expires_in: Option<u64>) -> Option<Instant> {
    let lifetime = Duration::from_secs(expires_in?).min(MAX_EXPIRES_IN);
    Instant::now().checked_add(lifetime)
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A POST to the token endpoint with `form` and the client's authentication.
fn authenticated(
    http: &reqwest::Client,
    endpoint: &str,
    credentials: &ClientCredentials,
    mut form: Vec<(&str, String)>,
) -> reqwest::RequestBuilder {
    let mut request = http.post(endpoint);
    match (
        credentials.token_endpoint_auth_method.as_str(),
        &credentials.client_secret,
    ) {
        ("client_secret_basic", Some(secret)) => {
            let pair = format!(
                "{}:{}",
                encode(&credentials.client_id),
                encode(secret.expose())
            );
            request = request.header("authorization", format!("Basic {}", STANDARD.encode(pair)));
        }
        ("client_secret_post", Some(secret)) => {
            form.push(("client_id", credentials.client_id.clone()));
            form.push(("client_secret", secret.expose().to_string()));
        }
        _ => form.push(("client_id", credentials.client_id.clone())),
    }
    request.form(&form)
}

/// Does the authorization server still know this client? A stored
/// registration can outlive the provider's memory of it (a restarted
/// provider, an administrator's clean-up); the sign-in page would then say
/// `invalid_client` and the client would wait for a redirect that never
/// comes. So, before the browser opens: a token request with a code that
/// cannot exist. A known client gets `invalid_grant` (the code is bad); an
/// unknown one `invalid_client` (RFC 6749 §5.2) — nothing is issued either way.
pub async fn client_is_known(
    http: &reqwest::Client,
    endpoint: &str,
    credentials: &ClientCredentials,
    redirect_uri: &str,
) -> Result<bool, ClientError> {
    let form = vec![
        ("grant_type", "authorization_code".to_string()),
        (
            "code",
            format!("step11-probe-{}", crate::pkce::random_string(16)),
        ),
        ("redirect_uri", redirect_uri.to_string()),
        ("code_verifier", crate::pkce::random_string(43)),
    ];
    let (status, body) = post(http, endpoint, credentials, form).await?;
    Ok(status != reqwest::StatusCode::UNAUTHORIZED && body["error"] != "invalid_client")
}

/// POST `form` with the client's authentication; the status and the JSON answer (capped).
async fn post(
    http: &reqwest::Client,
    endpoint: &str,
    credentials: &ClientCredentials,
    form: Vec<(&str, String)>,
) -> Result<(reqwest::StatusCode, serde_json::Value), ClientError> {
    let response = authenticated(http, endpoint, credentials, form)
        .send()
        .await
        .map_err(|e| ClientError::Token(format!("{endpoint}: {e}")))?;
    let status = response.status();
    let body = capped::read_json(response, endpoint)
        .await
        .map_err(|e| ClientError::Token(e.to_string()))?;
    Ok((status, body))
}

async fn token_request(
    http: &reqwest::Client,
    endpoint: &str,
    credentials: &ClientCredentials,
    form: Vec<(&str, String)>,
) -> Result<Tokens, ClientError> {
    let (status, body) = post(http, endpoint, credentials, form).await?;
    if !status.is_success() {
        return Err(ClientError::Token(format!(
            "HTTP {}: {} {}",
            status.as_u16(),
            body["error"].as_str().unwrap_or("(no error code)"),
            body["error_description"].as_str().unwrap_or("")
        )));
    }
    let access_token = body["access_token"]
        .as_str()
        .ok_or_else(|| ClientError::Token("no access_token in the response".into()))
        .map(Secret::new)?;
    let tokens = Tokens {
        access_token,
        refresh_token: body["refresh_token"].as_str().map(Secret::new),
        expires_at: expires_at(body["expires_in"].as_u64()),
        scope: body["scope"].as_str().map(str::to_string),
    };
    narrate::say(&format!(
        "← {}  access token ({} bytes), scope {:?}, expires_in {}, refresh token {}",
        status.as_u16(),
        tokens.access_token.len(),
        tokens.scope.as_deref().unwrap_or("(not stated)"),
        body["expires_in"],
        if tokens.refresh_token.is_some() {
            "yes"
        } else {
            "no"
        }
    ));
    Ok(tokens)
}

/// Redeem an authorization code.
pub async fn exchange_code(
    http: &reqwest::Client,
    endpoint: &str,
    credentials: &ClientCredentials,
    code: &str,
    redirect_uri: &str,
    verifier: &Secret,
    resource: &str,
) -> Result<Tokens, ClientError> {
    narrate::say(&format!(
        "POST {endpoint}  grant_type=authorization_code, code_verifier, resource={resource}, client auth {}",
        credentials.token_endpoint_auth_method
    ));
    let form = vec![
        ("grant_type", "authorization_code".to_string()),
        ("code", code.to_string()),
        ("redirect_uri", redirect_uri.to_string()),
        ("code_verifier", verifier.expose().to_string()),
        ("resource", resource.to_string()),
    ];
    token_request(http, endpoint, credentials, form).await
}

/// Use a refresh token.
pub async fn refresh(
    http: &reqwest::Client,
    endpoint: &str,
    credentials: &ClientCredentials,
    refresh_token: &Secret,
    resource: &str,
) -> Result<Tokens, ClientError> {
    narrate::say(&format!(
        "POST {endpoint}  grant_type=refresh_token, resource={resource}"
    ));
    let form = vec![
        ("grant_type", "refresh_token".to_string()),
        ("refresh_token", refresh_token.expose().to_string()),
        ("resource", resource.to_string()),
    ];
    token_request(http, endpoint, credentials, form).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_expires_in_is_survivable() {
        let year = Instant::now() + MAX_EXPIRES_IN;
        let huge = expires_at(Some(u64::MAX)).expect("clamped, not dropped");
        assert!(huge <= year + Duration::from_secs(1));
        let soon = expires_at(Some(300)).unwrap();
        assert!(soon > Instant::now() + Duration::from_secs(290));
        assert!(expires_at(None).is_none());
        assert!(expires_at(Some(0)).unwrap() <= Instant::now());
    }
}
