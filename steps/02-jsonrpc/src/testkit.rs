//! Test helpers for later steps: a well-formed 2026-07-28 request (the
//! `_meta` envelope and the three mirrored headers), so a test can say
//! what it sends in one line; arbitrary JSON for property tests. Behind the
//! `testkit` feature.

use axum::{body::Body, http::Request};
use plumbing::testkit::post_mcp_with;
use proptest::prelude::*;
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

/// Arbitrary JSON values, a few levels deep.
pub fn any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::hash_map(".{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}
