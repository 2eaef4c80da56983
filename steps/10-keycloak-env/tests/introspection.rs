//! Introspection must not amplify: garbage is refused locally, a bad token
//! costs one provider call however often it is sent, concurrent requests
//! with one token share a call, and a failed discovery is not retried on
//! every request. Against an in-process fake provider that counts.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{Json, Router, extract::State, http::StatusCode, routing::get, routing::post};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use step6::validate::now_unix;
use step10::introspection::{ClientSecret, Introspector, IntrospectorConfig};

/// What the fake provider saw, and what it answers now (a test may switch it).
struct Counts {
    discoveries: AtomicU64,
    introspections: AtomicU64,
    /// Each introspection request's `Authorization` header.
    authorizations: std::sync::Mutex<Vec<String>>,
    answer: std::sync::Mutex<Answer>,
}

#[derive(Clone, Copy, Debug)]
enum Answer {
    Inactive,
    Huge,
    /// `active: true`, for our issuer and audience, five minutes left.
    Active,
    /// 503 with an HTML page: provider trouble.
    Broken,
    /// Active, and bound to a DPoP key (`cnf.jkt`, RFC 9449 §6.2).
    Bound,
}

#[derive(Clone)]
struct Fake {
    counts: Arc<Counts>,
    issuer: String,
    discovery_works: bool,
    delay: Duration,
}

async fn discovery(State(fake): State<Fake>) -> Result<Json<Value>, StatusCode> {
    fake.counts.discoveries.fetch_add(1, Ordering::SeqCst);
    if !fake.discovery_works {
        return Err(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Ok(Json(json!({
        "issuer": fake.issuer,
        "jwks_uri": format!("{}/protocol/openid-connect/certs", fake.issuer),
        "introspection_endpoint": format!("{}/protocol/openid-connect/token/introspect", fake.issuer),
    })))
}

/// The demo public key (keys/), published as the provider's key set.
async fn certs() -> String {
    let path = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../keys/mcp_public_key.pem"
    ));
    let key = step5::public_key::PublicKey::load(path).unwrap();
    json!({"keys": [key.jwk]}).to_string()
}

fn demo_kid() -> String {
    let path = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../keys/mcp_public_key.pem"
    ));
    step5::public_key::PublicKey::load(path).unwrap().jwk.kid
}

async fn introspect(
    State(fake): State<Fake>,
    headers: axum::http::HeaderMap,
) -> (StatusCode, String) {
    fake.counts.introspections.fetch_add(1, Ordering::SeqCst);
    let authorization = headers
        .get("authorization")
        .map(|v| v.to_str().unwrap_or("?").to_string());
    fake.counts
        .authorizations
        .lock()
        .unwrap()
        .push(authorization.unwrap_or_default());
    tokio::time::sleep(fake.delay).await;
    let answer = *fake.counts.answer.lock().unwrap();
    match answer {
        Answer::Inactive => (StatusCode::OK, json!({"active": false}).to_string()),
        Answer::Huge => (
            StatusCode::OK,
            format!(
                "{{\"active\": false, \"padding\": \"{}\"}}",
                "x".repeat(1 << 20)
            ),
        ),
        Answer::Active => (
            StatusCode::OK,
            json!({"active": true, "iss": fake.issuer, "aud": "echo-mcp-server", "sub": "u",
                "exp": now_unix() + 300, "scope": "mcp:read"})
            .to_string(),
        ),
        Answer::Broken => (StatusCode::SERVICE_UNAVAILABLE, "<html>down</html>".into()),
        Answer::Bound => (
            StatusCode::OK,
            json!({"active": true, "iss": fake.issuer, "aud": "echo-mcp-server", "sub": "u",
                "exp": now_unix() + 300, "scope": "mcp:read",
                "cnf": {"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}})
            .to_string(),
        ),
    }
}

/// Start the fake provider; returns an introspector pointed at it, and its counters.
async fn setup(
    discovery_works: bool,
    answer: Answer,
    delay: Duration,
) -> (Arc<Introspector>, Arc<Counts>, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let issuer = format!("http://127.0.0.1:{}/realms/r", addr.port());
    let counts = Arc::new(Counts {
        discoveries: AtomicU64::new(0),
        introspections: AtomicU64::new(0),
        authorizations: std::sync::Mutex::new(Vec::new()),
        answer: std::sync::Mutex::new(answer),
    });
    let fake = Fake {
        counts: counts.clone(),
        issuer: issuer.clone(),
        discovery_works,
        delay,
    };
    let app = Router::new()
        .route("/realms/r/.well-known/openid-configuration", get(discovery))
        .route(
            "/realms/r/protocol/openid-connect/token/introspect",
            post(introspect),
        )
        .route("/realms/r/protocol/openid-connect/certs", get(certs))
        .with_state(fake);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let introspector = Introspector::new(
        reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap(),
        config(&issuer, 1000),
    );
    (Arc::new(introspector), counts, issuer)
}

/// The introspector's settings against the fake, with `max_calls_per_sec`.
fn config(issuer: &str, max_calls_per_sec: u32) -> IntrospectorConfig {
    IntrospectorConfig {
        issuer: issuer.to_string(),
        audiences: vec!["echo-mcp-server".into()],
        client_id: "echo-mcp-server".into(),
        client_secret: ClientSecret::new("secret".into()),
        cache_secs: 10,
        allow_insecure_http: false,
        max_calls_per_sec,
    }
}

/// A JWT-shaped token naming `issuer` (unsigned: only the provider can tell it is bad).
fn jwt_shaped(issuer: &str, n: u32) -> String {
    jwt_with_kid(issuer, n, "k")
}

/// The same with a given `kid` (the demo key's: only the signature is wrong).
fn jwt_with_kid(issuer: &str, n: u32, kid: &str) -> String {
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": kid});
    let payload = json!({"iss": issuer, "aud": "echo-mcp-server", "sub": "u", "typ": "Bearer",
        "exp": now_unix() + 300, "iat": now_unix(), "jti": n});
    format!(
        "{}.{}.c2lnbmF0dXJl",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    )
}

#[tokio::test]
async fn the_70_request_storm_costs_one_provider_call() {
    let (introspector, counts, issuer) = setup(true, Answer::Inactive, Duration::ZERO).await;
    for n in 0..50 {
        assert!(introspector.verify(&format!("garbage-{n}")).await.is_err());
    }
    assert_eq!(
        counts.introspections.load(Ordering::SeqCst),
        0,
        "garbage reached the provider"
    );
    let bad = jwt_shaped(&issuer, 1);
    for _ in 0..20 {
        let error = introspector.verify(&bad).await.unwrap_err();
        assert!(!error.is_unavailable(), "{error}");
    }
    assert_eq!(counts.introspections.load(Ordering::SeqCst), 1);
    // Tokens of other issuers, or already expired, are refused locally too.
    let other = jwt_shaped("http://elsewhere/realms/r", 2);
    assert!(introspector.verify(&other).await.is_err());
    assert_eq!(introspector.call_count(), 1);
}

#[tokio::test]
async fn concurrent_requests_with_one_token_share_one_call() {
    let (introspector, counts, issuer) =
        setup(true, Answer::Inactive, Duration::from_millis(300)).await;
    let token = jwt_shaped(&issuer, 7);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (introspector, token) = (introspector.clone(), token.clone());
        tasks.push(tokio::spawn(
            async move { introspector.verify(&token).await },
        ));
    }
    for task in tasks {
        assert!(task.await.unwrap().is_err());
    }
    assert_eq!(counts.introspections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_failed_discovery_is_not_retried_on_every_request() {
    let (introspector, counts, issuer) = setup(false, Answer::Inactive, Duration::ZERO).await;
    for n in 0..10 {
        assert!(introspector.verify(&jwt_shaped(&issuer, n)).await.is_err());
    }
    assert_eq!(
        counts.discoveries.load(Ordering::SeqCst),
        1,
        "discovery retried without backoff"
    );
    // Meanwhile Keycloak's own path was used, and it answered.
    assert_eq!(counts.introspections.load(Ordering::SeqCst), 10);
}

#[tokio::test]
async fn an_oversized_answer_is_the_providers_fault() {
    let (introspector, _, issuer) = setup(true, Answer::Huge, Duration::ZERO).await;
    let error = introspector
        .verify(&jwt_shaped(&issuer, 1))
        .await
        .unwrap_err();
    assert!(
        error.is_unavailable(),
        "a 1 MiB answer must be refused as provider trouble: {error}"
    );
}

#[tokio::test]
async fn a_request_whose_client_hangs_up_leaves_nothing_behind() {
    // The provider takes 10 s; each request is dropped after 20 ms, as when
    // its client closes the socket. No entry may outlive its request.
    let (introspector, _, issuer) = setup(true, Answer::Inactive, Duration::from_secs(10)).await;
    for n in 0..200 {
        let token = jwt_shaped(&issuer, n);
        let cancelled =
            tokio::time::timeout(Duration::from_millis(20), introspector.verify(&token)).await;
        assert!(cancelled.is_err(), "the provider answered early");
    }
    assert_eq!(introspector.in_flight_count(), 0, "entries left behind");
    // Shared calls are cleaned up too, whoever leaves last.
    let token = jwt_shaped(&issuer, 999);
    let waiters: Vec<_> = (0..5)
        .map(|_| {
            let (introspector, token) = (introspector.clone(), token.clone());
            tokio::spawn(async move { introspector.verify(&token).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(introspector.in_flight_count(), 1);
    for waiter in waiters {
        waiter.abort();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        introspector.in_flight_count(),
        0,
        "a shared entry left behind"
    );
}

#[tokio::test]
async fn forged_jwts_cost_no_provider_call_when_the_provider_publishes_keys() {
    let (introspector, counts, issuer) = setup(true, Answer::Inactive, Duration::ZERO).await;
    let cache = step9::key_cache::KeyCache::new(step9::key_cache::KeyCacheConfig {
        issuer: issuer.clone(),
        connect_timeout: Duration::from_secs(1),
        timeout: Duration::from_secs(2),
        cooldown: Duration::from_secs(10),
        allow_insecure_http: false,
    })
    .unwrap();
    let validator =
        step6::validate::Validator::new(cache, issuer.clone(), vec!["echo-mcp-server".into()])
            .with_token_type(step6::validate::TokenType::Keycloak);
    let introspector = Arc::into_inner(introspector)
        .unwrap()
        .with_signature_check(Arc::new(validator));
    let kid = demo_kid();
    // 1 000 unique forgeries: the right kid with a bad signature, and unknown kids.
    for n in 0..1000 {
        let token = if n % 2 == 0 {
            jwt_with_kid(&issuer, n, &kid)
        } else {
            jwt_with_kid(&issuer, n, &format!("forged-{n}"))
        };
        assert!(
            introspector.verify(&token).await.is_err(),
            "forgery {n} passed"
        );
    }
    assert_eq!(
        counts.introspections.load(Ordering::SeqCst),
        0,
        "forged JWTs reached the provider"
    );
}

#[tokio::test]
async fn provider_calls_are_capped_per_second() {
    let (_, counts, issuer) = setup(true, Answer::Inactive, Duration::ZERO).await;
    let introspector = Introspector::new(reqwest::Client::new(), config(&issuer, 5));
    let mut busy = 0;
    for n in 0..40 {
        let error = introspector
            .verify(&jwt_shaped(&issuer, n))
            .await
            .unwrap_err();
        if error.is_unavailable() {
            assert_eq!(error.retry_after_secs(), 1);
            busy += 1;
        }
    }
    let calls = counts.introspections.load(Ordering::SeqCst);
    assert!(calls <= 6, "{calls} calls in well under 2 s at 5/s");
    assert_eq!(
        busy + calls,
        40,
        "each token was either asked about or refused as busy"
    );
}

/// RFC 7662 §2.1 with RFC 6749 §2.3.1: the resource server authenticates
/// with Basic, each part form-urlencoded first; the introspector's own
/// counters agree with what the provider saw.
#[tokio::test]
async fn the_provider_is_asked_with_the_clients_credentials() {
    let (_, counts, issuer) = setup(true, Answer::Inactive, Duration::ZERO).await;
    let mut config = config(&issuer, 1000);
    config.client_id = "echo:mcp".into();
    config.client_secret = ClientSecret::new("s&cret=1".into());
    let introspector = Introspector::new(reqwest::Client::new(), config);
    for n in 0..3 {
        assert!(introspector.verify(&jwt_shaped(&issuer, n)).await.is_err());
    }
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("echo%3Amcp:s%26cret%3D1")
    );
    assert_eq!(*counts.authorizations.lock().unwrap(), vec![expected; 3]);
    assert_eq!(introspector.call_count(), 3);
    assert_eq!(introspector.discovery_count(), 1);
    assert_eq!(counts.discoveries.load(Ordering::SeqCst), 1);
}

/// An active answer is remembered for `cache_secs`: the same token again
/// costs no call. Provider trouble is not remembered as "inactive": once the
/// provider is back, the token is asked about again and accepted.
#[tokio::test]
async fn active_answers_are_cached_and_provider_trouble_is_not() {
    let (introspector, counts, issuer) = setup(true, Answer::Broken, Duration::ZERO).await;
    let token = jwt_shaped(&issuer, 1);
    let error = introspector.verify(&token).await.unwrap_err();
    assert!(error.is_unavailable(), "a 503 is provider trouble: {error}");
    *counts.answer.lock().unwrap() = Answer::Active;
    for _ in 0..5 {
        let identity = introspector.verify(&token).await.unwrap();
        assert_eq!(&*identity.subject, "u");
    }
    assert_eq!(
        counts.introspections.load(Ordering::SeqCst),
        2,
        "one failed call, then one call for five requests"
    );
}

/// Expiry is checked before any call, with step 6's 30 s leeway: a token
/// that expired a moment ago is still asked about; one expired a minute ago
/// is refused locally. A token of exactly the size limit is not "too long".
#[tokio::test]
async fn expired_and_oversized_tokens_are_refused_without_a_call() {
    let (introspector, counts, issuer) = setup(true, Answer::Inactive, Duration::ZERO).await;
    let with_exp = |exp: i64| {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": "k"});
        let payload = json!({"iss": issuer, "aud": "echo-mcp-server", "sub": "u", "exp": exp});
        format!(
            "{}.{}.c2lnbmF0dXJl",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        )
    };
    let stale = introspector
        .verify(&with_exp(now_unix() - 60))
        .await
        .unwrap_err();
    assert!(
        matches!(stale, step6::validate::TokenError::Expired),
        "{stale}"
    );
    assert_eq!(counts.introspections.load(Ordering::SeqCst), 0);
    let recent = introspector
        .verify(&with_exp(now_unix() - 5))
        .await
        .unwrap_err();
    assert!(
        !matches!(recent, step6::validate::TokenError::Expired),
        "{recent}"
    );
    let live = introspector
        .verify(&with_exp(now_unix() + 20))
        .await
        .unwrap_err();
    assert!(
        !matches!(live, step6::validate::TokenError::Expired),
        "{live}"
    );
    assert_eq!(counts.introspections.load(Ordering::SeqCst), 2);

    let limit = step6::validate::MAX_TOKEN_BYTES;
    let at_limit = introspector.verify(&"x".repeat(limit)).await.unwrap_err();
    assert!(
        !matches!(at_limit, step6::validate::TokenError::TooLong),
        "{at_limit}"
    );
    let over = introspector
        .verify(&"x".repeat(limit + 1))
        .await
        .unwrap_err();
    assert!(
        matches!(over, step6::validate::TokenError::TooLong),
        "{over}"
    );
}

/// The first request for a token asks; when it is cancelled (its client hung
/// up) a request still waiting takes over, and a third one arriving then
/// joins that call instead of starting its own.
#[tokio::test]
async fn a_cancelled_first_request_hands_its_call_on() {
    let (introspector, counts, issuer) =
        setup(true, Answer::Inactive, Duration::from_millis(400)).await;
    let token = jwt_shaped(&issuer, 5);
    let spawn = |introspector: Arc<Introspector>, token: String| {
        tokio::spawn(async move { introspector.verify(&token).await })
    };
    let first = spawn(introspector.clone(), token.clone());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = spawn(introspector.clone(), token.clone());
    tokio::time::sleep(Duration::from_millis(100)).await;
    first.abort();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let third = spawn(introspector.clone(), token.clone());
    assert!(second.await.unwrap().is_err());
    assert!(third.await.unwrap().is_err());
    assert_eq!(
        counts.introspections.load(Ordering::SeqCst),
        2,
        "the cancelled call and the one the waiters shared"
    );
    assert_eq!(introspector.in_flight_count(), 0);
}

/// After a failed discovery, the next one waits for the backoff (5 s), then
/// is tried again — a provider that comes back is found.
#[tokio::test]
async fn discovery_is_tried_again_after_its_backoff() {
    let (introspector, counts, issuer) = setup(false, Answer::Inactive, Duration::ZERO).await;
    assert!(introspector.verify(&jwt_shaped(&issuer, 1)).await.is_err());
    assert!(introspector.verify(&jwt_shaped(&issuer, 2)).await.is_err());
    assert_eq!(counts.discoveries.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(5200)).await;
    assert!(introspector.verify(&jwt_shaped(&issuer, 3)).await.is_err());
    assert_eq!(
        counts.discoveries.load(Ordering::SeqCst),
        2,
        "not tried again after the backoff"
    );
    assert_eq!(introspector.discovery_count(), 2);
}

/// An active answer is remembered for `cache_secs` and no longer: with one
/// second, the same token twice at once costs one call, and again after two
/// seconds a second call.
#[tokio::test]
async fn an_active_answer_is_remembered_for_cache_secs() {
    let (_, counts, issuer) = setup(true, Answer::Active, Duration::ZERO).await;
    let mut config = config(&issuer, 1000);
    config.cache_secs = 1;
    let introspector = Introspector::new(reqwest::Client::new(), config);
    let token = jwt_shaped(&issuer, 3);
    introspector.verify(&token).await.unwrap();
    introspector.verify(&token).await.unwrap();
    assert_eq!(
        counts.introspections.load(Ordering::SeqCst),
        1,
        "not remembered at all"
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    introspector.verify(&token).await.unwrap();
    assert_eq!(
        counts.introspections.load(Ordering::SeqCst),
        2,
        "remembered too long"
    );
}

/// A token the provider says is DPoP-bound: refused as a bearer token, and
/// its binding handed to a caller that checks proofs (step 10's DPoP) — the
/// refusal is not remembered as "inactive", so the DPoP path still works.
#[tokio::test]
async fn a_bound_answer_is_refused_as_bearer_and_kept_for_dpop() {
    let (introspector, counts, issuer) = setup(true, Answer::Bound, Duration::ZERO).await;
    let token = jwt_shaped(&issuer, 1);
    let refused = introspector.verify(&token).await.unwrap_err();
    assert!(
        matches!(refused, step6::validate::TokenError::Bound(_)),
        "{refused:?}"
    );
    let identity = introspector.verify_any_binding(&token).await.unwrap();
    assert_eq!(
        identity.claims["cnf"]["jkt"],
        "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
    );
    assert_eq!(counts.introspections.load(Ordering::SeqCst), 1);
}
