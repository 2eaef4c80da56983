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
//! One key per run ([`Es256Key::generate`]): nothing to store, and a token
//! bound to it dies with the process. P-256 / ES256, the algorithm every
//! provider and resource server accepts.

use std::{collections::HashMap, sync::Mutex};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{
    challenge::Challenge,
    es256::{ALG, Es256Key, now_unix, random_id},
    secret::Secret,
};

impl Es256Key {
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
        json!({"typ": "dpop+jwt", "alg": ALG, "jwk": self.public_jwk()})
    }
}

/// One run's DPoP: its key, and the last nonce each server handed out
/// (RFC 9449 §8, §9: the provider and the MCP server each have their own).
#[derive(Debug)]
pub struct DpopSession {
    key: Es256Key,
    nonces: Mutex<HashMap<String, String>>,
}

impl Default for DpopSession {
    fn default() -> DpopSession {
        DpopSession::new()
    }
}

impl DpopSession {
    /// A session with a fresh key.
    pub fn new() -> DpopSession {
        DpopSession {
            key: Es256Key::generate(),
            nonces: Mutex::new(HashMap::new()),
        }
    }

    pub fn key(&self) -> &Es256Key {
        &self.key
    }

    /// A proof for `method url` (with the token's hash when one goes with
    /// it), carrying the nonce this server gave us last, if any.
    pub fn proof(&self, method: &str, url: &str, access_token: Option<&str>) -> String {
        let nonce = self.lock().get(&origin(url)).cloned();
        self.key.proof(method, url, access_token, nonce.as_deref())
    }

    /// Keep the `DPoP-Nonce` a server sent (on any answer). `true` when it
    /// is one we did not have: only then is a retry worth making.
    pub fn remember(&self, url: &str, headers: &reqwest::header::HeaderMap) -> bool {
        let Some(nonce) = headers.get("dpop-nonce").and_then(|v| v.to_str().ok()) else {
            return false;
        };
        // A nonce is a short token (RFC 9449 §8.1: NQCHAR); anything else is not kept.
        if nonce.is_empty() || nonce.len() > 512 {
            return false;
        }
        self.lock()
            .insert(origin(url), nonce.to_string())
            .as_deref()
            != Some(nonce)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.nonces.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Present a token to the MCP server: `Authorization: Bearer`, or, with
/// DPoP, `Authorization: DPoP` and a proof naming this request and token.
pub fn present(
    request: reqwest::RequestBuilder,
    url: &str,
    token: &Secret,
    dpop: Option<&DpopSession>,
) -> reqwest::RequestBuilder {
    match dpop {
        Some(dpop) => request
            .header("authorization", format!("DPoP {}", token.expose()))
            .header("dpop", dpop.proof("POST", url, Some(token.expose()))),
        None => request.bearer_auth(token.expose()),
    }
}

/// What to do with an MCP server's answer, DPoP-wise.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Nothing to do with DPoP: read the answer.
    Go,
    /// `401 use_dpop_nonce` with a new nonce: the same request once more (RFC 9449 §9).
    Retry,
    /// The server accepts DPoP only, and this client was not asked to use it.
    Stop(&'static str),
}

/// Look at an answer (its status and headers) before the client reads it.
pub fn after(
    dpop: Option<&DpopSession>,
    url: &str,
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
    retried: &mut bool,
) -> Next {
    let unauthorized = status == reqwest::StatusCode::UNAUTHORIZED;
    match dpop {
        Some(dpop) => {
            let new_nonce = dpop.remember(url, headers);
            let asked = challenge(headers).is_some_and(|c| c.error() == Some("use_dpop_nonce"));
            if unauthorized && asked && new_nonce && !*retried {
                crate::narrate::say(
                    "← 401 use_dpop_nonce: the MCP server wants its nonce in the proof; once more with it",
                );
                *retried = true;
                return Next::Retry;
            }
            Next::Go
        }
        None if unauthorized && offers_only_dpop(headers) => Next::Stop(
            "the server accepts only DPoP-bound tokens (WWW-Authenticate: DPoP …, no Bearer challenge): run again with --dpop",
        ),
        None => Next::Go,
    }
}

fn challenges(headers: &reqwest::header::HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all("www-authenticate")
        .iter()
        .filter_map(|v| v.to_str().ok())
}

/// The challenge a DPoP client reads: the `DPoP` one (RFC 9449 §7.1; a
/// server may offer Bearer too, and puts the error on the scheme we used),
/// else the Bearer one.
pub fn challenge(headers: &reqwest::header::HeaderMap) -> Option<Challenge> {
    challenges(headers)
        .find_map(|v| crate::challenge::parse_scheme(v, "dpop"))
        .or_else(|| challenges(headers).find_map(crate::challenge::parse))
}

/// A `DPoP` challenge and no `Bearer` one.
fn offers_only_dpop(headers: &reqwest::header::HeaderMap) -> bool {
    challenges(headers).any(|v| crate::challenge::parse_scheme(v, "dpop").is_some())
        && !challenges(headers).any(|v| crate::challenge::parse(v).is_some())
}

/// Nonces are per server: keyed by the URL's origin.
fn origin(url: &str) -> String {
    url::Url::parse(url).map_or_else(|_| url.to_string(), |u| u.origin().ascii_serialization())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(values: &[&str], nonce: Option<&str>) -> reqwest::header::HeaderMap {
        let mut headers = reqwest::header::HeaderMap::new();
        for v in values {
            headers.append("www-authenticate", v.parse().unwrap());
        }
        if let Some(nonce) = nonce {
            headers.insert("dpop-nonce", nonce.parse().unwrap());
        }
        headers
    }

    const BEARER: &str = r#"Bearer realm="mcp-server", resource_metadata="https://m/rm""#;
    const NONCE_PLEASE: &str = r#"DPoP algs="ES256", error="use_dpop_nonce""#;

    #[test]
    fn a_dpop_client_reads_the_dpop_challenge_first() {
        let both = answer(&[BEARER, NONCE_PLEASE], None);
        assert_eq!(challenge(&both).unwrap().error(), Some("use_dpop_nonce"));
        let bearer = answer(&[BEARER], None);
        assert_eq!(
            challenge(&bearer).unwrap().resource_metadata(),
            Some("https://m/rm")
        );
        assert_eq!(challenge(&answer(&[], None)), None);
        assert!(offers_only_dpop(&answer(&[NONCE_PLEASE], None)));
        assert!(!offers_only_dpop(&both));
        assert!(!offers_only_dpop(&bearer));
        assert!(!offers_only_dpop(&answer(&[], None)));
    }

    /// One retry, only for a 401 `use_dpop_nonce` that brings a nonce we
    /// did not have; a client without DPoP stops at a DPoP-only server.
    #[test]
    fn after_an_answer_retry_once_or_stop_or_go() {
        use reqwest::StatusCode;
        let url = "https://mcp.example/mcp";
        let session = DpopSession::new();
        let dpop = Some(&session);
        let mut retried = false;
        let asks = answer(&[NONCE_PLEASE], Some("n1"));
        let unauthorized = StatusCode::UNAUTHORIZED;
        assert_eq!(
            after(dpop, url, StatusCode::BAD_REQUEST, &asks, &mut retried),
            Next::Go,
            "not a 401"
        );
        assert!(!retried);
        let session = DpopSession::new();
        let dpop = Some(&session);
        assert_eq!(
            after(dpop, url, unauthorized, &asks, &mut retried),
            Next::Retry
        );
        assert!(retried);
        assert_eq!(
            after(dpop, url, unauthorized, &asks, &mut retried),
            Next::Go,
            "once only"
        );
        let mut fresh = false;
        assert_eq!(
            after(dpop, url, unauthorized, &asks, &mut fresh),
            Next::Go,
            "the same nonce again"
        );
        let other = answer(
            &[r#"DPoP algs="ES256", error="invalid_dpop_proof""#],
            Some("n2"),
        );
        assert_eq!(
            after(dpop, url, unauthorized, &other, &mut fresh),
            Next::Go,
            "another error"
        );
        assert!(!fresh);

        let only_dpop = answer(&[NONCE_PLEASE], None);
        assert!(
            matches!(after(None, url, unauthorized, &only_dpop, &mut fresh), Next::Stop(why) if why.contains("--dpop"))
        );
        assert_eq!(
            after(None, url, StatusCode::OK, &only_dpop, &mut fresh),
            Next::Go
        );
        let both = answer(&[BEARER, NONCE_PLEASE], None);
        assert_eq!(after(None, url, unauthorized, &both, &mut fresh), Next::Go);
    }

    #[test]
    fn a_nonce_of_512_bytes_is_kept_and_longer_is_not() {
        let session = DpopSession::new();
        let url = "https://mcp.example/mcp";
        assert!(session.remember(url, &answer(&[], Some(&"n".repeat(512)))));
        assert!(!session.remember(url, &answer(&[], Some(&"m".repeat(513)))));
    }

    #[test]
    fn each_server_has_its_own_nonce() {
        let session = DpopSession::new();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("dpop-nonce", "n-as".parse().unwrap());
        assert!(session.remember("https://as.example/token", &headers));
        assert!(
            !session.remember("https://as.example/other", &headers),
            "not new"
        );
        let nonce = |proof: String| part(&proof, 1)["nonce"].clone();
        assert_eq!(
            nonce(session.proof("POST", "https://as.example/token", None)),
            "n-as"
        );
        assert_eq!(
            nonce(session.proof("POST", "https://mcp.example/mcp", Some("t"))),
            Value::Null
        );
        assert!(!session.remember(
            "https://mcp.example/mcp",
            &reqwest::header::HeaderMap::new()
        ));
        headers.insert("dpop-nonce", "x".repeat(513).parse().unwrap());
        assert!(
            !session.remember("https://mcp.example/mcp", &headers),
            "too long to be a nonce"
        );
    }

    fn part(jws: &str, index: usize) -> Value {
        let segment = jws.split('.').nth(index).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
    }

    #[test]
    fn a_proof_names_its_request_and_token() {
        let key = Es256Key::generate();
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
}
