//! Router-level tests: every line of the JSON-RPC part of the contract.

use axum::{Router, body::Body, http::Request};
use plumbing::testkit::{post_mcp, post_mcp_with, rpc, send};
use serde_json::{Value, json};
use step1::origin::OriginGuard;

fn app() -> Router {
    step2::app(OriginGuard::for_bind("127.0.0.1:9000".parse().unwrap()))
}

#[tokio::test]
async fn ping_answers_an_empty_object_with_the_same_id() {
    let reply = send(
        &app(),
        post_mcp(r#"{"jsonrpc":"2.0","id":"abc","method":"ping"}"#),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(
        reply.json(),
        json!({"jsonrpc":"2.0","id":"abc","result":{}})
    );
}

#[tokio::test]
async fn unknown_method_is_32601_with_the_request_id() {
    let reply = send(
        &app(),
        post_mcp(r#"{"jsonrpc":"2.0","id":42,"method":"nope"}"#),
    )
    .await;
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(body["id"], 42);
    assert_eq!(body["error"]["code"], -32601);
}

#[tokio::test]
async fn tools_list_is_not_known_yet() {
    let reply = send(&app(), post_mcp(rpc("tools/list", json!({})))).await;
    assert_eq!(reply.json()["error"]["code"], -32601);
}

#[tokio::test]
async fn parse_error_is_400_with_null_id() {
    let reply = send(&app(), post_mcp("{not json")).await;
    assert_eq!(reply.status, 400);
    let body = reply.json();
    assert_eq!(body["error"]["code"], -32700);
    assert_eq!(body["id"], Value::Null);
}

#[tokio::test]
async fn invalid_requests_are_400_32600() {
    for body in [
        r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
        r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
        r#"{"jsonrpc":"2.0","id":1}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":["ping"]}"#,
        r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
        r#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#,
        r#"{"jsonrpc":"2.0","id":0.5,"method":"ping"}"#,
        r#""just a string""#,
    ] {
        let reply = send(&app(), post_mcp(body)).await;
        assert_eq!(reply.status, 400, "{body}");
        assert_eq!(reply.json()["error"]["code"], -32600, "{body}");
    }
}

#[tokio::test]
async fn notifications_and_client_responses_are_202_with_empty_body() {
    for body in [
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/whatever","params":{}}"#,
        r#"{"jsonrpc":"2.0","id":5,"result":{}}"#,
        r#"{"jsonrpc":"2.0","id":"x","error":{"code":1,"message":"m"}}"#,
    ] {
        let reply = send(&app(), post_mcp(body)).await;
        assert_eq!(reply.status, 202, "{body}");
        assert!(reply.body.is_empty(), "{body}");
    }
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let request = Request::post("/mcp")
        .header("host", "localhost")
        .header("content-type", "text/plain")
        .body(Body::from(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#))
        .unwrap();
    let reply = send(&app(), request).await;
    assert_eq!(reply.status, 415);
    assert_eq!(reply.json()["error"]["code"], -32600);

    let no_type = Request::post("/mcp")
        .header("host", "localhost")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(send(&app(), no_type).await.status, 415);

    let with_charset = post_mcp_with(
        r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
        &[("content-type", "Application/JSON; charset=utf-8")],
    );
    assert_eq!(send(&app(), with_charset).await.status, 200);
}

#[tokio::test]
async fn bodies_over_1_mib_are_413() {
    let big = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"pad":"{}"}}}}"#,
        "x".repeat(4 * 1024 * 1024)
    );
    let reply = send(&app(), post_mcp(big)).await;
    assert_eq!(reply.status, 413);
    assert_eq!(reply.json()["error"]["code"], -32600);

    let just_under = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"pad":"{}"}}}}"#,
        "x".repeat(1024 * 1024 - 100)
    );
    assert_eq!(send(&app(), post_mcp(just_under)).await.status, 200);
}

#[tokio::test]
async fn protocol_version_header_is_checked() {
    let ping = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    let bad = send(
        &app(),
        post_mcp_with(ping, &[("mcp-protocol-version", "1999-01-01")]),
    )
    .await;
    assert_eq!(bad.status, 400);
    for version in ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"] {
        let good = send(
            &app(),
            post_mcp_with(ping, &[("mcp-protocol-version", version)]),
        )
        .await;
        assert_eq!(good.status, 200, "{version}");
    }
}

#[tokio::test]
async fn get_and_delete_are_405_allow_post() {
    for method in ["GET", "DELETE", "PUT"] {
        let request = Request::builder()
            .method(method)
            .uri("/mcp")
            .header("host", "localhost")
            .body(Body::empty())
            .unwrap();
        let reply = send(&app(), request).await;
        assert_eq!(reply.status, 405, "{method}");
        assert_eq!(reply.header("allow"), Some("POST"), "{method}");
    }
}

#[tokio::test]
async fn the_guard_covers_mcp_too() {
    let request = post_mcp_with(
        r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
        &[("origin", "http://localhost.evil.example")],
    );
    assert_eq!(send(&app(), request).await.status, 403);
}
