//! The two eras at the endpoint: one table of request → (HTTP status,
//! JSON-RPC error code), in the order `step2::era` checks them.
//!
//! Step 2 serves only `ping`, so a request that passes every check ends in
//! dispatch's "method not found" — which is itself era-specific (200 on the
//! legacy wire, 404 on the 2026-07-28 wire).

use axum::{Router, body::Body, http::Request};
use plumbing::testkit::{post_mcp_with, send};
use serde_json::{Value, json};
use step1::origin::OriginGuard;

fn app() -> Router {
    step2::app(OriginGuard::for_bind("127.0.0.1:9000".parse().unwrap()))
}

fn envelope(version: &str) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientCapabilities": {}
    })
}

fn body(method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params}).to_string()
}

/// What the endpoint answered: status, error code (None for a result), id.
async fn outcome(body: String, headers: &[(&str, &str)]) -> (u16, Option<i64>, Value) {
    let reply = send(&app(), post_mcp_with(body, headers)).await;
    let json = reply.json();
    (
        reply.status.as_u16(),
        json["error"]["code"].as_i64(),
        json["id"].clone(),
    )
}

const V26: &str = "2026-07-28";

/// One row: what it is, the body, the headers, the expected status and code.
type Case<'a> = (&'a str, String, Vec<(&'a str, &'a str)>, u16, Option<i64>);

#[tokio::test]
async fn the_table() {
    let meta = envelope(V26);
    let call = |name: &str| json!({"name": name, "arguments": {}, "_meta": envelope(V26)});
    let cases: Vec<Case> = vec![
        // ---- legacy: as before 2026-07-28
        (
            "legacy ping, no header",
            body("ping", json!({})),
            vec![],
            200,
            None,
        ),
        (
            "legacy ping, 2025 header",
            body("ping", json!({})),
            vec![("mcp-protocol-version", "2025-06-18")],
            200,
            None,
        ),
        (
            "legacy unknown method: 200",
            body("nope", json!({})),
            vec![],
            200,
            Some(-32601),
        ),
        (
            "legacy server/discover does not exist",
            body("server/discover", json!({})),
            vec![],
            200,
            Some(-32601),
        ),
        (
            "unknown header version",
            body("ping", json!({})),
            vec![("mcp-protocol-version", "1999-01-01")],
            400,
            Some(-32022),
        ),
        (
            "legacy Mcp-Method that matches",
            body("ping", json!({})),
            vec![("mcp-method", "ping")],
            200,
            None,
        ),
        (
            // A gateway that routes or authorizes on the header would be bypassed.
            "legacy Mcp-Method that does not match the body",
            body("ping", json!({})),
            vec![("mcp-method", "tools/list")],
            400,
            Some(-32020),
        ),
        (
            "legacy Mcp-Name that does not match the body",
            body("tools/call", json!({"name": "echo", "arguments": {}})),
            vec![("mcp-method", "tools/call"), ("mcp-name", "other")],
            400,
            Some(-32020),
        ),
        (
            "legacy Mcp-Name without Mcp-Method is checked too",
            body("tools/call", json!({"name": "echo", "arguments": {}})),
            vec![("mcp-name", "other")],
            400,
            Some(-32020),
        ),
        // ---- rung 1: the era, from the body, cross-checked with the header
        (
            "2026 body without the header",
            body("ping", json!({"_meta": meta})),
            vec![],
            400,
            Some(-32020),
        ),
        (
            "2026 body, 2025 header",
            body("ping", json!({"_meta": meta})),
            vec![
                ("mcp-protocol-version", "2025-11-25"),
                ("mcp-method", "ping"),
            ],
            400,
            Some(-32020),
        ),
        (
            "body names a version we do not speak",
            body("server/discover", json!({"_meta": envelope("v999")})),
            vec![
                ("mcp-protocol-version", "v999"),
                ("mcp-method", "server/discover"),
            ],
            400,
            Some(-32022),
        ),
        (
            "body names a 2025 version in _meta",
            body("tools/list", json!({"_meta": envelope("2025-11-25")})),
            vec![
                ("mcp-protocol-version", "2025-11-25"),
                ("mcp-method", "tools/list"),
            ],
            400,
            Some(-32022),
        ),
        (
            "header 2026, body another",
            body("server/discover", json!({"_meta": envelope("v999")})),
            vec![
                ("mcp-protocol-version", V26),
                ("mcp-method", "server/discover"),
            ],
            400,
            Some(-32020),
        ),
        (
            "protocolVersion not a string",
            body(
                "tools/list",
                json!({"_meta": {"io.modelcontextprotocol/protocolVersion": 2026, "io.modelcontextprotocol/clientCapabilities": {}}}),
            ),
            vec![("mcp-protocol-version", V26), ("mcp-method", "tools/list")],
            400,
            Some(-32602),
        ),
        (
            "header sent twice",
            body("tools/list", json!({"_meta": meta})),
            vec![
                ("mcp-protocol-version", V26),
                ("mcp-protocol-version", V26),
                ("mcp-method", "tools/list"),
            ],
            400,
            Some(-32020),
        ),
        // ---- rung 2: the envelope
        (
            "2026 header, no params",
            body("tools/list", Value::Null),
            vec![("mcp-protocol-version", V26), ("mcp-method", "tools/list")],
            400,
            Some(-32602),
        ),
        (
            "2026 header, no _meta",
            body("tools/list", json!({})),
            vec![("mcp-protocol-version", V26), ("mcp-method", "tools/list")],
            400,
            Some(-32602),
        ),
        (
            "_meta without protocolVersion",
            body(
                "tools/list",
                json!({"_meta": {"io.modelcontextprotocol/clientCapabilities": {}}}),
            ),
            vec![("mcp-protocol-version", V26), ("mcp-method", "tools/list")],
            400,
            Some(-32602),
        ),
        (
            "_meta without clientCapabilities",
            body(
                "tools/list",
                json!({"_meta": {"io.modelcontextprotocol/protocolVersion": V26}}),
            ),
            vec![("mcp-protocol-version", V26), ("mcp-method", "tools/list")],
            400,
            Some(-32602),
        ),
        (
            "clientCapabilities not an object",
            body(
                "tools/list",
                json!({"_meta": {"io.modelcontextprotocol/protocolVersion": V26, "io.modelcontextprotocol/clientCapabilities": []}}),
            ),
            vec![("mcp-protocol-version", V26), ("mcp-method", "tools/list")],
            400,
            Some(-32602),
        ),
        (
            "clientInfo may be left out",
            body("tools/list", json!({"_meta": meta})),
            vec![("mcp-protocol-version", V26), ("mcp-method", "tools/list")],
            404,
            Some(-32601),
        ),
        // ---- rung 3: Mcp-Method and Mcp-Name mirror the body
        (
            "no Mcp-Method",
            body("tools/list", json!({"_meta": meta})),
            vec![("mcp-protocol-version", V26)],
            400,
            Some(-32020),
        ),
        (
            "Mcp-Method differs",
            body("tools/list", json!({"_meta": meta})),
            vec![
                ("mcp-protocol-version", V26),
                ("mcp-method", "prompts/list"),
            ],
            400,
            Some(-32020),
        ),
        (
            "Mcp-Method differs in case only",
            body("tools/list", json!({"_meta": meta})),
            vec![("mcp-protocol-version", V26), ("mcp-method", "TOOLS/LIST")],
            400,
            Some(-32020),
        ),
        (
            "header name in upper case, value padded",
            body("tools/list", json!({"_meta": meta})),
            vec![
                ("MCP-PROTOCOL-VERSION", V26),
                ("MCP-METHOD", "  tools/list\t"),
            ],
            404,
            Some(-32601),
        ),
        (
            "tools/call without Mcp-Name",
            body("tools/call", call("echo")),
            vec![("mcp-protocol-version", V26), ("mcp-method", "tools/call")],
            400,
            Some(-32020),
        ),
        (
            "Mcp-Name differs",
            body("tools/call", call("echo")),
            vec![
                ("mcp-protocol-version", V26),
                ("mcp-method", "tools/call"),
                ("mcp-name", "rm_rf"),
            ],
            400,
            Some(-32020),
        ),
        (
            "Mcp-Name in base64 form",
            body("tools/call", call("echo")),
            vec![
                ("mcp-protocol-version", V26),
                ("mcp-method", "tools/call"),
                ("mcp-name", "=?base64?ZWNobw==?="),
            ],
            404,
            Some(-32601),
        ),
        (
            "Mcp-Name base64 of another name",
            body("tools/call", call("echo")),
            vec![
                ("mcp-protocol-version", V26),
                ("mcp-method", "tools/call"),
                ("mcp-name", "=?base64?cm1fcmY=?="),
            ],
            400,
            Some(-32020),
        ),
        (
            "Mcp-Name base64 that does not decode",
            body("tools/call", call("echo")),
            vec![
                ("mcp-protocol-version", V26),
                ("mcp-method", "tools/call"),
                ("mcp-name", "=?base64?!!!?="),
            ],
            400,
            Some(-32020),
        ),
        (
            "prompts/get needs Mcp-Name too",
            body("prompts/get", call("echo_prompt")),
            vec![("mcp-protocol-version", V26), ("mcp-method", "prompts/get")],
            400,
            Some(-32020),
        ),
        (
            "a non-ASCII name arrives in base64",
            body("tools/call", call("écho")),
            vec![
                ("mcp-protocol-version", V26),
                ("mcp-method", "tools/call"),
                ("mcp-name", "=?base64?w6ljaG8=?="),
            ],
            404,
            Some(-32601),
        ),
        // ---- rung 4: methods the 2026 wire does not have, and unknown ones: 404
        (
            "initialize on the 2026 wire",
            body("initialize", json!({"_meta": meta})),
            vec![("mcp-protocol-version", V26), ("mcp-method", "initialize")],
            404,
            Some(-32601),
        ),
        (
            "ping on the 2026 wire",
            body("ping", json!({"_meta": meta})),
            vec![("mcp-protocol-version", V26), ("mcp-method", "ping")],
            404,
            Some(-32601),
        ),
        (
            "logging/setLevel on the 2026 wire",
            body("logging/setLevel", json!({"_meta": meta})),
            vec![
                ("mcp-protocol-version", V26),
                ("mcp-method", "logging/setLevel"),
            ],
            404,
            Some(-32601),
        ),
    ];
    let mut wrong = Vec::new();
    for (what, body, headers, status, code) in cases {
        let (got_status, got_code, id) = outcome(body, &headers).await;
        if (got_status, got_code) != (status, code) || id != json!(7) {
            wrong.push(format!(
                "{what}: expected {status} {code:?} id 7, got {got_status} {got_code:?} id {id}"
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[tokio::test]
async fn unsupported_version_names_what_we_speak_and_what_was_asked() {
    let modern = send(
        &app(),
        post_mcp_with(
            body("server/discover", json!({"_meta": envelope("v999")})),
            &[
                ("mcp-protocol-version", "v999"),
                ("mcp-method", "server/discover"),
            ],
        ),
    )
    .await
    .json();
    assert_eq!(
        modern["error"]["data"],
        json!({"supported": ["2026-07-28"], "requested": "v999"})
    );
    // A legacy client with an unknown header learns both eras' versions.
    let legacy = send(
        &app(),
        post_mcp_with(
            body("ping", json!({})),
            &[("mcp-protocol-version", "1999-01-01")],
        ),
    )
    .await
    .json();
    assert_eq!(legacy["error"]["data"]["requested"], "1999-01-01");
    assert_eq!(
        legacy["error"]["data"]["supported"],
        json!([
            "2026-07-28",
            "2025-11-25",
            "2025-06-18",
            "2025-03-26",
            "2024-11-05"
        ])
    );
}

#[tokio::test]
async fn errors_before_the_era_keep_the_id_too() {
    // 415 after the body was read: the id is known, so it is echoed.
    let request = Request::post("/mcp")
        .header("host", "localhost:9000")
        .header("content-type", "text/plain")
        .body(Body::from(r#"{"jsonrpc":"2.0","id":"x1","method":"ping"}"#))
        .unwrap();
    let reply = send(&app(), request).await;
    assert_eq!(reply.status, 415);
    assert_eq!(reply.json()["id"], "x1");
}
