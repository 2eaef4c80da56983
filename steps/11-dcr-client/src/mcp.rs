//! A small MCP client over Streamable HTTP, written by hand: JSON-RPC
//! requests in POST bodies, answers as JSON or as a Server-Sent Events stream.
//!
//! ```text
//! POST /mcp
//! Accept: application/json, text/event-stream
//! Authorization: Bearer …
//! Mcp-Session-Id: …            (if the server issued one at initialize)
//! MCP-Protocol-Version: 2025-11-25   (after initialize)
//!
//! {"jsonrpc":"2.0","id":1,"method":"tools/list"}
//! ```
//!
//! A `401` or `403` is not an error of the call but a question for the
//! OAuth layer; the caller gets the parsed challenge and decides.

use serde_json::{Value, json};

use crate::challenge::{self, Challenge};

pub const PROTOCOL_VERSION: &str = "2025-11-25";

#[derive(Debug)]
pub enum CallError {
    /// 401: authenticate (again).
    Unauthorized(Challenge),
    /// 403: authenticated, but not allowed (maybe insufficient_scope).
    Forbidden(Challenge),
    /// A JSON-RPC error answer.
    Rpc { code: i64, message: String },
    /// Anything else: HTTP status, transport, unreadable answer.
    Other(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Unauthorized(c) => write!(f, "401 Unauthorized {:?}", c.params),
            CallError::Forbidden(c) => write!(f, "403 Forbidden {:?}", c.params),
            CallError::Rpc { code, message } => write!(f, "JSON-RPC error {code}: {message}"),
            CallError::Other(text) => write!(f, "{text}"),
        }
    }
}

/// One MCP connection.
pub struct McpClient {
    http: reqwest::Client,
    pub url: String,
    pub token: Option<String>,
    session_id: Option<String>,
    protocol_version: Option<String>,
    next_id: i64,
}

fn challenge_of(response: &reqwest::Response) -> Challenge {
    response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(challenge::parse)
        .unwrap_or_default()
}

/// The JSON-RPC message answering `id` in an SSE body (`data:` lines).
fn from_event_stream(body: &str, id: i64) -> Option<Value> {
    let mut data = String::new();
    let mut events = Vec::new();
    for line in body.lines().chain(std::iter::once("")) {
        if let Some(rest) = line.strip_prefix("data:") {
            data.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        } else if line.is_empty() && !data.is_empty() {
            events.push(std::mem::take(&mut data));
        }
    }
    events
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(e).ok())
        .find(|m| m["id"] == json!(id))
}

impl McpClient {
    pub fn new(http: reqwest::Client, url: &str) -> McpClient {
        McpClient {
            http,
            url: url.to_string(),
            token: None,
            session_id: None,
            protocol_version: None,
            next_id: 0,
        }
    }

    async fn post(&self, body: &Value) -> Result<reqwest::Response, CallError> {
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .json(body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(session) = &self.session_id {
            request = request.header("mcp-session-id", session);
        }
        if let Some(version) = &self.protocol_version {
            request = request.header("mcp-protocol-version", version);
        }
        let response = request
            .send()
            .await
            .map_err(|e| CallError::Other(format!("POST {}: {e}", self.url)))?;
        match response.status().as_u16() {
            401 => Err(CallError::Unauthorized(challenge_of(&response))),
            403 => Err(CallError::Forbidden(challenge_of(&response))),
            _ => Ok(response),
        }
    }

    /// Send a request and return its `result`.
    pub async fn request(&mut self, method: &str, params: Value) -> Result<Value, CallError> {
        self.next_id += 1;
        let id = self.next_id;
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let response = self.post(&body).await?;
        let status = response.status();
        if let Some(session) = response
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
        {
            self.session_id = Some(session.to_string());
        }
        let is_sse = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let text = response
            .text()
            .await
            .map_err(|e| CallError::Other(format!("reading the answer: {e}")))?;
        let message = if is_sse {
            from_event_stream(&text, id)
        } else {
            serde_json::from_str::<Value>(&text).ok()
        };
        let Some(message) = message else {
            return Err(CallError::Other(format!(
                "HTTP {}: not a JSON-RPC answer: {:.200}",
                status.as_u16(),
                text
            )));
        };
        if let Some(error) = message.get("error") {
            return Err(CallError::Rpc {
                code: error["code"].as_i64().unwrap_or(0),
                message: error["message"].as_str().unwrap_or("").to_string(),
            });
        }
        message.get("result").cloned().ok_or_else(|| {
            CallError::Other(format!(
                "HTTP {}: an answer without result",
                status.as_u16()
            ))
        })
    }

    /// Send a notification (no answer expected; 202).
    pub async fn notify(&mut self, method: &str) -> Result<(), CallError> {
        self.post(&json!({"jsonrpc": "2.0", "method": method}))
            .await
            .map(|_| ())
    }

    /// `initialize`, then `notifications/initialized`.
    pub async fn initialize(&mut self) -> Result<Value, CallError> {
        self.session_id = None;
        self.protocol_version = None;
        let result = self
            .request(
                "initialize",
                json!({
                    "protocolVersion": PROTOCOL_VERSION,
                    "capabilities": {},
                    "clientInfo": {"name": "mcp-auth-step-by-step-step11", "version": env!("CARGO_PKG_VERSION")}
                }),
            )
            .await?;
        self.protocol_version = result["protocolVersion"].as_str().map(str::to_string);
        self.notify("notifications/initialized").await?;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_answer_in_an_event_stream() {
        let body = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"ok\":true}}\n\n";
        assert_eq!(from_event_stream(body, 3).unwrap()["result"]["ok"], true);
        assert!(from_event_stream(body, 4).is_none());
    }
}
