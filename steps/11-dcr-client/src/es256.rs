//! An ES256 key (ECDSA P-256 with SHA-256, RFC 7518 §3.4) — beyond the blog.
//! It signs step 11's DPoP proofs ([`crate::dpop`]) and, with
//! `--grant client-credentials --client-key`, its `private_key_jwt` client
//! assertions (`client_assertion`).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use p256::{
    ecdsa::{Signature, SigningKey, signature::Signer},
    pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding},
};
use rand::RngCore;
use serde_json::{Value, json};

/// The algorithm name in a JWS header.
pub const ALG: &str = "ES256";

/// A P-256 key pair: signs JWTs, shows its public half as a JWK.
#[derive(Clone)]
pub struct Es256Key {
    signing: SigningKey,
    jwk: Value,
}

impl std::fmt::Debug for Es256Key {
    /// The public half only: a private key never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Es256Key({})", self.jwk)
    }
}

impl Es256Key {
    /// A fresh P-256 key from the operating system's random source.
    pub fn generate() -> Es256Key {
        Es256Key::from_signing(SigningKey::random(&mut rand::rngs::OsRng))
    }

    /// A key from a PKCS#8 PEM file's text (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pkcs8_pem(pem: &str) -> Result<Es256Key, String> {
        SigningKey::from_pkcs8_pem(pem)
            .map(Es256Key::from_signing)
            .map_err(|e| format!("not a PKCS#8 P-256 private key: {e}"))
    }

    /// The private key as PKCS#8 PEM (to keep a key between runs of a tool).
    pub fn to_pkcs8_pem(&self) -> String {
        self.signing
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| pem.to_string())
            .unwrap_or_default()
    }

    fn from_signing(signing: SigningKey) -> Es256Key {
        let point = signing.verifying_key().to_encoded_point(false);
        // An uncompressed SEC1 point: 0x04, then x and y, 32 bytes each.
        let bytes = point.as_bytes();
        let jwk = json!({
            "kty": "EC",
            "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(bytes.get(1..33).unwrap_or_default()),
            "y": URL_SAFE_NO_PAD.encode(bytes.get(33..65).unwrap_or_default()),
        });
        Es256Key { signing, jwk }
    }

    /// The public key as a JWK (RFC 7517): what goes into every proof's header.
    pub fn public_jwk(&self) -> &Value {
        &self.jwk
    }

    /// Sign any header and claims as a compact JWS with this key (ES256:
    /// the signature is `r || s`, 64 bytes, RFC 7518 §3.4). Public so tests
    /// can build the hostile proofs a server must refuse.
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature: Signature = self.signing.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }
}

/// 128 random bits, base64url: a `jti` no one can guess or repeat by chance.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Seconds since the Unix epoch (the `iat` of what this client signs).
pub fn now_unix() -> i64 {
    crate::credentials::now_unix() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_survives_pem_and_two_keys_differ() {
        let key = Es256Key::generate();
        let again = Es256Key::from_pkcs8_pem(&key.to_pkcs8_pem()).unwrap();
        assert_eq!(again.public_jwk(), key.public_jwk());
        assert_ne!(Es256Key::generate().public_jwk(), key.public_jwk());
        assert!(Es256Key::from_pkcs8_pem("not a key").is_err());
        assert!(!format!("{key:?}").contains("\"d\""));
        assert!(key.public_jwk().get("d").is_none(), "no private part");
    }
}
