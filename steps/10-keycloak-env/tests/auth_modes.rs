//! Step 10's `--auth-mode strict|optional|permissive` (with `--validation
//! jwt`), through the middleware and step 8's dispatch: who gets in, who gets
//! 401, who gets 403, and what each 401 asks for.

use std::{sync::Arc, time::Duration};

use axum::{Router, middleware};
use plumbing::testkit::{Reply, post_mcp_with, send};
use serde_json::json;
use step7::Setup;
use step10::auth_mode::{AuthMode, ModeAuth, Verifier, authenticate};
use tokengen::{
    claims::{Demo, TokenSpec},
    forge::{Forgery, forge, mint},
    keypair::SigningKey,
};

/// `/mcp` as step 10 mounts it for a non-default mode, checking tokens
/// against the demo key (tokengen's) instead of Keycloak's key set.
fn app(mode: AuthMode) -> Router {
    let (Setup { auth, .. }, _) = step7::testkit::demo_setup();
    let auth = step8::with_scope_hints(auth);
    let mode = ModeAuth {
        verifier: Arc::new(Verifier::Jwt(auth.validator.clone())),
        challenge: auth.challenge.clone(),
        mode,
        dpop: None,
    };
    step2::mcp::routes(step9::dispatcher(&auth))
        .route_layer(middleware::from_fn_with_state(mode, authenticate))
}

fn token(demo: Demo) -> String {
    mint(
        &TokenSpec::demo(demo, Duration::from_secs(600)),
        &SigningKey::demo(),
    )
    .unwrap()
}

fn expired() -> String {
    let spec = TokenSpec::demo(Demo::Admin, Duration::from_secs(600));
    forge(Forgery::Expired, &spec, &SigningKey::demo()).unwrap()
}

async fn call(app: &Router, method: &str, token: Option<&str>) -> Reply {
    let params = match method {
        "initialize" => json!({"protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"}}),
        _ => json!({"name": "echo", "arguments": {"message": "hi"}}),
    };
    let body = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params});
    let bearer = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = bearer
        .iter()
        .map(|b| ("authorization", b.as_str()))
        .collect();
    send(app, post_mcp_with(body.to_string(), &headers)).await
}

/// `(status, the challenge's error, its scope)` — "" where absent.
fn outcome(reply: &Reply) -> Outcome {
    let (error, scope) = (
        reply.challenge_param("error"),
        reply.challenge_param("scope"),
    );
    (reply.status.as_u16(), error, scope)
}

/// `(status, error, scope)` of a reply, as [`outcome`] reads it.
type Outcome = (u16, String, String);

/// Each `(method, token, expected outcome)` through `app`.
async fn expect_all(app: &Router, cases: &[(&str, Option<&str>, Outcome)]) {
    for (method, token, want) in cases {
        let reply = call(app, method, *token).await;
        assert_eq!(&outcome(&reply), want, "{method} with {token:?}");
    }
}

fn expect(status: u16, error: &str, scope: &str) -> Outcome {
    (status, error.to_string(), scope.to_string())
}

#[tokio::test]
async fn strict_refuses_every_request_without_a_valid_token() {
    let app = app(AuthMode::Strict);
    let (alice, expired) = (token(Demo::Alice), expired());
    let cases = [
        ("initialize", None, expect(401, "", "mcp:read")),
        ("tools/call", None, expect(401, "", "mcp:tools")),
        (
            "tools/call",
            Some("not.a.token"),
            expect(401, "invalid_token", "mcp:tools"),
        ),
        (
            "initialize",
            Some(expired.as_str()),
            expect(401, "invalid_token", "mcp:read"),
        ),
        ("tools/call", Some(alice.as_str()), expect(200, "", "")),
        (
            "prompts/get",
            Some(alice.as_str()),
            expect(403, "insufficient_scope", "mcp:prompts"),
        ),
    ];
    expect_all(&app, &cases).await;
    // The caller reached dispatch as who the token says.
    let reply = call(&app, "initialize", Some(&alice)).await;
    assert_eq!(
        reply.json()["result"]["_meta"]["mcp-auth-step-by-step/identity"]["sub"],
        "alice"
    );
}

#[tokio::test]
async fn optional_lets_no_token_in_as_anonymous_but_refuses_a_bad_one() {
    let app = app(AuthMode::Optional);
    let (alice, expired) = (token(Demo::Alice), expired());
    let cases = [
        ("initialize", None, expect(200, "", "")),
        // Anonymous holds no scope: step 8 asks for one.
        (
            "tools/call",
            None,
            expect(403, "insufficient_scope", "mcp:tools"),
        ),
        (
            "initialize",
            Some("not.a.token"),
            expect(401, "invalid_token", "mcp:read"),
        ),
        (
            "tools/call",
            Some(expired.as_str()),
            expect(401, "invalid_token", "mcp:tools"),
        ),
        ("tools/call", Some(alice.as_str()), expect(200, "", "")),
    ];
    expect_all(&app, &cases).await;
    let reply = call(&app, "initialize", None).await;
    assert_eq!(
        reply.json()["result"]["_meta"]["mcp-auth-step-by-step/identity"]["sub"],
        "anonymous"
    );
}

/// Permissive never refuses a token by itself; where the anonymous caller
/// it let through is refused, the answer is the token's 401 (asking for the
/// scope the 403 would have named), not a 403.
#[tokio::test]
async fn permissive_lets_bad_tokens_through_until_a_scope_is_needed() {
    let app = app(AuthMode::Permissive);
    let (alice, expired) = (token(Demo::Alice), expired());
    let cases = [
        ("initialize", Some("not.a.token"), expect(200, "", "")),
        ("initialize", Some(expired.as_str()), expect(200, "", "")),
        (
            "tools/call",
            Some("not.a.token"),
            expect(401, "invalid_token", "mcp:tools"),
        ),
        (
            "prompts/get",
            Some(expired.as_str()),
            expect(401, "invalid_token", "mcp:prompts"),
        ),
        // An Authorization header that is not a usable bearer token counts as bad too.
        (
            "tools/call",
            Some("two words"),
            expect(401, "invalid_token", "mcp:tools"),
        ),
        // No token at all: anonymous, and the plain 403.
        (
            "tools/call",
            None,
            expect(403, "insufficient_scope", "mcp:tools"),
        ),
        ("tools/call", Some(alice.as_str()), expect(200, "", "")),
        (
            "prompts/get",
            Some(alice.as_str()),
            expect(403, "insufficient_scope", "mcp:prompts"),
        ),
    ];
    expect_all(&app, &cases).await;
}
