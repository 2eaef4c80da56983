//! Router-level tests of step 3: the lists, and what is still missing.

use axum::Router;
use plumbing::testkit::{post_mcp, rpc, send};
use serde_json::json;
use step1::origin::OriginGuard;

fn app() -> Router {
    step3::app(OriginGuard::for_bind("127.0.0.1:9000".parse().unwrap()))
}

#[tokio::test]
async fn tools_list_shows_echo_with_its_schemas() {
    let reply = send(&app(), post_mcp(rpc("tools/list", json!({})))).await;
    assert_eq!(reply.status, 200);
    let tools = &reply.json()["result"]["tools"];
    assert_eq!(tools.as_array().unwrap().len(), 1);
    assert_eq!(tools[0]["name"], "echo");
    assert_eq!(
        tools[0]["inputSchema"]["properties"]["repeat_count"]["maximum"],
        10
    );
    assert!(tools[0]["outputSchema"].is_object());
}

#[tokio::test]
async fn prompts_list_shows_echo_prompt() {
    let reply = send(
        &app(),
        post_mcp(rpc("prompts/list", json!({"cursor": "ignored"}))),
    )
    .await;
    let prompts = &reply.json()["result"]["prompts"];
    assert_eq!(prompts[0]["name"], "echo_prompt");
    assert_eq!(
        prompts[0]["arguments"][0],
        json!({"name": "message", "description": "The message to process", "required": true})
    );
}

#[tokio::test]
async fn calls_are_not_served_yet_and_ping_still_works() {
    for method in ["tools/call", "prompts/get", "initialize"] {
        let reply = send(&app(), post_mcp(rpc(method, json!({})))).await;
        assert_eq!(reply.json()["error"]["code"], -32601, "{method}");
    }
    let reply = send(&app(), post_mcp(rpc("ping", json!({})))).await;
    assert_eq!(reply.json()["result"], json!({}));
}
