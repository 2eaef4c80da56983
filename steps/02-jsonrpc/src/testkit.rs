//! Test helpers for later steps: a well-formed 2026-07-28 request (the
//! `_meta` envelope and the three mirrored headers), so a test can say
//! what it sends in one line. Behind the `testkit` feature.

use axum::{body::Body, http::Request};
use plumbing::testkit::post_mcp_with;
use serde_json::{Value, json};

use crate::era::{CLIENT_CAPABILITIES_KEY, MODERN_VERSIONS, PROTOCOL_VERSION_KEY};

/// `POST /mcp` of `method` on the 2026-07-28 wire, with id 1, `params` plus
/// the envelope, and `extra` headers (e.g. `Authorization`) after the
/// standard ones.
pub fn post_modern(method: &str, params: Value, extra: &[(&str, &str)]) -> Request<Body> {
    let version = MODERN_VERSIONS[0];
    let mut params = match params {
        Value::Object(map) => map,
        _ => Default::default(),
    };
    let name = params
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_owned);
    params.insert(
        "_meta".into(),
        json!({PROTOCOL_VERSION_KEY: version, CLIENT_CAPABILITIES_KEY: {}}),
    );
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let mut headers = vec![("mcp-protocol-version", version), ("mcp-method", method)];
    if let Some(name) = name.as_deref() {
        headers.push(("mcp-name", name));
    }
    headers.extend_from_slice(extra);
    post_mcp_with(body.to_string(), &headers)
}
