//! # Step 7 — OAuth metadata: from a 401 to the issuer, automatically
//!
//! Step 6 told clients *that* they need a token. This step tells them
//! *where to get one*, so an MCP client can go from the first `401` to a
//! token with nothing preconfigured (MCP 2025-11-25 Authorization ›
//! Authorization Server Discovery):
//!
//! ```text
//! POST /mcp                                     → 401
//!   WWW-Authenticate: Bearer realm="mcp-server",
//!     resource_metadata="http://localhost:9000/.well-known/oauth-protected-resource/mcp",
//!     scope="mcp:read"
//! GET  /.well-known/oauth-protected-resource/mcp → resource + authorization_servers   (RFC 9728)
//! GET  {issuer}/.well-known/oauth-authorization-server → endpoints, jwks_uri          (RFC 8414)
//! ```
//!
//! What changed from step 6: the [`metadata`] documents and routes (CORS open),
//! every 401 challenge now carries `resource_metadata` and `scope` (the one
//! scope every client needs, `mcp:read`: least privilege — a client asks for
//! more when a call needs it, step 8), and the
//! Origin guard lets any web origin read `/.well-known/*` (public documents).
//! All URLs come from `--server-url` (the original hard-coded port 9000).
//!
//! Spec: RFC 9728 §2 (metadata), §3.1 (well-known URL for a resource with a path),
//! §5.1 (`resource_metadata` in `WWW-Authenticate`); RFC 8414 §2–3; RFC 8707 (the
//! resource URI); MCP 2025-11-25 Authorization › Protected Resource Metadata Discovery,
//! Scope Selection Strategy.
//!
//! Run with `cargo run -p step7`, then try it:
//!
//! ```text
//! $ curl -s localhost:9000/.well-known/oauth-protected-resource/mcp
//! {"resource":"http://localhost:9000/mcp","authorization_servers":["http://localhost:9000"],…}
//! $ curl -s localhost:9000/.well-known/oauth-authorization-server
//! {"issuer":"http://localhost:9000","jwks_uri":"http://localhost:9000/.well-known/jwks.json",…}
//! ```

// The lesson (the blog's step 7).
pub mod metadata;
// Beyond the blog: the setup the tests of steps 7–12 share (feature `testkit`).
#[cfg(feature = "testkit")]
pub mod testkit;

use std::sync::Arc;

use axum::Router;
use step1::origin::OriginGuard;
use step2::mcp::Dispatch;
use step5::{jwks::JwkSet, public_key::PublicKey};
use step6::{auth::Auth, config::AuthArgs, keys::KeySource};

use crate::metadata::Metadata;

/// Step 6's authentication, with challenges that point to the metadata.
pub fn auth(keys: Arc<dyn KeySource>, args: &AuthArgs, metadata: &Metadata) -> Auth {
    let mut auth = step6::auth(keys, args);
    let mut challenge = (*auth.challenge).clone();
    challenge.params.push((
        "resource_metadata".into(),
        metadata.resource_metadata_url.clone(),
    ));
    challenge
        .params
        .push(("scope".into(), metadata.baseline_scope()));
    auth.challenge = Arc::new(challenge);
    auth
}

/// Everything steps 7 and 8 build from their flags: the key, the metadata,
/// and the authentication that points to it.
pub struct Setup {
    pub key: PublicKey,
    pub metadata: Metadata,
    pub auth: Auth,
}

/// Why steps 7 and 8 cannot start; each message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    KeyFile(#[from] step5::public_key::KeyFileError),
    #[error("the public key cannot verify RS256 tokens: {0} (regenerate it with tokengen)")]
    Verifier(#[from] jsonwebtoken::errors::Error),
}

impl Setup {
    /// Load the key and derive the rest.
    pub fn from_args(args: &AuthArgs, key: &step5::KeyArgs) -> Result<Setup, SetupError> {
        let key = PublicKey::load(&key.public_key)?;
        let metadata = Metadata::from_args(args);
        let local = step6::keys::LocalKey::new(&key)?;
        let auth = auth(Arc::new(local), args, &metadata);
        if !metadata.issuer.starts_with("http://") && !metadata.issuer.starts_with("https://") {
            tracing::warn!(
                issuer = %metadata.issuer.escape_debug(),
                "the issuer is not a URL (the blog's value?): no authorization-server metadata is \
                 published (RFC 8414 needs a URL issuer), so clients cannot discover where to get \
                 tokens; leave --issuer unset for the full discovery flow"
            );
        }
        Ok(Setup {
            key,
            metadata,
            auth,
        })
    }
}

/// The guard of step 6, with the well-known documents open to every origin:
/// they are public and read-only, and a web client on any origin must be able
/// to discover where to log in (they also get open CORS, see
/// [`metadata::open_cors`]). `/mcp` keeps step 1's rule.
pub fn guard(bind: std::net::SocketAddr, args: &AuthArgs) -> OriginGuard {
    step6::guard(bind, args).except(|path, _origin| path.starts_with(WELL_KNOWN))
}

/// Where the public documents live (RFC 8615).
pub const WELL_KNOWN: &str = "/.well-known/";

/// Step 7's routes: `/health`, `/mcp` (behind `auth`), and the well-known
/// documents — the JWKS of step 5 and the metadata — with open CORS.
pub fn routes(key: &PublicKey, metadata: &Metadata, dispatch: Dispatch, auth: Auth) -> Router {
    let well_known = step5::jwks::routes(JwkSet {
        keys: vec![key.jwk.clone()],
    })
    .layer(metadata::open_cors())
    .merge(metadata::routes(metadata));
    step1::health::routes(step5::key_probe(key))
        .merge(step6::mcp_routes(dispatch, auth))
        .merge(well_known)
}

/// The whole step 7 application (step 6's dispatch: scopes are not checked yet).
pub fn app(key: &PublicKey, metadata: &Metadata, auth: Auth, guard: OriginGuard) -> Router {
    let routes = routes(key, metadata, step6::dispatch::dispatcher(), auth);
    step1::app::layers(routes, guard)
}
