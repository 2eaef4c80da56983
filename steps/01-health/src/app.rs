//! Routes and layers, kept apart on purpose.
//!
//! An axum `.layer()` wraps only the routes that exist when it is called. If
//! step 1 handed out a finished, layered router, step 2's `/mcp` route would be
//! added *outside* the guard. So each step exposes its routes, and the layers
//! are applied once, last, by [`layers`]:
//!
//! ```text
//! request → set x-request-id → trace span → Origin/Host guard → route
//! ```

use std::sync::Arc;

use axum::{Router, middleware};

use crate::{health, origin::OriginGuard};

/// Step 1's routes: `/health` with nothing extra to report.
pub fn routes() -> Router {
    health::routes(health::no_probe())
}

/// Wrap `router` in the layers every step shares. Call it after all routes
/// are added.
///
/// The guard is the lesson; around it, the plumbing gives every request an
/// `x-request-id` and a log line (`plumbing::request_id`), so a guard's `403`
/// is logged with the id the client sees.
pub fn layers(router: Router, guard: OriginGuard) -> Router {
    plumbing::request_id::layers(router.layer(middleware::from_fn_with_state(
        Arc::new(guard),
        crate::origin::guard,
    )))
}

/// The whole step 1 application.
pub fn app(guard: OriginGuard) -> Router {
    layers(routes(), guard)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{body::Body, http::Request};
    use plumbing::testkit::{get, send};

    fn app() -> Router {
        super::app(OriginGuard::for_bind("127.0.0.1:9000".parse().unwrap()))
    }

    #[tokio::test]
    async fn health_is_ok_and_carries_a_request_id() {
        let reply = send(&app(), get("/health")).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json(), serde_json::json!({"status": "healthy"}));
        assert!(
            reply
                .header("x-request-id")
                .is_some_and(|id| id.len() == 36)
        );
    }

    #[tokio::test]
    async fn foreign_origin_and_host_are_forbidden() {
        let evil_origin = Request::get("/health")
            .header("host", "localhost:9000")
            .header("origin", "http://localhost.evil.example")
            .body(Body::empty())
            .unwrap();
        let reply = send(&app(), evil_origin).await;
        assert_eq!(reply.status, 403);
        assert_eq!(reply.json()["error"]["code"], -32000);

        let rebinding = Request::get("/health")
            .header("host", "evil.example:9000")
            .body(Body::empty())
            .unwrap();
        assert_eq!(send(&app(), rebinding).await.status, 403);

        let loopback_origin = Request::get("/health")
            .header("host", "127.0.0.1:9000")
            .header("origin", "http://[::1]:6274")
            .body(Body::empty())
            .unwrap();
        assert_eq!(send(&app(), loopback_origin).await.status, 200);
    }

    #[tokio::test]
    async fn unknown_path_is_404() {
        assert_eq!(send(&app(), get("/nope")).await.status, 404);
    }
}
