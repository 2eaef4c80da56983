//! The identity provider's signing keys, cached — and what happens when the
//! provider misbehaves.
//!
//! Step 6 verified tokens with one local key. Keycloak publishes a *set* of
//! keys (`jwks_uri`) and rotates them: a new key signs, the old one stays
//! published until tokens signed with it have expired. This cache keeps the
//! set in memory and answers step 6's `KeySource::key_for(kid)`:
//!
//! ```text
//! kid known                    → the cached key, no network
//! kid unknown                  → refresh once (single flight), then look again
//!   …another request already refreshed while we waited → use its result
//!   …a kid-triggered refresh happened < cooldown ago  → no fetch (forged kids cannot make us
//!                                                        hammer the provider): 503 + Retry-After
//!                                                        until the cooldown ends, because a
//!                                                        genuinely new key may be behind it
//!   …fetched, still unknown                             → 401
//! no keys at all (provider down since start)          → 503, never 401
//! ```
//!
//! In the background, one task refreshes the set when its time-to-live ends
//! (`Cache-Control: max-age`, default 5 minutes), and retries every few
//! seconds while there are no keys, so the server recovers by itself when
//! the provider comes back. A refresh that fails — timeout, HTTP error,
//! garbage — keeps the old keys. Keys that are not usable signature keys
//! (`use: enc`, symmetric `oct`, unknown types, no `kid`) are skipped one by
//! one, not fatal; each kept key is pinned to its algorithm (RFC 8725 §3.1).
//!
//! Every call to the provider has a connect timeout and a total timeout, and
//! every answer is read with a size cap while it streams (`provider_http`).

use std::{
    collections::HashMap,
    str::FromStr,
    sync::{
        Arc, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use jsonwebtoken::{Algorithm, DecodingKey, jwk::Jwk};
use serde_json::{Map, Value, json};
use step6::keys::{BoxFuture, KeyError, KeySource, VerifyingKey};

use crate::{
    discovery,
    provider_http::{self, MAX_KEY_SET_BYTES},
};

/// Used when the key set's response has no usable `max-age`.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);
/// Bounds for a provider-chosen `max-age`.
const MIN_TTL: Duration = Duration::from_secs(30);
const MAX_TTL: Duration = Duration::from_secs(24 * 3600);
/// Background retry delays while the key set cannot be fetched.
const RETRY_MIN: Duration = Duration::from_secs(2);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// How to reach the provider.
#[derive(Debug, Clone)]
pub struct KeyCacheConfig {
    /// Whose keys: the key-set URL is found by OIDC discovery on it (then Keycloak's path).
    pub issuer: String,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub cooldown: Duration,
    /// Accept a discovered `jwks_uri` on plain http off loopback (never in production).
    pub allow_insecure_http: bool,
}

#[derive(Default)]
struct State {
    keys: HashMap<String, Arc<VerifyingKey>>,
    jwks_uri: Option<String>,
    fetched_at: Option<Instant>,
    expires_at: Option<Instant>,
    last_kid_refresh: Option<Instant>,
    last_error: Option<String>,
}

/// Whether a request with an unknown kid may make the cache ask the provider.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Freshness {
    /// No kid-triggered refresh within the cooldown: fetch.
    MayFetch,
    /// Another request refreshed while we waited: its result is fresh.
    JustFetched,
    /// A kid-triggered refresh happened moments ago; this much of the cooldown is left.
    CoolingDown(Duration),
}

/// The cache. Share it as `Arc<KeyCache>`; it is step 6's `KeySource`.
pub struct KeyCache {
    http: reqwest::Client,
    config: KeyCacheConfig,
    state: RwLock<State>,
    /// Held while fetching: one refresh at a time, the others wait for it.
    refreshing: tokio::sync::Mutex<()>,
    fetches: AtomicU64,
}

impl KeyCache {
    pub fn new(config: KeyCacheConfig) -> Result<Arc<KeyCache>, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Arc::new(KeyCache {
            state: RwLock::new(State::default()),
            http,
            config,
            refreshing: tokio::sync::Mutex::new(()),
            fetches: AtomicU64::new(0),
        }))
    }

    /// Fetch the keys from `url` without discovering it first. Discovery runs
    /// only while no key-set URL is known (the first one it finds is kept), so
    /// this is how a deployment that knows the URL skips it (step 10's
    /// `--jwks-url`). Call it before the first fetch.
    pub fn set_key_set_url(&self, url: String) {
        self.write().jwks_uri = Some(url);
    }

    /// The HTTP client (with the provider timeouts), for other provider calls.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// How many times the key set was requested from the provider.
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    fn lookup(&self, kid: &str) -> Option<Arc<VerifyingKey>> {
        self.read().keys.get(kid).cloned()
    }

    /// Start the background task and the first fetch. The server does not
    /// wait for it: it starts even when the provider is down.
    pub fn spawn_refresher(self: &Arc<KeyCache>) {
        let cache = Arc::clone(self);
        tokio::spawn(async move {
            let mut retry = RETRY_MIN;
            loop {
                let result = {
                    let _one_at_a_time = cache.refreshing.lock().await;
                    cache.fetch_and_store().await
                };
                let wait = match result {
                    Ok(_) => {
                        retry = RETRY_MIN;
                        let state = cache.read();
                        state
                            .expires_at
                            .map(|at| at.saturating_duration_since(Instant::now()))
                            .unwrap_or(DEFAULT_TTL)
                            .max(Duration::from_secs(1))
                    }
                    Err(_) => {
                        let wait = retry;
                        retry = (retry * 2).min(RETRY_MAX);
                        wait
                    }
                };
                tokio::time::sleep(wait).await;
            }
        });
    }

    /// A key we do not know: refresh (once, for everyone waiting) and look again.
    async fn refresh_for_unknown_kid(&self, kid: &str) -> Result<Arc<VerifyingKey>, KeyError> {
        let asked_at = Instant::now();
        let _one_at_a_time = self.refreshing.lock().await;
        if let Some(key) = self.lookup(kid) {
            return Ok(key);
        }
        // May we ask the provider? Not if someone refreshed while we waited
        // for the lock (their result counts), nor within the cooldown.
        let fresh = match self.read().last_kid_refresh {
            None => Freshness::MayFetch,
            Some(at) if at >= asked_at => Freshness::JustFetched,
            Some(at) => match self.config.cooldown.saturating_sub(at.elapsed()) {
                left if left.is_zero() => Freshness::MayFetch,
                left => Freshness::CoolingDown(left),
            },
        };
        if fresh == Freshness::MayFetch {
            self.write().last_kid_refresh = Some(Instant::now());
            // A failure is already recorded in the state; the answer below says the rest.
            let _ = self.fetch_and_store().await;
        }
        match (self.lookup(kid), fresh) {
            (Some(key), _) => Ok(key),
            (None, _) if self.read().keys.is_empty() => Err(KeyError::Unavailable(
                self.read()
                    .last_error
                    .clone()
                    .unwrap_or_else(|| "the key set has not been fetched yet".into()),
            )),
            // We did not look, because of the cooldown: the key may be new.
            // 503 + Retry-After, so an honest client keeps its good token.
            (None, Freshness::CoolingDown(left)) => Err(KeyError::CoolingDown {
                kid: kid.to_string(),
                retry_after_secs: left.as_secs_f64().ceil() as u64,
            }),
            // The key set is fresh and does not have it: the token is bad.
            (None, _) => Err(KeyError::UnknownKid(kid.to_string())),
        }
    }

    /// Fetch the key set and, if it holds usable keys, replace the cache.
    /// Call with `refreshing` held.
    async fn fetch_and_store(&self) -> Result<usize, String> {
        let outcome = tokio::time::timeout(self.config.timeout * 2, self.fetch()).await;
        let outcome = outcome.unwrap_or_else(|_| Err("the provider did not answer in time".into()));
        let mut state = self.write();
        match outcome {
            Ok((keys, ttl, uri)) => {
                let count = keys.len();
                let kids: Vec<&String> = keys.keys().collect();
                tracing::info!(?kids, ttl_secs = ttl.as_secs(), "key set refreshed");
                state.keys = keys;
                state.jwks_uri = Some(uri);
                state.fetched_at = Some(Instant::now());
                state.expires_at = Some(Instant::now() + ttl);
                state.last_error = None;
                Ok(count)
            }
            Err(error) => {
                tracing::warn!(error = %error.escape_debug(), kept = state.keys.len(), "key set refresh failed; keeping the keys we have");
                state.last_error = Some(error.clone());
                Err(error)
            }
        }
    }

    async fn fetch(
        &self,
    ) -> Result<(HashMap<String, Arc<VerifyingKey>>, Duration, String), String> {
        let known = self.read().jwks_uri.clone();
        let uri = match known {
            Some(uri) => uri,
            None => {
                let issuer = &self.config.issuer;
                match discovery::discover(&self.http, issuer, self.config.allow_insecure_http).await
                {
                    Ok(document) => document.jwks_uri,
                    Err(error) => {
                        tracing::warn!(error = %error.to_string().escape_debug(), "OIDC discovery failed; trying Keycloak's certs path");
                        discovery::keycloak_certs_url(issuer)
                    }
                }
            }
        };
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let (headers, body) =
            provider_http::fetch_capped(self.http.get(&uri), &uri, MAX_KEY_SET_BYTES)
                .await
                .map_err(|e| e.to_string())?;
        let keys = parse_key_set(&body).map_err(|e| format!("{uri}: {e}"))?;
        if keys.is_empty() {
            return Err(format!("{uri}: no usable signing keys in the set"));
        }
        Ok((keys, ttl_from_cache_control(&headers), uri))
    }

    /// What `/health` reports about the keys. With `details`, also the key
    /// ids, the key-set URL, fetch counts and the last provider error —
    /// useful on a laptop, reconnaissance for anyone else.
    pub fn report(&self, details: bool) -> Map<String, Value> {
        let state = self.read();
        let now = Instant::now();
        let ready = !state.keys.is_empty();
        let mut keys = json!({"state": if ready { "ready" } else { "unavailable" }});
        if details {
            let mut kids: Vec<&String> = state.keys.keys().collect();
            kids.sort();
            keys = json!({
                "state": keys["state"],
                "count": state.keys.len(),
                "kids": kids,
                "jwks_uri": state.jwks_uri,
                "age_seconds": state.fetched_at.map(|t| now.duration_since(t).as_secs()),
                "expires_in_seconds": state.expires_at.map(|t| t.saturating_duration_since(now).as_secs()),
                "fetches": self.fetch_count(),
                "last_error": state.last_error,
            });
        }
        let mut report = Map::new();
        if !ready {
            report.insert("status".into(), json!("degraded"));
        }
        report.insert("keys".into(), keys);
        report
    }
}

impl KeySource for KeyCache {
    fn key_for<'a>(&'a self, kid: &'a str) -> BoxFuture<'a, Result<Arc<VerifyingKey>, KeyError>> {
        Box::pin(async move {
            match self.lookup(kid) {
                Some(key) => Ok(key),
                None => self.refresh_for_unknown_kid(kid).await,
            }
        })
    }

    fn contains(&self, kid: &str) -> bool {
        self.read().keys.contains_key(kid)
    }
}

/// `Cache-Control: max-age=N` → N seconds (bounded); anything else → the default.
pub fn ttl_from_cache_control(headers: &reqwest::header::HeaderMap) -> Duration {
    headers
        .get_all(reqwest::header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|directive| directive.trim().strip_prefix("max-age="))
        .filter_map(|seconds| seconds.trim_matches('"').parse::<u64>().ok())
        .map(|seconds| Duration::from_secs(seconds).clamp(MIN_TTL, MAX_TTL))
        .next()
        .unwrap_or(DEFAULT_TTL)
}

/// The usable signing keys of a JWKS document, by `kid`.
///
/// The document itself must be a JSON object with a `keys` array; inside
/// it, each key that cannot be used is skipped with a log line.
pub fn parse_key_set(body: &[u8]) -> Result<HashMap<String, Arc<VerifyingKey>>, String> {
    let document: Value =
        serde_json::from_slice(body).map_err(|_| "the key set is not JSON".to_string())?;
    let entries = document
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("the key set has no \"keys\" array")?;
    let mut keys = HashMap::new();
    for entry in entries {
        match usable_key(entry) {
            Ok(key) => {
                keys.insert(key.kid.clone(), Arc::new(key));
            }
            Err(why) => tracing::info!(kid = ?entry.get("kid"), why, "skipping a key of the set"),
        }
    }
    Ok(keys)
}

fn usable_key(entry: &Value) -> Result<VerifyingKey, &'static str> {
    if entry.get("use").is_some_and(|u| u != "sig") {
        return Err("not a signature key (use)");
    }
    if let Some(ops) = entry.get("key_ops").and_then(Value::as_array)
        && !ops.iter().any(|op| op == "verify")
    {
        return Err("key_ops does not include verify");
    }
    let kid = entry
        .get("kid")
        .and_then(Value::as_str)
        .ok_or("no kid")?
        .to_string();
    let algorithm = match (
        entry.get("kty").and_then(Value::as_str),
        entry.get("alg").and_then(Value::as_str),
    ) {
        (Some("oct"), _) => return Err("symmetric keys are never accepted from a key set"),
        (Some("RSA"), None) => Algorithm::RS256,
        (Some(_), Some(alg)) => Algorithm::from_str(alg).map_err(|_| "unknown alg")?,
        _ => return Err("no usable kty/alg"),
    };
    if matches!(
        algorithm,
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
    ) {
        return Err("HMAC algorithms are never accepted from a key set");
    }
    let jwk: Jwk = serde_json::from_value(entry.clone()).map_err(|_| "not a valid JWK")?;
    let decoding = DecodingKey::from_jwk(&jwk).map_err(|_| "not a usable public key")?;
    Ok(VerifyingKey {
        kid,
        algorithm,
        decoding,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    #[test]
    fn unusable_keys_are_skipped_not_fatal() {
        let set = json!({"keys": [
            {"kty": "RSA", "kid": "good", "use": "sig", "alg": "RS256", "n": N, "e": "AQAB"},
            {"kty": "RSA", "kid": "no-alg", "n": N, "e": "AQAB"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "alg": "RSA-OAEP", "n": N, "e": "AQAB"},
            {"kty": "oct", "kid": "secret", "k": "c2VjcmV0"},
            {"kty": "RSA", "alg": "RS256", "n": N, "e": "AQAB"},
            {"kty": "RSA", "kid": "broken", "alg": "RS256", "n": 5, "e": "AQAB"},
            {"kty": "XYZ", "kid": "alien", "alg": "XYZ"},
            "not even an object"
        ]});
        let keys = parse_key_set(set.to_string().as_bytes()).unwrap();
        let mut kids: Vec<&str> = keys.keys().map(String::as_str).collect();
        kids.sort();
        assert_eq!(kids, ["good", "no-alg"]);
        // key_ops (RFC 7517 §4.3): a key that may only encrypt is not a verification key.
        let ops = json!({"keys": [
            {"kty": "RSA", "kid": "verify", "alg": "RS256", "key_ops": ["verify"], "n": N, "e": "AQAB"},
            {"kty": "RSA", "kid": "encrypt", "alg": "RS256", "key_ops": ["encrypt"], "n": N, "e": "AQAB"},
            {"kty": "RSA", "kid": "sig-use", "use": "sig", "alg": "RS256", "n": N, "e": "AQAB"}
        ]});
        let by_ops = parse_key_set(ops.to_string().as_bytes()).unwrap();
        let mut kids: Vec<&str> = by_ops.keys().map(String::as_str).collect();
        kids.sort();
        assert_eq!(kids, ["sig-use", "verify"]);
        assert_eq!(keys["no-alg"].algorithm, Algorithm::RS256);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse_key_set(b"{\"keys\": \"nope\"").is_err());
        assert!(parse_key_set(b"{\"keys\": 5}").is_err());
        assert!(parse_key_set(b"<html>").is_err());
    }

    #[test]
    fn ttl_follows_max_age_within_bounds() {
        let mut headers = reqwest::header::HeaderMap::new();
        assert_eq!(ttl_from_cache_control(&headers), DEFAULT_TTL);
        headers.insert("cache-control", "public, max-age=600".parse().unwrap());
        assert_eq!(ttl_from_cache_control(&headers), Duration::from_secs(600));
        headers.insert("cache-control", "max-age=1".parse().unwrap());
        assert_eq!(ttl_from_cache_control(&headers), MIN_TTL);
        headers.insert("cache-control", "no-cache".parse().unwrap());
        assert_eq!(ttl_from_cache_control(&headers), DEFAULT_TTL);
        headers.insert("cache-control", "max-age=99999999".parse().unwrap());
        assert_eq!(
            ttl_from_cache_control(&headers),
            Duration::from_secs(86_400),
            "a day at most"
        );
    }

    /// Each refusal says why (the reason is logged): a symmetric key is
    /// refused as such, whatever its `alg`.
    #[test]
    fn a_symmetric_key_is_refused_for_being_one() {
        for key in [
            json!({"kty": "oct", "kid": "s", "k": "c2VjcmV0"}),
            json!({"kty": "oct", "kid": "s", "k": "c2VjcmV0", "alg": "HS256"}),
        ] {
            assert_eq!(
                usable_key(&key).err(),
                Some("symmetric keys are never accepted from a key set")
            );
        }
        let hmac_by_alg = json!({"kty": "RSA", "kid": "h", "alg": "HS256", "n": N, "e": "AQAB"});
        assert_eq!(
            usable_key(&hmac_by_alg).err(),
            Some("HMAC algorithms are never accepted from a key set")
        );
    }
}
