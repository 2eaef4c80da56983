//! Validating a JWT access token, in the order that is cheapest and safest.
//!
//! ```text
//! 1. length ≤ 8 KiB                  before any parsing or crypto: a 64 KiB "token" costs nothing
//! 2. seen before and not expired?    the verified-token cache (token_cache.rs)
//! 3. header: alg, kid                decode_header; alg "none" does not even parse
//! 4. the key for kid                 KeySource (step 5's file now, Keycloak's JWKS in step 9)
//! 5. alg == the key's algorithm      pinned per key: RS256 here (RFC 8725 §3.1)
//! 6. signature, exp, nbf, iss, aud   jsonwebtoken::decode with a strict Validation
//!    and sub, exp, iss, aud present  (30 s leeway for clock skew)
//! ```
//!
//! We never hand-write what `jsonwebtoken` does (signature, claim checks);
//! we only decide the policy. The audience check is the one the MCP spec
//! insists on (Authorization › Token Handling): a server MUST only accept
//! tokens issued *for it* — otherwise a token meant for another service
//! could be replayed here ("confused deputy").
//!
//! Every rejection has a precise reason ([`TokenError`]) for the log; the
//! client only learns "invalid" or "expired".

use std::sync::Arc;

use jsonwebtoken::{Validation, decode, decode_header, errors::ErrorKind};
use serde_json::{Map, Value};

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
#[derive(Debug, thiserror::Error)]
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
    #[error("the claims do not describe a subject")]
    NoSubject,
}

impl TokenError {
    /// Is this our fault (no keys to check with) rather than the token's?
    pub fn is_unavailable(&self) -> bool {
        matches!(self, TokenError::Key(KeyError::Unavailable(_)))
    }
}

/// Checks tokens for one issuer and audience.
pub struct Validator {
    keys: Arc<dyn KeySource>,
    issuer: String,
    audiences: Vec<String>,
    cache: TokenCache,
}

impl Validator {
    pub fn new(keys: Arc<dyn KeySource>, issuer: String, audiences: Vec<String>) -> Validator {
        Validator {
            keys,
            issuer,
            audiences,
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

    /// Validate `token` and return who it is for.
    pub async fn validate(&self, token: &str) -> Result<Identity, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::TooLong);
        }
        let now = now_unix();
        if let Some(identity) = self.cache.get(token, now) {
            return Ok(identity);
        }

        let header = decode_header(token).map_err(|e| TokenError::Header(e.to_string()))?;
        let kid = header.kid.ok_or(TokenError::MissingKid)?;
        let key = self.keys.key_for(&kid).await?;
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
                    _ => TokenError::Invalid(e.to_string()),
                }
            })?;
        let identity = Identity::from_claims(data.claims).ok_or(TokenError::NoSubject)?;
        self.cache.insert(token, identity.clone(), now);
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
