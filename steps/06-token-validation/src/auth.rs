//! Bearer authentication for `/mcp`: the extractor, the middleware, and the
//! `401` answers of RFC 6750.
//!
//! A request with a token (RFC 6750 §2.1 — the header is the only place MCP
//! allows; a token in the query string is refused, MCP Authorization ›
//! Token Requirements):
//!
//! ```text
//! POST /mcp HTTP/1.1
//! Authorization: Bearer eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJSUzI1NiIsImtpZCI6…
//! ```
//!
//! No token — the challenge says *how* to authenticate, and nothing else
//! (RFC 6750 §3.1: no error code when no credentials were sent):
//!
//! ```text
//! HTTP/1.1 401 Unauthorized
//! WWW-Authenticate: Bearer realm="mcp-server"
//!
//! {"error":"unauthorized","error_description":"This endpoint needs an OAuth access token: send Authorization: Bearer <token>"}
//! ```
//!
//! A bad token — `invalid_token`, with a short description. *Why* it was bad
//! (wrong audience? other key?) goes to the log with the request id, not to
//! the caller, who might be probing:
//!
//! ```text
//! HTTP/1.1 401 Unauthorized
//! WWW-Authenticate: Bearer realm="mcp-server", error="invalid_token", error_description="The access token is invalid"
//!
//! {"error":"invalid_token","error_description":"The access token is invalid"}
//! ```
//!
//! No keys to check with (step 9, provider down), or a key we have not seen
//! and may not fetch yet (step 9's refresh cooldown) — `503` with
//! `Retry-After`, because the fault is ours and the client should retry with
//! the same token rather than throw it away.
//!
//! The Python original sent 401s without `error=`, so clients could not
//! tell "log in" from "your token is bad".

use std::sync::Arc;

use axum::{
    Json,
    extract::{FromRequestParts, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;
use step2::era::CacheScope;

use crate::{
    identity::Identity,
    scope_hint::ScopeHint,
    validate::{TokenError, Validator},
};

/// What goes into every `WWW-Authenticate: Bearer …` challenge.
#[derive(Debug, Clone)]
pub struct Challenge {
    /// The protection space (RFC 6750 §3); the blog's `mcp-server`.
    pub realm: String,
    /// More `name="value"` pairs for every challenge, in order. Step 7 adds
    /// `resource_metadata` and `scope` here.
    pub params: Vec<(String, String)>,
    /// The scope *this* request needs, by its method — an extension point
    /// for step 8's policy ([`crate::scope_hint`]). `None`: `params` as is.
    pub scope_hint: Option<ScopeHint>,
}

impl Challenge {
    pub fn new(realm: impl Into<String>) -> Challenge {
        Challenge {
            realm: realm.into(),
            params: Vec::new(),
            scope_hint: None,
        }
    }

    /// The header value: `Bearer realm="…", <error params>, <self.params>`.
    /// An error param replaces a param of the same name: step 8's `403`
    /// names the one scope to step up to instead of every scope.
    ///
    /// The one builder of `WWW-Authenticate` in the workspace (the 401s of
    /// steps 6, 7, 9 and 10, and step 8's 403), so every value is quoted the
    /// same way.
    pub fn header_value(&self, error: &[(&str, &str)]) -> HeaderValue {
        let mut value = format!("Bearer realm=\"{}\"", quote(&self.realm));
        let overridden = |name: &str| error.iter().any(|(e, _)| *e == name);
        for (name, text) in error.iter().copied().chain(
            self.params
                .iter()
                .filter(|(name, _)| !overridden(name))
                .map(|(name, text)| (name.as_str(), text.as_str())),
        ) {
            value.push_str(&format!(", {name}=\"{}\"", quote(text)));
        }
        HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
    }
}

/// Escape a value for an HTTP quoted-string (RFC 9110 §5.6.4).
fn quote(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            _ => vec![c],
        })
        .collect()
}

/// Why a request was not let through.
#[derive(Debug)]
pub enum AuthError {
    /// No bearer credentials at all (or another scheme, e.g. Basic).
    Missing { hint: &'static str },
    /// A bearer token was sent and is not acceptable.
    Invalid(TokenError),
    /// The `Authorization` header itself is unusable.
    Malformed(&'static str),
}

/// An [`AuthError`] with the challenge to answer it with: the extractor's
/// rejection, and the one `IntoResponse` for authentication failures.
#[derive(Debug)]
pub struct Rejection {
    pub error: AuthError,
    pub challenge: Arc<Challenge>,
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let challenge = &self.challenge;
        match self.error {
            AuthError::Missing { hint } => {
                let body = json!({"error": "unauthorized", "error_description": hint});
                respond(StatusCode::UNAUTHORIZED, challenge.header_value(&[]), body)
            }
            AuthError::Invalid(reason) if reason.is_unavailable() => {
                let body = json!({
                    "error": "temporarily_unavailable",
                    "error_description": "The server cannot verify tokens right now; retry shortly"
                });
                let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(reason.retry_after_secs()),
                );
                response
            }
            AuthError::Invalid(_) | AuthError::Malformed(_) => {
                let description = match self.error {
                    AuthError::Invalid(TokenError::Expired) => "The access token expired",
                    AuthError::Malformed(description) => description,
                    _ => "The access token is invalid",
                };
                let header = challenge.header_value(&[
                    ("error", "invalid_token"),
                    ("error_description", description),
                ]);
                let body = json!({"error": "invalid_token", "error_description": description});
                respond(StatusCode::UNAUTHORIZED, header, body)
            }
        }
    }
}

fn respond(status: StatusCode, challenge: HeaderValue, body: serde_json::Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, challenge);
    response
}

/// The state the extractor needs.
#[derive(Clone)]
pub struct Auth {
    pub validator: Arc<Validator>,
    pub challenge: Arc<Challenge>,
}

/// Find the bearer token of a request (RFC 6750 §2.1).
///
/// The scheme is case-insensitive (`bearer` works, RFC 9110 §11.1); the
/// token is a single word. Only the header counts: `?access_token=` in
/// the URL is not read (it would end up in logs and browser history).
pub fn bearer_token<'h>(headers: &'h HeaderMap, query: Option<&str>) -> Result<&'h str, AuthError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        let in_query = query.is_some_and(|q| q.split('&').any(|p| p.starts_with("access_token=")));
        let hint = if in_query {
            "Access tokens are not accepted in the URL; send Authorization: Bearer <token>"
        } else {
            "This endpoint needs an OAuth access token: send Authorization: Bearer <token>"
        };
        return Err(AuthError::Missing { hint });
    };
    if values.next().is_some() {
        return Err(AuthError::Malformed(
            "Send exactly one Authorization header",
        ));
    }
    let value = value
        .to_str()
        .map_err(|_| AuthError::Malformed("The Authorization header is not valid text"))?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::Missing {
            hint: "This endpoint needs a Bearer token, not another authentication scheme",
        });
    }
    // One token, no spaces inside. Its characters need no check of their own
    // here: `to_str` admitted only visible ASCII, and anything that is not
    // base64url fails JWT decoding (this runs on every request, so it does
    // not walk the token byte by byte once more).
    let token = rest.trim_matches(' ');
    if token.is_empty() || token.contains(' ') {
        Err(AuthError::Malformed(
            "The bearer token is empty or not a single token",
        ))
    } else {
        Ok(token)
    }
}

/// `Identity` as an extractor: a handler (or middleware) that takes an
/// `Identity` argument cannot run without a valid token. The type carries
/// the rule.
impl FromRequestParts<Auth> for Identity {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, auth: &Auth) -> Result<Self, Self::Rejection> {
        let reject = |error| Rejection {
            error,
            challenge: Arc::clone(&auth.challenge),
        };
        let token = bearer_token(&parts.headers, parts.uri.query()).map_err(|error| {
            tracing::info!(?error, "no usable bearer token");
            reject(error)
        })?;
        match auth.validator.validate(token).await {
            Ok(identity) => {
                tracing::debug!(sub = %identity.subject.escape_debug(), "token accepted");
                Ok(identity)
            }
            Err(reason) => {
                // The precise reason, for the operator; never the token itself.
                tracing::warn!(reason = %reason.to_string().escape_debug(), "bearer token rejected");
                Err(reject(AuthError::Invalid(reason)))
            }
        }
    }
}

/// Middleware for the `/mcp` route: establishes the [`Identity`] (or
/// answers 401/503) and hands it to dispatch through the request extensions.
///
/// It also marks the request [`CacheScope::Private`]: from here on an answer
/// depends on who asks (step 8 lists and refuses by scope), so a 2026-07-28
/// client must not share a cached result across tokens (Server › Utilities
/// › Caching).
///
/// Used as `route_layer(from_fn_with_state(auth, require_identity))`.
pub async fn require_identity(State(auth): State<Auth>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let identity = match Identity::from_request_parts(&mut parts, &auth).await {
        Ok(identity) => identity,
        Err(mut rejection) => {
            // Beyond the blog: the 401 names what this request needs (scope_hint).
            rejection.challenge = rejection.challenge.for_request(&parts.headers, body).await;
            return rejection.into_response();
        }
    };
    let mut request = Request::from_parts(parts, body);
    request.extensions_mut().insert(identity);
    request.extensions_mut().insert(CacheScope::Private);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn bearer_extraction() {
        assert_eq!(
            bearer_token(&headers(&["Bearer abc.def.ghi"]), None).unwrap(),
            "abc.def.ghi"
        );
        assert_eq!(
            bearer_token(&headers(&["bearer abc"]), None).unwrap(),
            "abc"
        );
        assert_eq!(
            bearer_token(&headers(&["BEARER  abc== "]), None).unwrap(),
            "abc=="
        );
        assert!(matches!(
            bearer_token(&headers(&[]), None),
            Err(AuthError::Missing { .. })
        ));
        assert!(matches!(
            bearer_token(&headers(&["Basic dTpw"]), None),
            Err(AuthError::Missing { .. })
        ));
        assert!(matches!(
            bearer_token(&headers(&["Bearer"]), None),
            Err(AuthError::Malformed(_))
        ));
        assert!(matches!(
            bearer_token(&headers(&["Bearer a b"]), None),
            Err(AuthError::Malformed(_))
        ));
        assert!(matches!(
            bearer_token(&headers(&["Bearer a", "Bearer b"]), None),
            Err(AuthError::Malformed(_))
        ));
        let Err(AuthError::Missing { hint }) =
            bearer_token(&headers(&[]), Some("x=1&access_token=abc"))
        else {
            panic!()
        };
        assert!(hint.contains("URL"));
    }

    #[test]
    fn challenge_header_is_quoted_and_ordered() {
        let mut challenge = Challenge::new("mcp-server");
        challenge.params.push(("scope".into(), "a b".into()));
        let value = challenge.header_value(&[("error", "invalid_token")]);
        assert_eq!(
            value,
            r#"Bearer realm="mcp-server", error="invalid_token", scope="a b""#
        );
        assert_eq!(quote(r#"a"b\c"#), r#"a\"b\\c"#);
        // Step 8's 403: the needed scope replaces the list of every scope.
        let value =
            challenge.header_value(&[("error", "insufficient_scope"), ("scope", "mcp:\"x")]);
        assert_eq!(
            value,
            r#"Bearer realm="mcp-server", error="insufficient_scope", scope="mcp:\"x""#
        );
    }

    #[test]
    fn a_malformed_header_is_told_what_is_wrong_with_it() {
        let response = Rejection {
            error: AuthError::Malformed("Send exactly one Authorization header"),
            challenge: Arc::new(Challenge::new("mcp-server")),
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let challenge = response.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap();
        assert!(
            challenge.contains(r#"error_description="Send exactly one Authorization header""#),
            "{challenge}"
        );
    }
}
