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
    http::{HeaderMap, StatusCode, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::Map;
use step6::{
    auth::{AuthError, Challenge, Rejection, bearer_token},
    identity::Identity,
    validate::{TokenError, Validator, now_unix},
};
use step8::dispatch::NeededScope;

use crate::{
    dpop::{self, Credentials, Dpop, DpopMode, Refusal},
    introspection::Introspector,
};

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

    /// [`Verifier::verify`] without the `cnf` rule: for DPoP, which checks the binding itself.
    pub async fn verify_any_binding(&self, token: &str) -> Result<Identity, TokenError> {
        match self {
            Verifier::Jwt(validator) => validator.validate_any_binding(token).await,
            Verifier::Introspection(introspector) => introspector.verify_any_binding(token).await,
        }
    }
}

/// The state of the middleware.
#[derive(Clone)]
pub struct ModeAuth {
    pub verifier: Arc<Verifier>,
    pub challenge: Arc<Challenge>,
    pub mode: AuthMode,
    /// `--dpop allowed|required` ([`crate::dpop`]); `None`: off.
    pub dpop: Option<Arc<Dpop>>,
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
    let (outcome, on_dpop) = identify(&auth, &parts).await;
    let mut let_through_despite = None;
    let identity = match (outcome, auth.mode) {
        (Ok(identity), _) => identity,
        (
            Err(Refusal::Credentials(AuthError::Missing { .. })),
            AuthMode::Optional | AuthMode::Permissive,
        ) => {
            tracing::info!(mode = ?auth.mode, "no token: anonymous caller");
            anonymous()
        }
        (Err(refusal), AuthMode::Permissive) => {
            tracing::warn!(
                ?refusal,
                let_through = true,
                "PERMISSIVE: refused credentials let through as anonymous"
            );
            let_through_despite = Some(refusal);
            anonymous()
        }
        (Err(refusal), _) => {
            tracing::warn!(?refusal, "credentials refused");
            return refuse(&auth, refusal, on_dpop, &parts.headers, body).await;
        }
    };
    let mut request = Request::from_parts(parts, body);
    request.extensions_mut().insert(identity);
    // As in step 6: answers depend on the caller (anonymous included).
    request
        .extensions_mut()
        .insert(step2::era::CacheScope::Private);
    let mut response = next.run(request).await;
    match let_through_despite {
        // The anonymous stand-in was refused: the real problem is the token.
        // The 401 asks for the scope step 8's 403 named.
        Some(refusal) if response.status() == StatusCode::FORBIDDEN => {
            let challenge = match response.extensions().get::<NeededScope>() {
                Some(NeededScope(scope)) => auth.challenge.with_scope(scope),
                None => Arc::clone(&auth.challenge),
            };
            answer(&auth, refusal, on_dpop, &challenge)
        }
        _ => {
            if let Some(dpop) = &auth.dpop {
                dpop.challenges(&mut response, &auth.challenge, on_dpop);
            }
            response
        }
    }
}

/// Who is calling: the credentials of the request, checked. `true` with
/// it when they came under the DPoP scheme.
async fn identify(auth: &ModeAuth, parts: &Parts) -> (Result<Identity, Refusal>, bool) {
    let Some(dpop) = &auth.dpop else {
        let outcome = match bearer_token(&parts.headers, parts.uri.query()) {
            Ok(token) => auth.verifier.verify(token).await.map_err(invalid),
            Err(error) => Err(Refusal::Credentials(error)),
        };
        return (outcome, false);
    };
    match dpop::credentials(&parts.headers, parts.uri.query()) {
        Err(AuthError::Missing { .. }) if dpop.mode == DpopMode::Required => (
            Err(Refusal::Credentials(AuthError::Missing {
                hint: "This endpoint needs a DPoP-bound access token: send Authorization: DPoP <token> and a DPoP proof",
            })),
            false,
        ),
        Err(error) => (Err(Refusal::Credentials(error)), false),
        Ok(Credentials::Bearer(_)) if dpop.mode == DpopMode::Required => (
            Err(Refusal::Credentials(AuthError::Malformed(
                "This server accepts only DPoP-bound tokens: send Authorization: DPoP <token> and a DPoP proof",
            ))),
            false,
        ),
        Ok(Credentials::Bearer(token)) => {
            (auth.verifier.verify(token).await.map_err(invalid), false)
        }
        Ok(Credentials::Dpop(token)) => {
            let outcome = match auth.verifier.verify_any_binding(token).await {
                Ok(identity) => dpop
                    .check(parts, token, &identity, now_unix())
                    .map(|()| identity),
                Err(reason) => Err(invalid(reason)),
            };
            (outcome, true)
        }
    }
}

fn invalid(reason: TokenError) -> Refusal {
    Refusal::Credentials(AuthError::Invalid(reason))
}

/// Step 6's 401 (or 503), its scope named for this request (`step6::scope_hint`),
/// or DPoP's.
async fn refuse(
    auth: &ModeAuth,
    refusal: Refusal,
    on_dpop: bool,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let challenge = auth.challenge.for_request(headers, body).await;
    answer(auth, refusal, on_dpop, &challenge)
}

fn answer(
    auth: &ModeAuth,
    refusal: Refusal,
    on_dpop: bool,
    challenge: &Arc<Challenge>,
) -> Response {
    match (refusal, &auth.dpop) {
        (Refusal::Proof(error), Some(dpop)) => dpop.refuse_proof(challenge, &error),
        (Refusal::Credentials(error), dpop) => {
            let mut response = Rejection {
                error,
                challenge: Arc::clone(challenge),
            }
            .into_response();
            if let Some(dpop) = dpop {
                dpop.challenges(&mut response, challenge, on_dpop);
            }
            response
        }
        // A proof is only checked when DPoP is on.
        (Refusal::Proof(_), None) => StatusCode::UNAUTHORIZED.into_response(),
    }
}
