//! Router-level tests of step 4: a whole MCP exchange, and its error paths.

use axum::Router;
use plumbing::testkit::{post_mcp, rpc, send};
use serde_json::{Value, json};
use step1::origin::OriginGuard;

fn app() -> Router {
    step4::app(OriginGuard::for_bind("127.0.0.1:9000".parse().unwrap()))
}

async fn result_of(method: &str, params: Value) -> Value {
    let reply = send(&app(), post_mcp(rpc(method, params))).await;
    assert_eq!(reply.status, 200);
    reply.json()
}

#[tokio::test]
async fn initialize_negotiates_the_version() {
    for (asked, answered) in [
        ("2025-11-25", "2025-11-25"),
        ("2025-06-18", "2025-06-18"),
        ("2025-03-26", "2025-03-26"),
        ("2024-11-05", "2024-11-05"),
        ("2023-01-01", "2025-11-25"),
    ] {
        let body = result_of(
            "initialize",
            json!({"protocolVersion": asked, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}),
        )
        .await;
        assert_eq!(body["result"]["protocolVersion"], answered);
        assert_eq!(
            body["result"]["capabilities"]["tools"],
            json!({"listChanged": false})
        );
        assert_eq!(
            body["result"]["serverInfo"]["name"],
            "mcp-auth-step-by-step"
        );
    }
}

#[tokio::test]
async fn initialize_without_a_version_is_invalid_params() {
    let body = result_of("initialize", json!({})).await;
    assert_eq!(body["error"]["code"], -32602);
    assert_eq!(body["id"], 1);
}

#[tokio::test]
async fn the_session_is_not_required() {
    // No initialize first, no Mcp-Session-Id: stateless.
    let body = result_of(
        "tools/call",
        json!({"name": "echo", "arguments": {"message": "hi", "repeat_count": 2}}),
    )
    .await;
    assert_eq!(
        body["result"]["content"],
        json!([{"type": "text", "text": "hihi"}])
    );
    assert_eq!(
        body["result"]["structuredContent"],
        json!({"echo": "hihi", "repeat_count": 2})
    );
}

#[tokio::test]
async fn unknown_tool_and_prompt_are_32602() {
    let body = result_of("tools/call", json!({"name": "rm -rf", "arguments": {}})).await;
    assert_eq!(body["error"]["code"], -32602);
    let body = result_of("prompts/get", json!({"name": "nope"})).await;
    assert_eq!(body["error"]["code"], -32602);
}

#[tokio::test]
async fn bad_tool_arguments_are_an_error_result() {
    let body = result_of(
        "tools/call",
        json!({"name": "echo", "arguments": {"message": "x", "repeat_count": 99}}),
    )
    .await;
    assert_eq!(body["result"]["isError"], true);
}

#[tokio::test]
async fn array_params_are_invalid_params() {
    let body = result_of("tools/call", json!(["echo"])).await;
    assert_eq!(body["error"]["code"], -32602);
}

#[tokio::test]
async fn prompts_get_fills_the_template() {
    let body = result_of(
        "prompts/get",
        json!({"name": "echo_prompt", "arguments": {"message": "hello"}}),
    )
    .await;
    assert_eq!(body["result"]["messages"][0]["role"], "user");
    assert_eq!(
        body["result"]["messages"][0]["content"]["text"],
        "Please process this message: hello"
    );
}

#[tokio::test]
async fn earlier_methods_still_work() {
    assert_eq!(result_of("ping", json!({})).await["result"], json!({}));
    assert_eq!(
        result_of("tools/list", json!({})).await["result"]["tools"][0]["name"],
        "echo"
    );
    assert_eq!(
        result_of("resources/list", json!({})).await["error"]["code"],
        -32601
    );
}

#[tokio::test]
async fn initialized_notification_is_202() {
    let reply = send(
        &app(),
        post_mcp(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
    )
    .await;
    assert_eq!(reply.status, 202);
    assert!(reply.body.is_empty());
}
