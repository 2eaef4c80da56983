//! Which MCP wire to speak: the 2025-11-25 handshake or the stateless
//! 2026-07-28 wire — the client's half of step 2's `era` module.
//!
//! A dual-era client asks first (MCP 2026-07-28 Basic › Versioning ›
//! Backward Compatibility; Transports › Streamable HTTP › Backward
//! Compatibility):
//!
//! ```text
//! POST /mcp  server/discover, with the _meta envelope and the 2026 headers
//!   200, supportedVersions has 2026-07-28      → modern: every request carries the envelope
//!   400 -32022 naming a modern version we speak → retry once with it
//!   401 / 403                                  → not an answer about eras: authorize, then ask again
//!   anything else (200 -32601, 400 without a modern error, 404, 405) → legacy: initialize
//! ```
//!
//! `--protocol legacy` skips the probe; `--protocol 2026-07-28` insists on
//! the modern wire and fails instead of falling back.

use base64::Engine as _;
use serde_json::{Map, Value, json};

/// The modern version this client speaks.
pub const MODERN_VERSION: &str = "2026-07-28";
/// The legacy version it asks for in `initialize`.
pub const LEGACY_VERSION: &str = "2025-11-25";

/// `-32022`: the server does not speak the version we named; its
/// `data.supported` lists what it does.
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// What the user asked for with `--protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// Probe `server/discover`; fall back to the 2025 handshake.
    Auto,
    /// Only the 2025-11-25 `initialize` handshake.
    Legacy,
    /// Only the 2026-07-28 stateless wire; no fallback.
    #[value(name = "2026-07-28")]
    Modern,
}

/// The wire a connection speaks, once known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wire {
    /// Not decided yet.
    Unknown,
    /// After `initialize`: the negotiated version goes in `MCP-Protocol-Version`.
    Legacy { version: Option<String> },
    /// 2026-07-28: the envelope and the mirrored headers on every request.
    Modern,
}

/// Who we are, as `initialize` (2025) and the envelope (2026) both say it.
pub fn client_info() -> Value {
    json!({"name": "mcp-auth-step-by-step-step11", "version": env!("CARGO_PKG_VERSION")})
}

/// The per-request `_meta` envelope (Basic › `_meta` › Per-request
/// protocol fields), merged into `params`.
pub fn with_envelope(params: Value) -> Value {
    let mut params = match params {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let meta = params.entry("_meta").or_insert_with(|| json!({}));
    if !meta.is_object() {
        *meta = json!({});
    }
    if let Value::Object(meta) = meta {
        meta.insert(
            "io.modelcontextprotocol/protocolVersion".into(),
            json!(MODERN_VERSION),
        );
        meta.insert(
            "io.modelcontextprotocol/clientCapabilities".into(),
            json!({}),
        );
        meta.insert("io.modelcontextprotocol/clientInfo".into(), client_info());
    }
    Value::Object(params)
}

/// The headers a 2026-07-28 request mirrors from its body (Transports ›
/// Streamable HTTP › Standard Request Headers).
pub fn mirrored_headers(method: &str, params: &Value) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("mcp-protocol-version", MODERN_VERSION.to_string()),
        ("mcp-method", method.to_string()),
    ];
    let source = match method {
        "tools/call" | "prompts/get" => params.get("name"),
        "resources/read" => params.get("uri"),
        _ => None,
    };
    if let Some(name) = source.and_then(Value::as_str) {
        headers.push(("mcp-name", encode_header_value(name)));
    }
    headers
}

/// Value Encoding: a value that is not plain visible ASCII, or has
/// whitespace at either end, or looks like the sentinel itself, travels as
/// `=?base64?…?=`.
pub fn encode_header_value(value: &str) -> String {
    let printable = value.bytes().all(|b| (0x20..=0x7e).contains(&b));
    let padded = value.starts_with(' ') || value.ends_with(' ');
    let looks_encoded = value.starts_with("=?base64?") && value.ends_with("?=");
    if printable && !padded && !looks_encoded {
        value.to_string()
    } else {
        format!(
            "=?base64?{}?=",
            base64::engine::general_purpose::STANDARD.encode(value)
        )
    }
}

/// Does a list of versions (`supportedVersions` of `server/discover`)
/// offer the modern version we speak?
pub fn offers_modern(versions: &Value) -> bool {
    versions
        .as_array()
        .is_some_and(|versions| versions.iter().any(|v| v == MODERN_VERSION))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_is_merged_into_params() {
        let params = with_envelope(json!({"name": "echo", "_meta": {"progressToken": 1}}));
        assert_eq!(params["name"], "echo");
        assert_eq!(params["_meta"]["progressToken"], 1);
        assert_eq!(
            params["_meta"]["io.modelcontextprotocol/protocolVersion"],
            MODERN_VERSION
        );
        assert!(params["_meta"]["io.modelcontextprotocol/clientCapabilities"].is_object());
        assert!(with_envelope(Value::Null)["_meta"].is_object());
    }

    #[test]
    fn names_are_mirrored_and_encoded_when_they_must_be() {
        let headers = mirrored_headers("tools/call", &json!({"name": "echo"}));
        assert_eq!(headers[1], ("mcp-method", "tools/call".to_string()));
        assert_eq!(headers[2], ("mcp-name", "echo".to_string()));
        assert_eq!(mirrored_headers("tools/list", &json!({})).len(), 2);
        assert_eq!(encode_header_value("écho"), "=?base64?w6ljaG8=?=");
        assert_eq!(encode_header_value(" padded "), "=?base64?IHBhZGRlZCA=?=");
        assert_eq!(
            encode_header_value("line1\nline2"),
            "=?base64?bGluZTEKbGluZTI=?="
        );
        assert_eq!(
            encode_header_value("=?base64?literal?="),
            "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="
        );
    }
}
