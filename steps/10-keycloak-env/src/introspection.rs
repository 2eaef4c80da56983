//! `--validation introspection`: ask the provider about every token (RFC 7662).
//!
//! Local JWT validation (steps 6–9) never talks to the provider per request:
//! fast, but a token revoked at the provider stays valid here until its
//! `exp`. Introspection asks instead:
//!
//! ```text
//! POST {introspection_endpoint}                      (from OIDC discovery)
//! Authorization: Basic base64(echo-mcp-server:<secret>)   (the resource server's own credentials)
//! Content-Type: application/x-www-form-urlencoded
//!
//! token=eyJ…&token_type_hint=access_token
//!
//! HTTP/1.1 200 OK
//! {"active":true,"iss":"…/realms/mcp-realm","aud":"echo-mcp-server","sub":"mcp-user",
//!  "exp":1767225600,"scope":"openid mcp:read mcp:tools",…}
//! ```
//!
//! Then the same rules as the JWT path: `active` must be true, `iss` ours,
//! `aud` containing one of ours, `exp` in the future, a `sub`; scopes are
//! checked by step 8 as before. A provider that cannot answer is *our*
//! problem: `503`, not `401`.
//!
//! Every request with a token could become a provider call carrying our
//! client secret — an amplifier anyone can aim at the provider. So, before
//! and around the call:
//!
//! ```text
//! 1. local pre-check       not a JWT naming our issuer, or already expired → 401, no call
//!                          (Keycloak's access tokens are JWTs; a provider with opaque
//!                          tokens would need this relaxed)
//! 2. the signature         checked against the provider's cached key set (step 9): a forged
//!                          JWT is 401 with no call; introspection then only answers "is this
//!                          genuine token still active?" (with no keys at all: the provider decides)
//! 3. answer cache          active: --introspection-cache-secs (default 10 s, never past exp)
//!                          inactive: 30 s (a revoked token does not come back)
//! 4. one call per token    concurrent requests with the same token share one call; a request
//!                          that is cancelled (its client hung up) leaves nothing behind
//! 5. a global rate cap     above --introspection-max-per-sec (default 100) calls: 503 + Retry-After
//! 6. discovery backoff     a failed discovery is not retried on every request
//! ```
//!
//! The positive cache is the revocation delay this mode accepts in exchange
//! for not calling the provider on every request; `0` turns it off.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use step6::{
    identity::Identity,
    keys::KeyError,
    token_cache::TokenCache,
    validate::{LEEWAY_SECS, MAX_TOKEN_BYTES, TokenError, Validator, now_unix, unverified_claims},
};
use step9::{
    discovery,
    provider_http::{self, MAX_DOCUMENT_BYTES},
};
use tokio::sync::OnceCell;
use url::form_urlencoded;

/// How long an "inactive" answer is remembered.
pub const NEGATIVE_CACHE_SECS: i64 = 30;
/// How many inactive answers are remembered (a full table stops remembering, it never flushes).
const NEGATIVE_CAPACITY: usize = 10_000;
/// Waits before discovery is tried again after a failure: 5 s, doubling up to 5 min.
const DISCOVERY_BACKOFF_MIN: Duration = Duration::from_secs(5);
const DISCOVERY_BACKOFF_MAX: Duration = Duration::from_secs(300);

/// A client secret: shown as `[redacted]` by `Debug`, so it cannot leak
/// through a log line or an error that prints its struct.
#[derive(Clone)]
pub struct ClientSecret(String);

impl ClientSecret {
    pub fn new(secret: String) -> ClientSecret {
        ClientSecret(secret)
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// How the introspection client is set up.
#[derive(Debug)]
pub struct IntrospectorConfig {
    pub issuer: String,
    pub audiences: Vec<String>,
    pub client_id: String,
    pub client_secret: ClientSecret,
    pub cache_secs: i64,
    pub allow_insecure_http: bool,
    /// Provider calls allowed per second, all tokens together.
    pub max_calls_per_sec: u32,
}

type TokenHash = [u8; 32];
type Answer = Result<Identity, TokenError>;

/// Where the introspection endpoint is, as far as we know.
enum Endpoint {
    Unknown,
    Found(String),
    /// Discovery failed; do not try again before `retry_at`.
    Failed {
        retry_at: Instant,
        backoff: Duration,
    },
}

pub struct Introspector {
    http: reqwest::Client,
    config: IntrospectorConfig,
    /// Step 6's validator over step 9's key cache: the signature check of step 2 above.
    signatures: Option<Arc<Validator>>,
    budget: Mutex<Budget>,
    endpoint: RwLock<Endpoint>,
    active: TokenCache,
    inactive: Mutex<HashMap<TokenHash, i64>>,
    in_flight: Mutex<HashMap<TokenHash, Arc<OnceCell<Answer>>>>,
    calls: AtomicU64,
    discoveries: AtomicU64,
}

fn unavailable(why: impl ToString) -> TokenError {
    TokenError::Key(KeyError::Unavailable(why.to_string()))
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The wait after a failed discovery: 5 s, then twice the last, at most 5 min.
fn next_backoff(previous: Option<Duration>) -> Duration {
    previous.map_or(DISCOVERY_BACKOFF_MIN, |b| {
        (b * 2).min(DISCOVERY_BACKOFF_MAX)
    })
}

/// A token bucket: `rate` calls a second, at most `rate` at once.
struct Budget {
    tokens: f64,
    refilled_at: Instant,
}

/// Removes a token's in-flight entry when its request ends — answered,
/// failed, or dropped half-way because the client hung up. Without it, every
/// cancelled request left an entry behind, and memory grew without bound.
/// The last request to leave removes the entry: each lets go of its handle
/// under the table's lock, so "am I the last?" has one true answer.
struct InFlight<'a> {
    table: &'a Mutex<HashMap<TokenHash, Arc<OnceCell<Answer>>>>,
    hash: TokenHash,
    cell: Option<Arc<OnceCell<Answer>>>,
}

impl InFlight<'_> {
    fn cell(&self) -> &OnceCell<Answer> {
        self.cell.as_deref().expect("taken only when dropped")
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut table = lock(self.table);
        let Some(mine) = self.cell.take() else { return };
        let same = table.get(&self.hash).is_some_and(|c| Arc::ptr_eq(c, &mine));
        drop(mine);
        if same
            && table
                .get(&self.hash)
                .is_some_and(|c| Arc::strong_count(c) == 1)
        {
            table.remove(&self.hash);
        }
    }
}

impl Introspector {
    pub fn new(http: reqwest::Client, config: IntrospectorConfig) -> Introspector {
        let capacity = if config.cache_secs > 0 { 10_000 } else { 0 };
        Introspector {
            http,
            signatures: None,
            budget: Mutex::new(Budget {
                tokens: f64::from(config.max_calls_per_sec),
                refilled_at: Instant::now(),
            }),
            config,
            endpoint: RwLock::new(Endpoint::Unknown),
            active: TokenCache::new(capacity),
            inactive: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            calls: AtomicU64::new(0),
            discoveries: AtomicU64::new(0),
        }
    }

    /// Check each JWT's signature with `validator` (step 6's, over step 9's
    /// key cache) before asking the provider about it.
    pub fn with_signature_check(mut self, validator: Arc<Validator>) -> Introspector {
        self.signatures = Some(validator);
        self
    }

    /// How many tokens have a provider call in flight (tests check it drains to 0).
    pub fn in_flight_count(&self) -> usize {
        lock(&self.in_flight).len()
    }

    /// May we make one more provider call now?
    fn spend(&self) -> Result<(), TokenError> {
        let rate = f64::from(self.config.max_calls_per_sec);
        let mut budget = lock(&self.budget);
        let now = Instant::now();
        let earned = now.duration_since(budget.refilled_at).as_secs_f64() * rate;
        budget.tokens = (budget.tokens + earned).min(rate);
        budget.refilled_at = now;
        if budget.tokens < 1.0 {
            return Err(TokenError::Busy {
                retry_after_secs: 1,
            });
        }
        budget.tokens -= 1.0;
        Ok(())
    }

    /// How many introspection requests were sent to the provider.
    pub fn call_count(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// How many discovery documents were requested.
    pub fn discovery_count(&self) -> u64 {
        self.discoveries.load(Ordering::Relaxed)
    }

    /// Check `token`: locally first, then the caches, then (once per token
    /// at a time) the provider.
    pub async fn verify(&self, token: &str) -> Answer {
        let identity = self.verify_any_binding(token).await?;
        // RFC 9449 §6.2: an introspection answer names the binding too.
        step6::bound::refuse_bound(&identity.claims)?;
        Ok(identity)
    }

    /// [`Introspector::verify`] without the `cnf` rule, for DPoP ([`crate::dpop`]),
    /// which checks the binding against the request's proof.
    pub async fn verify_any_binding(&self, token: &str) -> Answer {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::TooLong);
        }
        let now = now_unix();
        self.pre_check(token, now)?;
        if let Some(hit) = self.active.get(token, now) {
            return Ok(hit.identity);
        }
        if let Some(validator) = &self.signatures {
            match validator.validate_any_binding(token).await {
                Ok(_) => {}
                // No keys at all (the provider's key set cannot be fetched):
                // the provider itself is the only judge left.
                Err(TokenError::Key(KeyError::Unavailable(_))) => {}
                Err(refused) => return Err(refused),
            }
        }
        let hash: TokenHash = Sha256::digest(token.as_bytes()).into();
        if lock(&self.inactive)
            .get(&hash)
            // (`>=` here would differ only within the one second the entry lapses: a
            // mutant no test can catch without holding the clock, cargo-mutants reports it.)
            .is_some_and(|until| *until > now)
        {
            return Err(TokenError::Invalid(
                "the provider said this token is not active (remembered)".into(),
            ));
        }
        // One call per token: the first request asks, the others wait for its answer.
        let cell = Arc::clone(lock(&self.in_flight).entry(hash).or_default());
        let entry = InFlight {
            table: &self.in_flight,
            hash,
            cell: Some(cell),
        };
        entry
            .cell()
            .get_or_init(|| self.ask(token, hash, now))
            .await
            .clone()
    }

    /// Refuse, without a provider call, what cannot be one of our tokens:
    /// not a JWT, another issuer, already expired. The signature is not
    /// checked here — the provider does that.
    fn pre_check(&self, token: &str, now: i64) -> Result<(), TokenError> {
        let not_ours =
            |why: &str| TokenError::Invalid(format!("{why} (checked before introspection)"));
        jsonwebtoken::decode_header(token).map_err(|_| not_ours("not a JWT"))?;
        let claims =
            unverified_claims(token).ok_or_else(|| not_ours("the payload is not a JSON object"))?;
        if claims.get("iss").and_then(Value::as_str) != Some(self.config.issuer.as_str()) {
            return Err(not_ours("another issuer"));
        }
        match claims.get("exp").and_then(Value::as_i64) {
            // (`>=`: the same one-second boundary, see above.)
            Some(exp) if exp + (LEEWAY_SECS as i64) > now => Ok(()),
            Some(_) => Err(TokenError::Expired),
            None => Err(not_ours("no exp")),
        }
    }

    /// The provider call, and remembering its answer.
    async fn ask(&self, token: &str, hash: TokenHash, now: i64) -> Answer {
        let answer = self
            .call_provider(token)
            .await
            .and_then(|a| self.check(a, now));
        match &answer {
            Ok(identity) => {
                let until = now + self.config.cache_secs;
                self.active
                    .insert(token, identity.clone(), None, until, now);
            }
            // "Inactive" or not ours: remembered. Provider trouble: not.
            Err(error) if !error.is_unavailable() => self.remember_inactive(hash, now),
            Err(_) => {}
        }
        answer
    }

    /// Remember for [`NEGATIVE_CACHE_SECS`] that a token is not active. A
    /// full table first drops what has lapsed; still full, it stops
    /// remembering (it never flushes: a flood of bad tokens cannot evict the
    /// entries that spare the provider).
    fn remember_inactive(&self, hash: TokenHash, now: i64) {
        let mut inactive = lock(&self.inactive);
        if inactive.len() >= NEGATIVE_CAPACITY {
            inactive.retain(|_, until| *until > now);
        }
        if inactive.len() < NEGATIVE_CAPACITY {
            inactive.insert(hash, now + NEGATIVE_CACHE_SECS);
        }
    }

    async fn call_provider(&self, token: &str) -> Result<Map<String, Value>, TokenError> {
        self.spend()?;
        let endpoint = self.endpoint().await;
        let credentials = format!(
            "{}:{}",
            encode(&self.config.client_id),
            encode(self.config.client_secret.expose())
        );
        let request = self
            .http
            .post(&endpoint)
            .header(
                "authorization",
                format!("Basic {}", STANDARD.encode(credentials)),
            )
            .form(&[("token", token), ("token_type_hint", "access_token")]);
        self.calls.fetch_add(1, Ordering::Relaxed);
        let (_, body) = provider_http::fetch_capped(request, &endpoint, MAX_DOCUMENT_BYTES)
            .await
            .map_err(unavailable)?;
        provider_http::parse_json(&body, &endpoint).map_err(unavailable)
    }

    /// The introspection endpoint: from discovery (remembered once found);
    /// after a failed discovery, Keycloak's path until the backoff ends.
    async fn endpoint(&self) -> String {
        let issuer = &self.config.issuer;
        let previous_backoff = {
            let state = self.endpoint.read().unwrap_or_else(|e| e.into_inner());
            match &*state {
                Endpoint::Found(endpoint) => return endpoint.clone(),
                // (`<=` would differ only at the very instant the backoff ends.)
                Endpoint::Failed { retry_at, .. } if Instant::now() < *retry_at => {
                    return discovery::keycloak_introspection_url(issuer);
                }
                Endpoint::Failed { backoff, .. } => Some(*backoff),
                Endpoint::Unknown => None,
            }
        };
        self.discoveries.fetch_add(1, Ordering::Relaxed);
        let found = discovery::discover(&self.http, issuer, self.config.allow_insecure_http)
            .await
            .map_err(|e| e.to_string())
            .and_then(|document| {
                document
                    .introspection_endpoint
                    .ok_or_else(|| "the discovery document names no introspection_endpoint".into())
            });
        let mut state = self.endpoint.write().unwrap_or_else(|e| e.into_inner());
        match found {
            Ok(endpoint) => {
                *state = Endpoint::Found(endpoint.clone());
                endpoint
            }
            Err(error) => {
                let backoff = next_backoff(previous_backoff);
                tracing::warn!(error = %error.escape_debug(), retry_in_secs = backoff.as_secs(),
                    "discovery failed; using Keycloak's introspection path meanwhile");
                *state = Endpoint::Failed {
                    retry_at: Instant::now() + backoff,
                    backoff,
                };
                discovery::keycloak_introspection_url(issuer)
            }
        }
    }

    /// The JWT path's rules, applied to an introspection answer.
    pub fn check(&self, answer: Map<String, Value>, now: i64) -> Result<Identity, TokenError> {
        if answer.get("active") != Some(&Value::Bool(true)) {
            return Err(TokenError::Invalid(
                "the provider says the token is not active".into(),
            ));
        }
        if answer.get("iss").and_then(Value::as_str) != Some(self.config.issuer.as_str()) {
            return Err(TokenError::Invalid("InvalidIssuer (introspection)".into()));
        }
        let ours = |aud: &str| self.config.audiences.iter().any(|a| a == aud);
        let audience_ok = match answer.get("aud") {
            Some(Value::String(aud)) => ours(aud),
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).any(ours),
            _ => false,
        };
        if !audience_ok {
            return Err(TokenError::Invalid(
                "InvalidAudience (introspection)".into(),
            ));
        }
        match answer.get("exp").and_then(Value::as_i64) {
            Some(exp) if exp > now => {}
            Some(_) => return Err(TokenError::Expired),
            None => return Err(TokenError::Invalid("no exp (introspection)".into())),
        }
        // The binding (`cnf`) is checked by the caller: `verify` refuses it, DPoP matches it.
        Identity::from_claims(answer).ok_or(TokenError::NoSubject)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn introspector() -> Introspector {
        Introspector::new(
            reqwest::Client::new(),
            IntrospectorConfig {
                issuer: "http://kc/realms/r".into(),
                audiences: vec!["echo-mcp-server".into()],
                client_id: "echo-mcp-server".into(),
                client_secret: ClientSecret::new("s3cret-value".into()),
                cache_secs: 10,
                allow_insecure_http: false,
                max_calls_per_sec: 50,
            },
        )
    }

    fn answer(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn same_rules_as_the_jwt_path() {
        let i = introspector();
        let good = json!({"active": true, "iss": "http://kc/realms/r", "aud": ["account", "echo-mcp-server"], "exp": 200, "sub": "u", "scope": "mcp:read"});
        assert_eq!(
            &*i.check(answer(good.clone()), 100).unwrap().scopes,
            ["mcp:read"]
        );
        let mut inactive = good.clone();
        inactive["active"] = json!(false);
        assert!(i.check(answer(inactive), 100).is_err());
        let mut other_iss = good.clone();
        other_iss["iss"] = json!("http://kc/realms/other");
        assert!(i.check(answer(other_iss), 100).is_err());
        let mut other_aud = good.clone();
        other_aud["aud"] = json!("someone-else");
        assert!(i.check(answer(other_aud), 100).is_err());
        assert!(matches!(
            i.check(answer(good.clone()), 300),
            Err(TokenError::Expired)
        ));
        let mut no_sub = good;
        no_sub.as_object_mut().unwrap().remove("sub");
        assert!(matches!(
            i.check(answer(no_sub), 100),
            Err(TokenError::NoSubject)
        ));
    }

    #[test]
    fn a_single_audience_and_the_expiry_second() {
        let i = introspector();
        let good = json!({"active": true, "iss": "http://kc/realms/r", "aud": "echo-mcp-server", "exp": 200, "sub": "u"});
        assert!(
            i.check(answer(good.clone()), 199).is_ok(),
            "aud as a string"
        );
        assert!(matches!(
            i.check(answer(good), 200),
            Err(TokenError::Expired)
        ));
    }

    /// RFC 9449 §6.2: the provider says the token is bound to a DPoP key;
    /// sent here as a plain bearer token, without proof, it is refused.
    #[test]
    fn a_bound_token_is_refused_by_its_introspection_answer() {
        let i = introspector();
        let bound = json!({"active": true, "iss": "http://kc/realms/r", "aud": "echo-mcp-server", "exp": 200, "sub": "u",
            "cnf": {"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}});
        let identity = i.check(answer(bound), 100).unwrap();
        assert!(matches!(
            step6::bound::refuse_bound(&identity.claims),
            Err(TokenError::Bound(_))
        ));
    }

    /// `rate` calls at once, then one more per `1/rate` s.
    #[test]
    fn the_call_budget_refills_at_its_rate() {
        let mut i = introspector();
        i.config.max_calls_per_sec = 2;
        *lock(&i.budget) = Budget {
            tokens: 2.0,
            refilled_at: Instant::now(),
        };
        assert!(i.spend().is_ok());
        assert!(i.spend().is_ok());
        assert!(matches!(i.spend(), Err(TokenError::Busy { .. })));
        std::thread::sleep(Duration::from_millis(600));
        assert!(i.spend().is_ok(), "1.2 calls earned in 0.6 s");
        assert!(matches!(i.spend(), Err(TokenError::Busy { .. })));
        // At one call a second, the first call is allowed.
        i.config.max_calls_per_sec = 1;
        *lock(&i.budget) = Budget {
            tokens: 1.0,
            refilled_at: Instant::now(),
        };
        assert!(i.spend().is_ok());
    }

    #[test]
    fn the_inactive_table_is_bounded_and_lapses() {
        let i = introspector();
        let hash = |n: usize| -> TokenHash { Sha256::digest(n.to_le_bytes()).into() };
        for n in 0..NEGATIVE_CAPACITY {
            i.remember_inactive(hash(n), 0);
        }
        assert_eq!(lock(&i.inactive).get(&hash(0)), Some(&NEGATIVE_CACHE_SECS));
        // Full, nothing lapsed: the newcomer is not remembered, nobody is evicted.
        i.remember_inactive(hash(NEGATIVE_CAPACITY), NEGATIVE_CACHE_SECS - 1);
        assert_eq!(lock(&i.inactive).len(), NEGATIVE_CAPACITY);
        assert!(!lock(&i.inactive).contains_key(&hash(NEGATIVE_CAPACITY)));
        // Full, and every entry lapsed: they go, the newcomer stays.
        i.remember_inactive(hash(NEGATIVE_CAPACITY), NEGATIVE_CACHE_SECS);
        assert_eq!(lock(&i.inactive).len(), 1);
    }

    #[test]
    fn discovery_backs_off_by_doubling_up_to_five_minutes() {
        let mut waits = vec![next_backoff(None)];
        for _ in 0..8 {
            waits.push(next_backoff(waits.last().copied()));
        }
        let secs: Vec<u64> = waits.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, [5, 10, 20, 40, 80, 160, 300, 300, 300]);
    }

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        let shown = format!("{:?}", introspector().config);
        assert!(!shown.contains("s3cret-value"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }
}
