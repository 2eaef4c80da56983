//! The JSON-RPC 2.0 wire format: what a message looks like, how to read one,
//! and how to write an answer.
//!
//! A **request** has an `id` and expects a response carrying the same `id`:
//!
//! ```text
//! {"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": {}}
//! {"jsonrpc": "2.0", "id": 7, "result": {"tools": [...]}}
//! ```
//!
//! A **notification** has no `id` and gets no response:
//!
//! ```text
//! {"jsonrpc": "2.0", "method": "notifications/initialized"}
//! ```
//!
//! An **error** replaces `result` with `error: {code, message}`. The codes
//! used here are JSON-RPC's own (§5.1):
//!
//! ```text
//! -32700 Parse error       the text is not JSON            (id is null: we could not read it)
//! -32600 Invalid Request   JSON, but not a request object
//! -32601 Method not found  a request for a method we do not serve
//! -32602 Invalid params    the method exists, its params are wrong
//! ```
//!
//! MCP narrows JSON-RPC in two ways that the parser enforces: an `id` is a
//! string or an integer and **must not be `null`** (MCP Basic › Requests),
//! and one HTTP POST carries one message (batching was removed in
//! 2025-06-18).
//!
//! Parsing ([`parse`]) is kept apart from answering ([`reply`]): the parser
//! is a pure function over bytes, which is what lets a property test throw
//! arbitrary input at it.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::{Map, Number, Value, json};

use crate::era::{self, Era};

/// Invalid JSON was received (JSON-RPC 2.0 §5.1).
pub const PARSE_ERROR: i64 = -32700;
/// The JSON sent is not a valid Request object.
pub const INVALID_REQUEST: i64 = -32600;
/// The method does not exist or is not available.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// Invalid method parameters.
pub const INVALID_PARAMS: i64 = -32602;

/// A request id: a string or an integer, echoed back verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Id {
    Number(Number),
    String(String),
}

/// A request: a method call that expects an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub id: Id,
    pub method: String,
    /// `params`, when present: an object or an array (JSON-RPC §4.2).
    pub params: Option<Value>,
    /// Which MCP era the request belongs to. The parser cannot know (it sees
    /// bytes, not headers) and says [`Era::Legacy`]; the endpoint decides
    /// with [`crate::era::admit`] before dispatch, and [`reply`] uses it.
    pub era: Era,
}

impl Call {
    /// The params as an object; absent params read as an empty object.
    /// Array params are a client error for every MCP method.
    pub fn params_object(&self) -> Result<Map<String, Value>, RpcError> {
        match &self.params {
            None => Ok(Map::new()),
            Some(Value::Object(map)) => Ok(map.clone()),
            Some(_) => Err(RpcError::invalid_params("params must be an object")),
        }
    }
}

/// One parsed message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// Has an `id` and a `method`: answer it.
    Request(Call),
    /// Has a `method` but no `id`: act on it, answer nothing.
    Notification {
        method: String,
        params: Option<Value>,
    },
    /// Has an `id` and a `result` or `error`: a client answering one of
    /// *our* requests. This server never sends requests, so it is ignored.
    Response { id: Id },
}

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Box<Value>>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }

    pub fn parse_error() -> Self {
        RpcError::new(PARSE_ERROR, "Parse error: the body is not valid JSON")
    }

    pub fn invalid_request(why: &str) -> Self {
        RpcError::new(INVALID_REQUEST, format!("Invalid Request: {why}"))
    }

    pub fn method_not_found(method: &str) -> Self {
        RpcError::new(METHOD_NOT_FOUND, format!("Method not found: {method}"))
    }

    pub fn invalid_params(why: impl std::fmt::Display) -> Self {
        RpcError::new(INVALID_PARAMS, format!("Invalid params: {why}"))
    }
}

/// A message the parser could not accept, with the id it could recover (if
/// any), so the error response can still be matched to the request.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub id: Option<Id>,
    pub error: RpcError,
}

impl Rejected {
    fn new(id: Option<Id>, why: &str) -> Self {
        Rejected {
            id,
            error: RpcError::invalid_request(why),
        }
    }
}

/// Read one JSON-RPC message from a request body.
///
/// Never panics, whatever the bytes (see `tests/parse_never_panics.rs`).
pub fn parse(body: &[u8]) -> Result<Message, Rejected> {
    let value: Value = serde_json::from_slice(body).map_err(|_| Rejected {
        id: None,
        error: RpcError::parse_error(),
    })?;
    match value {
        Value::Object(object) => Members::of(object).into_message(),
        Value::Array(_) => Err(Rejected::new(
            None,
            "batches are not supported; send one JSON-RPC message per POST",
        )),
        _ => Err(Rejected::new(None, "a message must be a JSON object")),
    }
}

/// The members that say what a message is; any others are ignored.
/// (Step 12 fills one without reading the whole body into a [`Value`].)
#[derive(Debug, Default)]
pub struct Members {
    pub id: Option<Value>,
    pub jsonrpc: Option<Value>,
    pub method: Option<Value>,
    pub params: Option<Value>,
    /// How many of `result` and `error` it has: a response has exactly one.
    pub outcomes: usize,
}

impl Members {
    /// Moved out of the object in one pass: nothing copied, no name hashed twice.
    pub fn of(object: Map<String, Value>) -> Members {
        let mut members = Members::default();
        for (name, value) in object {
            match name.as_str() {
                "id" => members.id = Some(value),
                "jsonrpc" => members.jsonrpc = Some(value),
                "method" => members.method = Some(value),
                "params" => members.params = Some(value),
                "result" | "error" => members.outcomes += 1,
                _ => {}
            }
        }
        members
    }

    /// A request, a notification, a response — or why it is none of them.
    pub fn into_message(self) -> Result<Message, Rejected> {
        let Members {
            id,
            jsonrpc,
            method,
            params,
            outcomes,
        } = self;
        let id = match id {
            None => None,
            Some(Value::String(s)) => Some(Id::String(s)),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(Id::Number(n)),
            Some(_) => {
                return Err(Rejected::new(
                    None,
                    "id must be a string or an integer (MCP forbids null ids)",
                ));
            }
        };

        if jsonrpc.as_ref().and_then(Value::as_str) != Some("2.0") {
            return Err(Rejected::new(id, r#"jsonrpc must be exactly "2.0""#));
        }

        let method = match method {
            Some(Value::String(method)) => method,
            Some(_) => return Err(Rejected::new(id, "method must be a string")),
            None => {
                // No method: acceptable only as a response to a server request.
                let is_response = outcomes == 1;
                return match id {
                    Some(id) if is_response => Ok(Message::Response { id }),
                    _ => Err(Rejected::new(id, "method is missing")),
                };
            }
        };

        let params = match params {
            None | Some(Value::Null) => None,
            Some(p @ (Value::Object(_) | Value::Array(_))) => Some(p),
            Some(_) => return Err(Rejected::new(id, "params must be an object or an array")),
        };

        Ok(match id {
            Some(id) => Message::Request(Call {
                id,
                method,
                params,
                era: Era::Legacy,
            }),
            None => Message::Notification { method, params },
        })
    }
}

/// The JSON text of a success response.
pub fn success(id: &Id, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// The JSON text of an error response (`id` is `null` when unknown).
pub fn failure(id: Option<&Id>, error: &RpcError) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": error})
}

/// The HTTP answer to a request that was read and understood: `200` with the
/// JSON-RPC response. An error *inside* a well-formed exchange (bad params,
/// an unknown tool) is still an HTTP success: the transport worked.
///
/// The one place the era shows in an answer (see [`crate::era`]): on the
/// 2026-07-28 wire an unknown method is HTTP 404, and every result gets
/// `resultType` (and, for lists, the caching hints).
pub fn reply(call: &Call, outcome: Result<Value, RpcError>) -> Response {
    let (status, body) = match (outcome, call.era) {
        (Ok(result), Era::Legacy) => (StatusCode::OK, success(&call.id, result)),
        (Ok(result), Era::Modern { cache_scope, .. }) => (
            StatusCode::OK,
            success(
                &call.id,
                era::shape_result(&call.method, cache_scope, result),
            ),
        ),
        (Err(error), era) if error.code == METHOD_NOT_FOUND => (
            era.method_not_found_status(),
            failure(Some(&call.id), &error),
        ),
        (Err(error), _) => (StatusCode::OK, failure(Some(&call.id), &error)),
    };
    (status, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected_code(body: &str) -> i64 {
        parse(body.as_bytes()).unwrap_err().error.code
    }

    #[test]
    fn reads_requests_notifications_and_responses() {
        let call = parse(br#"{"jsonrpc":"2.0","id":"a","method":"ping"}"#).unwrap();
        assert_eq!(
            call,
            Message::Request(Call {
                id: Id::String("a".into()),
                method: "ping".into(),
                params: None,
                era: Era::Legacy,
            })
        );
        let note = parse(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap();
        assert!(matches!(note, Message::Notification { .. }));
        let response = parse(br#"{"jsonrpc":"2.0","id":3,"result":{}}"#).unwrap();
        assert!(matches!(response, Message::Response { .. }));
        // Large unsigned ids survive unchanged.
        let big = parse(br#"{"jsonrpc":"2.0","id":18446744073709551615,"method":"x"}"#).unwrap();
        let Message::Request(call) = big else {
            panic!()
        };
        assert_eq!(
            serde_json::to_string(&call.id).unwrap(),
            "18446744073709551615"
        );
    }

    #[test]
    fn not_json_is_a_parse_error_with_null_id() {
        let rejected = parse(b"{oops").unwrap_err();
        assert_eq!(rejected.error.code, PARSE_ERROR);
        assert_eq!(rejected.id, None);
        assert_eq!(rejected_code(""), PARSE_ERROR);
        assert_eq!(rejected_code("\u{feff}{}"), PARSE_ERROR);
    }

    #[test]
    fn invalid_requests() {
        for body in [
            r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
            r#"[]"#,
            r#""ping""#,
            r#"42"#,
            r#"null"#,
            r#"{"id":1,"method":"ping"}"#,
            r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
            r#"{"jsonrpc":2.0,"id":1,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":7}"#,
            r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":"x"}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":{},"error":{}}"#,
            r#"{"jsonrpc":"2.0"}"#,
        ] {
            assert_eq!(rejected_code(body), INVALID_REQUEST, "{body}");
        }
    }

    #[test]
    fn a_readable_id_is_kept_in_the_rejection() {
        let rejected = parse(br#"{"jsonrpc":"1.0","id":9,"method":"ping"}"#).unwrap_err();
        assert_eq!(rejected.id, Some(Id::Number(9.into())));
    }

    #[test]
    fn error_responses_have_the_wire_shape() {
        let text = failure(None, &RpcError::parse_error()).to_string();
        assert_eq!(
            text,
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: the body is not valid JSON"}}"#
        );
    }
}
