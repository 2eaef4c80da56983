//! # Step 5 — publish the public key (JWKS)
//!
//! From here on, requests will carry **JWT access tokens**: signed JSON that
//! says who the caller is and what they may do. The token is signed with a
//! private key (by `tokengen` now, by Keycloak in step 9); whoever checks it
//! needs the matching public key. This step loads that public key and
//! publishes it the standard way, as a **JSON Web Key Set** at
//! `/.well-known/jwks.json`, so that any verifier — this server in step 6,
//! or another service — can fetch it.
//!
//! What changed from step 4: the [`public_key`] loader (a missing or wrong
//! file stops the server at start with a message naming the path and the
//! `tokengen` command), the [`jwks`] document and route, and `/health` now
//! reports the key.
//!
//! Spec: RFC 7517 (JWK, JWK Set), RFC 7518 §6.3 (RSA key parameters),
//! RFC 7638 (JWK thumbprint, used as `kid`), RFC 8615 (well-known URIs).
//!
//! Run with `cargo run -p step5` (from the workspace root, so that
//! `keys/mcp_public_key.pem` is found), then try it:
//!
//! ```text
//! $ curl -s localhost:9000/.well-known/jwks.json
//! {"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"…","n":"…","e":"AQAB"}]}
//! $ curl -s localhost:9000/health
//! {"status":"healthy","key":{"kid":"…","path":"keys/mcp_public_key.pem"}}
//! ```

// The lesson (the blog's step 5).
pub mod jwks;
pub mod public_key;

use std::sync::Arc;

use axum::Router;
use serde_json::{Map, json};
use step1::{health, origin::OriginGuard};
use step2::mcp;

use crate::{
    jwks::JwkSet,
    public_key::{DEFAULT_PUBLIC_KEY, PublicKey},
};

/// `--public-key`, flattened into the flags of this and later steps.
#[derive(Debug, Clone, clap::Args)]
pub struct KeyArgs {
    /// The RSA public key (PEM, SPKI) that tokens are verified with. Create a
    /// demo pair with `cargo run -p tokengen -- --generate-keys`.
    #[arg(long, env = "MCP_PUBLIC_KEY", default_value = DEFAULT_PUBLIC_KEY)]
    pub public_key: std::path::PathBuf,
}

/// A health probe that reports which key is loaded.
pub fn key_probe(key: &PublicKey) -> health::Probe {
    let report = json!({"kid": key.kid(), "path": key.path.display().to_string()});
    Arc::new(move || Map::from_iter([("key".to_string(), report.clone())]))
}

/// Step 5's routes: `/health` (reporting the key), the `mcp` routes given
/// (step 6 passes them wrapped in authentication), and
/// `/.well-known/jwks.json`.
pub fn routes(key: &PublicKey, mcp: Router) -> Router {
    health::routes(key_probe(key))
        .merge(mcp)
        .merge(jwks::routes(JwkSet {
            keys: vec![key.jwk.clone()],
        }))
}

/// The whole step 5 application: step 4's MCP server plus the key set.
pub fn app(key: &PublicKey, guard: OriginGuard) -> Router {
    let mcp = mcp::routes(step4::dispatch::dispatcher());
    step1::app::layers(routes(key, mcp), guard)
}
