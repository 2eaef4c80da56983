//! Step 4 on the 2026-07-28 wire: the same server, no handshake.

use axum::Router;
use plumbing::testkit::send;
use serde_json::{Value, json};
use step1::origin::OriginGuard;
use step2::testkit::post_modern;

fn app() -> Router {
    step4::app(OriginGuard::for_bind("127.0.0.1:9000".parse().unwrap()))
}

async fn ask(method: &str, params: Value) -> (u16, Value) {
    let reply = send(&app(), post_modern(method, params, &[])).await;
    (reply.status.as_u16(), reply.json())
}

#[tokio::test]
async fn discover_says_what_initialize_says_with_no_handshake() {
    let (status, body) = ask("server/discover", json!({})).await;
    assert_eq!(status, 200);
    let result = &body["result"];
    assert_eq!(result["supportedVersions"], json!(["2026-07-28"]));
    assert_eq!(
        result["capabilities"]["tools"],
        json!({"listChanged": false})
    );
    assert_eq!(
        result["capabilities"]["prompts"],
        json!({"listChanged": false})
    );
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "mcp-auth-step-by-step"
    );
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["ttlMs"], 60_000);
    assert_eq!(result["cacheScope"], "public");
}

#[tokio::test]
async fn every_result_is_complete_and_lists_carry_cache_hints() {
    for method in ["tools/list", "prompts/list"] {
        let (status, body) = ask(method, json!({})).await;
        assert_eq!(status, 200, "{method}");
        assert_eq!(body["result"]["resultType"], "complete", "{method}");
        assert_eq!(body["result"]["cacheScope"], "public", "{method}");
        assert!(body["result"]["ttlMs"].as_u64().is_some(), "{method}");
    }
    let (_, body) = ask(
        "tools/call",
        json!({"name": "echo", "arguments": {"message": "hi"}}),
    )
    .await;
    assert_eq!(body["result"]["resultType"], "complete");
    assert_eq!(body["result"]["structuredContent"]["echo"], "hi");
    assert!(
        body["result"].get("ttlMs").is_none(),
        "a tool call is not cacheable"
    );
    let (_, body) = ask(
        "prompts/get",
        json!({"name": "echo_prompt", "arguments": {"message": "hi"}}),
    )
    .await;
    assert_eq!(body["result"]["resultType"], "complete");
}

#[tokio::test]
async fn the_handshake_does_not_exist_on_this_wire() {
    for method in ["initialize", "ping", "logging/setLevel", "resources/list"] {
        let (status, body) = ask(method, json!({})).await;
        assert_eq!(
            (status, body["error"]["code"].as_i64()),
            (404, Some(-32601)),
            "{method}"
        );
        assert_eq!(body["id"], 1);
    }
}

#[tokio::test]
async fn handler_errors_stay_in_band() {
    // An unknown tool or bad arguments are answers, not transport failures.
    let (status, body) = ask("tools/call", json!({"name": "nope", "arguments": {}})).await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (200, Some(-32602))
    );
    let (status, body) = ask("tools/call", json!({"name": "echo", "arguments": {}})).await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["isError"], true);
    assert_eq!(body["result"]["resultType"], "complete");
}
