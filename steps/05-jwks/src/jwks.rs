//! The JSON Web Key Set: our public key, published so others can verify
//! tokens signed with the matching private key.
//!
//! ```text
//! GET /.well-known/jwks.json
//!
//! HTTP/1.1 200 OK
//! content-type: application/json
//!
//! {"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"mIIx…","n":"wK3…","e":"AQAB"}]}
//! ```
//!
//! An RSA public key is two numbers: the modulus `n` and the exponent `e`
//! (almost always 65537, which is `AQAB` in base64url). RFC 7518 §6.3.1 says
//! both are written big-endian, without leading zeros, in base64url *without
//! padding* (RFC 7515 §2). `use: sig` and `alg: RS256` pin what the key is
//! for, so a verifier never tries it with another algorithm.
//!
//! The key id `kid` is the key's **RFC 7638 thumbprint**: the SHA-256 of a
//! canonical JSON of its required members (`e`, `kty`, `n`, in that order, no
//! spaces). Anyone holding the public key computes the same id — `tokengen`
//! does, and puts it in every token header, so a server can pick the right key
//! when there are several (as there are during key rotation, step 9).

use axum::{Json, Router, routing::get};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rsa::{RsaPublicKey, traits::PublicKeyParts};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One JSON Web Key (RFC 7517 §4), as we publish RSA signing keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub alg: String,
    pub kid: String,
    pub n: String,
    pub e: String,
}

/// A JSON Web Key Set (RFC 7517 §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

/// base64url, no padding, of a big-endian unsigned integer (RFC 7518 §2
/// "Base64urlUInt").
pub fn base64url_uint(bytes_be: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes_be)
}

/// The RFC 7638 thumbprint of an RSA key given its base64url `n` and `e`.
///
/// ```text
/// SHA-256( {"e":"AQAB","kty":"RSA","n":"…"} )  → base64url
/// ```
pub fn rsa_thumbprint(n: &str, e: &str) -> String {
    // Members in lexicographic order, no whitespace (RFC 7638 §3.2, §3.3).
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

impl Jwk {
    /// The public JWK of an RSA key, for RS256 signatures, with its
    /// thumbprint as `kid`.
    pub fn from_rsa(key: &RsaPublicKey) -> Jwk {
        let n = base64url_uint(&key.n().to_bytes_be());
        let e = base64url_uint(&key.e().to_bytes_be());
        Jwk {
            kty: "RSA".into(),
            use_: "sig".into(),
            alg: "RS256".into(),
            kid: rsa_thumbprint(&n, &e),
            n,
            e,
        }
    }
}

/// `GET /.well-known/jwks.json` serving `set`.
pub fn routes(set: JwkSet) -> Router {
    Router::new().route(
        "/.well-known/jwks.json",
        get(move || {
            let set = set.clone();
            async move { Json(set) }
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_matches_the_rfc_7638_example() {
        // RFC 7638 §3.1: the example key and its published thumbprint.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        assert_eq!(
            rsa_thumbprint(n, "AQAB"),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn e_65537_is_aqab() {
        assert_eq!(base64url_uint(&[1, 0, 1]), "AQAB");
    }
}
