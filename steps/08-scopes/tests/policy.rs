//! Step 8: the policy table, per demo user, through the whole router.

use axum::Router;
use plumbing::testkit::{Reply, post_mcp_with, send};
use serde_json::{Value, json};
use step7::Setup;
use tokengen::{
    claims::{DEFAULT_AUDIENCE, DEFAULT_ISSUER, Demo, TokenSpec},
    keypair::SigningKey,
};

fn app() -> Router {
    let (
        Setup {
            key,
            metadata,
            auth,
        },
        args,
    ) = step7::testkit::demo_setup();
    step8::app(
        &key,
        &metadata,
        auth,
        step7::guard("127.0.0.1:9000".parse().unwrap(), &args),
    )
}

fn token_with(
    username: &str,
    scopes: &[&str],
    roles: &[&str],
    extra: Option<(&str, Value)>,
) -> String {
    let key = SigningKey::demo();
    let spec = TokenSpec {
        username: username.into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        roles: roles.iter().map(|s| s.to_string()).collect(),
        issuer: DEFAULT_ISSUER.into(),
        audience: DEFAULT_AUDIENCE.into(),
        lifetime: std::time::Duration::from_secs(600),
        extra: Default::default(),
    };
    let mut claims = spec.claims();
    if let Some((name, value)) = extra {
        claims.insert(name.into(), value);
    }
    tokengen::forge::sign(
        &claims,
        jsonwebtoken::Algorithm::RS256,
        &key.encoding,
        Some(&key.jwk.kid),
    )
    .unwrap()
}

fn demo_token(demo: Demo) -> String {
    let (name, scopes, roles) = demo.profile();
    token_with(name, scopes, roles, None)
}

const CALLS: [(&str, &str); 6] = [
    (
        "initialize",
        r#"{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}"#,
    ),
    ("ping", "{}"),
    ("tools/list", "{}"),
    (
        "tools/call",
        r#"{"name":"echo","arguments":{"message":"hi"}}"#,
    ),
    ("prompts/list", "{}"),
    (
        "prompts/get",
        r#"{"name":"echo_prompt","arguments":{"message":"hi"}}"#,
    ),
];

async fn call(app: &Router, token: &str, method: &str, params: &str) -> Reply {
    let body = format!(r#"{{"jsonrpc":"2.0","id":7,"method":"{method}","params":{params}}}"#);
    send(
        app,
        post_mcp_with(body, &[("authorization", &format!("Bearer {token}"))]),
    )
    .await
}

#[tokio::test]
async fn each_demo_user_gets_exactly_its_table_row() {
    let app = app();
    // 200 or the scope a 403 must ask for, per method in CALLS order.
    let table: [(Demo, [Option<&str>; 6]); 4] = [
        (
            Demo::Alice,
            [None, None, None, None, None, Some("mcp:prompts")],
        ),
        (Demo::Bob, [None, None, None, Some("mcp:tools"), None, None]),
        (Demo::Admin, [None; 6]),
        (
            Demo::Guest,
            [
                None,
                None,
                Some("mcp:read"),
                Some("mcp:tools"),
                Some("mcp:read"),
                Some("mcp:prompts"),
            ],
        ),
    ];
    for (demo, row) in table {
        let token = demo_token(demo);
        for ((method, params), expected) in CALLS.iter().zip(row) {
            let reply = call(&app, &token, method, params).await;
            match expected {
                None => {
                    assert_eq!(reply.status, 200, "{demo:?} {method}");
                    assert!(
                        reply.json().get("result").is_some(),
                        "{demo:?} {method}: {:?}",
                        reply.json()
                    );
                }
                Some(scope) => {
                    assert_eq!(reply.status, 403, "{demo:?} {method}");
                    assert_eq!(
                        reply.header("www-authenticate").unwrap(),
                        format!(
                            r#"Bearer realm="mcp-server", error="insufficient_scope", scope="{scope}", resource_metadata="http://localhost:9000/.well-known/oauth-protected-resource/mcp""#
                        )
                    );
                    let body = reply.json();
                    assert_eq!(body["id"], 7, "{demo:?} {method}");
                    assert_eq!(body["error"]["data"]["scope"], scope);
                }
            }
        }
    }
}

#[tokio::test]
async fn keycloak_shaped_roles_count_only_for_our_client() {
    let app = app();
    let realm_admin = token_with(
        "kc",
        &[],
        &[],
        Some(("realm_access", json!({"roles": ["admin"]}))),
    );
    assert_eq!(
        call(&app, &realm_admin, "tools/call", CALLS[3].1)
            .await
            .status,
        403,
        "a realm-wide admin role is not a role of this server"
    );
    let other_client_admin = token_with(
        "kc",
        &[],
        &[],
        Some((
            "resource_access",
            json!({"some-other-app": {"roles": ["admin"]}}),
        )),
    );
    assert_eq!(
        call(&app, &other_client_admin, "tools/call", CALLS[3].1)
            .await
            .status,
        403
    );
    let our_client_admin = token_with(
        "kc",
        &[],
        &[],
        Some((
            "resource_access",
            json!({DEFAULT_AUDIENCE: {"roles": ["admin"]}}),
        )),
    );
    assert_eq!(
        call(&app, &our_client_admin, "tools/call", CALLS[3].1)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_nonstandard_scopes_array_grants_nothing() {
    let app = app();
    let token = token_with("old", &[], &[], Some(("scopes", json!(["mcp:tools"]))));
    assert_eq!(
        call(&app, &token, "tools/call", CALLS[3].1).await.status,
        403
    );
}

#[tokio::test]
async fn notifications_need_only_a_valid_token() {
    let app = app();
    let body = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
    let guest = demo_token(Demo::Guest);
    let reply = send(
        &app,
        post_mcp_with(body, &[("authorization", &format!("Bearer {guest}"))]),
    )
    .await;
    assert_eq!(reply.status, 202);
    let reply = send(&app, post_mcp_with(body, &[])).await;
    assert_eq!(reply.status, 401);
}

/// The same table on the 2026-07-28 wire: `server/discover` takes the place
/// of `initialize` and `ping` (which that wire does not have); the scopes
/// and the challenges are unchanged, and every answer is private to its token.
#[tokio::test]
async fn the_2026_wire_has_the_same_table() {
    use step2::testkit::post_modern;
    let app = app();
    let calls: [(&str, Value); 5] = [
        ("server/discover", json!({})),
        ("tools/list", json!({})),
        (
            "tools/call",
            json!({"name": "echo", "arguments": {"message": "hi"}}),
        ),
        ("prompts/list", json!({})),
        (
            "prompts/get",
            json!({"name": "echo_prompt", "arguments": {"message": "hi"}}),
        ),
    ];
    let table: [(Demo, [Option<&str>; 5]); 3] = [
        (Demo::Alice, [None, None, None, None, Some("mcp:prompts")]),
        (Demo::Bob, [None, None, Some("mcp:tools"), None, None]),
        (
            Demo::Guest,
            [
                None,
                Some("mcp:read"),
                Some("mcp:tools"),
                Some("mcp:read"),
                Some("mcp:prompts"),
            ],
        ),
    ];
    for (demo, row) in table {
        let bearer = format!("Bearer {}", demo_token(demo));
        for ((method, params), expected) in calls.iter().zip(row) {
            let reply = send(
                &app,
                post_modern(method, params.clone(), &[("authorization", &bearer)]),
            )
            .await;
            let body = reply.json();
            match expected {
                None => {
                    assert_eq!(reply.status, 200, "{demo:?} {method}: {body}");
                    assert_eq!(
                        body["result"]["resultType"], "complete",
                        "{demo:?} {method}"
                    );
                    if method.ends_with("list") || *method == "server/discover" {
                        assert_eq!(body["result"]["cacheScope"], "private", "{demo:?} {method}");
                    }
                }
                Some(scope) => {
                    assert_eq!(reply.status, 403, "{demo:?} {method}");
                    assert!(
                        reply
                            .header("www-authenticate")
                            .is_some_and(|c| c.contains(&format!("scope=\"{scope}\""))),
                        "{demo:?} {method}"
                    );
                    assert_eq!(body["id"], 1);
                }
            }
        }
    }
    // No token: the discovery probe is refused like any other request.
    let reply = send(&app, post_modern("server/discover", json!({}), &[])).await;
    assert_eq!(reply.status, 401);
    assert!(
        reply
            .header("www-authenticate")
            .is_some_and(|c| c.starts_with("Bearer "))
    );
}

/// MCP 2025-11-25 (Scope Selection Strategy): a 401 names what *this*
/// request needs — never the whole catalogue. The method comes from the
/// `Mcp-Method` header (2026-07-28) or, for a legacy request, from the body
/// the rejected request carried (read only when small: at most 64 KiB).
#[tokio::test]
async fn a_401_names_the_scope_its_request_needs() {
    let app = app();
    let body = |method: &str| json!({"jsonrpc": "2.0", "id": 1, "method": method}).to_string();
    // (Mcp-Method header, the body's method, the 401's scope)
    let cases = [
        (Some("initialize"), "initialize", "mcp:read"),
        (Some("server/discover"), "server/discover", "mcp:read"),
        (Some("tools/list"), "tools/list", "mcp:read"),
        (Some("prompts/list"), "prompts/list", "mcp:read"),
        (Some("tools/call"), "tools/call", "mcp:tools"),
        (Some("prompts/get"), "prompts/get", "mcp:prompts"),
        // Legacy (2025-06-18, 2025-11-25): no header, the body says.
        (None, "initialize", "mcp:read"),
        (None, "tools/list", "mcp:read"),
        (None, "tools/call", "mcp:tools"),
        (None, "prompts/get", "mcp:prompts"),
        (None, "no/such-method", "mcp:read"),
    ];
    for (header, method, expected) in cases {
        for authorization in [None, Some("Bearer not.a.token")] {
            let mut headers = Vec::new();
            if let Some(method) = header {
                headers.push(("mcp-method", method));
            }
            if let Some(value) = authorization {
                headers.push(("authorization", value));
            }
            let reply = send(&app, post_mcp_with(body(method), &headers)).await;
            assert_eq!(reply.status, 401, "{method:?}");
            assert_eq!(
                reply.challenge_param("scope"),
                expected,
                "{header:?} / {method} with {authorization:?}"
            );
        }
    }
    // The catalogue stays complete where it belongs: the resource metadata.
    let metadata = send(
        &app,
        plumbing::testkit::get("/.well-known/oauth-protected-resource/mcp"),
    )
    .await;
    assert_eq!(
        metadata.json()["scopes_supported"],
        json!(["mcp:read", "mcp:tools", "mcp:prompts"])
    );
}

/// What the 401's body peek will not read or cannot use gets the baseline
/// scope, `mcp:read` — never an error of its own, never the catalogue: a
/// body over 64 KiB (it is not read at all; the 401 comes first), one that
/// is not JSON, a batch, a `method` that is not a string.
#[tokio::test]
async fn a_401_falls_back_to_the_baseline_when_the_body_cannot_say() {
    let app = app();
    let padding = "x".repeat(70 * 1024);
    let bodies = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"pad": padding}})
            .to_string(),
        "{\"method\": \"tools/call\"".to_string(),
        json!([{"jsonrpc": "2.0", "id": 1, "method": "tools/call"}]).to_string(),
        json!({"jsonrpc": "2.0", "id": 1, "method": ["tools/call"]}).to_string(),
        String::new(),
    ];
    for body in bodies {
        let shown: String = body.chars().take(60).collect();
        let reply = send(&app, post_mcp_with(body, &[])).await;
        assert_eq!(reply.status, 401, "{shown}");
        assert_eq!(reply.challenge_param("scope"), "mcp:read", "{shown}");
    }
}
