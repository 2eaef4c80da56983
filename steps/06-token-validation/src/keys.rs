//! Where verification keys come from — the seam that step 9 swaps.
//!
//! A token's header names its key (`kid`); the validator asks a
//! [`KeySource`] for that key. Step 6's source is the one local PEM file of
//! step 5 ([`LocalKey`]). Step 9's source is Keycloak's remote key set,
//! cached, refreshed when an unknown `kid` shows up — which is why the lookup
//! is asynchronous and why it can fail in two different ways:
//!
//! - [`KeyError::UnknownKid`]: no such key → the *token* is bad → `401`;
//! - [`KeyError::Unavailable`]: we have no keys at all right now (the
//!   provider is down) → *we* are broken → `503`, so clients retry rather
//!   than throw their token away.
//!
//! Each key carries its algorithm: the validator accepts exactly that one
//! algorithm for it (RFC 8725 §3.1 "Perform Algorithm Verification"), which
//! is what defeats `alg: none` and the HS256-with-the-public-key trick.

use std::{future::Future, pin::Pin, sync::Arc};

use jsonwebtoken::{Algorithm, DecodingKey};
use step5::public_key::PublicKey;

/// A boxed future, so that `KeySource` can be used as `dyn KeySource`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One key a token may be signed with.
pub struct VerifyingKey {
    pub kid: String,
    /// The one algorithm this key verifies.
    pub algorithm: Algorithm,
    pub decoding: DecodingKey,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("no key with kid {0:?}")]
    UnknownKid(String),
    #[error("signing keys are unavailable: {0}")]
    Unavailable(String),
    /// The kid is unknown and the key set was refreshed moments ago: we will
    /// not ask the provider again yet (forged kids must not make us hammer
    /// it), but a genuinely new key may be behind it → `503` + `Retry-After`,
    /// not `401`.
    #[error("kid {kid:?} is unknown and the key set may not be refreshed for {retry_after_secs} s")]
    CoolingDown { kid: String, retry_after_secs: u64 },
}

/// Something that finds the verification key for a `kid`.
pub trait KeySource: Send + Sync {
    fn key_for<'a>(&'a self, kid: &'a str) -> BoxFuture<'a, Result<Arc<VerifyingKey>, KeyError>>;

    /// Is `kid` in the key set right now? Never fetches: the validator asks
    /// this on every cache hit, so that a key the provider dropped revokes
    /// the tokens it signed at once.
    fn contains(&self, kid: &str) -> bool;
}

/// Step 5's single local public key, as a key source.
pub struct LocalKey {
    key: Arc<VerifyingKey>,
}

impl LocalKey {
    /// RS256 with the loaded key, under its RFC 7638 kid.
    pub fn new(public: &PublicKey) -> Result<LocalKey, jsonwebtoken::errors::Error> {
        let decoding = DecodingKey::from_rsa_components(&public.jwk.n, &public.jwk.e)?;
        Ok(LocalKey {
            key: Arc::new(VerifyingKey {
                kid: public.jwk.kid.clone(),
                algorithm: Algorithm::RS256,
                decoding,
            }),
        })
    }
}

impl KeySource for LocalKey {
    fn key_for<'a>(&'a self, kid: &'a str) -> BoxFuture<'a, Result<Arc<VerifyingKey>, KeyError>> {
        let found = if kid == self.key.kid {
            Ok(self.key.clone())
        } else {
            Err(KeyError::UnknownKid(kid.to_string()))
        };
        Box::pin(std::future::ready(found))
    }

    fn contains(&self, kid: &str) -> bool {
        kid == self.key.kid
    }
}
