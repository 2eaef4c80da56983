//! What the key cache promises, against an in-process fake provider that
//! counts its key-set fetches. Run with `cargo test -p step9`.

use std::{
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use serde_json::{Value, json};
use step5::public_key::PublicKey;
use step6::keys::{KeyError, KeySource};
use step9::key_cache::{KeyCache, KeyCacheConfig};

const COOLDOWN: Duration = Duration::from_millis(300);

#[derive(Clone, Copy, PartialEq)]
enum Certs {
    Normal,
    Huge,
    Broken,
}

#[derive(Clone)]
struct Fake {
    issuer: String,
    jwks_uri: String,
    kids: Arc<Mutex<Vec<String>>>,
    certs: Arc<Mutex<Certs>>,
    fetches: Arc<AtomicU64>,
    discoveries: Arc<AtomicU64>,
    /// How long discovery and the key set each take to answer.
    delay: Arc<Mutex<Duration>>,
}

impl Fake {
    fn publish(&self, kids: &[&str]) {
        *self.kids.lock().unwrap() = kids.iter().map(|k| k.to_string()).collect();
    }
    fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }
    fn discoveries(&self) -> u64 {
        self.discoveries.load(Ordering::SeqCst)
    }
}

/// The demo public key as a JWK, under any kid we like (the cache only needs valid keys).
fn jwk(kid: &str) -> Value {
    let keys = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../keys"));
    let public = PublicKey::load(&keys.join("mcp_public_key.pem")).unwrap();
    let mut jwk = serde_json::to_value(&public.jwk).unwrap();
    jwk["kid"] = json!(kid);
    jwk
}

async fn discovery(State(fake): State<Fake>) -> Json<Value> {
    fake.discoveries.fetch_add(1, Ordering::SeqCst);
    let delay = *fake.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    Json(json!({"issuer": fake.issuer, "jwks_uri": fake.jwks_uri}))
}

async fn certs(State(fake): State<Fake>) -> Result<String, StatusCode> {
    fake.fetches.fetch_add(1, Ordering::SeqCst);
    let delay = *fake.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    let mode = *fake.certs.lock().unwrap();
    match mode {
        Certs::Broken => Err(StatusCode::INTERNAL_SERVER_ERROR),
        Certs::Huge => Ok(format!(
            "{{\"keys\": [], \"padding\": \"{}\"}}",
            "x".repeat(1 << 20)
        )),
        Certs::Normal => {
            let kids = fake.kids.lock().unwrap().clone();
            Ok(json!({"keys": kids.iter().map(|k| jwk(k)).collect::<Vec<_>>()}).to_string())
        }
    }
}

/// A fake provider publishing `kids`, and a cache pointed at it.
async fn setup(kids: &[&str]) -> (Fake, Arc<KeyCache>) {
    setup_with_cooldown(kids, COOLDOWN).await
}

/// The same, with another refresh cooldown.
async fn setup_with_cooldown(kids: &[&str], cooldown: Duration) -> (Fake, Arc<KeyCache>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let issuer = format!("{base}/realms/r");
    let fake = Fake {
        jwks_uri: format!("{issuer}/protocol/openid-connect/certs"),
        issuer: issuer.clone(),
        kids: Arc::default(),
        certs: Arc::new(Mutex::new(Certs::Normal)),
        fetches: Arc::default(),
        discoveries: Arc::default(),
        delay: Arc::default(),
    };
    fake.publish(kids);
    let app = Router::new()
        .route("/realms/r/.well-known/openid-configuration", get(discovery))
        .route("/realms/r/protocol/openid-connect/certs", get(certs))
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let cache = KeyCache::new(KeyCacheConfig {
        issuer,
        connect_timeout: Duration::from_secs(1),
        timeout: Duration::from_secs(2),
        cooldown,
        allow_insecure_http: false,
    })
    .unwrap();
    (fake, cache)
}

#[tokio::test]
async fn a_known_kid_costs_no_fetch() {
    let (fake, cache) = setup(&["k1"]).await;
    assert!(cache.key_for("k1").await.is_ok());
    assert!(cache.key_for("k1").await.is_ok());
    assert_eq!(fake.fetches(), 1);
    assert_eq!(
        cache.fetch_count(),
        1,
        "the cache counts what the provider saw"
    );
    assert_eq!(fake.discoveries(), 1);
}

#[tokio::test]
async fn a_key_set_url_set_up_front_is_fetched_without_discovery() {
    let (fake, cache) = setup(&["k1"]).await;
    cache.set_key_set_url(fake.jwks_uri.clone());
    assert!(cache.key_for("k1").await.is_ok());
    assert_eq!(fake.fetches(), 1);
    assert_eq!(fake.discoveries(), 0);
}

#[tokio::test]
async fn fifty_concurrent_requests_for_a_new_kid_share_one_fetch() {
    let (fake, cache) = setup(&["k1"]).await;
    cache.key_for("k1").await.unwrap();
    fake.publish(&["k2", "k1"]); // the provider rotates
    tokio::time::sleep(COOLDOWN).await;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move { cache.key_for("k2").await.is_ok() })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap());
    }
    assert_eq!(fake.fetches(), 2);
    assert_eq!(cache.fetch_count(), 2);
}

/// Requests for a kid the provider does not have, arriving while a refresh
/// for it is already under way: that fetch may have been sent before their
/// key was published, so they are not told "bad token" (401) on its word —
/// they get "come back after the cooldown" (503). The first one, whose own
/// fetch it was, gets the 401.
#[tokio::test]
async fn a_refresh_that_started_before_a_request_does_not_condemn_its_token() {
    let (fake, cache) = setup(&["k1"]).await;
    cache.key_for("k1").await.unwrap();
    tokio::time::sleep(COOLDOWN).await;
    *fake.delay.lock().unwrap() = Duration::from_millis(200);
    let first = {
        let cache = Arc::clone(&cache);
        tokio::spawn(async move { cache.key_for("forged").await.map(|_| ()) })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let later: Vec<_> = (0..5)
        .map(|_| {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move { cache.key_for("forged").await.map(|_| ()) })
        })
        .collect();
    let answer = first.await.unwrap();
    assert!(matches!(answer, Err(KeyError::UnknownKid(_))), "{answer:?}");
    for task in later {
        let answer = task.await.unwrap();
        assert!(
            matches!(answer, Err(KeyError::CoolingDown { .. })),
            "{answer:?}"
        );
    }
    assert_eq!(fake.fetches(), 2);
}

/// Requests that were already waiting when a refresh *started* (another
/// refresh held the lock) trust its result: each is told the token is bad
/// (401), none is sent away with a 503.
#[tokio::test]
async fn requests_waiting_before_a_refresh_started_trust_its_result() {
    // The refresh takes longer than the cooldown, so the next may fetch at once.
    let (fake, cache) = setup(&["k1"]).await;
    cache.key_for("k1").await.unwrap();
    tokio::time::sleep(COOLDOWN).await;
    *fake.delay.lock().unwrap() = COOLDOWN + Duration::from_millis(200);
    let ask = |kid: &'static str| {
        let cache = Arc::clone(&cache);
        tokio::spawn(async move { cache.key_for(kid).await.map(|_| ()) })
    };
    let holder = ask("forged-0");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let waiting = [ask("forged-1"), ask("forged-1"), ask("forged-1")];
    assert!(matches!(
        holder.await.unwrap(),
        Err(KeyError::UnknownKid(_))
    ));
    for task in waiting {
        let answer = task.await.unwrap();
        assert!(matches!(answer, Err(KeyError::UnknownKid(_))), "{answer:?}");
    }
    assert_eq!(
        fake.fetches(),
        3,
        "the first, forged-0's, one for all of forged-1"
    );
}

/// Discovery and the key set may each take most of `--idp-timeout`: the
/// whole refresh is allowed twice that.
#[tokio::test]
async fn a_slow_provider_within_its_timeouts_is_waited_for() {
    let (fake, cache) = setup(&["k1"]).await; // timeout 2 s
    *fake.delay.lock().unwrap() = Duration::from_millis(700);
    assert!(cache.key_for("k1").await.is_ok());
}

/// The refresher fetches at start, without any request asking, and then
/// waits for the key set's lifetime (no Cache-Control here: 5 minutes).
#[tokio::test]
async fn the_refresher_fetches_at_start_then_waits_for_the_lifetime() {
    let (fake, cache) = setup(&["k1"]).await;
    cache.spawn_refresher();
    for _ in 0..40 {
        if cache.contains("k1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(cache.contains("k1"), "nothing fetched at start");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        fake.fetches(),
        1,
        "fetched again before the key set's lifetime"
    );
}

/// While the provider is down, the refresher retries after 2 s, then 4 s, …
/// (doubling up to 30 s) — not in a tight loop.
#[tokio::test]
async fn the_refresher_backs_off_while_the_provider_is_down() {
    let (fake, cache) = setup(&["k1"]).await;
    *fake.certs.lock().unwrap() = Certs::Broken;
    cache.spawn_refresher();
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(fake.fetches(), 2, "at 0 s and 2 s; the next at 6 s");
}

/// The client other provider calls share does not follow redirects (a
/// provider's 302 could point anywhere).
#[tokio::test]
async fn the_shared_client_follows_no_redirect() {
    let (fake, cache) = setup(&["k1"]).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let to = fake.jwks_uri.clone();
    let app = Router::new().route(
        "/moved",
        get(move || async move { axum::response::Redirect::temporary(&to) }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let response = cache
        .http()
        .get(format!("{base}/moved"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 307);
    assert_eq!(fake.fetches(), 0);
}

#[tokio::test]
async fn forged_kids_inside_the_cooldown_get_retry_after_and_no_fetch() {
    // A cooldown of 2 s, so that Retry-After can say how much of it is left.
    const COOLDOWN: Duration = Duration::from_secs(2);
    let (fake, cache) = setup_with_cooldown(&["k1"], COOLDOWN).await;
    cache.key_for("k1").await.unwrap();
    tokio::time::sleep(COOLDOWN).await;
    // Looked up, not there: the token is bad (401).
    assert!(matches!(
        cache.key_for("forged-1").await,
        Err(KeyError::UnknownKid(_))
    ));
    // Moments later: no fetch; "come back after the cooldown" (503), since a
    // genuinely new key would look exactly the same.
    match cache.key_for("forged-2").await {
        Err(KeyError::CoolingDown {
            retry_after_secs, ..
        }) => assert_eq!(
            retry_after_secs, 2,
            "the rest of the 2 s cooldown, rounded up"
        ),
        other => panic!("expected CoolingDown, got {:?}", other.map(|_| ())),
    }
    assert_eq!(fake.fetches(), 2);
    tokio::time::sleep(COOLDOWN).await;
    assert!(matches!(
        cache.key_for("forged-3").await,
        Err(KeyError::UnknownKid(_))
    ));
    assert_eq!(fake.fetches(), 3, "one fetch per cooldown, no more");
}

#[tokio::test]
async fn a_key_that_leaves_the_set_is_no_longer_trusted() {
    let (fake, cache) = setup(&["k1", "k2"]).await;
    cache.key_for("k1").await.unwrap();
    assert!(cache.contains("k1"));
    fake.publish(&["k3", "k2"]); // k1 dropped (leaked, say)
    tokio::time::sleep(COOLDOWN).await;
    cache.key_for("k3").await.unwrap();
    assert!(
        !cache.contains("k1"),
        "step 6's cache asks this on every hit"
    );
    assert!(cache.contains("k2") && cache.contains("k3"));
}

#[tokio::test]
async fn a_refresh_that_fails_keeps_the_old_keys() {
    let (fake, cache) = setup(&["k1"]).await;
    cache.key_for("k1").await.unwrap();
    for mode in [Certs::Huge, Certs::Broken] {
        *fake.certs.lock().unwrap() = mode;
        tokio::time::sleep(COOLDOWN).await;
        assert!(cache.key_for("k9").await.is_err());
        assert!(cache.key_for("k1").await.is_ok(), "the old key is kept");
    }
    let report = cache.report(true);
    assert!(
        report["keys"]["last_error"]
            .as_str()
            .unwrap()
            .contains("500")
    );
}

#[tokio::test]
async fn no_keys_at_all_is_our_fault_not_the_tokens() {
    let (fake, cache) = setup(&["k1"]).await;
    *fake.certs.lock().unwrap() = Certs::Broken;
    assert!(matches!(
        cache.key_for("k1").await,
        Err(KeyError::Unavailable(_))
    ));
    assert_eq!(cache.report(false)["status"], "degraded");
}
