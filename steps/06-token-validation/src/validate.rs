//! Validating a JWT access token, in the order that is cheapest and safest.
//!
//! ```text
//! 1. length ≤ 8 KiB                  before any parsing or crypto: a 64 KiB "token" costs nothing
//! 2. seen before, entry live, and    the verified-token cache (token_cache.rs): ≤ 60 s, and only
//!    its kid still in the key set    while the signing key is still published
//! 3. header: alg, kid, typ, crit     decode_header; alg "none" does not even parse; typ says
//!                                    "access token" (RFC 9068 §4); no crit we do not understand
//! 4. the key for kid                 KeySource (step 5's file now, Keycloak's JWKS in step 9)
//! 5. alg == the key's algorithm      pinned per key: RS256 here (RFC 8725 §3.1)
//! 6. signature, exp, nbf, iss, aud   jsonwebtoken::decode with a strict Validation
//!    and sub, exp, iss, aud present  (30 s leeway for clock skew)
//! 7. iat not in the future, and      a stolen signing key cannot mint ten-year tokens that
//!    exp - iat ≤ --max-token-lifetime outlive the key's rotation
//! ```
//!
//! We never hand-write what `jsonwebtoken` does (signature, claim checks);
//! we only decide the policy. The audience check is the one the MCP spec
//! insists on (Authorization › Token Handling): a server MUST only accept
//! tokens issued *for it* — otherwise a token meant for another service
//! could be replayed here (the "confused deputy": a service tricked into
//! using authority that was given to someone else).
//!
//! Steps 3 and 7 (`typ`, lifetime) and what is checked after step 7 (`cnf`)
//! go beyond the blog: [`crate::token_rules`], [`crate::bound`].
//!
//! Every rejection has a precise reason ([`TokenError`]) for the log; the
//! client only learns "invalid" or "expired".

use std::sync::Arc;

use jsonwebtoken::{Validation, decode, decode_header, errors::ErrorKind};
use serde_json::{Map, Value};

pub use crate::token_rules::{DEFAULT_MAX_LIFETIME_SECS, TokenType, unverified_claims};
use crate::{
    identity::Identity,
    keys::{KeyError, KeySource},
    token_cache::{DEFAULT_CAPACITY, TokenCache},
};

/// Tokens longer than this are refused before any work. Real access tokens
/// are 1–2 KiB; Keycloak's with many roles stay well under 8 KiB.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Allowed clock skew between the issuer and us, in seconds.
pub const LEEWAY_SECS: u64 = 30;

/// Why a token was refused (for the log, with the request id).
/// `Clone`, so one answer can be shared by every request waiting for it (step 10).
#[derive(Debug, Clone, thiserror::Error)]
pub enum TokenError {
    #[error("token is longer than {MAX_TOKEN_BYTES} bytes")]
    TooLong,
    #[error("malformed token header: {0}")]
    Header(String),
    #[error("the token header has no kid")]
    MissingKid,
    #[error("algorithm {found:?} is not allowed for key {kid} (pinned to {pinned:?})")]
    Algorithm {
        found: jsonwebtoken::Algorithm,
        pinned: jsonwebtoken::Algorithm,
        kid: String,
    },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet (nbf)")]
    NotYetValid,
    #[error("rejected by validation: {0}")]
    Invalid(String),
    /// What `jsonwebtoken::decode` refused: the signature, or a claim rule
    /// (`InvalidIssuer`, `InvalidAudience`, `MissingRequiredClaim("exp")` …).
    #[error("rejected by validation: {0:?}")]
    Claims(ErrorKind),
    #[error("the claims do not describe a subject")]
    NoSubject,
    #[error("not an access token: {0}")]
    WrongType(String),
    #[error(
        "the header marks extension(s) {0:?} as critical, and we understand none (RFC 7515 §4.1.11)"
    )]
    Critical(Vec<String>),
    #[error("iat is {0} s in the future")]
    IssuedInFuture(i64),
    #[error("the token lives {0} s, longer than the {1} s this server accepts")]
    LivesTooLong(i64, i64),
    /// Bound to a key or certificate (`cnf`) it was sent without proof of
    /// ([`crate::bound`]).
    #[error("the token is sender-constrained ({0}) but was sent as a plain Bearer token")]
    Bound(String),
    /// Checking this token would cost more than the server allows itself right
    /// now (step 10 caps provider calls per second) → `503` + `Retry-After`.
    #[error("too many tokens to check right now; retry in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
}

impl TokenError {
    /// Is this our fault (no keys to check with, or a refresh we may not do
    /// yet) rather than the token's? Then the answer is `503`, not `401`.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            TokenError::Key(KeyError::Unavailable(_) | KeyError::CoolingDown { .. })
                | TokenError::Busy { .. }
        )
    }

    /// When a `503` should tell the client to come back (`Retry-After`, seconds).
    pub fn retry_after_secs(&self) -> u64 {
        match self {
            TokenError::Key(KeyError::CoolingDown {
                retry_after_secs, ..
            })
            | TokenError::Busy { retry_after_secs } => (*retry_after_secs).max(1),
            _ => 5,
        }
    }
}

/// Checks tokens for one issuer and audience.
pub struct Validator {
    keys: Arc<dyn KeySource>,
    pub(crate) issuer: String,
    audiences: Vec<String>,
    pub(crate) token_type: TokenType,
    pub(crate) max_lifetime_secs: i64,
    cache: TokenCache,
}

impl Validator {
    pub fn new(keys: Arc<dyn KeySource>, issuer: String, audiences: Vec<String>) -> Validator {
        Validator {
            keys,
            issuer,
            audiences,
            token_type: TokenType::AtJwt,
            max_lifetime_secs: DEFAULT_MAX_LIFETIME_SECS,
            cache: TokenCache::new(DEFAULT_CAPACITY),
        }
    }

    /// The same, with a cache of `capacity` entries (0 turns it off, e.g. to
    /// benchmark raw verification).
    pub fn with_cache_capacity(mut self, capacity: usize) -> Validator {
        self.cache = TokenCache::new(capacity);
        self
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// Validate `token` and return who it is for. A token bound to a key
    /// (`cnf`) is refused: nothing here checks a proof ([`crate::bound`]).
    pub async fn validate(&self, token: &str) -> Result<Identity, TokenError> {
        let identity = self.validate_any_binding(token).await?;
        crate::bound::refuse_bound(&identity.claims)?;
        Ok(identity)
    }

    /// [`Validator::validate`] without the `cnf` rule, for a caller that
    /// checks the binding itself (step 10's DPoP: the proof's key must be
    /// the token's `cnf.jkt`).
    pub async fn validate_any_binding(&self, token: &str) -> Result<Identity, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::TooLong);
        }
        let now = now_unix();
        if let Some(hit) = self.cache.get(token, now) {
            // Only while the key that signed it is still published.
            if hit
                .kid
                .as_deref()
                .is_some_and(|kid| self.keys.contains(kid))
            {
                return Ok(hit.identity);
            }
        }

        let header = decode_header(token).map_err(|e| TokenError::Header(e.to_string()))?;
        if let Some(critical) = header.crit {
            return Err(TokenError::Critical(critical));
        }
        if self.token_type == TokenType::AtJwt {
            let typ = header.typ.as_deref().unwrap_or("(none)");
            let typ_ok = typ.eq_ignore_ascii_case("at+jwt")
                || typ.eq_ignore_ascii_case("application/at+jwt");
            if !typ_ok {
                return Err(TokenError::WrongType(format!(
                    "header typ {typ:?}, expected at+jwt"
                )));
            }
        }
        let kid = header.kid.ok_or(TokenError::MissingKid)?;
        let key = match self.keys.key_for(&kid).await {
            Ok(key) => key,
            // "Come back later" (503) is for a token that could be ours. A
            // forged kid on a token for another issuer, or one already
            // expired, is just a bad token: 401 — a proxy that sees a run of
            // 503s ejects a healthy server.
            Err(KeyError::CoolingDown { .. }) if !self.could_be_ours(token, now) => {
                return Err(TokenError::Key(KeyError::UnknownKid(kid)));
            }
            Err(error) => return Err(error.into()),
        };
        if header.alg != key.algorithm {
            return Err(TokenError::Algorithm {
                found: header.alg,
                pinned: key.algorithm,
                kid,
            });
        }

        let mut rules = Validation::new(key.algorithm);
        rules.set_issuer(&[&self.issuer]);
        rules.set_audience(&self.audiences);
        rules.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        rules.validate_nbf = true;
        rules.leeway = LEEWAY_SECS;

        let data =
            decode::<Map<String, Value>>(token, &key.decoding, &rules).map_err(|e| {
                match e.kind() {
                    ErrorKind::ExpiredSignature => TokenError::Expired,
                    ErrorKind::ImmatureSignature => TokenError::NotYetValid,
                    other => TokenError::Claims(other.clone()),
                }
            })?;
        self.check_type_claim(&data.claims)?;
        self.check_lifetime(&data.claims, now)?;
        let identity = Identity::from_claims(data.claims).ok_or(TokenError::NoSubject)?;
        let until = identity.expires_at;
        self.cache
            .insert(token, identity.clone(), Some(&kid), until, now);
        Ok(identity)
    }
}

/// Seconds since the Unix epoch (UTC).
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{BoxFuture, VerifyingKey};
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    use serde_json::json;

    /// A key source inside its refresh cooldown: every kid is "cooling down".
    struct CoolingDown;

    impl KeySource for CoolingDown {
        fn key_for<'a>(
            &'a self,
            kid: &'a str,
        ) -> BoxFuture<'a, Result<Arc<VerifyingKey>, KeyError>> {
            Box::pin(std::future::ready(Err(KeyError::CoolingDown {
                kid: kid.to_string(),
                retry_after_secs: 7,
            })))
        }

        fn contains(&self, _: &str) -> bool {
            false
        }
    }

    /// A validator whose key source is inside its refresh cooldown.
    fn cooling() -> Validator {
        Validator::new(
            Arc::new(CoolingDown),
            "http://idp/realms/r".into(),
            vec!["aud".into()],
        )
    }

    /// An unsigned token with a forged kid: the key lookup comes first.
    fn forged(claims: Value) -> String {
        let header = json!({"alg": "RS256", "typ": "at+jwt", "kid": "forged"});
        let part = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.c2ln", part(header), part(claims))
    }

    #[tokio::test]
    async fn only_a_token_that_could_be_ours_gets_503_during_the_cooldown() {
        let validator = cooling();
        let now = now_unix();
        let ours = forged(json!({"iss": "http://idp/realms/r", "exp": now + 60}));
        let verdict = validator.validate(&ours).await.unwrap_err();
        assert!(verdict.is_unavailable(), "ours: {verdict:?}");
        assert_eq!(verdict.retry_after_secs(), 7);

        let foreign = forged(json!({"iss": "http://elsewhere", "exp": now + 60}));
        let expired = forged(json!({"iss": "http://idp/realms/r", "exp": now - 600}));
        let no_claims = format!(
            "{}.bm90IGpzb24.c2ln",
            forged(json!({})).split('.').next().unwrap()
        );
        for token in [foreign, expired, no_claims] {
            let verdict = validator.validate(&token).await.unwrap_err();
            assert!(
                matches!(verdict, TokenError::Key(KeyError::UnknownKid(_))),
                "{verdict:?}"
            );
        }
    }

    /// A validator over the demo key (keys/), for tokens tokengen signs.
    fn demo() -> (Validator, tokengen::keypair::SigningKey) {
        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../keys"));
        let public = step5::public_key::PublicKey::load(&dir.join("mcp_public_key.pem")).unwrap();
        let key = tokengen::keypair::SigningKey::load(&dir.join("mcp_private_key.pem")).unwrap();
        let validator = Validator::new(
            Arc::new(crate::keys::LocalKey::new(&public).unwrap()),
            "http://idp".into(),
            vec!["aud-1".into(), "aud-2".into()],
        );
        (validator, key)
    }

    fn signed(key: &tokengen::keypair::SigningKey, claims: Value) -> String {
        tokengen::forge::sign(
            claims.as_object().unwrap(),
            jsonwebtoken::Algorithm::RS256,
            &key.encoding,
            Some(&key.jwk.kid),
        )
        .unwrap()
    }

    #[test]
    fn the_validator_says_whose_tokens_it_takes() {
        let (validator, _) = demo();
        assert_eq!(validator.issuer(), "http://idp");
        assert_eq!(validator.audiences(), ["aud-1", "aud-2"]);
    }

    #[tokio::test]
    async fn the_length_bound_is_8_kib_exactly() {
        let (validator, _) = demo();
        assert_eq!(MAX_TOKEN_BYTES, 8192);
        for len in [2000, MAX_TOKEN_BYTES] {
            let verdict = validator.validate(&"x".repeat(len)).await.unwrap_err();
            assert!(
                matches!(verdict, TokenError::Header(_)),
                "{len} bytes: {verdict:?}"
            );
        }
        let verdict = validator.validate(&"x".repeat(MAX_TOKEN_BYTES + 1)).await;
        assert!(matches!(verdict, Err(TokenError::TooLong)));
    }

    #[tokio::test]
    async fn iat_may_be_ahead_by_the_leeway_and_no_more() {
        let (validator, key) = demo();
        let now = now_unix();
        let leeway = LEEWAY_SECS as i64;
        let claims = |iat: i64| json!({"iss": "http://idp", "aud": "aud-1", "sub": "u", "iat": iat, "exp": now + 600});
        // At the edge of the clock-skew leeway: accepted.
        let edge = signed(&key, claims(now + leeway));
        assert!(validator.validate(&edge).await.is_ok());
        // Beyond it: refused, and the error says by how much.
        let ahead = signed(&key, claims(now + 300));
        match validator.validate(&ahead).await {
            Err(TokenError::IssuedInFuture(secs)) => assert!((299..=300).contains(&secs), "{secs}"),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_token_expired_beyond_the_leeway_is_not_ours_during_the_cooldown() {
        let validator = cooling();
        // exp + leeway == now: expired at the very edge, so a plain 401.
        let edge =
            forged(json!({"iss": "http://idp/realms/r", "exp": now_unix() - LEEWAY_SECS as i64}));
        let verdict = validator.validate(&edge).await.unwrap_err();
        assert!(
            matches!(verdict, TokenError::Key(KeyError::UnknownKid(_))),
            "{verdict:?}"
        );
    }
}
