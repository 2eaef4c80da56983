//! PKCE (RFC 7636) and the `state` value.
//!
//! The client makes a secret (`code_verifier`, 43–128 unreserved characters),
//! sends only its SHA-256 (`code_challenge`, method `S256`) with the
//! authorization request, and reveals the verifier with the token request.
//! Someone who intercepts the authorization code cannot redeem it without
//! the verifier. OAuth 2.1 and the MCP spec require PKCE with S256.
//!
//! ```text
//! code_verifier  = 64 random unreserved characters
//! code_challenge = BASE64URL-NOPAD( SHA-256( code_verifier ) )
//! ```

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::{Rng, distributions::Alphanumeric};
use sha2::{Digest, Sha256};

use crate::secret::Secret;

/// A verifier and its S256 challenge. The verifier is a [`Secret`]: with it,
/// a stolen code can be redeemed.
#[derive(Debug, Clone)]
pub struct Pkce {
    pub verifier: Secret,
    pub challenge: String,
}

/// `len` random alphanumeric characters from the OS generator.
pub fn random_string(len: usize) -> String {
    rand::rngs::OsRng
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// The S256 challenge of a verifier.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl Pkce {
    pub fn new() -> Pkce {
        let verifier = random_string(64);
        Pkce {
            challenge: s256(&verifier),
            verifier: Secret::new(verifier),
        }
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Pkce::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7636_appendix_b_example() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_are_long_and_unique() {
        let (a, b) = (Pkce::new(), Pkce::new());
        assert_eq!(a.verifier.len(), 64);
        assert_ne!(a.verifier, b.verifier);
        assert_eq!(a.challenge, s256(a.verifier.expose()));
        assert_eq!(format!("{a:?}").matches("[redacted]").count(), 1);
    }
}
