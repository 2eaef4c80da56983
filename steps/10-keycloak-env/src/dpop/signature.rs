//! A proof's signature, checked with the key in its own header (RFC 9449
//! §4.3 check 6; JWS, RFC 7515 §5.2).
//!
//! Every request carries a new proof, so this runs once per request — no
//! cache can help (a proof is good once). ring's verification is used
//! here rather than jsonwebtoken's pure-Rust backend: on the development
//! machine an ES256 check took 74 µs with ring and 382 µs with the `p256`
//! crate (scripts/bench.sh measures the whole request). ring is already in
//! the tree as rustls' crypto provider.
//!
//! Each algorithm is pinned to its key type and curve (RFC 8725 §3.1): an
//! `ES256` header with a P-384 or RSA key is refused, not tried.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde_json::{Map, Value};

use super::proof::ProofError;

/// The accepted algorithms (asymmetric only: a symmetric key in a proof
/// would be a secret sent in the clear). Also the challenge's `algs` and
/// the metadata's `dpop_signing_alg_values_supported`.
pub const ALGS: [&str; 9] = [
    "ES256", "ES384", "EdDSA", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
];

/// Check `signature` over `signing_input` (`header.payload`, as sent) with
/// the public key `jwk`, for algorithm `alg`.
pub fn verify(
    alg: &str,
    jwk: &Map<String, Value>,
    signing_input: &[u8],
    signature: &[u8],
) -> Result<(), ProofError> {
    let member = |name: &str| -> Result<Vec<u8>, ProofError> {
        let text = jwk
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| ProofError::Key(format!("member {name:?} missing")))?;
        URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| ProofError::Key(format!("member {name:?} is not base64url")))
    };
    let kty = jwk.get("kty").and_then(Value::as_str).unwrap_or("");
    let crv = jwk.get("crv").and_then(Value::as_str).unwrap_or("");
    let refused = |why: &str| Err(ProofError::Signature(why.to_string()));
    let checked = match (alg, kty, crv) {
        ("ES256", "EC", "P-256") => {
            ec(&signature::ECDSA_P256_SHA256_FIXED, 32, member)?.verify(signing_input, signature)
        }
        ("ES384", "EC", "P-384") => {
            ec(&signature::ECDSA_P384_SHA384_FIXED, 48, member)?.verify(signing_input, signature)
        }
        ("EdDSA", "OKP", "Ed25519") => UnparsedPublicKey::new(&signature::ED25519, member("x")?)
            .verify(signing_input, signature),
        ("RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512", "RSA", _) => {
            let parameters: &signature::RsaParameters = match alg {
                "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
                "RS384" => &signature::RSA_PKCS1_2048_8192_SHA384,
                "RS512" => &signature::RSA_PKCS1_2048_8192_SHA512,
                "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
                "PS384" => &signature::RSA_PSS_2048_8192_SHA384,
                _ => &signature::RSA_PSS_2048_8192_SHA512,
            };
            let (n, e) = (member("n")?, member("e")?);
            RsaPublicKeyComponents { n: &n, e: &e }.verify(parameters, signing_input, signature)
        }
        _ => return refused(&format!("alg {alg} does not go with a {kty} {crv} key")),
    };
    checked.or_else(|_| refused("the signature does not verify"))
}

/// An EC public key from `x` and `y`, each `size` bytes (SEC 1 §2.3.3,
/// uncompressed: `0x04 || x || y`).
fn ec(
    algorithm: &'static signature::EcdsaVerificationAlgorithm,
    size: usize,
    member: impl Fn(&str) -> Result<Vec<u8>, ProofError>,
) -> Result<UnparsedPublicKey<Vec<u8>>, ProofError> {
    let (x, y) = (member("x")?, member("y")?);
    if x.len() != size || y.len() != size {
        return Err(ProofError::Key(format!(
            "x and y must be {size} bytes each"
        )));
    }
    let mut point = Vec::with_capacity(1 + 2 * size);
    point.push(4);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    Ok(UnparsedPublicKey::new(algorithm, point))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::{
        rand::SystemRandom,
        signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair},
    };
    use serde_json::json;

    const INPUT: &[u8] = b"eyJhbGciOiJ4In0.eyJqdGkiOiJ5In0";

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    /// Every algorithm of the allow-list verifies a signature made by its
    /// key, and refuses it over other bytes or under another algorithm.
    #[test]
    fn each_accepted_algorithm_verifies_and_refuses() {
        let rng = SystemRandom::new();
        let mut cases: Vec<(&str, Map<String, Value>, Vec<u8>)> = Vec::new();
        for (alg, signing, crv, size) in [
            (
                "ES256",
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                "P-256",
                32,
            ),
            (
                "ES384",
                &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                "P-384",
                48,
            ),
        ] {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(signing, &rng).unwrap();
            let pair = EcdsaKeyPair::from_pkcs8(signing, pkcs8.as_ref(), &rng).unwrap();
            let point = pair.public_key().as_ref();
            let jwk = object(json!({"kty": "EC", "crv": crv,
                "x": b64(&point[1..1 + size]), "y": b64(&point[1 + size..])}));
            let signed = pair.sign(&rng, INPUT).unwrap().as_ref().to_vec();
            cases.push((alg, jwk, signed));
        }
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let jwk =
            object(json!({"kty": "OKP", "crv": "Ed25519", "x": b64(pair.public_key().as_ref())}));
        cases.push(("EdDSA", jwk, pair.sign(INPUT).as_ref().to_vec()));
        // The demo RSA key (keys/), PKCS#8 PEM → DER.
        let pem = include_str!("../../../../keys/mcp_private_key.pem");
        let der: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(der)
            .unwrap();
        let pair = RsaKeyPair::from_pkcs8(&der).unwrap();
        let public: ring::rsa::PublicKeyComponents<Vec<u8>> = pair.public().into();
        let jwk = object(json!({"kty": "RSA", "n": b64(&public.n), "e": b64(&public.e)}));
        for (alg, padding) in [
            (
                "RS256",
                &signature::RSA_PKCS1_SHA256 as &dyn signature::RsaEncoding,
            ),
            ("RS384", &signature::RSA_PKCS1_SHA384),
            ("RS512", &signature::RSA_PKCS1_SHA512),
            ("PS256", &signature::RSA_PSS_SHA256),
            ("PS384", &signature::RSA_PSS_SHA384),
            ("PS512", &signature::RSA_PSS_SHA512),
        ] {
            let mut signed = vec![0; pair.public().modulus_len()];
            pair.sign(padding, &rng, INPUT, &mut signed).unwrap();
            cases.push((alg, jwk.clone(), signed));
        }
        assert_eq!(cases.len(), ALGS.len(), "every accepted algorithm is tried");
        for (alg, jwk, signed) in &cases {
            assert_eq!(verify(alg, jwk, INPUT, signed), Ok(()), "{alg}");
            assert!(
                verify(alg, jwk, b"other.bytes", signed).is_err(),
                "{alg}: other bytes"
            );
            let mut flipped = signed.clone();
            flipped[0] ^= 1;
            assert!(verify(alg, jwk, INPUT, &flipped).is_err(), "{alg}: flipped");
        }
        // PKCS#1 v1.5 and PSS are not interchangeable.
        let (_, rsa, pss) = &cases[cases.len() - 3];
        assert!(verify("RS256", rsa, INPUT, pss).is_err());
    }

    #[test]
    fn a_key_of_the_wrong_kind_or_size_is_refused() {
        let p256 =
            object(json!({"kty": "EC", "crv": "P-256", "x": b64(&[1; 32]), "y": b64(&[2; 32])}));
        assert!(matches!(
            verify("ES384", &p256, INPUT, &[0; 96]),
            Err(ProofError::Signature(_))
        ));
        assert!(matches!(
            verify("RS256", &p256, INPUT, &[0; 256]),
            Err(ProofError::Signature(_))
        ));
        let short =
            object(json!({"kty": "EC", "crv": "P-256", "x": b64(&[1; 31]), "y": b64(&[2; 32])}));
        assert!(matches!(
            verify("ES256", &short, INPUT, &[0; 64]),
            Err(ProofError::Key(_))
        ));
        let ed448 = object(json!({"kty": "OKP", "crv": "Ed448", "x": b64(&[1; 57])}));
        assert!(verify("EdDSA", &ed448, INPUT, &[0; 114]).is_err());
        let hmac = object(json!({"kty": "oct", "k": b64(b"secret")}));
        assert!(verify("HS256", &hmac, INPUT, &[0; 32]).is_err());
        let not_b64 = object(json!({"kty": "EC", "crv": "P-256", "x": "!!", "y": b64(&[2; 32])}));
        assert!(matches!(
            verify("ES256", &not_b64, INPUT, &[0; 64]),
            Err(ProofError::Key(_))
        ));
    }
}
