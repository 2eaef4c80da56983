//! Helpers for router-level tests: build a request, run it through a
//! `Router` without a socket, read the answer. Used by the tests of every
//! step (enable with the `testkit` feature), so no step copies them.

use axum::{
    Router,
    body::{Body, Bytes},
    http::{HeaderMap, Request, StatusCode},
};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// What came back.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body parsed as JSON; panics with the raw body if it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// A header as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A parameter of the `WWW-Authenticate` challenge (`scope`, `error`, …),
    /// or "" when there is no challenge or no such parameter.
    pub fn challenge_param(&self, name: &str) -> String {
        let challenge = self.header("www-authenticate").unwrap_or_default();
        challenge
            .split(&format!(" {name}=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_string()
    }
}

/// Send one request through `app`.
pub async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app
        .clone()
        .oneshot(request)
        .await
        .expect("routers are infallible");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("body reads").to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// `GET path` with `Host: localhost:9000`, as curl would send it.
pub fn get(path: &str) -> Request<Body> {
    Request::get(path)
        .header("host", "localhost:9000")
        .body(Body::empty())
        .expect("valid request")
}

/// `POST /mcp` with a JSON body and extra headers.
pub fn post_mcp_with(body: impl Into<Body>, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::post("/mcp")
        .header("host", "localhost:9000")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body.into()).expect("valid request")
}

/// `POST /mcp` with a JSON body.
pub fn post_mcp(body: impl Into<Body>) -> Request<Body> {
    post_mcp_with(body, &[])
}

/// A JSON-RPC request text with id 1.
pub fn rpc(method: &str, params: Value) -> String {
    serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string()
}
