//! Step 10's `--auth-mode strict|optional|permissive` (with `--validation
//! jwt`), through the middleware and step 8's dispatch: who gets in, who gets
//! 401, who gets 403, and what each 401 asks for.

use std::{sync::Arc, time::Duration};

use axum::{Router, middleware};
use clap::Parser;
use plumbing::testkit::{Reply, post_mcp_with, send};
use serde_json::json;
use step6::config::AuthArgs;
use step7::Setup;
use step10::auth_mode::{AuthMode, ModeAuth, Verifier, authenticate};
use tokengen::{
    claims::{Demo, TokenSpec},
    forge::{Forgery, forge, mint},
    keypair::SigningKey,
};

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../keys");

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    auth: AuthArgs,
    #[command(flatten)]
    key: step5::KeyArgs,
}

/// `/mcp` as step 10 mounts it for a non-default mode, checking tokens
/// against the demo key (tokengen's) instead of Keycloak's key set.
fn app(mode: AuthMode) -> Router {
    let public = format!("{KEYS}/mcp_public_key.pem");
    let cli = Cli::parse_from(["step10", "--public-key", &public]);
    let Setup { auth, .. } = Setup::from_args(&cli.auth, &cli.key).unwrap();
    let auth = step8::with_scope_hints(auth);
    let mode = ModeAuth {
        verifier: Arc::new(Verifier::Jwt(auth.validator.clone())),
        challenge: auth.challenge.clone(),
        mode,
    };
    step2::mcp::routes(step9::dispatcher(&auth))
        .route_layer(middleware::from_fn_with_state(mode, authenticate))
}

fn key() -> SigningKey {
    SigningKey::load(std::path::Path::new(&format!("{KEYS}/mcp_private_key.pem"))).unwrap()
}

fn token(demo: Demo) -> String {
    mint(&TokenSpec::demo(demo, Duration::from_secs(600)), &key()).unwrap()
}

fn expired() -> String {
    let spec = TokenSpec::demo(Demo::Admin, Duration::from_secs(600));
    forge(Forgery::Expired, &spec, &key()).unwrap()
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
fn outcome(reply: &Reply) -> (u16, String, String) {
    let challenge = reply.header("www-authenticate").unwrap_or_default();
    let param = |name: &str| {
        challenge
            .split(&format!("{name}=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_string()
    };
    (reply.status.as_u16(), param("error"), param("scope"))
}

fn expect(status: u16, error: &str, scope: &str) -> (u16, String, String) {
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
    for (method, token, want) in cases {
        let reply = call(&app, method, token).await;
        assert_eq!(outcome(&reply), want, "{method} with {token:?}");
    }
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
    for (method, token, want) in cases {
        let reply = call(&app, method, token).await;
        assert_eq!(outcome(&reply), want, "{method} with {token:?}");
    }
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
    for (method, token, want) in cases {
        let reply = call(&app, method, token).await;
        assert_eq!(outcome(&reply), want, "{method} with {token:?}");
    }
}
