//! The MCP endpoint: `POST /mcp` under the Streamable HTTP transport rules.
//!
//! A request, and what this module checks before any method runs:
//!
//! ```text
//! POST /mcp HTTP/1.1
//! Content-Type: application/json          ← anything else: 415
//! MCP-Protocol-Version: 2025-11-25        ← optional; an unknown version: 400
//! Content-Length: 40                      ← over 1 MiB: 413
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

use crate::jsonrpc::{self, Call, Message, Rejected, RpcError};

/// The largest request body we read. Generous for JSON-RPC, small enough that
/// a flood of big bodies cannot exhaust memory.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Protocol versions this server speaks, newest first. Step 4 negotiates
/// among them in `initialize`; here they validate the
/// `MCP-Protocol-Version` header that clients send after initialization.
pub const SUPPORTED_PROTOCOL_VERSIONS: [&str; 4] =
    ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

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
    UnsupportedProtocolVersion,
    BodyTooLarge,
    BodyUnreadable,
    Rejected(Rejected),
}

impl IntoResponse for TransportError {
    fn into_response(self) -> Response {
        let (status, id, error) = match self {
            TransportError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                RpcError::invalid_request("Content-Type must be application/json"),
            ),
            TransportError::UnsupportedProtocolVersion => (
                StatusCode::BAD_REQUEST,
                None,
                RpcError::invalid_request(&format!(
                    "unsupported MCP-Protocol-Version; supported: {}",
                    SUPPORTED_PROTOCOL_VERSIONS.join(", ")
                )),
            ),
            TransportError::BodyTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
                RpcError::invalid_request("the body is larger than 1 MiB"),
            ),
            TransportError::BodyUnreadable => {
                (StatusCode::BAD_REQUEST, None, RpcError::parse_error())
            }
            TransportError::Rejected(Rejected { id, error }) => {
                (StatusCode::BAD_REQUEST, id, error)
            }
        };
        (status, Json(jsonrpc::failure(id.as_ref(), &error))).into_response()
    }
}

/// `POST /mcp`: check the headers, read at most 1 MiB, parse, dispatch.
async fn handle(State(dispatch): State<Dispatch>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if let Err(refused) = check_headers(&parts.headers) {
        return refused.into_response();
    }
    let bytes = match read_body(body).await {
        Ok(bytes) => bytes,
        Err(refused) => return refused.into_response(),
    };
    match jsonrpc::parse(&bytes) {
        Ok(Message::Request(call)) => {
            tracing::debug!(method = %call.method.escape_debug(), "request");
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

/// `Content-Type` must be JSON; `MCP-Protocol-Version`, when sent, must be
/// one we speak (Streamable HTTP › Protocol Version Header: "the server MUST
/// respond with 400 Bad Request").
pub fn check_headers(headers: &HeaderMap) -> Result<(), TransportError> {
    if let Some(version) = headers.get("mcp-protocol-version") {
        let known = version
            .to_str()
            .is_ok_and(|v| SUPPORTED_PROTOCOL_VERSIONS.contains(&v.trim()));
        if !known {
            return Err(TransportError::UnsupportedProtocolVersion);
        }
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    if is_json {
        Ok(())
    } else {
        Err(TransportError::UnsupportedMediaType)
    }
}

/// Read the body, refusing to buffer more than [`MAX_BODY_BYTES`].
async fn read_body(body: Body) -> Result<axum::body::Bytes, TransportError> {
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
