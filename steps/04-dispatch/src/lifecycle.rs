//! How a client learns what this server is: `initialize` (the legacy
//! handshake) and `server/discover` (its 2026-07-28 replacement).
//!
//! ## `initialize` — agree on a protocol version and exchange capabilities
//!
//! ```text
//! → {"jsonrpc":"2.0","id":0,"method":"initialize","params":{
//!      "protocolVersion":"2025-06-18","capabilities":{},
//!      "clientInfo":{"name":"curl","version":"1"}}}
//! ← {"jsonrpc":"2.0","id":0,"result":{
//!      "protocolVersion":"2025-06-18",
//!      "capabilities":{"tools":{"listChanged":false},"prompts":{"listChanged":false}},
//!      "serverInfo":{"name":"mcp-auth-step-by-step","version":"0.1.0"},
//!      "instructions":"..."}}
//! ```
//!
//! Version negotiation (2025-11-25 Basic › Lifecycle › Version
//! Negotiation): if we support the version the client asked for, we answer
//! with that same version; otherwise we answer with the latest we support,
//! and the client decides whether it can live with it. Only legacy versions
//! are negotiated here: a 2026-07-28 client never sends `initialize`.
//!
//! ## `server/discover` — the same facts, with no handshake (2026-07-28)
//!
//! ```text
//! → {"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{
//!      "io.modelcontextprotocol/protocolVersion":"2026-07-28",
//!      "io.modelcontextprotocol/clientCapabilities":{}}}}
//! ← {"jsonrpc":"2.0","id":1,"result":{
//!      "supportedVersions":["2026-07-28"],
//!      "capabilities":{"tools":{"listChanged":false},"prompts":{"listChanged":false}},
//!      "instructions":"...",
//!      "resultType":"complete",
//!      "_meta":{"io.modelcontextprotocol/serverInfo":{"name":"mcp-auth-step-by-step","version":"0.1.0"}},
//!      "ttlMs":60000,"cacheScope":"public"}}
//! ```
//!
//! Nothing is remembered between the two: every later request names its
//! version again (Server › Discovery). `supportedVersions` lists the modern
//! versions only, as the official SDKs' servers do — legacy versions are
//! what `initialize` is for. The `resultType`, `_meta` and cache fields are
//! added by `step2::era::shape_result`, like for every 2026-07-28 result.

use serde_json::{Map, Value, json};
use step2::{
    era::{LEGACY_VERSIONS, MODERN_VERSIONS, server_info},
    jsonrpc::RpcError,
};

/// The version we answer with when the client's is unknown to us.
pub const LATEST_PROTOCOL_VERSION: &str = LEGACY_VERSIONS[0];

/// What this server can do, in both eras' vocabulary.
fn capabilities() -> Value {
    json!({
        "tools": {"listChanged": false},
        "prompts": {"listChanged": false}
    })
}

const INSTRUCTIONS: &str =
    "Call the echo tool to hear your message back; use echo_prompt for a prompt template.";

/// Choose the protocol version for a client that asked for `requested`.
pub fn negotiate(requested: &str) -> &'static str {
    LEGACY_VERSIONS
        .iter()
        .find(|v| **v == requested)
        .copied()
        .unwrap_or(LATEST_PROTOCOL_VERSION)
}

/// The `initialize` result for these params.
///
/// `protocolVersion` is required and must be a string; `capabilities` and
/// `clientInfo` are required by the schema but we do not use them, so we do
/// not refuse a client that leaves them out.
pub fn initialize(params: &Map<String, Value>) -> Result<Value, RpcError> {
    let requested = match params.get("protocolVersion") {
        Some(Value::String(version)) => version.as_str(),
        _ => {
            return Err(RpcError::invalid_params(
                "protocolVersion (a string) is required",
            ));
        }
    };
    Ok(json!({
        "protocolVersion": negotiate(requested),
        "capabilities": capabilities(),
        "serverInfo": server_info(),
        "instructions": INSTRUCTIONS
    }))
}

/// The `server/discover` result. Its params carry only the `_meta` envelope,
/// which the endpoint has already checked.
pub fn discover(_params: &Map<String, Value>) -> Result<Value, RpcError> {
    Ok(json!({
        "supportedVersions": MODERN_VERSIONS,
        "capabilities": capabilities(),
        "instructions": INSTRUCTIONS
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supported_versions_are_echoed_others_get_the_latest() {
        for version in LEGACY_VERSIONS {
            assert_eq!(negotiate(version), version);
        }
        assert_eq!(negotiate("2099-01-01"), "2025-11-25");
        assert_eq!(negotiate(""), "2025-11-25");
        // A modern version is not negotiated by initialize.
        assert_eq!(negotiate("2026-07-28"), "2025-11-25");
    }

    #[test]
    fn discover_lists_the_modern_versions_and_the_same_capabilities() {
        let found = discover(&Map::new()).unwrap();
        assert_eq!(found["supportedVersions"], json!(["2026-07-28"]));
        let mut params = Map::new();
        params.insert("protocolVersion".into(), json!("2025-11-25"));
        assert_eq!(
            found["capabilities"],
            initialize(&params).unwrap()["capabilities"]
        );
    }

    #[test]
    fn protocol_version_is_required() {
        assert_eq!(initialize(&Map::new()).unwrap_err().code, -32602);
        let mut params = Map::new();
        params.insert("protocolVersion".into(), json!(20250618));
        assert_eq!(initialize(&params).unwrap_err().code, -32602);
    }
}
