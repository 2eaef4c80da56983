//! `initialize`: agree on a protocol version and exchange capabilities.
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
//! Version negotiation (Basic › Lifecycle › Version Negotiation): if we
//! support the version the client asked for, we answer with that same
//! version; otherwise we answer with the latest we support, and the client
//! decides whether it can live with it.

use serde_json::{Map, Value, json};
use step2::{jsonrpc::RpcError, mcp::SUPPORTED_PROTOCOL_VERSIONS};

/// The version we answer with when the client's is unknown to us.
pub const LATEST_PROTOCOL_VERSION: &str = SUPPORTED_PROTOCOL_VERSIONS[0];

/// Choose the protocol version for a client that asked for `requested`.
pub fn negotiate(requested: &str) -> &'static str {
    SUPPORTED_PROTOCOL_VERSIONS
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
        "capabilities": {
            "tools": {"listChanged": false},
            "prompts": {"listChanged": false}
        },
        "serverInfo": {
            "name": "mcp-auth-step-by-step",
            "title": "MCP Authorization, Step by Step",
            "version": env!("CARGO_PKG_VERSION")
        },
        "instructions": "Call the echo tool to hear your message back; use echo_prompt for a prompt template."
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supported_versions_are_echoed_others_get_the_latest() {
        for version in SUPPORTED_PROTOCOL_VERSIONS {
            assert_eq!(negotiate(version), version);
        }
        assert_eq!(negotiate("2099-01-01"), "2025-11-25");
        assert_eq!(negotiate(""), "2025-11-25");
    }

    #[test]
    fn protocol_version_is_required() {
        assert_eq!(initialize(&Map::new()).unwrap_err().code, -32602);
        let mut params = Map::new();
        params.insert("protocolVersion".into(), json!(20250618));
        assert_eq!(initialize(&params).unwrap_err().code, -32602);
    }
}
