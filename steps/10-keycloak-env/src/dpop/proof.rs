//! The rules of a DPoP proof at a resource server (RFC 9449 §4.3, §7.1),
//! in the order that is cheapest and safest:
//!
//! ```text
//! 1. length ≤ 8 KiB                          before any parsing
//! 2. header: typ dpop+jwt, alg on the        alg "none" and HS256 never reach a key; a
//!    allow-list, no crit, a public jwk       jwk with a private part ("d") is refused
//! 3. signature with that jwk                 signature.rs (ring), pinned to the header's alg
//! 4. htm = this method, htu = this URL       a proof for another request is worthless
//! 5. iat within [now - max age, now + 5 s]   an old proof is worthless
//! 6. ath = SHA-256 of the access token       a proof made for another token is worthless
//! 7. nonce, when the server asks for one     (nonce.rs)
//! 8. jti never seen before                   (replay.rs)
//! → the key's RFC 7638 thumbprint, which the caller compares with the token's cnf.jkt
//! ```
//!
//! Every refusal has a precise reason ([`ProofError`]) for the log; the
//! client learns `invalid_dpop_proof` and a short description.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub use super::signature::ALGS;

/// Proofs longer than this are refused unread (a real one is under 1 KiB).
pub const MAX_PROOF_BYTES: usize = 8 * 1024;

/// How far in the future a proof's `iat` may be (the client's clock runs ahead).
pub const FUTURE_SKEW_SECS: i64 = 5;

/// JWK members that only a private (or symmetric) key has (RFC 7518 §6).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("no DPoP proof header was sent with the DPoP token")]
    Missing,
    #[error("more than one DPoP proof header")]
    Multiple,
    #[error("the proof is longer than {MAX_PROOF_BYTES} bytes")]
    TooLong,
    #[error("the proof is not a signed JWT: {0}")]
    Malformed(String),
    #[error("the proof's typ is {0:?}, not \"dpop+jwt\"")]
    Type(String),
    #[error("the proof's alg {0:?} is not an accepted asymmetric algorithm")]
    Algorithm(String),
    #[error("the proof marks header extension(s) as critical; none are understood")]
    Critical,
    #[error("the proof's jwk: {0}")]
    Key(String),
    #[error("the proof's signature does not verify with its own jwk: {0}")]
    Signature(String),
    #[error("the proof is for {0}, not this request's method")]
    Method(String),
    #[error("the proof is for {found}, not {expected}")]
    Url { found: String, expected: String },
    #[error("the proof was made {0} s ago, longer than this server accepts")]
    Stale(i64),
    #[error("the proof claims to be made {0} s in the future")]
    Future(i64),
    #[error("the proof has no iat, jti, htm or htu claim, or one is not of its type")]
    Claims,
    #[error("the proof's ath is not the hash of the token it came with")]
    TokenHash,
    #[error("the proof's key is not the key the token is bound to (cnf.jkt)")]
    KeyMismatch,
    #[error("the proof was seen before (its jti)")]
    Replayed,
    #[error("a fresh server nonce is needed in the proof")]
    NonceNeeded,
}

impl ProofError {
    /// The `error` code of the 401 (RFC 9449 §7.1, §9).
    pub fn code(&self) -> &'static str {
        match self {
            ProofError::NonceNeeded => "use_dpop_nonce",
            _ => "invalid_dpop_proof",
        }
    }

    /// What the client is told: enough to fix an honest mistake, nothing an
    /// attacker learns more from than the code itself.
    pub fn description(&self) -> &'static str {
        match self {
            ProofError::Missing | ProofError::Multiple => {
                "Send exactly one DPoP header with a proof for this request"
            }
            ProofError::Stale(_) | ProofError::Future(_) => {
                "The DPoP proof's iat is out of range: make a fresh proof"
            }
            ProofError::Replayed => "The DPoP proof was used before: make a fresh proof",
            ProofError::Method(_) | ProofError::Url { .. } => {
                "The DPoP proof is for another request (htm/htu)"
            }
            ProofError::KeyMismatch => {
                "The DPoP proof is signed by a key the token is not bound to"
            }
            ProofError::NonceNeeded => "Resource server requires nonce in DPoP proof",
            _ => "The DPoP proof is invalid",
        }
    }
}

/// One request, as a proof must name it.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// `htm`: the HTTP method, exactly (RFC 9110 methods are case-sensitive).
    pub method: &'a str,
    /// `htu`: the public URL of this request, without query and fragment.
    pub url: &'a str,
    /// The access token the proof must hash (`ath`).
    pub access_token: &'a str,
}

/// A proof whose signature and claims have been checked; the caller still
/// owes the nonce and replay checks, and the comparison with `cnf.jkt`.
#[derive(Debug)]
pub struct Checked {
    /// RFC 7638 thumbprint of the proof's key.
    pub thumbprint: String,
    pub jti: String,
    pub iat: i64,
    pub nonce: Option<String>,
}

/// Check one proof against `target` at `now` (Unix seconds) — rules 1–6.
pub fn check(
    proof: &str,
    target: &Target<'_>,
    now: i64,
    max_age_secs: i64,
) -> Result<Checked, ProofError> {
    if proof.len() > MAX_PROOF_BYTES {
        return Err(ProofError::TooLong);
    }
    let header = read_header(proof)?;
    let typ = header
        .get("typ")
        .and_then(Value::as_str)
        .unwrap_or("(none)");
    if !typ.eq_ignore_ascii_case("dpop+jwt") {
        return Err(ProofError::Type(typ.to_string()));
    }
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or("(none)");
    if !ALGS.contains(&alg) {
        return Err(ProofError::Algorithm(alg.to_string()));
    }
    if header.contains_key("crit") {
        return Err(ProofError::Critical);
    }
    let jwk = header
        .get("jwk")
        .and_then(Value::as_object)
        .ok_or_else(|| ProofError::Key("missing".into()))?;
    if let Some(private) = PRIVATE_MEMBERS.iter().find(|m| jwk.contains_key(**m)) {
        return Err(ProofError::Key(format!(
            "it holds a private or symmetric key part ({private:?})"
        )));
    }
    let thumbprint = thumbprint(jwk)?;
    let (signing_input, signature) = proof.rsplit_once('.').unwrap_or_default();
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| ProofError::Malformed("the signature is not base64url".into()))?;
    super::signature::verify(alg, jwk, signing_input.as_bytes(), &signature)?;
    let payload = signing_input.split_once('.').unwrap_or_default().1;
    let claims: Map<String, Value> = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| ProofError::Malformed("the claims are not a JSON object".into()))?;

    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let (Some(jti), Some(htm), Some(htu), Some(iat)) = (
        text("jti"),
        text("htm"),
        text("htu"),
        claims.get("iat").and_then(Value::as_i64),
    ) else {
        return Err(ProofError::Claims);
    };
    if jti.is_empty() || jti.len() > 256 {
        return Err(ProofError::Claims);
    }
    if htm != target.method {
        return Err(ProofError::Method(htm.escape_debug().to_string()));
    }
    if !same_target_uri(htu, target.url) {
        return Err(ProofError::Url {
            found: htu.escape_debug().to_string(),
            expected: target.url.to_string(),
        });
    }
    if iat < now - max_age_secs {
        return Err(ProofError::Stale(now - iat));
    }
    if iat > now + FUTURE_SKEW_SECS {
        return Err(ProofError::Future(iat - now));
    }
    if text("ath") != Some(access_token_hash(target.access_token).as_str()) {
        return Err(ProofError::TokenHash);
    }
    Ok(Checked {
        thumbprint,
        jti: jti.to_string(),
        iat,
        nonce: text("nonce").map(str::to_string),
    })
}

/// The proof's protected header, as JSON (its raw members: `jsonwebtoken`'s
/// `Header` would drop a private key's `d` before we could see it).
fn read_header(proof: &str) -> Result<Map<String, Value>, ProofError> {
    let mut parts = proof.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ProofError::Malformed(
            "not three dot-separated parts".into(),
        ));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| ProofError::Malformed("the header is not base64url".into()))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| ProofError::Malformed("the header is not a JSON object".into()))
}

/// RFC 7638 §3: SHA-256 over the key's required members, in lexicographic
/// order, no whitespace; base64url. The token's `cnf.jkt` is this value for
/// the key its client holds (RFC 9449 §6.1).
pub fn thumbprint(jwk: &Map<String, Value>) -> Result<String, ProofError> {
    let kty = jwk.get("kty").and_then(Value::as_str).unwrap_or("(none)");
    let members: &[&str] = match kty {
        "EC" => &["crv", "kty", "x", "y"],
        "RSA" => &["e", "kty", "n"],
        "OKP" => &["crv", "kty", "x"],
        other => {
            return Err(ProofError::Key(format!(
                "key type {:?} is not EC, RSA or OKP",
                other.escape_debug().to_string()
            )));
        }
    };
    let mut canonical = Map::new();
    for name in members {
        match jwk.get(*name) {
            Some(Value::String(text)) => {
                canonical.insert(name.to_string(), Value::from(text.as_str()))
            }
            _ => {
                return Err(ProofError::Key(format!(
                    "member {name:?} missing or not a string"
                )));
            }
        };
    }
    // A Map with `preserve_order` keeps insertion order: `members` is sorted.
    let text = Value::Object(canonical).to_string();
    Ok(URL_SAFE_NO_PAD.encode(Sha256::digest(text.as_bytes())))
}

/// `ath`: base64url(SHA-256(the access token)).
pub fn access_token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// RFC 9449 §4.3 check 9: `htu` equals the request URL, ignoring query and
/// fragment, after syntax- and scheme-based normalization (RFC 3986 §6.2.2,
/// §6.2.3: case of scheme and host, default port, dot segments — what the
/// `url` crate's parser does).
pub fn same_target_uri(htu: &str, expected: &str) -> bool {
    let normal = |text: &str| {
        url::Url::parse(text).ok().map(|mut url| {
            url.set_query(None);
            url.set_fragment(None);
            url
        })
    };
    match (normal(htu), normal(expected)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    /// RFC 9449 §4.1's example key and §6.1's `cnf.jkt` for it.
    #[test]
    fn the_thumbprint_of_the_rfc_example_key() {
        let key = object(
            json!({"kty": "EC", "x": "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
            "y": "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA", "crv": "P-256"}),
        );
        assert_eq!(
            thumbprint(&key).unwrap(),
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
        );
        // Members beyond the required ones do not change it (RFC 7638 §3.2).
        let mut more = key.clone();
        more.insert("kid".into(), json!("k1"));
        assert_eq!(thumbprint(&more).unwrap(), thumbprint(&key).unwrap());
        assert!(thumbprint(&object(json!({"kty": "oct", "k": "c2VjcmV0"}))).is_err());
        assert!(thumbprint(&object(json!({"kty": "EC", "crv": "P-256", "x": "a"}))).is_err());
        assert!(
            thumbprint(&object(
                json!({"kty": "EC", "crv": "P-256", "x": "a", "y": 1})
            ))
            .is_err()
        );
    }

    /// The 8 KiB the docs promise, as a number (not the constant under test).
    #[test]
    fn a_proof_of_8_kib_is_read_and_one_byte_more_is_not() {
        let target = Target {
            method: "POST",
            url: "https://mcp.example/mcp",
            access_token: "t",
        };
        let at_limit = check(&"a".repeat(8192), &target, 0, 60).unwrap_err();
        assert!(matches!(at_limit, ProofError::Malformed(_)), "{at_limit:?}");
        assert_eq!(
            check(&"a".repeat(8193), &target, 0, 60).unwrap_err(),
            ProofError::TooLong
        );
    }

    /// What the client reads: the code, and a description that says what to do.
    #[test]
    fn each_refusal_tells_the_client_what_to_do() {
        let cases = [
            (
                ProofError::Missing,
                "invalid_dpop_proof",
                "exactly one DPoP header",
            ),
            (
                ProofError::Multiple,
                "invalid_dpop_proof",
                "exactly one DPoP header",
            ),
            (
                ProofError::Stale(90),
                "invalid_dpop_proof",
                "make a fresh proof",
            ),
            (
                ProofError::Future(9),
                "invalid_dpop_proof",
                "make a fresh proof",
            ),
            (ProofError::Replayed, "invalid_dpop_proof", "used before"),
            (
                ProofError::Method("GET".into()),
                "invalid_dpop_proof",
                "another request",
            ),
            (
                ProofError::KeyMismatch,
                "invalid_dpop_proof",
                "not bound to",
            ),
            (ProofError::NonceNeeded, "use_dpop_nonce", "requires nonce"),
            (ProofError::TokenHash, "invalid_dpop_proof", "is invalid"),
        ];
        for (error, code, says) in cases {
            assert_eq!(error.code(), code, "{error:?}");
            assert!(
                error.description().contains(says),
                "{error:?}: {}",
                error.description()
            );
        }
    }

    #[test]
    fn target_uris_compare_after_normalization() {
        let mcp = "https://mcp.example/mcp";
        assert!(same_target_uri("https://mcp.example/mcp", mcp));
        assert!(same_target_uri("HTTPS://MCP.EXAMPLE:443/mcp", mcp));
        assert!(same_target_uri("https://mcp.example/a/../mcp?x=1#f", mcp));
        assert!(!same_target_uri("https://mcp.example/mcp/", mcp));
        assert!(!same_target_uri("http://mcp.example/mcp", mcp));
        assert!(!same_target_uri("https://mcp.example:8443/mcp", mcp));
        assert!(!same_target_uri("https://evil.example/mcp", mcp));
        assert!(!same_target_uri("/mcp", mcp));
        assert!(!same_target_uri("", mcp));
    }

    #[test]
    fn the_token_hash_is_the_rfc_one() {
        // RFC 9449 §7.1's example token and its ath.
        assert_eq!(
            access_token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }
}

/// Each rule, broken alone, gives its own reason (the integration tests in
/// tests/dpop.rs see only the 401).
#[cfg(test)]
mod each_rule {
    use super::*;
    use serde_json::json;
    use step11::es256::Es256Key;

    const URL: &str = "https://mcp.example/mcp";
    const NOW: i64 = 1_000_000;

    fn target() -> Target<'static> {
        Target {
            method: "POST",
            url: URL,
            access_token: "tok",
        }
    }

    fn good_claims() -> Value {
        json!({"jti": "j1", "htm": "POST", "htu": URL, "iat": NOW, "ath": access_token_hash("tok")})
    }

    #[test]
    fn every_rule_has_its_reason() {
        let key = Es256Key::generate();
        let header = key.proof_header();
        let spoil = |name: &str, value: Value| {
            let mut claims = good_claims();
            claims[name] = value;
            key.sign(&header, &claims)
        };
        let with_header = |name: &str, value: Value| {
            let mut header = header.clone();
            header[name] = value;
            key.sign(&header, &good_claims())
        };
        let good = key.sign(&header, &good_claims());
        let checked = check(&good, &target(), NOW, 60).unwrap();
        assert_eq!(checked.jti, "j1");
        assert_eq!(checked.iat, NOW);
        assert_eq!(
            checked.thumbprint,
            thumbprint(key.public_jwk().as_object().unwrap()).unwrap()
        );
        // A jti of 256 characters is still one.
        assert!(check(&spoil("jti", json!("j".repeat(256))), &target(), NOW, 60).is_ok());
        // The edges of the iat window are inside it.
        assert!(check(&spoil("iat", json!(NOW - 60)), &target(), NOW, 60).is_ok());
        assert!(
            check(
                &spoil("iat", json!(NOW + FUTURE_SKEW_SECS)),
                &target(),
                NOW,
                60
            )
            .is_ok()
        );

        let reason = |proof: &str| check(proof, &target(), NOW, 60).unwrap_err();
        assert_eq!(
            reason(&spoil("iat", json!(NOW - 61))),
            ProofError::Stale(61)
        );
        assert_eq!(reason(&spoil("iat", json!(NOW + 6))), ProofError::Future(6));
        assert_eq!(
            reason(&spoil("htm", json!("post"))),
            ProofError::Method("post".into())
        );
        assert!(matches!(
            reason(&spoil("htu", json!("https://mcp.example/mcp2"))),
            ProofError::Url { .. }
        ));
        assert_eq!(reason(&spoil("ath", json!("x"))), ProofError::TokenHash);
        assert_eq!(reason(&spoil("jti", json!(""))), ProofError::Claims);
        assert_eq!(
            reason(&spoil("jti", json!("j".repeat(257)))),
            ProofError::Claims
        );
        assert_eq!(reason(&spoil("jti", json!(7))), ProofError::Claims);
        assert_eq!(
            reason(&with_header("typ", json!("jwt"))),
            ProofError::Type("jwt".into())
        );
        assert_eq!(
            reason(&with_header("alg", json!("HS256"))),
            ProofError::Algorithm("HS256".into())
        );
        assert_eq!(
            reason(&with_header("alg", json!("none"))),
            ProofError::Algorithm("none".into())
        );
        assert_eq!(
            reason(&with_header("crit", json!(["b64"]))),
            ProofError::Critical
        );
        let mut private = key.public_jwk().clone();
        private["d"] = json!("AAAA");
        assert!(
            matches!(reason(&with_header("jwk", private)), ProofError::Key(why) if why.contains("\"d\""))
        );
        // RS256 claimed for an EC key: refused before any arithmetic (RFC 8725 §3.1).
        assert!(
            matches!(reason(&with_header("alg", json!("RS256"))), ProofError::Signature(why) if why.contains("does not go with"))
        );
        assert!(matches!(
            reason(&with_header("alg", json!("ES384"))),
            ProofError::Signature(_)
        ));
        let other = Es256Key::generate();
        let mut forged = with_header("jwk", other.public_jwk().clone());
        forged.truncate(forged.rfind('.').unwrap());
        forged.push_str(&format!(".{}", good.rsplit_once('.').unwrap().1));
        assert!(matches!(reason(&forged), ProofError::Signature(_)));
        assert_eq!(
            reason(&"a".repeat(MAX_PROOF_BYTES + 1)),
            ProofError::TooLong
        );
        assert!(matches!(reason("a.b"), ProofError::Malformed(_)));
        assert!(matches!(reason("a.b.c.d"), ProofError::Malformed(_)));
        assert!(matches!(reason("!!.b.c"), ProofError::Malformed(_)));
    }
}
