//! A request id on every request and every log line about it.
//!
//! ```text
//! request → set x-request-id → trace span (method, path, id) → the step's layers → route
//! response ← x-request-id echoed
//! ```
//!
//! A client-visible error ("invalid_token") can then be matched to the
//! detailed reason in the log. The span records the method and the *path*
//! only: a query string may carry a token, and headers carry credentials.

use axum::Router;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

/// Wrap `router` (routes and the step's own layers) in the request id and
/// the request log line. Call it last.
///
/// One `ServiceBuilder`, one `.layer()` call: axum wraps every route once per
/// call, and copies each wrapping for every request (see [`crate::shared`]).
pub fn layers(router: Router) -> Router {
    router.layer(
        tower::ServiceBuilder::new()
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|request: &axum::extract::Request| {
                        let request_id = request
                            .headers()
                            .get("x-request-id")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-");
                        tracing::info_span!(
                            "request",
                            method = %request.method(),
                            path = %request.uri().path(),
                            request_id = %request_id,
                        )
                    })
                    .on_response(DefaultOnResponse::new().level(Level::INFO)),
            )
            .layer(PropagateRequestIdLayer::x_request_id()),
    )
}
