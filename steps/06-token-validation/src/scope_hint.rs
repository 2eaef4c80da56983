//! The scope a rejected request needs, for its `401` (beyond the blog).
//!
//! MCP 2025-11-25 (Authorization › Scope Selection Strategy): a server
//! SHOULD name in the 401's `scope` what *this* request needs, so a client
//! asks for no more (least privilege) and steps up on a 403 when a later
//! call needs more. Step 6 has one required scope and no hint; step 8 plugs
//! its policy in through [`ScopeHint`].
//!
//! Which method the request calls:
//! - the `Mcp-Method` header, which 2026-07-28 clients send;
//! - otherwise (2025-06-18, 2025-11-25) the body's `method` — read only on
//!   the way to a 401, only when it is small ([`PEEK_LIMIT`]) and only for
//!   [`PEEK_TIMEOUT`]. A larger, slower or unreadable body gets the baseline
//!   scope, never an error of its own: authentication still answers before
//!   a large body is read (test_step6, "a 4 MiB body without a token").

use std::{sync::Arc, time::Duration};

use crate::auth::Challenge;
use axum::{
    body::Body,
    http::{HeaderMap, header},
};

/// The largest body the 401 path reads to learn the method. An MCP request
/// without its arguments is a few hundred bytes.
pub const PEEK_LIMIT: usize = 64 * 1024;

/// How long the 401 path waits for that body before answering with the
/// baseline scope: a client that trickles its body does not hold the 401.
pub const PEEK_TIMEOUT: Duration = Duration::from_secs(1);

/// From a JSON-RPC method to the scope it needs (`None`: the baseline).
#[derive(Clone)]
pub struct ScopeHint(pub Arc<ScopeFor>);

/// The function inside a [`ScopeHint`].
pub type ScopeFor = dyn Fn(&str) -> Option<&'static str> + Send + Sync;

impl std::fmt::Debug for ScopeHint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScopeHint")
    }
}

impl Challenge {
    /// The challenge for a rejected request: its `scope` is what the
    /// request's method needs when the hint can tell; otherwise `self`.
    /// Consumes the body (the request is being refused).
    pub async fn for_request(
        self: &Arc<Challenge>,
        headers: &HeaderMap,
        body: Body,
    ) -> Arc<Challenge> {
        let Some(hint) = &self.scope_hint else {
            return Arc::clone(self);
        };
        let method = match header_method(headers) {
            Some(method) => Some(method.to_string()),
            None => body_method(headers, body).await,
        };
        match method.as_deref().and_then(|method| (hint.0)(method)) {
            Some(scope) => self.with_scope(scope),
            None => Arc::clone(self),
        }
    }

    /// The same challenge asking for `scope`.
    pub fn with_scope(&self, scope: &str) -> Arc<Challenge> {
        let mut challenge = self.clone();
        for (name, value) in &mut challenge.params {
            if name == "scope" {
                *value = scope.to_string();
            }
        }
        Arc::new(challenge)
    }
}

/// The `Mcp-Method` header's value (2026-07-28).
fn header_method(headers: &HeaderMap) -> Option<&str> {
    Some(headers.get("mcp-method")?.to_str().ok()?.trim())
}

/// The `method` of a small JSON-RPC request body; `None` for anything else
/// (too large, too slow, not JSON, a batch, no string `method`).
async fn body_method(headers: &HeaderMap, body: Body) -> Option<String> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > PEEK_LIMIT as u64) {
        return None;
    }
    let read = axum::body::to_bytes(body, PEEK_LIMIT);
    let bytes = tokio::time::timeout(PEEK_TIMEOUT, read).await.ok()?.ok()?;
    let request: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    Some(request.get("method")?.as_str()?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    use axum::http::HeaderValue;

    fn challenge() -> Arc<Challenge> {
        let mut challenge = Challenge::new("mcp-server");
        challenge
            .params
            .push(("resource_metadata".into(), "http://x/meta".into()));
        challenge.params.push(("scope".into(), "mcp:read".into()));
        challenge.scope_hint = Some(ScopeHint(Arc::new(|method: &str| {
            (method == "tools/call").then_some("mcp:tools")
        })));
        Arc::new(challenge)
    }

    /// A body whose next byte never comes.
    fn endless() -> Body {
        Body::from_stream(futures_util::stream::pending::<
            Result<Vec<u8>, std::io::Error>,
        >())
    }

    async fn scope_for(headers: &HeaderMap, body: &str) -> String {
        let value = challenge()
            .for_request(headers, Body::from(body.to_string()))
            .await
            .header_value(&[]);
        value
            .to_str()
            .unwrap()
            .rsplit("scope=")
            .next()
            .unwrap()
            .to_string()
    }

    #[tokio::test]
    async fn the_header_wins_then_the_body_says() {
        let call = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call"}"#;
        let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
        let mut asking = HeaderMap::new();
        asking.insert("mcp-method", HeaderValue::from_static(" tools/call "));
        assert_eq!(scope_for(&asking, list).await, "\"mcp:tools\"");
        assert_eq!(scope_for(&HeaderMap::new(), call).await, "\"mcp:tools\"");
        assert_eq!(scope_for(&HeaderMap::new(), list).await, "\"mcp:read\"");
        // Only the scope changes.
        assert_eq!(
            challenge().with_scope("mcp:tools").header_value(&[]),
            r#"Bearer realm="mcp-server", resource_metadata="http://x/meta", scope="mcp:tools""#
        );
    }

    /// Up to the limit, to the byte, a body is read: a call with large
    /// arguments still gets its own scope.
    #[tokio::test]
    async fn a_body_up_to_the_limit_is_read() {
        // 64 KiB, as docs/hardening.md and step 8's README promise.
        const DOCUMENTED: usize = 65_536;
        let call = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"pad":""}}"#;
        let padded = call.replace(
            r#""pad":"""#,
            &format!(r#""pad":"{}""#, "x".repeat(DOCUMENTED - call.len())),
        );
        assert_eq!(padded.len(), DOCUMENTED);
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(DOCUMENTED));
        assert_eq!(scope_for(&headers, &padded).await, "\"mcp:tools\"");
        assert_eq!(scope_for(&HeaderMap::new(), &padded).await, "\"mcp:tools\"");
    }

    #[tokio::test]
    async fn a_declared_large_body_is_not_read() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(PEEK_LIMIT + 1));
        let started = std::time::Instant::now();
        let challenge = challenge();
        assert!(Arc::ptr_eq(
            &challenge.for_request(&headers, endless()).await,
            &challenge
        ));
        assert!(started.elapsed() < PEEK_TIMEOUT, "the body was waited for");
    }

    #[tokio::test]
    async fn a_body_that_never_ends_is_waited_for_one_second_at_most() {
        let started = std::time::Instant::now();
        let challenge = challenge();
        assert!(Arc::ptr_eq(
            &challenge.for_request(&HeaderMap::new(), endless()).await,
            &challenge
        ));
        let waited = started.elapsed();
        assert!(
            waited >= PEEK_TIMEOUT && waited < 10 * PEEK_TIMEOUT,
            "{waited:?}"
        );
    }

    #[tokio::test]
    async fn no_hint_no_change() {
        let plain = Arc::new(Challenge::new("mcp-server"));
        let call = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call"}"#;
        let refined = plain.for_request(&HeaderMap::new(), Body::from(call)).await;
        assert!(Arc::ptr_eq(&refined, &plain));
        assert_eq!(
            format!("{:?}", challenge().scope_hint.as_ref().unwrap()),
            "ScopeHint"
        );
    }
}
