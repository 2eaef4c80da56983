//! DPoP, the client's side (RFC 9449) — beyond the blog.
//!
//! A bearer token works for whoever holds it. With DPoP the client keeps a
//! private key, the provider binds the token to that key's thumbprint
//! (`cnf.jkt`), and every request carries a fresh *proof*: a small JWT signed
//! with the key, naming this request (RFC 9449 §4.2):
//!
//! ```text
//! DPoP: eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7…   header: typ dpop+jwt, alg ES256, jwk (public)
//!                                                              claims: jti (unique), htm POST, htu https://…/mcp,
//!                                                                      iat (now), ath (hash of the token), [nonce]
//! Authorization: DPoP <access token>
//! ```
//!
//! A stolen token is then useless without the key; a stolen proof is useless
//! for any other request, URL, or (through `jti` and `iat`) a second time.
//!
//! One key per run ([`DpopKey::generate`]): nothing to store, and a token
//! bound to it dies with the process. P-256 / ES256, the algorithm every
//! provider and resource server accepts.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use p256::{
    ecdsa::{Signature, SigningKey, signature::Signer},
    pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding},
};
use rand::RngCore;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The one algorithm this client signs proofs with.
pub const ALG: &str = "ES256";

/// A DPoP key pair: signs proofs, shows its public half as a JWK.
pub struct DpopKey {
    signing: SigningKey,
    jwk: Value,
}

impl std::fmt::Debug for DpopKey {
    /// The public half only: a private key never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DpopKey({})", self.jwk)
    }
}

impl DpopKey {
    /// A fresh P-256 key from the operating system's random source.
    pub fn generate() -> DpopKey {
        DpopKey::from_signing(SigningKey::random(&mut rand::rngs::OsRng))
    }

    /// A key from a PKCS#8 PEM file's text (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pkcs8_pem(pem: &str) -> Result<DpopKey, String> {
        SigningKey::from_pkcs8_pem(pem)
            .map(DpopKey::from_signing)
            .map_err(|e| format!("not a PKCS#8 P-256 private key: {e}"))
    }

    /// The private key as PKCS#8 PEM (to keep a key between runs of a tool).
    pub fn to_pkcs8_pem(&self) -> String {
        self.signing
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| pem.to_string())
            .unwrap_or_default()
    }

    fn from_signing(signing: SigningKey) -> DpopKey {
        let point = signing.verifying_key().to_encoded_point(false);
        // An uncompressed SEC1 point: 0x04, then x and y, 32 bytes each.
        let bytes = point.as_bytes();
        let jwk = json!({
            "kty": "EC",
            "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(bytes.get(1..33).unwrap_or_default()),
            "y": URL_SAFE_NO_PAD.encode(bytes.get(33..65).unwrap_or_default()),
        });
        DpopKey { signing, jwk }
    }

    /// The public key as a JWK (RFC 7517): what goes into every proof's header.
    pub fn public_jwk(&self) -> &Value {
        &self.jwk
    }

    /// The proof for one request: `htm` (method), `htu` (the URL, without
    /// query or fragment, RFC 9449 §4.2), `ath` when an access token goes
    /// with it, `nonce` when the server or provider asked for one.
    pub fn proof(
        &self,
        htm: &str,
        htu: &str,
        access_token: Option<&str>,
        nonce: Option<&str>,
    ) -> String {
        let mut claims = json!({
            "jti": random_id(),
            "htm": htm,
            "htu": target_uri(htu),
            "iat": now_unix(),
        });
        if let Some(token) = access_token {
            claims["ath"] = json!(access_token_hash(token));
        }
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        self.sign(&self.proof_header(), &claims)
    }

    /// The header of a proof: `typ`, `alg`, and the public key.
    pub fn proof_header(&self) -> Value {
        json!({"typ": "dpop+jwt", "alg": ALG, "jwk": self.jwk})
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

/// `ath`: base64url(SHA-256(the access token)), RFC 9449 §4.2.
pub fn access_token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// The URL as `htu` names it: no query, no fragment.
pub fn target_uri(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            parsed.set_query(None);
            parsed.set_fragment(None);
            parsed.to_string()
        }
        Err(_) => url.to_string(),
    }
}

/// 128 random bits, base64url: a `jti` no one can guess or repeat by chance.
fn random_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(jws: &str, index: usize) -> Value {
        let segment = jws.split('.').nth(index).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
    }

    #[test]
    fn a_proof_names_its_request_and_token() {
        let key = DpopKey::generate();
        let proof = key.proof(
            "POST",
            "https://mcp.example/mcp?x=1#frag",
            Some("tok"),
            Some("n1"),
        );
        let header = part(&proof, 0);
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert_eq!(&header["jwk"], key.public_jwk());
        assert!(header["jwk"].get("d").is_none(), "no private part");
        let claims = part(&proof, 1);
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["htu"], "https://mcp.example/mcp");
        // RFC 9449 §4.2: SHA-256 of "tok", base64url.
        assert_eq!(claims["ath"], "GnZ0607njffhrEOak8P6jjyUV4TU3sn9jjARc4svHWI");
        assert_eq!(claims["nonce"], "n1");
        assert_eq!(claims["jti"].as_str().unwrap().len(), 22);
        assert!((claims["iat"].as_i64().unwrap() - now_unix()).abs() <= 1);
        let other = key.proof("POST", "https://mcp.example/mcp", None, None);
        assert_ne!(
            part(&other, 1)["jti"],
            claims["jti"],
            "a fresh jti each time"
        );
        assert!(part(&other, 1).get("ath").is_none());
        assert_eq!(
            proof.split('.').nth(2).unwrap().len(),
            86,
            "r || s, 64 bytes"
        );
    }

    #[test]
    fn a_key_survives_pem_and_two_keys_differ() {
        let key = DpopKey::generate();
        let again = DpopKey::from_pkcs8_pem(&key.to_pkcs8_pem()).unwrap();
        assert_eq!(again.public_jwk(), key.public_jwk());
        assert_ne!(DpopKey::generate().public_jwk(), key.public_jwk());
        assert!(DpopKey::from_pkcs8_pem("not a key").is_err());
        assert!(!format!("{key:?}").contains("\"d\""));
    }
}
