//! The MCP endpoint: `POST /mcp` under the Streamable HTTP transport rules.
//!
//! A request, and what this module checks before any method runs:
//!
//! ```text
//! POST /mcp HTTP/1.1
//! Content-Length: 40                      ← over 1 MiB: 413
//! Content-Type: application/json          ← anything else: 415
//! MCP-Protocol-Version: 2025-11-25        ← legacy: optional; unknown: 400/-32022 (see `era`)
//!
//! {"jsonrpc":"2.0","id":1,"method":"ping"}   ← not JSON: 400/-32700, not a request: 400/-32600
//!
//! HTTP/1.1 200 OK
//! Content-Type: application/json
//!
//! {"jsonrpc":"2.0","id":1,"result":{}}
//! ```
//!
//! Notifications and client responses are accepted with `202` and no body
//! (Streamable HTTP › Sending Messages to the Server, point 4). The Python
//! original answered them with the body `null`.
//!
//! This server is *stateless*: it issues no `Mcp-Session-Id` and never opens
//! an SSE stream, so `GET /mcp` (open a stream) and `DELETE /mcp` (end a
//! session) are answered `405 Method Not Allowed` with `Allow: POST`, which
//! the transport spec explicitly permits.

use std::{error::Error as _, sync::Arc};

use axum::{
    Json, Router,
    body::Body,
    extract::{Request, State},
    http::{Extensions, HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use http_body_util::LengthLimitError;

use crate::{
    era::{self, CacheScope, EraError},
    jsonrpc::{self, Call, Id, Message, Rejected, RpcError},
};

/// The largest request body we read. Generous for JSON-RPC, small enough that
/// a flood of big bodies cannot exhaust memory.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Something that answers a parsed request with an HTTP response.
///
/// `Extensions` are the request's extensions: what layers in front of the
/// endpoint learned (step 6 puts the caller's identity there).
pub type Dispatch = Arc<dyn Fn(Call, &Extensions) -> Response + Send + Sync>;

/// The `/mcp` route, answered by `dispatch`.
pub fn routes(dispatch: Dispatch) -> Router {
    Router::new()
        .route("/mcp", post(handle))
        .with_state(dispatch)
}

/// What can go wrong before a request reaches dispatch. One enum, one
/// `IntoResponse`: every variant becomes a status and a JSON-RPC error body.
#[derive(Debug)]
pub enum TransportError {
    UnsupportedMediaType,
    BodyTooLarge,
    BodyUnreadable,
    Rejected(Rejected),
    /// The request's era refused it (see [`crate::era`]).
    Era(EraError),
}

impl TransportError {
    /// The response, carrying `id` when the body was readable enough to have
    /// one (MCP Basic › Error Responses: "the same ID as the request").
    pub fn into_response_for(self, id: Option<&Id>) -> Response {
        let (status, error) = match self {
            TransportError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                RpcError::invalid_request("Content-Type must be application/json"),
            ),
            TransportError::BodyTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                RpcError::invalid_request("the body is larger than 1 MiB"),
            ),
            TransportError::BodyUnreadable => (StatusCode::BAD_REQUEST, RpcError::parse_error()),
            TransportError::Rejected(Rejected { error, .. }) => (StatusCode::BAD_REQUEST, error),
            TransportError::Era(refused) => refused.status_and_error(),
        };
        (status, Json(jsonrpc::failure(id, &error))).into_response()
    }
}

impl IntoResponse for TransportError {
    fn into_response(self) -> Response {
        let id = match &self {
            TransportError::Rejected(rejected) => rejected.id.clone(),
            _ => None,
        };
        self.into_response_for(id.as_ref())
    }
}

/// `POST /mcp`: read at most 1 MiB, parse, check the headers against what
/// the body says, dispatch. The body comes first so that every error after
/// it can name the request's id.
async fn handle(State(dispatch): State<Dispatch>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match read_body(body).await {
        Ok(bytes) => bytes,
        Err(refused) => return refused.into_response(),
    };
    let message = jsonrpc::parse(&bytes);
    if !is_json(&parts.headers) {
        let id = match &message {
            Ok(Message::Request(call)) => Some(&call.id),
            _ => None,
        };
        return TransportError::UnsupportedMediaType.into_response_for(id);
    }
    match message {
        Ok(Message::Request(mut call)) => {
            let scope = parts
                .extensions
                .get::<CacheScope>()
                .copied()
                .unwrap_or_default();
            match era::admit(&call, &parts.headers, scope) {
                Ok(era) => call.era = era,
                Err(refused) => {
                    tracing::debug!(method = %call.method.escape_debug(), ?refused, "request refused");
                    return TransportError::Era(refused).into_response_for(Some(&call.id));
                }
            }
            tracing::debug!(method = %call.method.escape_debug(), era = ?call.era, "request");
            dispatch(call, &parts.extensions)
        }
        Ok(Message::Notification { method, .. }) => {
            tracing::debug!(method = %method.escape_debug(), "notification accepted");
            StatusCode::ACCEPTED.into_response()
        }
        Ok(Message::Response { .. }) => StatusCode::ACCEPTED.into_response(),
        Err(rejected) => {
            tracing::debug!(code = rejected.error.code, "message rejected");
            TransportError::Rejected(rejected).into_response()
        }
    }
}

/// `Content-Type` must be JSON (parameters such as `charset` are allowed).
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// Read the body, refusing to buffer more than [`MAX_BODY_BYTES`].
pub async fn read_body(body: Body) -> Result<axum::body::Bytes, TransportError> {
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|err| {
            // The limit error is wrapped; walk the chain to tell "too big"
            // from "connection broke".
            let mut source: Option<&(dyn std::error::Error + 'static)> = err.source();
            while let Some(cause) = source {
                if cause.is::<LengthLimitError>() {
                    return TransportError::BodyTooLarge;
                }
                source = cause.source();
            }
            TransportError::BodyUnreadable
        })
}
