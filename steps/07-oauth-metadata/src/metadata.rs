//! The two metadata documents that let a client find its way from a `401`
//! to a token, with nothing configured in advance.
//!
//! **Protected-resource metadata** (RFC 9728) — published by *us*, the
//! resource server. It names the resource and who issues tokens for it:
//!
//! ```text
//! GET /.well-known/oauth-protected-resource/mcp
//!
//! {"resource":"http://localhost:9000/mcp",
//!  "authorization_servers":["http://localhost:9000"],
//!  "scopes_supported":["mcp:read","mcp:tools","mcp:prompts"],
//!  "bearer_methods_supported":["header"],
//!  "resource_name":"MCP Authorization, Step by Step (echo server)"}
//! ```
//!
//! RFC 9728 §3.1 puts the document for a resource with a path (`/mcp`) at
//! the well-known prefix *plus that path*; clients of the 2025-03-26 era ask
//! at the root. We answer both.
//!
//! **Authorization-server metadata** (RFC 8414) — normally published by the
//! issuer (Keycloak, from step 9). The demo issuer of steps 5–8 is this very
//! server plus the offline `tokengen`, so we publish it here, and list only
//! what really exists: its `issuer` (a URL, unlike the original's
//! `mcp-simple-auth`) and its `jwks_uri`. There is no authorization or
//! token endpoint, so none is listed (the original advertised a token
//! endpoint that answered 404); `response_types_supported`, required by the
//! RFC, is honestly empty.

use axum::{Json, Router, http::Method, routing::get};
use serde::Serialize;
use serde_json::{Value, json};
use step6::config::AuthArgs;
use tower_http::cors::{Any, CorsLayer};

/// The scopes this server understands (step 8 enforces them).
pub const SCOPES: [&str; 3] = ["mcp:read", "mcp:tools", "mcp:prompts"];

/// RFC 9728 §2 — the document describing this resource.
#[derive(Debug, Clone, Serialize)]
pub struct ProtectedResourceMetadata {
    pub resource: String,
    pub authorization_servers: Vec<String>,
    pub scopes_supported: Vec<String>,
    pub bearer_methods_supported: Vec<String>,
    pub resource_name: String,
    /// More members, added by later steps (step 10's `--dpop`: `dpop_*`).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

/// What step 7 publishes, computed once from the flags.
#[derive(Debug, Clone)]
pub struct Metadata {
    pub server_url: String,
    pub issuer: String,
    pub resource: ProtectedResourceMetadata,
    /// Where clients find [`ProtectedResourceMetadata`]: the path-suffixed
    /// well-known URL, which RFC 9728 §3.1 defines for `…/mcp`.
    pub resource_metadata_url: String,
}

impl Metadata {
    pub fn from_args(args: &AuthArgs) -> Metadata {
        let server_url = args.server_url();
        let issuer = args.issuer();
        Metadata {
            resource_metadata_url: format!("{server_url}/.well-known/oauth-protected-resource/mcp"),
            resource: ProtectedResourceMetadata {
                resource: args.resource(),
                authorization_servers: vec![issuer.clone()],
                scopes_supported: SCOPES.iter().map(|s| s.to_string()).collect(),
                bearer_methods_supported: vec!["header".into()],
                resource_name: "MCP Authorization, Step by Step (echo server)".into(),
                extra: serde_json::Map::new(),
            },
            server_url,
            issuer,
        }
    }

    /// The scope a 401 asks for: the first of `scopes_supported`, the one
    /// every client needs (`mcp:read`). Not the whole catalogue: MCP
    /// 2025-11-25 (Authorization › Scope Selection Strategy) says a 401
    /// SHOULD name the scopes *this request* needs, so that a client asks
    /// for no more than that; step 8 narrows it per method, and its 403
    /// asks for the rest when a call needs it (step-up).
    pub fn baseline_scope(&self) -> String {
        self.resource
            .scopes_supported
            .first()
            .cloned()
            .unwrap_or_default()
    }

    /// Is the issuer this server itself (the demo issuer)? Then we host its
    /// RFC 8414 document too.
    pub fn hosts_issuer(&self) -> bool {
        self.issuer == self.server_url || self.issuer.starts_with(&format!("{}/", self.server_url))
    }

    /// RFC 8414 §3.1: `/.well-known/oauth-authorization-server` + the issuer's path.
    pub fn issuer_metadata_path(&self) -> String {
        let path = self.issuer.strip_prefix(&self.server_url).unwrap_or("");
        format!("/.well-known/oauth-authorization-server{path}")
    }

    /// The demo issuer's RFC 8414 document: only what exists.
    pub fn issuer_metadata(&self) -> Value {
        json!({
            "issuer": self.issuer,
            "jwks_uri": format!("{}/.well-known/jwks.json", self.server_url),
            "scopes_supported": self.resource.scopes_supported,
            "response_types_supported": [],
            "grant_types_supported": []
        })
    }
}

/// The well-known routes, readable from any web origin (CORS `*` is part of
/// them): they are public documents, and browser-based MCP clients must be
/// able to fetch them.
pub fn routes(metadata: &Metadata) -> Router {
    let document = metadata.resource.clone();
    let serve_resource = move || {
        let document = document.clone();
        async move { Json(document) }
    };
    let mut router = Router::new()
        .route(
            "/.well-known/oauth-protected-resource",
            get(serve_resource.clone()),
        )
        .route(
            "/.well-known/oauth-protected-resource/mcp",
            get(serve_resource),
        );
    if metadata.hosts_issuer() {
        let document = metadata.issuer_metadata();
        router = router.route(
            &metadata.issuer_metadata_path(),
            get(move || {
                let document = document.clone();
                async move { Json(document) }
            }),
        );
    }
    router.layer(open_cors())
}

/// CORS for public documents: any origin may GET them.
pub fn open_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::OPTIONS])
        .allow_headers(Any)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        auth: AuthArgs,
    }

    fn metadata(flags: &[&str]) -> Metadata {
        let mut argv = vec!["x"];
        argv.extend_from_slice(flags);
        Metadata::from_args(&Cli::parse_from(argv).auth)
    }

    #[test]
    fn issuer_path_is_inserted_after_the_well_known_prefix() {
        let m = metadata(&["--issuer", "http://localhost:9000/issuer"]);
        assert!(m.hosts_issuer());
        assert_eq!(
            m.issuer_metadata_path(),
            "/.well-known/oauth-authorization-server/issuer"
        );
        let m = metadata(&[]);
        assert_eq!(
            m.issuer_metadata_path(),
            "/.well-known/oauth-authorization-server"
        );
    }

    #[test]
    fn a_lookalike_origin_is_not_hosted() {
        let m = metadata(&["--issuer", "http://localhost:90001"]);
        assert!(!m.hosts_issuer());
    }
}
