//! A small MCP client over Streamable HTTP, written by hand: JSON-RPC
//! requests in POST bodies, answers as JSON or as a Server-Sent Events stream.
//!
//! ```text
//! POST /mcp                                      POST /mcp
//! Accept: application/json, text/event-stream    Accept: application/json, text/event-stream
//! Authorization: Bearer …                        Authorization: Bearer …
//! Mcp-Session-Id: …  (if issued at initialize)   MCP-Protocol-Version: 2026-07-28
//! MCP-Protocol-Version: 2025-11-25               Mcp-Method: tools/list
//!
//! {"jsonrpc":"2.0","id":1,                       {"jsonrpc":"2.0","id":1,"method":"tools/list",
//!  "method":"tools/list"}                         "params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",…}}}
//!
//!         2025-11-25, after initialize                  2026-07-28 (see `era`)
//! ```
//!
//! A `401` or `403` is not an error of the call but a question for the
//! OAuth layer; the caller gets the parsed challenge and decides.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::{
    capped,
    challenge::{self, Challenge},
    dpop::DpopSession,
    era::{self, Protocol, Wire},
    secret::Secret,
};

#[derive(Debug)]
pub enum CallError {
    /// 401: authenticate (again).
    Unauthorized(Challenge),
    /// 403: authenticated, but not allowed (maybe insufficient_scope).
    Forbidden(Challenge),
    /// A JSON-RPC error answer (`data` is `null` when absent).
    Rpc {
        code: i64,
        message: String,
        data: Value,
    },
    /// Anything else: HTTP status, transport, unreadable answer.
    Other(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Unauthorized(c) => write!(f, "401 Unauthorized {:?}", c.params),
            CallError::Forbidden(c) => write!(f, "403 Forbidden {:?}", c.params),
            CallError::Rpc { code, message, .. } => {
                write!(f, "JSON-RPC error {code}: {message}")
            }
            CallError::Other(text) => write!(f, "{text}"),
        }
    }
}

/// One MCP connection.
pub struct McpClient {
    http: reqwest::Client,
    pub url: String,
    pub token: Option<Secret>,
    /// Beyond the blog: present the token under the DPoP scheme with a proof.
    pub dpop: Option<Arc<DpopSession>>,
    session_id: Option<String>,
    protocol: Protocol,
    /// The wire this connection speaks, decided by [`McpClient::connect`].
    pub wire: Wire,
    next_id: i64,
}

/// What [`McpClient::connect`] learned: the `initialize` or the
/// `server/discover` result.
#[derive(Debug)]
pub struct Connected {
    pub result: Value,
}

/// The Bearer challenge of an answer (a DPoP client reads the DPoP one, dpop.rs).
fn challenge_of(response: &reqwest::Response, dpop: bool) -> Challenge {
    let found = if dpop {
        crate::dpop::challenge(response.headers())
    } else {
        let values = response.headers().get_all("www-authenticate");
        values
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(challenge::parse)
    };
    found.unwrap_or_default()
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
    pub fn new(http: reqwest::Client, url: &str, protocol: Protocol) -> McpClient {
        McpClient {
            http,
            url: url.to_string(),
            token: None,
            dpop: None,
            session_id: None,
            protocol,
            wire: Wire::Unknown,
            next_id: 0,
        }
    }

    async fn post(
        &self,
        body: &Value,
        headers: &[(&'static str, String)],
    ) -> Result<reqwest::Response, CallError> {
        let mut retried = false;
        loop {
            let response = self.post_once(body, headers).await?;
            // Beyond the blog: a DPoP nonce to retry with, a DPoP-only server (dpop.rs).
            let (status, headers) = (response.status(), response.headers());
            match crate::dpop::after(
                self.dpop.as_deref(),
                &self.url,
                status,
                headers,
                &mut retried,
            ) {
                crate::dpop::Next::Retry => continue,
                crate::dpop::Next::Stop(why) => return Err(CallError::Other(why.into())),
                crate::dpop::Next::Go => {}
            }
            let challenge = challenge_of(&response, self.dpop.is_some());
            return match response.status().as_u16() {
                401 => Err(CallError::Unauthorized(challenge)),
                403 => Err(CallError::Forbidden(challenge)),
                _ => Ok(response),
            };
        }
    }

    async fn post_once(
        &self,
        body: &Value,
        headers: &[(&'static str, String)],
    ) -> Result<reqwest::Response, CallError> {
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .json(body);
        if let Some(token) = &self.token {
            // Bearer, as in the blog — or DPoP with a proof (dpop.rs).
            request = crate::dpop::present(request, &self.url, token, self.dpop.as_deref());
        }
        if let Some(session) = &self.session_id {
            request = request.header("mcp-session-id", session);
        }
        if let Wire::Legacy {
            version: Some(version),
        } = &self.wire
        {
            request = request.header("mcp-protocol-version", version);
        }
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request
            .send()
            .await
            .map_err(|e| CallError::Other(format!("POST {}: {e}", self.url)))
    }

    /// Send a request and return its `result`; on the 2026-07-28 wire with
    /// the envelope and the mirrored headers.
    pub async fn request(&mut self, method: &str, params: Value) -> Result<Value, CallError> {
        let modern = self.wire == Wire::Modern;
        self.send(method, params, modern).await
    }

    async fn send(
        &mut self,
        method: &str,
        params: Value,
        modern: bool,
    ) -> Result<Value, CallError> {
        self.next_id += 1;
        let id = self.next_id;
        let (params, headers) = if modern {
            let params = era::with_envelope(params);
            let headers = era::mirrored_headers(method, &params);
            (params, headers)
        } else {
            (params, Vec::new())
        };
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let response = self.post(&body, &headers).await?;
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
        let body = capped::read_capped(response, &self.url, capped::MAX_MCP_ANSWER_BYTES)
            .await
            .map_err(|e| CallError::Other(e.to_string()))?;
        let text = String::from_utf8_lossy(&body);
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
                data: error.get("data").cloned().unwrap_or(Value::Null),
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
        self.post(&json!({"jsonrpc": "2.0", "method": method}), &[])
            .await
            .map(|_| ())
    }

    /// Decide the wire (see [`crate::era`]) and open the conversation:
    /// `server/discover` on the 2026-07-28 wire, else `initialize`. A 401 or
    /// 403 is returned as such and decides nothing: after authorizing, the
    /// caller connects again and the probe is repeated with the token.
    pub async fn connect(&mut self) -> Result<Connected, CallError> {
        if self.wire == Wire::Modern {
            let result = self.send("server/discover", json!({}), true).await?;
            return Ok(Connected { result });
        }
        if self.protocol != Protocol::Legacy {
            let mut outcome = self.send("server/discover", json!({}), true).await;
            // A -32022 whose `supported` list names our version asks us to retry with it
            // (Basic › Versioning: "select a mutually supported version and retry"). Once.
            if let Err(CallError::Rpc { code, data, .. }) = &outcome
                && *code == era::UNSUPPORTED_PROTOCOL_VERSION
                && era::offers_modern(&data["supported"])
            {
                outcome = self.send("server/discover", json!({}), true).await;
            }
            match outcome {
                Ok(result) if era::offers_modern(&result["supportedVersions"]) => {
                    self.wire = Wire::Modern;
                    return Ok(Connected { result });
                }
                Err(refused @ (CallError::Unauthorized(_) | CallError::Forbidden(_))) => {
                    return Err(refused);
                }
                // Anything that is not a modern answer (200 -32601, a 400 without a modern
                // error, 404, 405, a -32022 that does not offer our version) means a 2025
                // server — or one we cannot speak to in 2026-07-28 anyway.
                outcome if self.protocol == Protocol::Modern => {
                    let why = match outcome {
                        Ok(result) => {
                            format!("server/discover offered {}", result["supportedVersions"])
                        }
                        Err(e) => e.to_string(),
                    };
                    return Err(CallError::Other(format!(
                        "the server does not speak MCP {} (--protocol 2026-07-28 allows no fallback): {why}",
                        era::MODERN_VERSION
                    )));
                }
                _ => {}
            }
        }
        self.initialize().await.map(|result| Connected { result })
    }

    /// `initialize`, then `notifications/initialized` (the 2025-11-25 handshake).
    async fn initialize(&mut self) -> Result<Value, CallError> {
        self.session_id = None;
        self.wire = Wire::Legacy { version: None };
        let result = self
            .send(
                "initialize",
                json!({
                    "protocolVersion": era::LEGACY_VERSION,
                    "capabilities": {},
                    "clientInfo": era::client_info()
                }),
                false,
            )
            .await?;
        self.wire = Wire::Legacy {
            version: result["protocolVersion"].as_str().map(str::to_string),
        };
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
