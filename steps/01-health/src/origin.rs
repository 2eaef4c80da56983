//! The Origin / Host guard: DNS-rebinding protection for a local server.
//!
//! Two headers tell us who is really talking to us:
//!
//! - `Origin` is set by browsers on cross-site requests (and on every POST).
//!   Non-browser clients — curl, the MCP SDKs, Claude Desktop — do not send it.
//!   So: **no `Origin` → allowed**; an `Origin` whose host is *exactly*
//!   `localhost`, `127.0.0.1` or `[::1]` (any port, any scheme) → allowed;
//!   anything else → `403`. "Exactly" matters: the Python original checked a
//!   prefix, so `http://localhost.evil.example` got in.
//! - `Host` is what the client thinks it connected to. In a DNS-rebinding
//!   attack the page's own name (`evil.example`) now resolves to 127.0.0.1, so
//!   the browser sends `Host: evil.example` to our loopback socket. While we
//!   are bound to loopback, a non-loopback `Host` can only mean that → `403`.
//!
//! ```text
//! POST /mcp HTTP/1.1
//! Host: evil.example:9000
//! Origin: http://evil.example:9000
//!
//! HTTP/1.1 403 Forbidden
//! {"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Forbidden: Host header is not allowed"}}
//! ```
//!
//! Spec: MCP 2025-11-25, Basic › Transports › Streamable HTTP › Security
//! Warning ("Servers MUST validate the Origin header"), and Security Best
//! Practices › Local MCP server compromise.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Json,
    extract::{Request, State},
    http::{HeaderMap, StatusCode, Uri, header, uri::Authority},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;

/// A later step's exception to the `Origin` rule: given the request path and
/// its `Origin`, `true` lets a non-loopback origin through. The `Host` check
/// still applies. This is the guard's one extension point: step 7 opens its
/// public `/.well-known/` documents to every origin, step 10 admits the web
/// clients on its CORS allow-list. Step 1 itself adds none.
pub type OriginException = Arc<dyn Fn(&str, &str) -> bool + Send + Sync>;

/// Who may talk to the server, besides loopback.
#[derive(Clone, Default)]
pub struct OriginGuard {
    /// Extra host names accepted in the `Host` header, e.g. the host of the
    /// public server URL when a proxy forwards to us.
    pub allowed_hosts: Vec<String>,
    /// Check the `Host` header at all? Only meaningful when the socket is on
    /// loopback: a server bound to 0.0.0.0 is reached under many names.
    pub check_host: bool,
    /// Exceptions to the `Origin` rule, added by later steps ([`OriginException`]).
    exceptions: Vec<OriginException>,
}

/// Closures have no `Debug`; say how many exceptions there are.
impl std::fmt::Debug for OriginGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OriginGuard")
            .field("allowed_hosts", &self.allowed_hosts)
            .field("check_host", &self.check_host)
            .field("exceptions", &self.exceptions.len())
            .finish()
    }
}

impl OriginGuard {
    /// The guard for a server bound to `bind`: the `Host` check is on when the
    /// address is loopback.
    pub fn for_bind(bind: SocketAddr) -> Self {
        OriginGuard {
            check_host: bind.ip().is_loopback(),
            ..OriginGuard::default()
        }
    }

    /// Also accept `host` in the `Host` header (builder style).
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.allowed_hosts.push(host.into().to_ascii_lowercase());
        self
    }

    /// Let a non-loopback `Origin` through when `exception(path, origin)`
    /// says so (builder style; see [`OriginException`]).
    pub fn except(
        mut self,
        exception: impl Fn(&str, &str) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.exceptions.push(Arc::new(exception));
        self
    }

    /// Decide for one request's path and headers.
    pub fn check(&self, path: &str, headers: &HeaderMap) -> Result<(), GuardError> {
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().map_err(|_| GuardError::Origin)?;
            let excepted = || self.exceptions.iter().any(|allows| allows(path, origin));
            if !origin_is_loopback(origin) && !excepted() {
                return Err(GuardError::Origin);
            }
        }
        if self.check_host
            && let Some(host) = headers.get(header::HOST)
        {
            let host = host.to_str().map_err(|_| GuardError::Host)?;
            let name = host_name(host).ok_or(GuardError::Host)?;
            let listed = self.allowed_hosts.contains(&name);
            if !listed && !is_loopback_name(&name) {
                return Err(GuardError::Host);
            }
        }
        Ok(())
    }
}

/// Why the guard said no. The reason is deliberately short: the caller is
/// probably a hostile web page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardError {
    Origin,
    Host,
}

impl IntoResponse for GuardError {
    fn into_response(self) -> Response {
        let message = match self {
            GuardError::Origin => "Forbidden: Origin is not allowed",
            GuardError::Host => "Forbidden: Host header is not allowed",
        };
        // A JSON-RPC shaped error, so that MCP clients can show it; -32000 is
        // the implementation-defined server error range of JSON-RPC 2.0.
        let body =
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32000, "message": message}});
        (StatusCode::FORBIDDEN, Json(body)).into_response()
    }
}

/// The axum middleware: `from_fn_with_state(Arc::new(guard), origin::guard)`.
/// (The state is cloned for every request; an `Arc` makes that a counter bump.)
pub async fn guard(
    State(guard): State<Arc<OriginGuard>>,
    request: Request,
    next: Next,
) -> Response {
    match guard.check(request.uri().path(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err(refused) => {
            tracing::warn!(reason = ?refused, "request refused by the Origin/Host guard");
            refused.into_response()
        }
    }
}

/// `localhost`, `127.0.0.1` and `[::1]`, compared exactly (case-insensitive).
pub fn is_loopback_name(name: &str) -> bool {
    matches!(name, "localhost" | "127.0.0.1" | "[::1]")
}

/// Is this `Origin` header value a loopback origin? `null` (sandboxed frames,
/// `file://` pages) and anything unparsable are not.
pub fn origin_is_loopback(origin: &str) -> bool {
    let Ok(uri) = origin.parse::<Uri>() else {
        return false;
    };
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    let path_empty = matches!(uri.path(), "" | "/");
    match uri.host() {
        Some(host) => scheme_ok && path_empty && is_loopback_name(&host.to_ascii_lowercase()),
        None => false,
    }
}

/// The name part of a `Host` header (`localhost:9000` → `localhost`,
/// `[::1]:9000` → `[::1]`), lower-cased.
pub fn host_name(host: &str) -> Option<String> {
    let authority = host.parse::<Authority>().ok()?;
    // `user@host` is legal in an authority but never in a Host header.
    if host.contains('@') {
        return None;
    }
    Some(authority.host().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn loopback_guard() -> OriginGuard {
        OriginGuard::for_bind("127.0.0.1:9000".parse().unwrap())
    }

    #[test]
    fn loopback_origins_are_exact_host_matches() {
        for ok in [
            "http://localhost",
            "http://localhost:6274",
            "https://127.0.0.1:9000",
            "http://[::1]:3000",
            "http://LOCALHOST:1",
        ] {
            assert!(origin_is_loopback(ok), "{ok} should be allowed");
        }
        for bad in [
            "http://localhost.evil.example",
            "http://evil.example",
            "http://127.0.0.1.nip.io",
            "http://localhost@evil.example",
            "null",
            "file://",
            "ftp://localhost",
            "",
            "http://localhost/path",
        ] {
            assert!(!origin_is_loopback(bad), "{bad} should be refused");
        }
    }

    #[test]
    fn host_names_are_parsed_without_port() {
        assert_eq!(host_name("localhost:9000").as_deref(), Some("localhost"));
        assert_eq!(host_name("[::1]:9000").as_deref(), Some("[::1]"));
        assert_eq!(host_name("127.0.0.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(host_name("Evil.Example").as_deref(), Some("evil.example"));
        assert_eq!(host_name("a@localhost"), None);
        assert_eq!(host_name(""), None);
    }

    #[test]
    fn guard_decisions() {
        let guard = loopback_guard();
        assert_eq!(guard.check("/mcp", &headers(&[])), Ok(()));
        assert_eq!(
            guard.check("/mcp", &headers(&[(header::HOST, "localhost:9000")])),
            Ok(())
        );
        assert_eq!(
            guard.check("/mcp", &headers(&[(header::HOST, "evil.example:9000")])),
            Err(GuardError::Host)
        );
        assert_eq!(
            guard.check(
                "/mcp",
                &headers(&[(header::ORIGIN, "http://localhost.evil.example")])
            ),
            Err(GuardError::Origin)
        );
        // Bound to all interfaces: Host is not checked, Origin still is.
        let open = OriginGuard::for_bind("0.0.0.0:9000".parse().unwrap());
        assert_eq!(
            open.check("/mcp", &headers(&[(header::HOST, "mcp.example.com")])),
            Ok(())
        );
        assert_eq!(
            open.check(
                "/mcp",
                &headers(&[(header::ORIGIN, "https://evil.example")])
            ),
            Err(GuardError::Origin)
        );
        // An extra Host name.
        let listed = loopback_guard().allow_host("mcp.example.com");
        assert_eq!(
            listed.check("/mcp", &headers(&[(header::HOST, "MCP.example.com:443")])),
            Ok(())
        );
        // An exception sees the path and the Origin; the Host check still applies.
        let excepted = loopback_guard()
            .except(|path, origin| path == "/open" && origin == "https://client.example");
        let foreign = (header::ORIGIN, "https://client.example");
        assert_eq!(
            excepted.check("/open", &headers(std::slice::from_ref(&foreign))),
            Ok(())
        );
        assert_eq!(
            excepted.check("/mcp", &headers(std::slice::from_ref(&foreign))),
            Err(GuardError::Origin)
        );
        assert_eq!(
            excepted.check(
                "/open",
                &headers(&[(header::ORIGIN, "https://other.example")])
            ),
            Err(GuardError::Origin)
        );
        assert_eq!(
            excepted.check(
                "/open",
                &headers(&[foreign, (header::HOST, "evil.example")])
            ),
            Err(GuardError::Host)
        );
    }

    #[test]
    fn an_allowed_host_passes_the_host_check_and_only_it() {
        // A proxy forwards with the public host name (step 6 adds --server-url's host).
        let guard = loopback_guard().allow_host("MCP.example.com");
        let host = |name: &str| headers(&[(header::HOST, name)]);
        assert!(guard.check("/mcp", &host("mcp.example.com:9090")).is_ok());
        assert!(guard.check("/mcp", &host("other.example.com")).is_err());
        assert!(
            loopback_guard()
                .check("/mcp", &host("mcp.example.com"))
                .is_err()
        );
    }

    #[test]
    fn debug_output_names_the_settings_not_the_closures() {
        let guard = loopback_guard().allow_host("a.example").except(|_, _| true);
        let shown = format!("{guard:?}");
        assert!(
            shown.contains("a.example") && shown.contains("check_host: true"),
            "{shown}"
        );
        assert!(shown.contains("exceptions: 1"), "{shown}");
    }
}
