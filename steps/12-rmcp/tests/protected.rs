//! Step 12: the rmcp server behind the authorization, in process — the demo
//! key (tokengen) stands in for the identity provider; `scripts/test_step12.sh`
//! runs the same against the stand-in.

use std::time::Duration;

use axum::{Router, middleware};
use plumbing::testkit::{Reply, post_mcp_with, send};
use serde_json::{Value, json};
use step7::Setup;
use tokengen::{
    claims::{Demo, TokenSpec},
    forge::mint,
    keypair::SigningKey,
};

const MODERN: &str = "2026-07-28";

/// `/mcp` as step 12 serves it, behind step 6's authentication.
fn app() -> Router {
    let (Setup { auth, .. }, _) = step7::testkit::demo_setup();
    let auth = step8::with_scope_hints(auth);
    step12::mcp(&auth).route_layer(middleware::from_fn_with_state(
        auth,
        step6::auth::require_identity,
    ))
}

fn token(demo: Demo) -> String {
    mint(
        &TokenSpec::demo(demo, Duration::from_secs(600)),
        &SigningKey::demo(),
    )
    .unwrap()
}

const ACCEPT: (&str, &str) = ("accept", "application/json, text/event-stream");

async fn post(app: &Router, token: Option<&str>, body: &str, extra: &[(&str, &str)]) -> Reply {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![ACCEPT];
    if let Some(bearer) = &bearer {
        headers.push(("authorization", bearer.as_str()));
    }
    headers.extend_from_slice(extra);
    send(app, post_mcp_with(body.to_string(), &headers)).await
}

fn call(method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params}).to_string()
}

fn tool(name: &str) -> String {
    call(
        "tools/call",
        json!({"name": name, "arguments": {"message": "hi"}}),
    )
}

/// The 403's `scope`, or "" (not a 403).
fn step_up_scope(reply: &Reply) -> String {
    if reply.status != 403 {
        return String::new();
    }
    reply.challenge_param("scope")
}

/// Step 8's table, then each tool's own scope, per demo user — through rmcp.
#[tokio::test]
async fn the_method_policy_and_the_tool_scopes() {
    let app = app();
    let prompt = call(
        "prompts/get",
        json!({"name": "echo_prompt", "arguments": {"message": "hi"}}),
    );
    let list = call("tools/list", json!({}));
    let cases = [
        (Demo::Alice, tool("echo"), ""),
        (Demo::Alice, tool("whoami"), ""),
        (Demo::Alice, tool("echo_prompt_text"), "mcp:prompts"),
        (Demo::Alice, prompt.clone(), "mcp:prompts"),
        (Demo::Bob, tool("echo"), "mcp:tools"),
        (Demo::Bob, tool("echo_prompt_text"), "mcp:tools"),
        (Demo::Bob, prompt.clone(), ""),
        (Demo::Bob, list.clone(), ""),
        (Demo::Admin, tool("echo_prompt_text"), ""),
        (Demo::Admin, prompt.clone(), ""),
        (Demo::Guest, list.clone(), "mcp:read"),
        (Demo::Guest, tool("echo"), "mcp:tools"),
    ];
    for (who, body, refused) in cases {
        let reply = post(&app, Some(&token(who)), &body, &[]).await;
        assert_eq!(
            step_up_scope(&reply),
            refused,
            "{who:?} {body}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        if refused.is_empty() {
            assert_eq!(reply.status, 200, "{who:?} {body}");
            assert!(
                reply.json().get("result").is_some(),
                "{who:?} {body}: {:?}",
                reply.json()
            );
        } else {
            // A JSON-RPC error that keeps the request's id (step 8's 403).
            assert_eq!(reply.json()["id"], 7);
            assert_eq!(reply.json()["error"]["data"]["scope"], refused);
        }
    }
}

/// rmcp's tool handlers see who is calling (the identity rides on the request).
#[tokio::test]
async fn tools_see_the_caller() {
    let app = app();
    let reply = post(&app, Some(&token(Demo::Alice)), &tool("whoami"), &[]).await;
    assert_eq!(
        reply.json()["result"]["structuredContent"],
        json!({"sub": "alice", "username": "alice", "scopes": ["mcp:read", "mcp:tools"]})
    );
    let echo = call(
        "tools/call",
        json!({"name": "echo", "arguments": {"message": "hi", "repeat_count": 2}}),
    );
    let reply = post(&app, Some(&token(Demo::Alice)), &echo, &[]).await;
    assert_eq!(
        reply.json()["result"]["structuredContent"],
        json!({"echo": "hihi", "repeat_count": 2})
    );
    // Step 4's limits hold in the reader's server too.
    let too_many = call(
        "tools/call",
        json!({"name": "echo", "arguments": {"message": "hi", "repeat_count": 11}}),
    );
    let reply = post(&app, Some(&token(Demo::Alice)), &too_many, &[]).await;
    assert_eq!(
        reply.json()["result"]["isError"],
        true,
        "{:?}",
        reply.json()
    );
}

/// No token: step 6's 401, naming what the request needs (step 8's hint).
#[tokio::test]
async fn without_a_token_the_401_names_the_scope() {
    let app = app();
    for (body, scope) in [
        (tool("echo"), "mcp:tools"),
        (call("tools/list", json!({})), "mcp:read"),
    ] {
        let reply = post(&app, None, &body, &[]).await;
        assert_eq!(reply.status, 401);
        let challenge = reply.header("www-authenticate").unwrap();
        assert!(
            challenge.contains(&format!("scope=\"{scope}\"")),
            "{challenge}"
        );
    }
}

fn modern_call(method: &str, params: Value) -> String {
    let mut params = params;
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "1"}
    });
    call(method, params)
}

/// 2026-07-28: the mirrored headers are checked against the body before the
/// policy reads the method — a lying `Mcp-Method` or `Mcp-Name` is -32020,
/// whichever way it lies.
#[tokio::test]
async fn the_2026_wire_with_its_headers_checked_first() {
    let app = app();
    let alice = token(Demo::Alice);
    let version = ("mcp-protocol-version", MODERN);
    let discover = modern_call("server/discover", json!({}));
    let reply = post(
        &app,
        Some(&alice),
        &discover,
        &[version, ("mcp-method", "server/discover")],
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.json());
    assert!(
        reply.json()["result"]["supportedVersions"]
            .as_array()
            .unwrap()
            .contains(&json!(MODERN))
    );

    let echo = modern_call(
        "tools/call",
        json!({"name": "echo", "arguments": {"message": "hi"}}),
    );
    let honest = [version, ("mcp-method", "tools/call"), ("mcp-name", "echo")];
    let reply = post(&app, Some(&alice), &echo, &honest).await;
    assert_eq!(reply.json()["result"]["structuredContent"]["echo"], "hi");

    let secret = modern_call(
        "tools/call",
        json!({"name": "echo_prompt_text", "arguments": {"message": "hi"}}),
    );
    for lie in [
        [
            version,
            ("mcp-method", "tools/list"),
            ("mcp-name", "echo_prompt_text"),
        ],
        [version, ("mcp-method", "tools/call"), ("mcp-name", "echo")],
    ] {
        let reply = post(&app, Some(&alice), &secret, &lie).await;
        assert_eq!(
            reply.json()["error"]["code"],
            -32020,
            "{lie:?}: {:?}",
            reply.json()
        );
    }
    // Without the headers the 2026-07-28 request is refused too (they are required there).
    let reply = post(&app, Some(&alice), &echo, &[version]).await;
    assert_eq!(reply.json()["error"]["code"], -32020);
}

/// A member the checks read, given twice, is refused in front of rmcp: the
/// policy and rmcp could otherwise read different copies (rmcp gets the
/// body's own bytes, see `step12::members`).
#[tokio::test]
async fn a_member_given_twice_cannot_split_policy_from_server() {
    let app = app();
    let alice = token(Demo::Alice);
    let bodies = [
        r#"{"jsonrpc":"2.0","id":7,"method":"tools/list","method":"prompts/get","params":{"name":"echo_prompt","arguments":{"message":"x"}}}"#,
        r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","name":"echo_prompt_text","arguments":{"message":"x"}}}"#,
        r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo_prompt_text","name":"echo","arguments":{"message":"x"}}}"#,
    ];
    for body in bodies {
        let reply = post(&app, Some(&alice), body, &[]).await;
        assert_eq!(reply.status, 400, "{body}: {:?}", reply.json());
        assert_eq!(reply.json()["error"]["code"], -32600, "{body}");
        assert!(
            reply.json()["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("duplicate field")),
            "{body}: {:?}",
            reply.json()
        );
    }
    // What the checks do not read is rmcp's alone to read.
    let body = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"message":"x","message":"y"}}}"#;
    let reply = post(&app, Some(&alice), body, &[]).await;
    assert_eq!(reply.json()["result"]["structuredContent"]["echo"], "y");
}

/// What the checks skip (rmcp's `arguments`) is still read as JSON in front:
/// nested 100 000 deep, or a number no `f64` holds, it is step 2's -32700 —
/// rmcp would have answered its own parse failure with a plain-text 415.
#[tokio::test]
async fn what_the_checks_skip_is_still_json() {
    let app = app();
    let alice = token(Demo::Alice);
    let call = |arguments: String| {
        format!(
            r#"{{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{{"name":"echo","arguments":{arguments}}}}}"#
        )
    };
    let bodies = [
        call(format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000))),
        call(format!(
            r#"{}1{}"#,
            r#"{"a":"#.repeat(100_000),
            "}".repeat(100_000)
        )),
        call(r#"{"message":1e400}"#.into()),
    ];
    for body in bodies {
        let reply = post(&app, Some(&alice), &body, &[]).await;
        assert_eq!(reply.status, 400, "{}", &body[..70]);
        assert_eq!(reply.json()["error"]["code"], -32700, "{}", &body[..70]);
    }
}

/// Bad input gets a clear error from the layer in front, never a 5xx.
#[tokio::test]
async fn bad_bodies_are_refused_in_front_of_rmcp() {
    let app = app();
    let alice = token(Demo::Alice);
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(4 * 1024 * 1024));
    let cases: [(&str, u16); 5] = [
        (&big, 413),
        ("{\"jsonrpc\":", 400),
        (
            "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}]",
            400,
        ),
        (
            "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"tools/list\"}",
            400,
        ),
        ("\"just a string\"", 400),
    ];
    for (body, status) in cases {
        let reply = post(&app, Some(&alice), body, &[]).await;
        let shown: String = body.chars().take(40).collect();
        assert_eq!(reply.status, status, "{shown}");
        assert!(reply.json()["error"]["code"].is_i64(), "{shown}");
    }
    // Not JSON by its Content-Type: 415.
    let request = axum::http::Request::post("/mcp")
        .header("host", "localhost:9000")
        .header("content-type", "text/plain")
        .header("accept", ACCEPT.1)
        .header("authorization", format!("Bearer {alice}"))
        .body(axum::body::Body::from(tool("echo")))
        .unwrap();
    assert_eq!(send(&app, request).await.status, 415);
}
