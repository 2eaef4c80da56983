//! DPoP at the resource server (RFC 9449) — beyond the blog, a production
//! choice (docs/sender-constrained.md): `--dpop off|allowed|required`.
//!
//! A DPoP-bound token carries the thumbprint of its client's key
//! (`cnf.jkt`). It comes with a proof, signed by that key, for this very
//! request:
//!
//! ```text
//! POST /mcp HTTP/1.1
//! Authorization: DPoP eyJ0eXAiOiJhdCtqd3Qi…      the token, under the DPoP scheme
//! DPoP: eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2…  the proof: htm POST, htu …/mcp, iat, jti, ath
//! ```
//!
//! | `--dpop` | `Bearer` unbound token | `Bearer` bound token | `DPoP` token + proof |
//! |---|---|---|---|
//! | `off` (default) | checked as always | `401 invalid_token` (step 6's `bound`) | `401`: unknown scheme |
//! | `allowed` | checked as always | `401 invalid_token` | token, then proof ([`proof`]), then proof key = `cnf.jkt` |
//! | `required` | `401`, challenge `DPoP` only | `401` | the same |
//!
//! Challenges name the scheme and the accepted algorithms (RFC 9449 §7.1):
//! `WWW-Authenticate: DPoP algs="ES256 …", realm="mcp-server", error="invalid_dpop_proof", …`.
//! With `allowed`, a 401 carries both a `Bearer` and a `DPoP` challenge;
//! the error goes with the scheme the request used.

pub mod nonce;
pub mod proof;
pub mod replay;
pub mod signature;

use std::sync::Mutex;

use axum::{
    Json,
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};
use step6::{
    auth::{AuthError, Challenge, bearer_token},
    identity::Identity,
    validate::{TokenError, now_unix},
};
use step7::metadata::ProtectedResourceMetadata;

use self::{
    nonce::Nonces,
    proof::{ALGS, ProofError, Target},
    replay::ReplayCache,
};

/// `DPoP`: the request header that carries the proof.
pub static DPOP: HeaderName = HeaderName::from_static("dpop");
/// `DPoP-Nonce`: the response header with the nonce to use next.
pub static DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DpopMode {
    /// No DPoP: a DPoP-bound token is refused like any token bound to a key.
    Off,
    /// Bearer tokens as before, and DPoP-bound tokens with their proofs.
    Allowed,
    /// Only DPoP-bound tokens with their proofs.
    Required,
}

/// `--dpop` and its settings.
#[derive(Debug, Clone, clap::Args)]
pub struct DpopArgs {
    /// Sender-constrained tokens (RFC 9449): off; allowed (Bearer or DPoP); required (DPoP only).
    #[arg(long = "dpop", value_enum, env = "MCP_DPOP", default_value = "off")]
    pub mode: DpopMode,

    /// Require a nonce from this server in every proof (RFC 9449 §9); a 401 with
    /// error="use_dpop_nonce" hands one out in the DPoP-Nonce header.
    #[arg(long, env = "MCP_DPOP_NONCE")]
    pub dpop_nonce: bool,

    /// The oldest proof accepted, in seconds since its iat (1-600).
    #[arg(long, env = "MCP_DPOP_MAX_AGE", default_value_t = 60,
          value_parser = clap::value_parser!(u32).range(1..=600))]
    pub dpop_max_age: u32,
}

/// The DPoP rules of one server.
pub struct Dpop {
    pub mode: DpopMode,
    max_age_secs: i64,
    nonces: Option<Nonces>,
    replay: Mutex<ReplayCache>,
    /// The public URL of the server (`--server-url`): `htu` is this plus the path.
    server_url: String,
}

/// The credentials of a request, by scheme.
#[derive(Debug, PartialEq, Eq)]
pub enum Credentials<'h> {
    Bearer(&'h str),
    Dpop(&'h str),
}

/// Why a DPoP-capable server refused a request.
#[derive(Debug)]
pub enum Refusal {
    /// The header or the token (step 6's answers: `invalid_token`, or 503).
    Credentials(AuthError),
    /// The proof (`invalid_dpop_proof`, `use_dpop_nonce`).
    Proof(ProofError),
}

impl Dpop {
    /// The rules for `args`, or `None` when `--dpop off`.
    pub fn new(args: &DpopArgs, server_url: &str) -> Option<Dpop> {
        if args.mode == DpopMode::Off {
            return None;
        }
        Some(Dpop {
            mode: args.mode,
            max_age_secs: args.dpop_max_age.into(),
            nonces: args.dpop_nonce.then(Nonces::new),
            replay: Mutex::new(ReplayCache::new(replay::DEFAULT_CAPACITY)),
            server_url: server_url.trim_end_matches('/').to_string(),
        })
    }

    /// The accepted proof algorithms, space separated (the challenge's `algs`).
    pub fn algs() -> String {
        ALGS.join(" ")
    }

    /// Check the proof of a `DPoP`-scheme request whose token (already
    /// verified, binding not yet checked) gave `identity`.
    pub fn check(
        &self,
        parts: &Parts,
        token: &str,
        identity: &Identity,
        now: i64,
    ) -> Result<(), Refusal> {
        let bound_to =
            bound_key(identity).map_err(|e| Refusal::Credentials(AuthError::Invalid(e)))?;
        let mut proofs = parts.headers.get_all(&DPOP).iter();
        let proof = match (proofs.next(), proofs.next()) {
            (None, _) => Err(ProofError::Missing),
            (Some(_), Some(_)) => Err(ProofError::Multiple),
            (Some(one), None) => one
                .to_str()
                .map_err(|_| ProofError::Malformed("not visible ASCII".into())),
        }
        .map_err(Refusal::Proof)?;
        let url = format!("{}{}", self.server_url, parts.uri.path());
        let target = Target {
            method: parts.method.as_str(),
            url: &url,
            access_token: token,
        };
        let checked =
            proof::check(proof, &target, now, self.max_age_secs).map_err(Refusal::Proof)?;
        if let Some(nonces) = &self.nonces
            && !checked.nonce.is_some_and(|n| nonces.accepts(&n, now))
        {
            return Err(Refusal::Proof(ProofError::NonceNeeded));
        }
        if checked.thumbprint != bound_to {
            return Err(Refusal::Proof(ProofError::KeyMismatch));
        }
        self.replay
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .record(
                &checked.thumbprint,
                &checked.jti,
                checked.iat,
                now - self.max_age_secs,
            )
            .map_err(Refusal::Proof)
    }

    /// The response to a refused proof: 401, the code and description in
    /// the body and in the challenge ([`Dpop::challenges`] adds the rest).
    pub fn refuse_proof(&self, challenge: &Challenge, error: &ProofError) -> Response {
        let (code, description) = (error.code(), error.description());
        let body = json!({"error": code, "error_description": description});
        let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            challenge.header_value(&[("error", code), ("error_description", description)]),
        );
        self.challenges(&mut response, challenge, true);
        response
    }

    /// Make the answer's challenges say DPoP (step 6's 401s and step 8's 403
    /// are written for Bearer): with `required` every challenge is `DPoP`;
    /// with `allowed` a 401 offers both schemes, the error on the one the
    /// request used (`on_dpop`). And the nonce to use next, if nonces are on.
    pub fn challenges(&self, response: &mut Response, challenge: &Challenge, on_dpop: bool) {
        if let Some(answer) = response.headers().get(header::WWW_AUTHENTICATE).cloned() {
            let unauthorized = response.status() == StatusCode::UNAUTHORIZED;
            let values = match (self.mode, on_dpop, unauthorized) {
                (DpopMode::Allowed, true, true) => {
                    vec![challenge.header_value(&[]), as_dpop(&answer)]
                }
                (DpopMode::Allowed, false, true) => {
                    vec![answer, as_dpop(&challenge.header_value(&[]))]
                }
                (DpopMode::Allowed, false, false) => vec![answer],
                _ => vec![as_dpop(&answer)],
            };
            let headers = response.headers_mut();
            headers.remove(header::WWW_AUTHENTICATE);
            for value in values {
                headers.append(header::WWW_AUTHENTICATE, value);
            }
        }
        if let Some(nonces) = &self.nonces
            && let Ok(value) = HeaderValue::from_str(&nonces.current(now_unix()))
        {
            response.headers_mut().insert(DPOP_NONCE.clone(), value);
        }
    }
}

/// RFC 9728 §2: the protected-resource metadata names the proof algorithms,
/// and says when DPoP-bound tokens are required.
pub fn advertise(args: &DpopArgs, resource: &mut ProtectedResourceMetadata) {
    if args.mode != DpopMode::Off {
        resource
            .extra
            .insert("dpop_signing_alg_values_supported".into(), json!(ALGS));
        resource.extra.insert(
            "dpop_bound_access_tokens_required".into(),
            json!(args.mode == DpopMode::Required),
        );
    }
}

/// The `dpop` line of the printed configuration.
pub fn describe(args: &DpopArgs) -> String {
    let mode = format!("{:?}", args.mode).to_lowercase();
    match (args.mode, args.dpop_nonce) {
        (DpopMode::Off, _) => mode,
        (_, nonce) => format!(
            "{mode} (proofs up to {} s old{})",
            args.dpop_max_age,
            if nonce { ", server nonces" } else { "" }
        ),
    }
}

/// Step 6's `Bearer …` challenge as a `DPoP` one, with the accepted `algs`.
fn as_dpop(bearer: &HeaderValue) -> HeaderValue {
    let text = bearer.to_str().unwrap_or("Bearer");
    let params = text
        .strip_prefix("Bearer")
        .unwrap_or(text)
        .trim_start_matches([' ', ',']);
    let value = if params.is_empty() {
        format!("DPoP algs=\"{}\"", Dpop::algs())
    } else {
        format!("DPoP algs=\"{}\", {params}", Dpop::algs())
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("DPoP"))
}

/// The credentials of a request: `Authorization: DPoP <token>` (RFC 9449
/// §7.1: the scheme is case-insensitive, one token), else step 6's Bearer.
pub fn credentials<'h>(
    headers: &'h HeaderMap,
    query: Option<&str>,
) -> Result<Credentials<'h>, AuthError> {
    let dpop_scheme = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("dpop"));
    let Some((_, rest)) = dpop_scheme else {
        return bearer_token(headers, query).map(Credentials::Bearer);
    };
    if headers.get_all(header::AUTHORIZATION).iter().count() > 1 {
        return Err(AuthError::Malformed(
            "Send exactly one Authorization header",
        ));
    }
    let token = rest.trim_matches(' ');
    if token.is_empty() || token.contains(' ') {
        return Err(AuthError::Malformed(
            "The DPoP token is empty or not a single token",
        ));
    }
    Ok(Credentials::Dpop(token))
}

/// The key a token is bound to: `cnf` must be `{"jkt": "<thumbprint>"}`
/// and nothing else (a binding this server cannot check, such as an mTLS
/// certificate's, is refused — step 6's `bound` rule).
fn bound_key(identity: &Identity) -> Result<&str, TokenError> {
    let not_dpop = || {
        TokenError::Invalid(
            "sent under the DPoP scheme, but not bound to a DPoP key (cnf.jkt)".into(),
        )
    };
    let cnf = identity
        .claims
        .get("cnf")
        .and_then(Value::as_object)
        .ok_or_else(not_dpop)?;
    match (cnf.get("jkt").and_then(Value::as_str), cnf.len()) {
        (Some(jkt), 1) => Ok(jkt),
        (Some(_), _) => Err(TokenError::Bound(
            "cnf.jkt together with another binding".into(),
        )),
        (None, _) => Err(not_dpop()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(mode: DpopMode, nonce: bool) -> DpopArgs {
        DpopArgs {
            mode,
            dpop_nonce: nonce,
            dpop_max_age: 60,
        }
    }

    fn resource() -> ProtectedResourceMetadata {
        ProtectedResourceMetadata {
            resource: "http://localhost:9000/mcp".into(),
            authorization_servers: vec![],
            scopes_supported: vec![],
            bearer_methods_supported: vec!["header".into()],
            resource_name: "test".into(),
            extra: Default::default(),
        }
    }

    #[test]
    fn the_metadata_says_what_the_mode_is() {
        let mut off = resource();
        advertise(&args(DpopMode::Off, false), &mut off);
        assert!(off.extra.is_empty(), "off: nothing about DPoP");
        for (mode, required) in [(DpopMode::Allowed, false), (DpopMode::Required, true)] {
            let mut doc = resource();
            advertise(&args(mode, false), &mut doc);
            let json = serde_json::to_value(&doc).unwrap();
            assert_eq!(json["dpop_bound_access_tokens_required"], required);
            assert_eq!(json["dpop_signing_alg_values_supported"][0], "ES256");
            assert!(
                json["dpop_signing_alg_values_supported"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|a| !a.as_str().unwrap().starts_with("HS")),
                "asymmetric only"
            );
        }
        assert_eq!(describe(&args(DpopMode::Off, true)), "off");
        assert_eq!(
            describe(&args(DpopMode::Required, true)),
            "required (proofs up to 60 s old, server nonces)"
        );
        assert!(Dpop::new(&args(DpopMode::Off, false), "http://x").is_none());
    }

    /// `Authorization: DPoP …` read as RFC 9449 §7.1 says: one header, one token.
    #[test]
    fn dpop_credentials_are_one_header_with_one_token() {
        let headers = |values: &[&str]| {
            let mut map = HeaderMap::new();
            for v in values {
                map.append(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
            }
            map
        };
        let one = headers(&["DPoP abc"]);
        assert_eq!(credentials(&one, None).unwrap(), Credentials::Dpop("abc"));
        let bearer = headers(&["Bearer abc"]);
        assert_eq!(
            credentials(&bearer, None).unwrap(),
            Credentials::Bearer("abc")
        );
        for bad in [&["DPoP abc", "DPoP def"][..], &["DPoP  "], &["DPoP a b"]] {
            assert!(
                matches!(
                    credentials(&headers(bad), None),
                    Err(AuthError::Malformed(_))
                ),
                "{bad:?}"
            );
        }
    }

    /// Entries the `iat` window has left behind are dropped as time goes on.
    #[test]
    fn the_replay_cache_forgets_what_the_window_left_behind() {
        let dpop = Dpop::new(&args(DpopMode::Required, false), "http://localhost:9000").unwrap();
        let key = step11::es256::Es256Key::generate();
        let jkt = proof::thumbprint(key.public_jwk().as_object().unwrap()).unwrap();
        let mut claims = serde_json::Map::new();
        claims.insert("sub".into(), json!("u"));
        claims.insert("exp".into(), json!(i64::MAX));
        claims.insert("cnf".into(), json!({"jkt": jkt}));
        let identity = Identity::from_claims(claims).unwrap();
        let send = |iat: i64| {
            let proof = key.sign(
                &key.proof_header(),
                &json!({"jti": format!("j{iat}"), "htm": "POST", "htu": "http://localhost:9000/mcp",
                    "iat": iat, "ath": proof::access_token_hash("tok")}),
            );
            let request = axum::http::Request::post("/mcp")
                .header("dpop", proof)
                .body(())
                .unwrap();
            let (parts, ()) = request.into_parts();
            dpop.check(&parts, "tok", &identity, iat)
                .map_err(|r| format!("{r:?}"))
        };
        send(1_000).unwrap();
        send(1_050).unwrap();
        assert_eq!(dpop.replay.lock().unwrap().len(), 2);
        send(1_100).unwrap();
        assert_eq!(
            dpop.replay.lock().unwrap().len(),
            2,
            "1 000 is older than 1 100 - 60; 1 050 is not"
        );
    }

    #[test]
    fn a_bearer_challenge_becomes_a_dpop_one() {
        let bearer =
            HeaderValue::from_static(r#"Bearer realm="mcp-server", error="invalid_token""#);
        let dpop = as_dpop(&bearer);
        assert_eq!(
            dpop.to_str().unwrap(),
            format!(
                r#"DPoP algs="{}", realm="mcp-server", error="invalid_token""#,
                Dpop::algs()
            )
        );
        assert_eq!(
            as_dpop(&HeaderValue::from_static("Bearer"))
                .to_str()
                .unwrap(),
            format!(r#"DPoP algs="{}""#, Dpop::algs())
        );
    }
}
