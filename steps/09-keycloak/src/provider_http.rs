//! Reading what the identity provider says — with a size cap, while it streams.
//!
//! The provider is a server on the other side of a network. It can be
//! misconfigured, compromised, or not the provider at all, so every answer
//! is read through [`read_capped`]:
//!
//! ```text
//! Content-Length larger than the cap   → refused before reading a byte
//! chunked, and the chunks pass the cap → refused at the chunk that crosses it
//! ```
//!
//! Checking the length only *after* `response.bytes()` is too late: a
//! 400 MiB chunked key set is then already in memory (the background
//! refresher would do it again every few seconds). Here the most we ever
//! hold is the cap plus one chunk. The caps: 512 KiB for a key set (a
//! real one is a few KiB, even with many keys), 64 KiB for any other
//! document (discovery, introspection).
//!
//! An overflow is reported as the provider's fault, with its URL, so the
//! operator knows where to look.

/// The largest key set we read.
pub const MAX_KEY_SET_BYTES: usize = 512 * 1024;
/// The largest discovery or introspection answer we read.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// What went wrong talking to the provider.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("{url}: request failed: {reason}")]
    Request { url: String, reason: String },
    #[error("{url}: the provider answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: the provider's answer is larger than {limit} bytes; refused")]
    TooLarge { url: String, limit: usize },
    #[error("{url}: the provider's answer is not valid: {reason}")]
    Invalid { url: String, reason: String },
}

/// Send `request`, insist on a 2xx, and read the body — at most `limit` bytes.
pub async fn fetch_capped(
    request: reqwest::RequestBuilder,
    url: &str,
    limit: usize,
) -> Result<(reqwest::header::HeaderMap, Vec<u8>), ProviderError> {
    let response = request.send().await.map_err(|e| ProviderError::Request {
        url: url.to_string(),
        reason: e.to_string(),
    })?;
    if !response.status().is_success() {
        return Err(ProviderError::Status {
            url: url.to_string(),
            status: response.status().as_u16(),
        });
    }
    let headers = response.headers().clone();
    let body = read_capped(response, url, limit).await?;
    Ok((headers, body))
}

/// Read `response`'s body chunk by chunk, giving up as soon as it passes `limit`.
pub async fn read_capped(
    mut response: reqwest::Response,
    url: &str,
    limit: usize,
) -> Result<Vec<u8>, ProviderError> {
    let too_large = || ProviderError::TooLarge {
        url: url.to_string(),
        limit,
    };
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    loop {
        let chunk = response.chunk().await.map_err(|e| ProviderError::Request {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        let Some(chunk) = chunk else {
            return Ok(body);
        };
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
}

/// Parse a JSON document read with [`fetch_capped`].
pub fn parse_json<T: serde::de::DeserializeOwned>(
    body: &[u8],
    url: &str,
) -> Result<T, ProviderError> {
    serde_json::from_slice(body).map_err(|e| ProviderError::Invalid {
        url: url.to_string(),
        reason: e.to_string(),
    })
}
