//! `GET /health` — is the process up, and (from step 5 on) is it able to do
//! its job?
//!
//! ```text
//! GET /health HTTP/1.1
//!
//! HTTP/1.1 200 OK
//! content-type: application/json
//!
//! {"status":"healthy"}
//! ```
//!
//! Later steps have more to report (whether the signing key loaded, whether
//! the identity provider's key set is cached). Instead of replacing this
//! route, they hand [`routes`] a *probe*: a function whose JSON object is
//! merged into the document.

use std::sync::Arc;

use axum::{Json, Router, extract::State, routing::get};
use serde_json::{Map, Value, json};

/// Extra facts for the health document, computed on every request.
pub type Probe = Arc<dyn Fn() -> Map<String, Value> + Send + Sync>;

/// A probe with nothing to add: step 1's server has no dependencies.
pub fn no_probe() -> Probe {
    Arc::new(Map::new)
}

/// The `/health` route, with `probe` adding its fields after `"status"`.
pub fn routes(probe: Probe) -> Router {
    Router::new()
        .route("/health", get(health))
        .with_state(probe)
}

async fn health(State(probe): State<Probe>) -> Json<Value> {
    let mut doc = Map::new();
    doc.insert("status".into(), json!("healthy"));
    doc.extend(probe());
    Json(Value::Object(doc))
}
