//! Reading what a server says — with a size cap, while it streams.
//!
//! Every answer this client reads comes from a server it was pointed at: the
//! MCP server, and whichever authorization server that server names. Either
//! can be hostile, and `response.text()` would hold a 600 MB answer in
//! memory before we could look at it. So every body is read chunk by chunk
//! and given up on as soon as it passes its cap:
//!
//! ```text
//! MCP answers (tools/list, tools/call …)      4 MiB
//! metadata, registration and token answers   64 KiB
//! ```
//!
//! (The servers of steps 9–10 cap what the identity provider says the same
//! way; this crate does not depend on them — it is the other side of the
//! wire — so it has its own twenty lines.)

/// The largest MCP answer read.
pub const MAX_MCP_ANSWER_BYTES: usize = 4 * 1024 * 1024;
/// The largest metadata, registration or token answer read.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// Why a body was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{url} sent more than {limit} bytes; refused")]
    TooLarge { url: String, limit: usize },
    #[error("{url}: reading the answer failed: {reason}")]
    Broken { url: String, reason: String },
}

/// Read `response`'s body, at most `limit` bytes; `url` names who sent it.
pub async fn read_capped(
    mut response: reqwest::Response,
    url: &str,
    limit: usize,
) -> Result<Vec<u8>, ReadError> {
    let too_large = || ReadError::TooLarge {
        url: url.to_string(),
        limit,
    };
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| ReadError::Broken {
        url: url.to_string(),
        reason: e.to_string(),
    })? {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A JSON document read with the document cap; `Value::Null` when it is
/// not JSON (callers say what they expected).
pub async fn read_json(
    response: reqwest::Response,
    url: &str,
) -> Result<serde_json::Value, ReadError> {
    let body = read_capped(response, url, MAX_DOCUMENT_BYTES).await?;
    Ok(serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null))
}
