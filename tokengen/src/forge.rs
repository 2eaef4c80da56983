//! Signing good tokens, and forging bad ones.
//!
//! Each [`Forgery`] is one way a token can be wrong. The servers of steps 6–8
//! must answer every one of them with `401` (never a 5xx), and the test
//! scripts check exactly that. A few kinds are *controls* that must pass.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Map, Value, json};

use crate::{
    claims::{TokenSpec, unix_time},
    keypair::{KeyError, SigningKey},
};

/// The kinds of bad (and control) tokens `--forge` can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Forgery {
    /// exp one hour in the past
    Expired,
    /// nbf 30 minutes in the future (exp 45 minutes ahead: nothing else is wrong with it)
    NotYetValid,
    /// iss is http://evil.example
    WrongIssuer,
    /// iss with a trailing slash (issuers are compared exactly)
    IssuerTrailingSlash,
    /// aud names another resource
    WrongAudience,
    /// aud is a list that does not contain ours
    AudienceListWithoutOurs,
    /// CONTROL (valid): aud is a list that contains ours
    AudienceListWithOurs,
    /// no exp claim
    MissingExp,
    /// no iss claim
    MissingIss,
    /// no aud claim
    MissingAud,
    /// no sub claim
    MissingSub,
    /// RS256, our kid, but signed by a different key
    OtherKey,
    /// signed by our key, but the header names a kid nobody published
    UnknownKid,
    /// no kid in the header
    MissingKid,
    /// "alg":"none" and an empty signature
    AlgNone,
    /// HS256 with the public key's PEM as the HMAC secret (key confusion attack)
    Hs256PublicKey,
    /// PS256 signed with our (correct) key: the algorithm is pinned to RS256
    Ps256,
    /// a valid token whose payload was edited afterwards (scope widened)
    TamperedPayload,
    /// a valid token with one bit of the signature flipped
    FlippedSignature,
    /// a valid token with the end of the signature cut off
    TruncatedSignature,
    /// header.payload, no signature segment
    TwoSegments,
    /// a valid token with a fourth segment appended
    FourSegments,
    /// five segments, shaped like an encrypted JWT (JWE)
    FiveSegments,
    /// the empty string
    Empty,
    /// text that is not a JWT at all
    Garbage,
    /// a validly signed token padded to 64 KiB
    Oversized,
    /// header typ "JWT", not "at+jwt": signed like an ID token, not an access token (RFC 9068 §4)
    NotAnAccessToken,
    /// a header crit parameter naming an extension nobody understands (RFC 7515 §4.1.11)
    UnknownCrit,
    /// iat ten minutes in the future (beyond the clock-skew leeway), a ten-minute lifetime
    IssuedInFuture,
    /// iat now, exp ten years ahead: longer than any server's --max-token-lifetime
    TenYearLifetime,
    /// validly signed, but bound to a DPoP key (cnf.jkt, RFC 9449): without the key's proof it must not pass as Bearer
    DpopBound,
    /// validly signed, but bound to a client certificate (cnf.x5t#S256, RFC 8705): the same
    MtlsBound,
}

/// Sign `claims` with `key` as RS256 (or another algorithm), with `kid`.
pub fn sign(
    claims: &Map<String, Value>,
    algorithm: Algorithm,
    encoding: &EncodingKey,
    kid: Option<&str>,
) -> Result<String, KeyError> {
    let mut header = Header::new(algorithm);
    header.typ = Some("at+jwt".into());
    header.kid = kid.map(str::to_string);
    encode(&header, claims, encoding).map_err(|e| KeyError::Generate(e.to_string()))
}

/// A good token for `spec`, signed by `key`.
pub fn mint(spec: &TokenSpec, key: &SigningKey) -> Result<String, KeyError> {
    sign(
        &spec.claims(),
        Algorithm::RS256,
        &key.encoding,
        Some(&key.jwk.kid),
    )
}

fn segments(token: &str) -> Vec<String> {
    token.split('.').map(str::to_string).collect()
}

fn b64json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Make the token `kind` describes, starting from `spec` and our `key`.
pub fn forge(kind: Forgery, spec: &TokenSpec, key: &SigningKey) -> Result<String, KeyError> {
    let kid = key.jwk.kid.as_str();
    let mut claims = spec.claims();
    let rs256 =
        |claims: &Map<String, Value>| sign(claims, Algorithm::RS256, &key.encoding, Some(kid));
    Ok(match kind {
        Forgery::Expired => {
            claims.insert("iat".into(), json!(unix_time(-7200)));
            claims.insert("nbf".into(), json!(unix_time(-7200)));
            claims.insert("exp".into(), json!(unix_time(-3600)));
            rs256(&claims)?
        }
        // Each forgery breaks exactly one rule: with exp two hours ahead this
        // token also outlived a one-hour lifetime cap, which then refused it
        // before anyone looked at nbf.
        Forgery::NotYetValid => {
            claims.insert("nbf".into(), json!(unix_time(1800)));
            claims.insert("exp".into(), json!(unix_time(2700)));
            rs256(&claims)?
        }
        Forgery::WrongIssuer => {
            claims.insert("iss".into(), json!("http://evil.example"));
            rs256(&claims)?
        }
        Forgery::IssuerTrailingSlash => {
            claims.insert("iss".into(), json!(format!("{}/", spec.issuer)));
            rs256(&claims)?
        }
        Forgery::WrongAudience => {
            claims.insert("aud".into(), json!("http://localhost:9999/other"));
            rs256(&claims)?
        }
        Forgery::AudienceListWithoutOurs => {
            claims.insert(
                "aud".into(),
                json!(["account", "http://localhost:9999/other"]),
            );
            rs256(&claims)?
        }
        Forgery::AudienceListWithOurs => {
            claims.insert("aud".into(), json!(["account", spec.audience]));
            rs256(&claims)?
        }
        Forgery::MissingExp | Forgery::MissingIss | Forgery::MissingAud | Forgery::MissingSub => {
            let claim = match kind {
                Forgery::MissingExp => "exp",
                Forgery::MissingIss => "iss",
                Forgery::MissingAud => "aud",
                _ => "sub",
            };
            claims.remove(claim);
            rs256(&claims)?
        }
        Forgery::OtherKey => {
            let other = SigningKey::generate()?;
            sign(&claims, Algorithm::RS256, &other.encoding, Some(kid))?
        }
        Forgery::UnknownKid => sign(
            &claims,
            Algorithm::RS256,
            &key.encoding,
            Some("unknown-kid"),
        )?,
        Forgery::MissingKid => sign(&claims, Algorithm::RS256, &key.encoding, None)?,
        Forgery::AlgNone => {
            let header = json!({"alg": "none", "typ": "at+jwt", "kid": kid});
            format!("{}.{}.", b64json(&header), b64json(&Value::Object(claims)))
        }
        Forgery::Hs256PublicKey => {
            let secret = EncodingKey::from_secret(key.public_pem().as_bytes());
            sign(&claims, Algorithm::HS256, &secret, Some(kid))?
        }
        Forgery::Ps256 => sign(&claims, Algorithm::PS256, &key.encoding, Some(kid))?,
        Forgery::TamperedPayload => {
            let mut parts = segments(&rs256(&claims)?);
            claims.insert("scope".into(), json!("mcp:read mcp:tools mcp:prompts"));
            claims.insert("roles".into(), json!(["admin"]));
            parts[1] = b64json(&Value::Object(claims));
            parts.join(".")
        }
        Forgery::FlippedSignature => {
            let mut parts = segments(&rs256(&claims)?);
            let mut signature = URL_SAFE_NO_PAD.decode(&parts[2]).unwrap_or_default();
            if let Some(byte) = signature.get_mut(10) {
                *byte ^= 0x01;
            }
            parts[2] = URL_SAFE_NO_PAD.encode(signature);
            parts.join(".")
        }
        Forgery::TruncatedSignature => {
            let mut parts = segments(&rs256(&claims)?);
            let keep = parts[2].len().saturating_sub(16);
            parts[2].truncate(keep);
            parts.join(".")
        }
        Forgery::TwoSegments => {
            let parts = segments(&rs256(&claims)?);
            format!("{}.{}", parts[0], parts[1])
        }
        Forgery::FourSegments => format!("{}.AAAA", rs256(&claims)?),
        Forgery::FiveSegments => {
            let header = json!({"alg": "RSA-OAEP", "enc": "A256GCM", "kid": kid});
            format!("{}.AAAA.AAAA.AAAA.AAAA", b64json(&header))
        }
        Forgery::Empty => String::new(),
        Forgery::Garbage => "this-is-not-a-jwt".into(),
        Forgery::Oversized => {
            claims.insert("padding".into(), json!("x".repeat(48 * 1024)));
            rs256(&claims)?
        }
        Forgery::NotAnAccessToken | Forgery::UnknownCrit => {
            let mut header = Header::new(Algorithm::RS256);
            header.kid = Some(kid.to_string());
            if kind == Forgery::NotAnAccessToken {
                header.typ = Some("JWT".into());
            } else {
                header.typ = Some("at+jwt".into());
                header.crit = Some(vec!["urn:example:must-understand".into()]);
            }
            encode(&header, &claims, &key.encoding)
                .map_err(|e| KeyError::Generate(e.to_string()))?
        }
        Forgery::IssuedInFuture => {
            claims.insert("iat".into(), json!(unix_time(600)));
            claims.insert("nbf".into(), json!(unix_time(0)));
            claims.insert("exp".into(), json!(unix_time(1200)));
            rs256(&claims)?
        }
        Forgery::TenYearLifetime => {
            claims.insert("exp".into(), json!(unix_time(10 * 365 * 24 * 3600)));
            rs256(&claims)?
        }
        // Thumbprints of keys nobody here holds (RFC 7638 / RFC 8705 shapes).
        Forgery::DpopBound => {
            let cnf = json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"});
            claims.insert("cnf".into(), cnf);
            rs256(&claims)?
        }
        Forgery::MtlsBound => {
            let cnf = json!({"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"});
            claims.insert("cnf".into(), cnf);
            rs256(&claims)?
        }
    })
}
