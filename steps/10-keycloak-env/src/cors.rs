//! CORS for browser-based MCP clients, such as MCP Inspector (http://localhost:6274).
//!
//! A page on another origin may only read our answers if we say so. Before a
//! POST with `Authorization` it asks first — a *preflight* — without any
//! token:
//!
//! ```text
//! OPTIONS /mcp
//! Origin: http://localhost:6274
//! Access-Control-Request-Method: POST
//! Access-Control-Request-Headers: authorization, content-type, mcp-protocol-version
//!
//! HTTP/1.1 200 OK
//! access-control-allow-origin: http://localhost:6274
//! access-control-allow-methods: GET,POST,DELETE,OPTIONS
//! access-control-allow-headers: authorization,content-type,mcp-protocol-version,mcp-session-id,last-event-id
//! ```
//!
//! So the preflight must be answered *before* authentication (it carries no
//! token), and the real answers must *expose* `WWW-Authenticate` — otherwise
//! a browser client cannot read the 401 challenge that starts discovery.
//! Only origins on the allow-list get these headers; the same list is an
//! exception to step 1's Origin guard ([`guard_exception`]), which otherwise
//! refuses every non-loopback `Origin` with a 403 before CORS is consulted.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header};
use clap::Args;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// `--cors-origins`.
#[derive(Debug, Clone, Args)]
pub struct CorsArgs {
    /// Web origins allowed to call /mcp from a browser (comma separated), e.g. MCP Inspector's.
    #[arg(
        long,
        env = "MCP_CORS_ORIGINS",
        value_delimiter = ',',
        default_value = "http://localhost:6274,http://127.0.0.1:6274"
    )]
    pub cors_origins: Vec<String>,
}

/// Step 1's Origin guard lets the allow-listed origins through, on every path
/// (an `OriginGuard` exception; scheme and host compare case-insensitively).
pub fn guard_exception(origins: &[String]) -> impl Fn(&str, &str) -> bool + Send + Sync + 'static {
    let origins: Vec<String> = origins.iter().map(|o| o.trim().to_string()).collect();
    move |_path, origin| origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
}

/// The CORS layer for `/mcp`. Origins that are not valid header values are skipped.
pub fn layer(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim()).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("mcp-protocol-version"),
            // 2026-07-28: every request mirrors its method (and the tool or
            // prompt name) into these; a browser client cannot send them
            // unless the preflight allows them.
            HeaderName::from_static("mcp-method"),
            HeaderName::from_static("mcp-name"),
            HeaderName::from_static("mcp-session-id"),
            HeaderName::from_static("last-event-id"),
            // Beyond the blog: --dpop (the proof; the nonce the server hands out).
            HeaderName::from_static("dpop"),
        ])
        .expose_headers([
            header::WWW_AUTHENTICATE,
            HeaderName::from_static("mcp-session-id"),
            HeaderName::from_static("dpop-nonce"),
        ])
        .max_age(Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};
    use step1::origin::{GuardError, OriginGuard};

    #[test]
    fn allow_listed_origins_pass_the_origin_guard_and_others_do_not() {
        let listed = [" https://app.example.com".to_string()];
        let guard = OriginGuard::for_bind("127.0.0.1:9000".parse().unwrap())
            .except(super::guard_exception(&listed));
        let from = |origin: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
            guard.check("/mcp", &headers)
        };
        assert_eq!(from("https://app.example.com"), Ok(()));
        assert_eq!(from("HTTPS://APP.EXAMPLE.COM"), Ok(()));
        assert_eq!(
            from("https://app.example.com.evil.example"),
            Err(GuardError::Origin)
        );
        assert_eq!(from("https://evil.example"), Err(GuardError::Origin));
        assert_eq!(from("http://localhost:6274"), Ok(()));
    }
}
