//! `--validation introspection`: ask the provider about every token (RFC 7662).
//!
//! Local JWT validation (steps 6–9) never talks to the provider per request:
//! fast, but a token revoked at the provider stays valid here until its
//! `exp`. Introspection asks instead:
//!
//! ```text
//! POST {introspection_endpoint}                      (from OIDC discovery)
//! Authorization: Basic base64(echo-mcp-server:<secret>)   (the resource server's own credentials)
//! Content-Type: application/x-www-form-urlencoded
//!
//! token=eyJ…&token_type_hint=access_token
//!
//! HTTP/1.1 200 OK
//! {"active":true,"iss":"…/realms/mcp-realm","aud":"echo-mcp-server","sub":"mcp-user",
//!  "exp":1767225600,"scope":"openid mcp:read mcp:tools",…}
//! ```
//!
//! Then the same rules as the JWT path: `active` must be true, `iss` ours,
//! `aud` containing one of ours, `exp` in the future, a `sub`; scopes are
//! checked by step 8 as before. A provider that cannot answer is *our*
//! problem: `503`, not `401`.
//!
//! Positive answers are cached briefly (`--introspection-cache-secs`,
//! default 10 s, bounded, never past `exp`), keyed by a hash of the token:
//! that is the revocation delay this mode accepts in exchange for not
//! calling the provider on every request. `0` turns the cache off.

use std::sync::RwLock;

use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::{Map, Value};
use step6::{
    identity::Identity,
    keys::KeyError,
    token_cache::TokenCache,
    validate::{MAX_TOKEN_BYTES, TokenError, now_unix},
};
use url::form_urlencoded;

/// How the introspection client is set up.
pub struct IntrospectorConfig {
    pub issuer: String,
    pub audiences: Vec<String>,
    pub client_id: String,
    pub client_secret: String,
    pub cache_secs: i64,
}

pub struct Introspector {
    http: reqwest::Client,
    config: IntrospectorConfig,
    endpoint: RwLock<Option<String>>,
    cache: TokenCache,
}

fn unavailable(why: impl ToString) -> TokenError {
    TokenError::Key(KeyError::Unavailable(why.to_string()))
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

impl Introspector {
    pub fn new(http: reqwest::Client, config: IntrospectorConfig) -> Introspector {
        let capacity = if config.cache_secs > 0 { 10_000 } else { 0 };
        Introspector {
            http,
            config,
            endpoint: RwLock::new(None),
            cache: TokenCache::new(capacity),
        }
    }

    /// The introspection endpoint, from discovery (remembered once found),
    /// else Keycloak's path.
    async fn endpoint(&self) -> String {
        if let Some(known) = self.endpoint.read().ok().and_then(|e| e.clone()) {
            return known;
        }
        let issuer = &self.config.issuer;
        let discovered = async {
            let document: Value = self
                .http
                .get(format!("{issuer}/.well-known/openid-configuration"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (document["issuer"] == *issuer)
                .then(|| {
                    document["introspection_endpoint"]
                        .as_str()
                        .map(str::to_string)
                })
                .flatten()
        }
        .await;
        match discovered {
            Some(endpoint) => {
                if let Ok(mut slot) = self.endpoint.write() {
                    *slot = Some(endpoint.clone());
                }
                endpoint
            }
            None => format!("{issuer}/protocol/openid-connect/token/introspect"),
        }
    }

    /// Ask the provider about `token`, then apply our rules.
    pub async fn verify(&self, token: &str) -> Result<Identity, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::TooLong);
        }
        let now = now_unix();
        if let Some(hit) = self.cache.get(token, now) {
            return Ok(hit.identity);
        }
        let endpoint = self.endpoint().await;
        let credentials = format!(
            "{}:{}",
            encode(&self.config.client_id),
            encode(&self.config.client_secret)
        );
        let response = self
            .http
            .post(&endpoint)
            .header(
                "authorization",
                format!("Basic {}", STANDARD.encode(credentials)),
            )
            .form(&[("token", token), ("token_type_hint", "access_token")])
            .send()
            .await
            .map_err(|e| unavailable(format!("introspection request failed: {e}")))?;
        let status = response.status();
        if !status.is_success() {
            return Err(unavailable(format!(
                "introspection endpoint answered HTTP {}",
                status.as_u16()
            )));
        }
        let answer: Map<String, Value> = response
            .json()
            .await
            .map_err(|_| unavailable("introspection answer is not a JSON object"))?;
        let identity = self.check(answer, now)?;
        let until = now + self.config.cache_secs;
        self.cache.insert(token, identity.clone(), None, until, now);
        Ok(identity)
    }

    /// The JWT path's rules, applied to an introspection answer.
    pub fn check(&self, answer: Map<String, Value>, now: i64) -> Result<Identity, TokenError> {
        if answer.get("active") != Some(&Value::Bool(true)) {
            return Err(TokenError::Invalid(
                "the provider says the token is not active".into(),
            ));
        }
        if answer.get("iss").and_then(Value::as_str) != Some(self.config.issuer.as_str()) {
            return Err(TokenError::Invalid("InvalidIssuer (introspection)".into()));
        }
        let ours = |aud: &str| self.config.audiences.iter().any(|a| a == aud);
        let audience_ok = match answer.get("aud") {
            Some(Value::String(aud)) => ours(aud),
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).any(ours),
            _ => false,
        };
        if !audience_ok {
            return Err(TokenError::Invalid(
                "InvalidAudience (introspection)".into(),
            ));
        }
        match answer.get("exp").and_then(Value::as_i64) {
            Some(exp) if exp > now => {}
            Some(_) => return Err(TokenError::Expired),
            None => return Err(TokenError::Invalid("no exp (introspection)".into())),
        }
        Identity::from_claims(answer).ok_or(TokenError::NoSubject)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn introspector() -> Introspector {
        Introspector::new(
            reqwest::Client::new(),
            IntrospectorConfig {
                issuer: "http://kc/realms/r".into(),
                audiences: vec!["echo-mcp-server".into()],
                client_id: "echo-mcp-server".into(),
                client_secret: "s".into(),
                cache_secs: 10,
            },
        )
    }

    fn answer(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn same_rules_as_the_jwt_path() {
        let i = introspector();
        let good = json!({"active": true, "iss": "http://kc/realms/r", "aud": ["account", "echo-mcp-server"], "exp": 200, "sub": "u", "scope": "mcp:read"});
        assert_eq!(
            &*i.check(answer(good.clone()), 100).unwrap().scopes,
            ["mcp:read"]
        );
        let mut inactive = good.clone();
        inactive["active"] = json!(false);
        assert!(i.check(answer(inactive), 100).is_err());
        let mut other_iss = good.clone();
        other_iss["iss"] = json!("http://kc/realms/other");
        assert!(i.check(answer(other_iss), 100).is_err());
        let mut other_aud = good.clone();
        other_aud["aud"] = json!("someone-else");
        assert!(i.check(answer(other_aud), 100).is_err());
        assert!(matches!(
            i.check(answer(good.clone()), 300),
            Err(TokenError::Expired)
        ));
        let mut no_sub = good;
        no_sub.as_object_mut().unwrap().remove("sub");
        assert!(matches!(
            i.check(answer(no_sub), 100),
            Err(TokenError::NoSubject)
        ));
    }
}
