//! `--validation jwt|introspection` and `--auth-mode strict|optional|permissive`.
//!
//! | mode | no token | a bad token | a good token |
//! |---|---|---|---|
//! | `strict` (default) | `401` | `401` | the caller |
//! | `optional` | anonymous: no scopes, so step 8 still says `403` to anything but `initialize`/`ping` | `401` | the caller |
//! | `permissive` | anonymous | **logged**, then anonymous — but `401` where anonymous is refused | the caller |
//!
//! (agentgateway names its modes the same way.) `permissive` never rejects:
//! it is for debugging a client against a server, and the server says so at
//! start and on `/health`. Where the anonymous caller it lets through is then
//! refused for lack of scope, the answer is the token's `401 invalid_token`,
//! not `403 insufficient_scope`: a client with an expired token must log in
//! again, not ask for more scopes with the token it cannot use. The default — strict local JWT validation — uses
//! step 6's middleware unchanged; this module is only used when one of the
//! two flags says otherwise.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::Map;
use step6::{
    auth::{AuthError, Challenge, Rejection, bearer_token},
    identity::Identity,
    validate::{TokenError, Validator},
};
use step8::dispatch::NeededScope;

use crate::introspection::Introspector;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Validation {
    /// Verify JWT signatures locally against the provider's key set (steps 6–9).
    Jwt,
    /// Ask the provider's RFC 7662 introspection endpoint about each token.
    Introspection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    /// Every request needs a valid token.
    Strict,
    /// No token: anonymous (scope checks still deny); a bad token: 401.
    Optional,
    /// Validate and log, never reject (debugging only).
    Permissive,
}

/// How tokens are checked.
pub enum Verifier {
    Jwt(Arc<Validator>),
    Introspection(Arc<Introspector>),
}

impl Verifier {
    pub async fn verify(&self, token: &str) -> Result<Identity, TokenError> {
        match self {
            Verifier::Jwt(validator) => validator.validate(token).await,
            Verifier::Introspection(introspector) => introspector.verify(token).await,
        }
    }
}

/// The state of the middleware.
#[derive(Clone)]
pub struct ModeAuth {
    pub verifier: Arc<Verifier>,
    pub challenge: Arc<Challenge>,
    pub mode: AuthMode,
}

/// The caller when there is no (usable) token: no subject, no scopes.
pub fn anonymous() -> Identity {
    Identity {
        subject: "anonymous".into(),
        username: None,
        scopes: Arc::from(Vec::new()),
        expires_at: i64::MAX,
        claims: Arc::new(Map::new()),
    }
}

/// The `/mcp` middleware for the non-default modes.
pub async fn authenticate(State(auth): State<ModeAuth>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let token = bearer_token(&parts.headers, parts.uri.query()).map(str::to_string);
    let mut let_through_despite = None;
    let identity = match (token, auth.mode) {
        (Err(AuthError::Missing { .. }), AuthMode::Optional | AuthMode::Permissive) => {
            tracing::info!(mode = ?auth.mode, "no token: anonymous caller");
            anonymous()
        }
        (Err(error), AuthMode::Permissive) => {
            tracing::warn!(
                ?error,
                let_through = true,
                "PERMISSIVE: unusable Authorization header let through as anonymous"
            );
            let_through_despite = Some(error);
            anonymous()
        }
        (Err(error), _) => return refuse(&auth.challenge, error, &parts.headers, body).await,
        (Ok(token), mode) => match auth.verifier.verify(&token).await {
            Ok(identity) => identity,
            Err(reason) if mode == AuthMode::Permissive => {
                tracing::warn!(reason = %reason.to_string().escape_debug(), let_through = true, "PERMISSIVE: invalid token let through as anonymous");
                let_through_despite = Some(AuthError::Invalid(reason));
                anonymous()
            }
            Err(reason) => {
                tracing::warn!(reason = %reason.to_string().escape_debug(), "bearer token rejected");
                let error = AuthError::Invalid(reason);
                return refuse(&auth.challenge, error, &parts.headers, body).await;
            }
        },
    };
    let mut request = Request::from_parts(parts, body);
    request.extensions_mut().insert(identity);
    // As in step 6: answers depend on the caller (anonymous included).
    request
        .extensions_mut()
        .insert(step2::era::CacheScope::Private);
    let response = next.run(request).await;
    match let_through_despite {
        // The anonymous stand-in was refused: the real problem is the token.
        // The 401 asks for the scope step 8's 403 named.
        Some(error) if response.status() == StatusCode::FORBIDDEN => {
            let challenge = match response.extensions().get::<NeededScope>() {
                Some(NeededScope(scope)) => auth.challenge.with_scope(scope),
                None => Arc::clone(&auth.challenge),
            };
            Rejection { error, challenge }.into_response()
        }
        _ => response,
    }
}

/// Step 6's 401, its scope named for this request (`step6::scope_hint`).
async fn refuse(
    challenge: &Arc<Challenge>,
    error: AuthError,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let challenge = challenge.for_request(headers, body).await;
    Rejection { error, challenge }.into_response()
}
