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

pub use crate::proofs::{self, Proofs};
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
    proofs: Proofs<'_>,
) -> reqwest::RequestBuilder {
    // Beyond the blog: a DPoP proof, a private_key_jwt assertion (proofs.rs).
    let mut request = proofs.apply(http.post(endpoint), endpoint, credentials, &mut form);
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
        ("private_key_jwt", _) => {} // apply() sent client_id with the assertion
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
    let (status, body) = post(http, endpoint, credentials, form, Proofs::default()).await?;
    Ok(status != reqwest::StatusCode::UNAUTHORIZED && body["error"] != "invalid_client")
}

/// POST `form` with the client's authentication; the status and the JSON answer (capped).
/// (Beyond the blog: once more when a DPoP nonce is asked for, proofs.rs.)
async fn post(
    http: &reqwest::Client,
    endpoint: &str,
    credentials: &ClientCredentials,
    form: Vec<(&str, String)>,
    proofs: Proofs<'_>,
) -> Result<(reqwest::StatusCode, serde_json::Value), ClientError> {
    let mut retried = false;
    loop {
        let response = authenticated(http, endpoint, credentials, form.clone(), proofs)
            .send()
            .await
            .map_err(|e| ClientError::Token(format!("{endpoint}: {e}")))?;
        let status = response.status();
        let new_nonce = proofs.new_nonce(endpoint, response.headers());
        let body = capped::read_json(response, endpoint)
            .await
            .map_err(|e| ClientError::Token(e.to_string()))?;
        if !retried && new_nonce && proofs::nonce_asked(status, &body) {
            retried = true;
            continue;
        }
        return Ok((status, body));
    }
}

pub(crate) async fn token_request(
    http: &reqwest::Client,
    endpoint: &str,
    credentials: &ClientCredentials,
    form: Vec<(&str, String)>,
    proofs: Proofs<'_>,
) -> Result<Tokens, ClientError> {
    let (status, body) = post(http, endpoint, credentials, form, proofs).await?;
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
    let token_type = body["token_type"].as_str().unwrap_or("(not stated)");
    if let Some(warning) = proofs.unbound(token_type) {
        narrate::say(&warning);
    }
    narrate::say(&format!(
        "← {}  {token_type} access token ({} bytes), scope {:?}, expires_in {}, refresh token {}",
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

/// Redeem an authorization code. (Each parameter of RFC 6749 §4.1.3 named
/// on its own, as the form sends them.)
#[allow(clippy::too_many_arguments)]
pub async fn exchange_code(
    http: &reqwest::Client,
    endpoint: &str,
    credentials: &ClientCredentials,
    code: &str,
    redirect_uri: &str,
    verifier: &Secret,
    resource: &str,
    proofs: Proofs<'_>,
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
    token_request(http, endpoint, credentials, form, proofs).await
}

/// Use a refresh token.
pub async fn refresh(
    http: &reqwest::Client,
    endpoint: &str,
    credentials: &ClientCredentials,
    refresh_token: &Secret,
    resource: &str,
    proofs: Proofs<'_>,
) -> Result<Tokens, ClientError> {
    narrate::say(&format!(
        "POST {endpoint}  grant_type=refresh_token, resource={resource}"
    ));
    let form = vec![
        ("grant_type", "refresh_token".to_string()),
        ("refresh_token", refresh_token.expose().to_string()),
        ("resource", resource.to_string()),
    ];
    token_request(http, endpoint, credentials, form, proofs).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dpop::DpopSession;
    use base64::Engine;

    #[test]
    fn any_expires_in_is_survivable() {
        let year = Instant::now() + MAX_EXPIRES_IN;
        let huge = expires_at(Some(u64::MAX)).expect("clamped, not dropped");
        assert!(huge <= year + Duration::from_secs(1));
        let soon = expires_at(Some(300)).unwrap();
        assert!(soon > Instant::now() + Duration::from_secs(290));
        assert!(expires_at(None).is_none());
        assert!(expires_at(Some(0)).unwrap() <= Instant::now());
        // The cap is a year, not some other product of its factors.
        assert!(huge >= Instant::now() + Duration::from_secs(364 * 24 * 3600));
    }

    #[test]
    fn a_token_is_expired_from_its_expiry_on() {
        let tokens = |expires_at| Tokens {
            access_token: Secret::new("t"),
            refresh_token: None,
            expires_at,
            scope: None,
        };
        let now = Instant::now();
        assert!(tokens(Some(now)).expired());
        assert!(!tokens(Some(now + Duration::from_secs(60))).expired());
        assert!(!tokens(None).expired(), "no expires_in: used until refused");
    }

    fn credentials(method: &str, secret: Option<&str>) -> ClientCredentials {
        ClientCredentials {
            client_id: "id:with&odd=chars".into(),
            client_secret: secret.map(Secret::new),
            token_endpoint_auth_method: method.into(),
            redirect_uri: None,
            registered_at: None,
        }
    }

    /// (the Authorization header, the form body) of the token request.
    fn sent(credentials: &ClientCredentials) -> (Option<String>, String) {
        let form = vec![("grant_type", "authorization_code".to_string())];
        let request = authenticated(
            &reqwest::Client::new(),
            "http://as/token",
            credentials,
            form,
            Proofs::default(),
        )
        .build()
        .unwrap();
        let authorization = request
            .headers()
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_string());
        let body = request
            .body()
            .and_then(|b| b.as_bytes())
            .unwrap_or_default();
        (authorization, String::from_utf8(body.to_vec()).unwrap())
    }

    /// RFC 6749 §2.3.1: Basic with each part form-urlencoded first; `post`
    /// puts both in the form; a public client (`none`) sends its id only.
    #[test]
    fn each_client_authentication_method_sends_what_it_says() {
        let (authorization, body) = sent(&credentials("client_secret_basic", Some("p&ss:w")));
        let pair = STANDARD.encode("id%3Awith%26odd%3Dchars:p%26ss%3Aw");
        assert_eq!(authorization, Some(format!("Basic {pair}")));
        assert_eq!(body, "grant_type=authorization_code");

        let (authorization, body) = sent(&credentials("client_secret_post", Some("p&ss")));
        assert_eq!(authorization, None);
        assert_eq!(
            body,
            "grant_type=authorization_code&client_id=id%3Awith%26odd%3Dchars&client_secret=p%26ss"
        );

        for (method, secret) in [
            ("none", None),
            ("client_secret_basic", None),
            ("private_key_jwt", Some("s")),
        ] {
            let (authorization, body) = sent(&credentials(method, secret));
            assert_eq!(authorization, None, "{method}");
            assert_eq!(
                body, "grant_type=authorization_code&client_id=id%3Awith%26odd%3Dchars",
                "{method}"
            );
        }
    }

    /// A provider that answers every token request with `status` and `error`.
    async fn provider_answering(status: u16, error: &'static str) -> String {
        use axum::{Json, Router, http::StatusCode, routing::post};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}/token", listener.local_addr().unwrap());
        let status = StatusCode::from_u16(status).unwrap();
        let answer = move || async move { (status, Json(serde_json::json!({"error": error}))) };
        let router = Router::new().route("/token", post(answer));
        tokio::spawn(async move { axum::serve(listener, router).await });
        endpoint
    }

    /// RFC 6749 §5.2: an unknown client is `invalid_client` — usually 401,
    /// but 400 is allowed too; a known client with a made-up code is
    /// `invalid_grant`.
    #[tokio::test]
    async fn the_probe_tells_a_forgotten_client_by_status_or_error() {
        let http = reqwest::Client::new();
        let cases = [
            (400, "invalid_grant", true),
            (401, "invalid_client", false),
            (400, "invalid_client", false),
            (401, "invalid_grant", false),
        ];
        for (status, error, known) in cases {
            let endpoint = provider_answering(status, error).await;
            let answer = client_is_known(
                &http,
                &endpoint,
                &credentials("none", None),
                "http://127.0.0.1:1/cb",
            )
            .await
            .unwrap();
            assert_eq!(answer, known, "{status} {error}");
        }
    }

    /// A provider that records each token request's form and answers with `answer`.
    async fn recording_provider(
        answer: serde_json::Value,
    ) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
        use axum::{Json, Router, routing::post};
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}/token", listener.local_addr().unwrap());
        let record = seen.clone();
        let handler = move |body: String| async move {
            record.lock().unwrap().push(body);
            Json(answer)
        };
        let router = Router::new().route("/token", post(handler));
        tokio::spawn(async move { axum::serve(listener, router).await });
        (endpoint, seen)
    }

    /// What the provider receives for a code (RFC 6749 §4.1.3 with PKCE,
    /// RFC 7636 §4.5, and `resource`, RFC 8707 §2.2) and for a refresh
    /// (§6, `resource` again), and what the client keeps from the answer.
    #[tokio::test]
    async fn the_code_and_the_refresh_send_every_parameter() {
        let answer = serde_json::json!({"access_token": "at", "refresh_token": "rt",
            "expires_in": 300, "scope": "mcp:read", "token_type": "Bearer"});
        let (endpoint, seen) = recording_provider(answer).await;
        let http = reqwest::Client::new();
        let public = credentials("none", None);
        let resource = "http://localhost:9000/mcp";
        let tokens = exchange_code(
            &http,
            &endpoint,
            &public,
            "c0de",
            "http://127.0.0.1:7/cb",
            &Secret::new("v3rifier"),
            resource,
            Proofs::default(),
        )
        .await
        .unwrap();
        assert_eq!(tokens.access_token.expose(), "at");
        assert_eq!(
            tokens.refresh_token.as_ref().map(Secret::expose),
            Some("rt")
        );
        assert_eq!(tokens.scope.as_deref(), Some("mcp:read"));
        assert!(
            tokens
                .expires_at
                .is_some_and(|at| at > Instant::now() + Duration::from_secs(290))
        );
        refresh(
            &http,
            &endpoint,
            &public,
            &Secret::new("rt"),
            resource,
            Proofs::default(),
        )
        .await
        .unwrap();
        let seen = seen.lock().unwrap().clone();
        let id = "client_id=id%3Awith%26odd%3Dchars";
        assert_eq!(
            seen,
            [
                format!(
                    "grant_type=authorization_code&code=c0de&redirect_uri=http%3A%2F%2F127.0.0.1%3A7%2Fcb&code_verifier=v3rifier&resource=http%3A%2F%2Flocalhost%3A9000%2Fmcp&{id}"
                ),
                format!(
                    "grant_type=refresh_token&refresh_token=rt&resource=http%3A%2F%2Flocalhost%3A9000%2Fmcp&{id}"
                ),
            ]
        );
    }

    /// DPoP at the token endpoint: a proof on each request; a `400
    /// use_dpop_nonce` with a nonce is answered once more with the nonce,
    /// and only once (RFC 9449 §8). And `private_key_jwt`: the assertion
    /// instead of a secret.
    #[tokio::test]
    async fn a_nonce_is_retried_once_and_an_assertion_replaces_the_secret() {
        use axum::{
            Json, Router,
            http::{HeaderMap, StatusCode},
            routing::post,
        };
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, String)>::new()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}/token", listener.local_addr().unwrap());
        let record = seen.clone();
        let handler = move |headers: HeaderMap, body: String| async move {
            let proof = headers.get("dpop").map(|v| v.to_str().unwrap().to_string());
            let mut seen = record.lock().unwrap();
            seen.push((proof.unwrap_or_default(), body.clone()));
            let nonce_in = |proof: &str| {
                let claims = proof.split('.').nth(1).unwrap_or_default();
                let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(claims)
                    .unwrap_or_default();
                serde_json::from_slice::<serde_json::Value>(&claims).unwrap_or_default()["nonce"]
                    .clone()
            };
            let always = body.contains("always");
            if always || nonce_in(&seen.last().unwrap().0) != "n-1" {
                let mut headers = HeaderMap::new();
                headers.insert("dpop-nonce", "n-1".parse().unwrap());
                return (
                    StatusCode::BAD_REQUEST,
                    headers,
                    Json(serde_json::json!({"error": "use_dpop_nonce"})),
                );
            }
            (
                StatusCode::OK,
                HeaderMap::new(),
                Json(serde_json::json!({"access_token": "at", "token_type": "DPoP"})),
            )
        };
        tokio::spawn(async move {
            axum::serve(listener, Router::new().route("/token", post(handler))).await
        });
        let http = reqwest::Client::new();
        let session = DpopSession::new();
        let assertion = crate::client_assertion::Assertion {
            key: crate::es256::Es256Key::generate(),
            audience: "https://as.example".into(),
        };
        let proofs = Proofs {
            assertion: Some(&assertion),
            dpop: Some(&session),
        };
        let jwt = credentials("private_key_jwt", None);
        let tokens = refresh(&http, &endpoint, &jwt, &Secret::new("rt"), "r", proofs)
            .await
            .unwrap();
        assert_eq!(tokens.access_token.expose(), "at");
        let requests = seen.lock().unwrap().clone();
        assert_eq!(requests.len(), 2, "one retry");
        assert!(
            requests
                .iter()
                .all(|(proof, _)| proof.split('.').count() == 3),
            "a proof each time"
        );
        let (_, form) = &requests[1];
        assert!(form.contains("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"), "{form}");
        assert!(
            form.contains("client_assertion=ey") && form.contains("client_id=id%3Awith"),
            "{form}"
        );
        assert!(!form.contains("client_secret"), "{form}");
        // A provider that asks every time gets one retry, then its answer.
        seen.lock().unwrap().clear();
        let error = refresh(&http, &endpoint, &jwt, &Secret::new("always"), "r", proofs)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("use_dpop_nonce"), "{error}");
        assert_eq!(
            seen.lock().unwrap().len(),
            1,
            "the nonce it sends is not new: no retry"
        );
    }

    /// A refusal carries the provider's error; an answer without a token is
    /// an error, not an empty token.
    #[tokio::test]
    async fn a_refusal_or_an_answer_without_a_token_is_an_error() {
        let refused = |endpoint: String| async move {
            let public = credentials("none", None);
            let secret = Secret::new("rt");
            refresh(
                &reqwest::Client::new(),
                &endpoint,
                &public,
                &secret,
                "r",
                Proofs::default(),
            )
            .await
            .unwrap_err()
        };
        let error = refused(provider_answering(400, "invalid_grant").await).await;
        assert!(
            error.to_string().contains("HTTP 400: invalid_grant"),
            "{error}"
        );
        let (endpoint, _) = recording_provider(serde_json::json!({"token_type": "Bearer"})).await;
        let error = refused(endpoint).await;
        assert!(error.to_string().contains("no access_token"), "{error}");
    }
}
