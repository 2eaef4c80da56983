//! Step 10's `--dpop allowed|required`: a DPoP-bound token passes only with
//! a fresh proof, for this request, signed by the key the token is bound to.
//! Every hostile proof below is one an attacker holding a stolen token (or a
//! stolen proof) could send. Proofs are made by step 11's client code.

use std::{sync::Arc, time::Duration};

use axum::{Router, middleware};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use plumbing::testkit::{Reply, post_mcp_with, rpc, send};
use serde_json::{Value, json};
use step7::Setup;
use step10::{
    auth_mode::{AuthMode, ModeAuth, Verifier, authenticate},
    dpop::{Dpop, DpopArgs, DpopMode, proof::thumbprint},
};
use step11::{dpop::access_token_hash, es256::Es256Key};
use tokengen::{
    claims::{Demo, TokenSpec},
    forge::mint,
    keypair::SigningKey,
};

/// The public URL proofs must name (the demo setup's `--server-url`).
const HTU: &str = "http://localhost:9000/mcp";

fn app_with(mode: DpopMode, nonce: bool) -> Router {
    let (Setup { auth, .. }, _) = step7::testkit::demo_setup();
    let auth = step8::with_scope_hints(auth);
    let args = DpopArgs {
        mode,
        dpop_nonce: nonce,
        dpop_max_age: 60,
    };
    let state = ModeAuth {
        verifier: Arc::new(Verifier::Jwt(auth.validator.clone())),
        challenge: auth.challenge.clone(),
        mode: AuthMode::Strict,
        dpop: Dpop::new(&args, "http://localhost:9000").map(Arc::new),
    };
    step2::mcp::routes(step9::dispatcher(&auth))
        .route_layer(middleware::from_fn_with_state(state, authenticate))
}

fn app(mode: DpopMode) -> Router {
    app_with(mode, false)
}

/// A token for `demo`, bound to `key` when given (`cnf.jkt`, RFC 9449 §6.1).
fn token(demo: Demo, key: Option<&Es256Key>) -> String {
    let mut spec = TokenSpec::demo(demo, Duration::from_secs(600));
    if let Some(key) = key {
        let jkt = thumbprint(key.public_jwk().as_object().unwrap()).unwrap();
        spec.extra.insert("cnf".into(), json!({"jkt": jkt}));
    }
    mint(&spec, &SigningKey::demo()).unwrap()
}

/// `tools/call echo` with these headers.
async fn call(app: &Router, headers: &[(&str, &str)]) -> Reply {
    let body = rpc(
        "tools/call",
        json!({"name": "echo", "arguments": {"message": "hi"}}),
    );
    send(app, post_mcp_with(body, headers)).await
}

/// `tools/call` with `Authorization: DPoP <token>` and each proof given.
async fn with_proofs(app: &Router, token: &str, proofs: &[&str]) -> Reply {
    let authorization = format!("DPoP {token}");
    let mut headers = vec![("authorization", authorization.as_str())];
    headers.extend(proofs.iter().map(|p| ("dpop", *p)));
    call(app, &headers).await
}

/// The claims of a good proof for `token`, to be spoiled one at a time.
fn claims(token: &str) -> Value {
    json!({"jti": uuid(), "htm": "POST", "htu": HTU, "iat": now(),
        "ath": access_token_hash(token)})
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn now() -> i64 {
    step6::validate::now_unix()
}

/// Every `WWW-Authenticate` value of a reply.
fn challenges(reply: &Reply) -> Vec<String> {
    reply
        .headers
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

fn refused_as(reply: &Reply, error: &str) {
    assert_eq!(reply.status, 401, "{:?}", reply.body);
    assert_eq!(reply.json()["error"], error, "{:?}", reply.body);
    let dpop = challenges(reply)
        .into_iter()
        .find(|c| c.starts_with("DPoP "))
        .unwrap_or_else(|| panic!("no DPoP challenge: {:?}", challenges(reply)));
    assert!(dpop.contains(&format!("error=\"{error}\"")), "{dpop}");
    assert!(dpop.contains("algs=\"ES256 "), "{dpop}");
    assert!(dpop.contains("resource_metadata="), "{dpop}");
}

#[tokio::test]
async fn a_bound_token_with_its_fresh_proof_is_let_in() {
    let app = app(DpopMode::Allowed);
    let key = Es256Key::generate();
    let token = token(Demo::Alice, Some(&key));
    let proof = key.proof("POST", HTU, Some(&token), None);
    let reply = with_proofs(&app, &token, &[&proof]).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.json()["result"]["content"][0]["text"], "hi");
    // The scheme is case-insensitive (RFC 9110 §11.1).
    let proof = key.proof("POST", HTU, Some(&token), None);
    let authorization = format!("dpop {token}");
    let reply = call(&app, &[("authorization", &authorization), ("dpop", &proof)]).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
}

#[tokio::test]
async fn a_proof_is_good_for_one_request_only() {
    let app = app(DpopMode::Allowed);
    let key = Es256Key::generate();
    let token = token(Demo::Alice, Some(&key));
    let proof = key.proof("POST", HTU, Some(&token), None);
    assert_eq!(with_proofs(&app, &token, &[&proof]).await.status, 200);
    refused_as(
        &with_proofs(&app, &token, &[&proof]).await,
        "invalid_dpop_proof",
    );
}

#[tokio::test]
async fn hostile_proofs_are_refused() {
    let app = app(DpopMode::Allowed);
    let key = Es256Key::generate();
    let other = Es256Key::generate();
    let token = token(Demo::Alice, Some(&key));
    let header = key.proof_header();
    let spoil = |name: &str, value: Value| {
        let mut claims = claims(&token);
        claims[name] = value;
        key.sign(&header, &claims)
    };
    let without = |name: &str| {
        let mut claims = claims(&token);
        claims.as_object_mut().unwrap().remove(name);
        key.sign(&header, &claims)
    };
    let with_header = |name: &str, value: Value| {
        let mut header = header.clone();
        header[name] = value;
        key.sign(&header, &claims(&token))
    };
    let mut private_jwk = key.public_jwk().clone();
    private_jwk["d"] = json!("c2VjcmV0");
    let unsigned = |alg: &str| {
        let header = json!({"typ": "dpop+jwt", "alg": alg, "jwk": key.public_jwk()});
        let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.", part(&header), part(&claims(&token)))
    };
    let signature_of_other = {
        let good = key.sign(&header, &claims(&token));
        let foreign = other.sign(&header, &claims(&token));
        let (input, _) = good.rsplit_once('.').unwrap();
        format!("{input}.{}", foreign.rsplit_once('.').unwrap().1)
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "for another URL",
            spoil("htu", json!("http://evil.example/mcp")),
        ),
        (
            "for another path",
            spoil("htu", json!("http://localhost:9000/other")),
        ),
        ("for another method", spoil("htm", json!("GET"))),
        ("stale", spoil("iat", json!(now() - 120))),
        ("from the future", spoil("iat", json!(now() + 60))),
        ("iat as text", spoil("iat", json!(now().to_string()))),
        (
            "for another token",
            spoil("ath", json!(access_token_hash("other"))),
        ),
        ("without ath", without("ath")),
        ("without jti", without("jti")),
        ("without htu", without("htu")),
        ("alg none", unsigned("none")),
        ("alg HS256", unsigned("HS256")),
        ("typ JWT", with_header("typ", json!("JWT"))),
        ("no typ", {
            let mut header = header.clone();
            header.as_object_mut().unwrap().remove("typ");
            key.sign(&header, &claims(&token))
        }),
        ("a private key in jwk", with_header("jwk", private_jwk)),
        (
            "a symmetric jwk",
            with_header("jwk", json!({"kty": "oct", "k": "c2VjcmV0"})),
        ),
        ("no jwk", {
            let mut header = header.clone();
            header.as_object_mut().unwrap().remove("jwk");
            key.sign(&header, &claims(&token))
        }),
        ("crit", with_header("crit", json!(["exp"]))),
        ("signed by another key than its jwk", signature_of_other),
        // Internally consistent, made by another key: the token is not bound to it.
        (
            "by another key",
            other.proof("POST", HTU, Some(&token), None),
        ),
        ("not a JWT", "not-a-jwt".into()),
        ("a huge proof", "a".repeat(64 * 1024)),
    ];
    for (what, proof) in cases {
        let reply = with_proofs(&app, &token, &[&proof]).await;
        assert_eq!(reply.status, 401, "{what}: {:?}", reply.body);
        assert_eq!(reply.json()["error"], "invalid_dpop_proof", "{what}");
    }
    // After all that, the token still works with a good proof (nothing was poisoned).
    let good = key.proof("POST", HTU, Some(&token), None);
    assert_eq!(with_proofs(&app, &token, &[&good]).await.status, 200);
}

/// With `allowed`, a refused DPoP request still learns that Bearer is an
/// option (a challenge without error), and a Bearer request's 403 stays Bearer.
#[tokio::test]
async fn allowed_challenges_name_both_schemes_and_the_error_goes_with_the_one_used() {
    let app = app(DpopMode::Allowed);
    let key = Es256Key::generate();
    let token = token(Demo::Alice, Some(&key));
    let reply = with_proofs(&app, &token, &["not-a-proof"]).await;
    let all = challenges(&reply);
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(
        all[0].starts_with("Bearer ") && !all[0].contains("error="),
        "{all:?}"
    );
    assert!(
        all[1].starts_with("DPoP ") && all[1].contains("invalid_dpop_proof"),
        "{all:?}"
    );
    // bob lacks mcp:tools: step 8's 403, for a Bearer request, is a Bearer challenge.
    let bearer = format!("Bearer {}", self::token(Demo::Bob, None));
    let reply = call(&app, &[("authorization", &bearer)]).await;
    assert_eq!(reply.status, 403);
    let all = challenges(&reply);
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(
        all[0].starts_with("Bearer ") && all[0].contains("insufficient_scope"),
        "{all:?}"
    );
}

#[tokio::test]
async fn a_missing_or_doubled_proof_header_is_refused() {
    let app = app(DpopMode::Allowed);
    let key = Es256Key::generate();
    let token = token(Demo::Alice, Some(&key));
    refused_as(&with_proofs(&app, &token, &[]).await, "invalid_dpop_proof");
    let (a, b) = (
        key.proof("POST", HTU, Some(&token), None),
        key.proof("POST", HTU, Some(&token), None),
    );
    refused_as(
        &with_proofs(&app, &token, &[&a, &b]).await,
        "invalid_dpop_proof",
    );
}

#[tokio::test]
async fn a_bound_token_without_its_proof_is_refused_as_bearer() {
    let app = app(DpopMode::Allowed);
    let key = Es256Key::generate();
    let token = token(Demo::Alice, Some(&key));
    let bearer = format!("Bearer {token}");
    let proof = key.proof("POST", HTU, Some(&token), None);
    // Even with its proof beside it: under Bearer the binding is not checked, so it is refused.
    let reply = call(&app, &[("authorization", &bearer), ("dpop", &proof)]).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json()["error"], "invalid_token");
    let all = challenges(&reply);
    assert!(
        all[0].starts_with("Bearer ") && all[0].contains("invalid_token"),
        "{all:?}"
    );
    assert!(
        all[1].starts_with("DPoP ") && !all[1].contains("error="),
        "{all:?}"
    );
}

#[tokio::test]
async fn an_unbound_token_under_the_dpop_scheme_is_refused() {
    let app = app(DpopMode::Allowed);
    let key = Es256Key::generate();
    let unbound = token(Demo::Alice, None);
    let proof = key.proof("POST", HTU, Some(&unbound), None);
    let reply = with_proofs(&app, &unbound, &[&proof]).await;
    refused_as(&reply, "invalid_token");
    let mut spec = TokenSpec::demo(Demo::Alice, Duration::from_secs(600));
    let jkt = thumbprint(key.public_jwk().as_object().unwrap()).unwrap();
    spec.extra.insert(
        "cnf".into(),
        json!({"jkt": jkt, "x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}),
    );
    let doubly = mint(&spec, &SigningKey::demo()).unwrap();
    let proof = key.proof("POST", HTU, Some(&doubly), None);
    refused_as(
        &with_proofs(&app, &doubly, &[&proof]).await,
        "invalid_token",
    );
}

#[tokio::test]
async fn allowed_keeps_bearer_and_offers_both_schemes() {
    let app = app(DpopMode::Allowed);
    let bearer = format!("Bearer {}", token(Demo::Alice, None));
    assert_eq!(call(&app, &[("authorization", &bearer)]).await.status, 200);
    let reply = call(&app, &[]).await;
    assert_eq!(reply.status, 401);
    let all = challenges(&reply);
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(all[0].starts_with("Bearer realm=\"mcp-server\""), "{all:?}");
    assert!(all[1].starts_with("DPoP algs=\""), "{all:?}");
    assert!(
        all.iter().all(|c| c.contains("resource_metadata=")),
        "{all:?}"
    );
}

#[tokio::test]
async fn required_refuses_bearer_and_challenges_with_dpop_only() {
    let app = app(DpopMode::Required);
    let bearer = format!("Bearer {}", token(Demo::Alice, None));
    let reply = call(&app, &[("authorization", &bearer)]).await;
    assert_eq!(reply.status, 401);
    let all = challenges(&reply);
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(
        all[0].starts_with("DPoP algs=") && all[0].contains("invalid_token"),
        "{all:?}"
    );
    let key = Es256Key::generate();
    let token = token(Demo::Alice, Some(&key));
    let proof = key.proof("POST", HTU, Some(&token), None);
    assert_eq!(with_proofs(&app, &token, &[&proof]).await.status, 200);
}

#[tokio::test]
async fn step_up_names_the_dpop_scheme() {
    let app = app(DpopMode::Required);
    let key = Es256Key::generate();
    // bob has mcp:read and mcp:prompts, not mcp:tools.
    let token = token(Demo::Bob, Some(&key));
    let proof = key.proof("POST", HTU, Some(&token), None);
    let reply = with_proofs(&app, &token, &[&proof]).await;
    assert_eq!(reply.status, 403, "{:?}", reply.body);
    let all = challenges(&reply);
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(all[0].starts_with("DPoP algs="), "{all:?}");
    assert!(all[0].contains("error=\"insufficient_scope\""), "{all:?}");
    assert!(all[0].contains("scope=\"mcp:tools\""), "{all:?}");
}

#[tokio::test]
async fn with_nonces_a_proof_must_carry_a_fresh_one() {
    let app = app_with(DpopMode::Required, true);
    let key = Es256Key::generate();
    let token = token(Demo::Alice, Some(&key));
    let first = key.proof("POST", HTU, Some(&token), None);
    let reply = with_proofs(&app, &token, &[&first]).await;
    refused_as(&reply, "use_dpop_nonce");
    let nonce = reply
        .header("dpop-nonce")
        .expect("a nonce to use")
        .to_string();
    let forged = key.proof(
        "POST",
        HTU,
        Some(&token),
        Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    );
    refused_as(
        &with_proofs(&app, &token, &[&forged]).await,
        "use_dpop_nonce",
    );
    let retry = key.proof("POST", HTU, Some(&token), Some(&nonce));
    let reply = with_proofs(&app, &token, &[&retry]).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert!(
        reply.header("dpop-nonce").is_some(),
        "the next nonce comes with every answer"
    );
}

#[tokio::test]
async fn required_tells_a_caller_without_a_token_to_use_dpop() {
    let reply = call(&app(DpopMode::Required), &[]).await;
    assert_eq!(reply.status, 401);
    let hint = reply.json()["error_description"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(hint.contains("Authorization: DPoP <token>"), "{hint}");
    // Allowed: both are fine, the Bearer hint stays.
    let reply = call(&app(DpopMode::Allowed), &[]).await;
    assert!(
        reply.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("Bearer")
    );
}
