//! The two eras of MCP over HTTP, and how one endpoint serves both.
//!
//! MCP changed shape in revision 2026-07-28. The spec calls the two shapes
//! *legacy* and *modern* (Basic › Versioning › Terminology), and a server
//! that speaks both is *dual-era* — every server step here is one:
//!
//! | | legacy: 2024-11-05 … 2025-11-25 | modern: 2026-07-28 |
//! |---|---|---|
//! | how a client starts | `initialize`, then `notifications/initialized` | nothing: any request, or `server/discover` |
//! | where the version lives | negotiated once; then the `MCP-Protocol-Version` header | on **every** request: `params._meta["io.modelcontextprotocol/protocolVersion"]` and the header, which must agree |
//! | headers the server checks | `MCP-Protocol-Version` (optional) | `MCP-Protocol-Version`, `Mcp-Method`, and `Mcp-Name` for `tools/call` / `prompts/get` — all must match the body |
//! | an unknown method | HTTP 200, error `-32601` | HTTP **404**, error `-32601` (`initialize` and `ping` included) |
//! | every result | as is | carries `resultType: "complete"`; lists and discover add `ttlMs` and `cacheScope` |
//!
//! A request's era is decided from its **body** (Basic › Versioning ›
//! Backward Compatibility: "a request carrying modern per-request `_meta` is
//! served statelessly"); the header is a cross-check. So the endpoint parses
//! the body first and validates headers after — which is also why every
//! error here can carry the request's `id`.
//!
//! The order of the checks, and the answer each gives (HTTP 400 unless said):
//!
//! ```text
//! 1. the body names a version in _meta   → the header must say the same  else -32020 HeaderMismatch
//!    …and it must be one we speak          else -32022 UnsupportedProtocolVersion {supported, requested}
//!    no version in _meta, header says 2026 → modern, and step 2 fails: -32602
//!    no version in _meta, header says 2025 (or nothing) → legacy; an unknown header version → -32022
//! 2. modern: _meta holds protocolVersion and clientCapabilities        else -32602 Invalid params
//! 3. Mcp-Method equals the method; Mcp-Name equals params.name       else -32020 HeaderMismatch
//!    (modern: both required; legacy: checked whenever a client sends them)
//! 4. modern: a method this era does not have (initialize, ping, …)    → 404 -32601
//! ```
//!
//! This is the same precedence the official TypeScript SDK's server uses
//! (its "inbound validation ladder") and what the conformance suite's
//! `server-stateless` and `http-header-validation` scenarios check.
//!
//! Everything era-specific lives in this module: the endpoint calls
//! [`admit`] once, stores the [`Era`] in the [`Call`], and
//! [`crate::jsonrpc::reply`] shapes the answer for it. The dispatch functions
//! of steps 3–10 never look at the era.

use axum::http::{HeaderMap, HeaderName, StatusCode};
use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::jsonrpc::{Call, RpcError};

/// Legacy versions, negotiated by `initialize` (newest first). Step 4
/// negotiates among them; the endpoint accepts them in the
/// `MCP-Protocol-Version` header.
pub const LEGACY_VERSIONS: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// Modern versions, named on every request. `server/discover` lists these.
pub const MODERN_VERSIONS: [&str; 1] = ["2026-07-28"];

/// `_meta` keys of the per-request envelope (Basic › `_meta` › Per-request
/// protocol fields).
pub const PROTOCOL_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
pub const CLIENT_CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
pub const CLIENT_INFO_KEY: &str = "io.modelcontextprotocol/clientInfo";
/// The `_meta` key of a result that names the server.
pub const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";

/// The headers disagree with the body, or a required one is missing.
pub const HEADER_MISMATCH: i64 = -32020;
/// The request names a protocol version this server does not speak.
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// Methods that exist only in the legacy era (2026-07-28 removed them, and
/// the modern wire answers them like any unknown method: 404).
pub const LEGACY_ONLY_METHODS: [&str; 5] = [
    "initialize",
    "ping",
    "logging/setLevel",
    "resources/subscribe",
    "resources/unsubscribe",
];
/// Methods that exist only in the modern era.
pub const MODERN_ONLY_METHODS: [&str; 1] = ["server/discover"];

/// Results a client may cache (Server › Utilities › Caching), and for how
/// long we say they stay fresh. Our lists change only with a new build.
pub const CACHEABLE_METHODS: [&str; 3] = ["server/discover", "tools/list", "prompts/list"];
pub const CACHE_TTL_MS: u64 = 60_000;

impl Era {
    /// Transports › Protocol Version Header (2026-07-28): "If the server does
    /// not implement the requested RPC method, it MUST respond with 404".
    /// Legacy clients read a JSON-RPC error on HTTP 200, as they always have.
    pub fn method_not_found_status(self) -> StatusCode {
        match self {
            Era::Legacy => StatusCode::OK,
            Era::Modern { .. } => StatusCode::NOT_FOUND,
        }
    }
}

/// Who may share a cached result. Steps 2–5 answer everyone alike
/// (`public`); from step 6 on, answers depend on the caller's token, and the
/// auth layer marks each request `Private` in its extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheScope {
    #[default]
    Public,
    Private,
}

impl CacheScope {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheScope::Public => "public",
            CacheScope::Private => "private",
        }
    }
}

/// The era a request arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Era {
    /// 2025-11-25 and earlier: served exactly as before 2026-07-28.
    #[default]
    Legacy,
    /// 2026-07-28: stateless, every result shaped by [`shape_result`].
    Modern {
        version: &'static str,
        cache_scope: CacheScope,
    },
}

/// Why a request was refused before dispatch. Each variant is one rung of
/// the order in the module comment.
#[derive(Debug, Clone, PartialEq)]
pub enum EraError {
    /// `-32020`: a header is missing, malformed, or disagrees with the body.
    HeaderMismatch(String),
    /// `-32022`: we do not speak `requested`; `supported` is what we do.
    UnsupportedVersion {
        requested: String,
        supported: Vec<&'static str>,
    },
    /// `-32602`: the modern `_meta` envelope is missing or malformed.
    BadEnvelope(String),
    /// `-32601`: the method does not exist in this era. On the modern wire
    /// that is HTTP 404; on the legacy wire, HTTP 200 as always.
    NotInThisEra { method: String, era: Era },
}

impl EraError {
    /// The HTTP status and JSON-RPC error this refusal is sent as.
    pub fn status_and_error(&self) -> (StatusCode, RpcError) {
        match self {
            EraError::HeaderMismatch(why) => (
                StatusCode::BAD_REQUEST,
                RpcError::new(HEADER_MISMATCH, format!("Header mismatch: {why}")),
            ),
            EraError::UnsupportedVersion {
                requested,
                supported,
            } => {
                let mut error =
                    RpcError::new(UNSUPPORTED_PROTOCOL_VERSION, "Unsupported protocol version");
                error.data = Some(Box::new(
                    json!({"supported": supported, "requested": requested}),
                ));
                (StatusCode::BAD_REQUEST, error)
            }
            EraError::BadEnvelope(why) => (
                StatusCode::BAD_REQUEST,
                RpcError::invalid_params(format!("the 2026-07-28 _meta envelope {why}")),
            ),
            EraError::NotInThisEra { method, era } => (
                era.method_not_found_status(),
                RpcError::method_not_found(method),
            ),
        }
    }
}

/// Decide the era of one request and check everything that era requires of
/// its headers and envelope. `cache_scope` is what the layers in front of
/// the endpoint said about the caller.
pub fn admit(call: &Call, headers: &HeaderMap, cache_scope: CacheScope) -> Result<Era, EraError> {
    let header_version = single_header(headers, &MCP_PROTOCOL_VERSION)?;
    let meta = call
        .params
        .as_ref()
        .and_then(|params| params.get("_meta"))
        .and_then(Value::as_object);
    let claim = meta.and_then(|meta| meta.get(PROTOCOL_VERSION_KEY));

    // Rung 1: which era, decided by the body and cross-checked with the header.
    let version = match (claim, header_version) {
        (Some(Value::String(claimed)), header) => {
            match header {
                None => {
                    return Err(EraError::HeaderMismatch(
                        "the MCP-Protocol-Version header is required when _meta names a protocol version".into(),
                    ));
                }
                Some(header) if header != claimed => {
                    return Err(EraError::HeaderMismatch(format!(
                        "MCP-Protocol-Version header {header:?} does not match _meta {claimed:?}"
                    )));
                }
                Some(_) => {}
            }
            modern_version(claimed).ok_or_else(|| EraError::UnsupportedVersion {
                requested: claimed.clone(),
                supported: MODERN_VERSIONS.to_vec(),
            })?
        }
        (Some(_), _) => {
            return Err(EraError::BadEnvelope(format!(
                "has a {PROTOCOL_VERSION_KEY} that is not a string"
            )));
        }
        (None, None) => return admit_legacy(call, headers),
        (None, Some(header)) if LEGACY_VERSIONS.contains(&header) => {
            return admit_legacy(call, headers);
        }
        (None, Some(header)) => match modern_version(header) {
            // The header says 2026-07-28 but the body has no version: a
            // modern request with a broken envelope (rung 2 says how).
            Some(version) => version,
            None => {
                return Err(EraError::UnsupportedVersion {
                    requested: header.to_string(),
                    supported: MODERN_VERSIONS
                        .iter()
                        .chain(&LEGACY_VERSIONS)
                        .copied()
                        .collect(),
                });
            }
        },
    };

    // Rung 2: the envelope.
    check_envelope(call)?;
    // Rung 3: the standard headers mirror the body.
    check_standard_headers(call, headers, Presence::Required)?;
    // Rung 4: methods the modern era does not have.
    let era = Era::Modern {
        version,
        cache_scope,
    };
    if LEGACY_ONLY_METHODS.contains(&call.method.as_str()) {
        return Err(EraError::NotInThisEra {
            method: call.method.clone(),
            era,
        });
    }
    Ok(era)
}

/// A legacy request: served as before, except that methods born in
/// 2026-07-28 do not exist for it, and that `Mcp-Method` / `Mcp-Name`, when
/// a client sends them, must match the body here too — a gateway in front
/// may route or authorize on them whatever the era.
fn admit_legacy(call: &Call, headers: &HeaderMap) -> Result<Era, EraError> {
    check_standard_headers(call, headers, Presence::IfSent)?;
    if MODERN_ONLY_METHODS.contains(&call.method.as_str()) {
        return Err(EraError::NotInThisEra {
            method: call.method.clone(),
            era: Era::Legacy,
        });
    }
    Ok(Era::Legacy)
}

fn modern_version(version: &str) -> Option<&'static str> {
    MODERN_VERSIONS.iter().find(|v| **v == version).copied()
}

/// Basic › `_meta` › Per-request protocol fields: `protocolVersion` and
/// `clientCapabilities` are required; `clientInfo` is a SHOULD, so its
/// absence is fine — but if sent it must be an object.
fn check_envelope(call: &Call) -> Result<(), EraError> {
    let bad = |why: String| Err(EraError::BadEnvelope(why));
    let meta = match &call.params {
        Some(Value::Object(params)) => params.get("_meta"),
        Some(_) => return bad("needs params to be an object".into()),
        None => None,
    };
    let meta = match meta {
        Some(Value::Object(meta)) => meta,
        Some(_) => return bad("is not an object (params._meta)".into()),
        None => return bad("is missing (params._meta)".into()),
    };
    if !meta.contains_key(PROTOCOL_VERSION_KEY) {
        return bad(format!("lacks {PROTOCOL_VERSION_KEY}"));
    }
    match meta.get(CLIENT_CAPABILITIES_KEY) {
        None => return bad(format!("lacks {CLIENT_CAPABILITIES_KEY}")),
        Some(capabilities) if !capabilities.is_object() => {
            return bad(format!(
                "has a {CLIENT_CAPABILITIES_KEY} that is not an object"
            ));
        }
        Some(_) => {}
    }
    if meta
        .get(CLIENT_INFO_KEY)
        .is_some_and(|info| !info.is_object())
    {
        return bad(format!("has a {CLIENT_INFO_KEY} that is not an object"));
    }
    Ok(())
}

/// Must the mirrored headers be there (modern), or only match when sent (legacy)?
#[derive(Clone, Copy, PartialEq)]
enum Presence {
    Required,
    IfSent,
}

/// Streamable HTTP › Request Metadata: `Mcp-Method` on every request, and
/// `Mcp-Name` for the methods that name something, each equal to the body
/// (names compared exactly; values are case-sensitive). These headers exist
/// so that a gateway can route on them — a server that let them disagree
/// with the body would let a request be routed as one thing and run as
/// another.
fn check_standard_headers(
    call: &Call,
    headers: &HeaderMap,
    presence: Presence,
) -> Result<(), EraError> {
    match single_header(headers, &MCP_METHOD)? {
        None if presence == Presence::IfSent => {}
        None => {
            return Err(EraError::HeaderMismatch(
                "the Mcp-Method header is required".into(),
            ));
        }
        Some(method) if method != call.method => {
            return Err(EraError::HeaderMismatch(format!(
                "Mcp-Method header {method:?} does not match the body's method {:?}",
                call.method
            )));
        }
        Some(_) => {}
    }
    let Some(field) = name_source(&call.method) else {
        return Ok(());
    };
    let body_value = call
        .params
        .as_ref()
        .and_then(|params| params.get(field))
        .and_then(Value::as_str);
    let header = single_header(headers, &MCP_NAME)?;
    match (body_value, header) {
        (None, _) => Ok(()), // nothing to mirror; the handler refuses the call in-band
        (Some(_), None) if presence == Presence::IfSent => Ok(()),
        (Some(_), None) => Err(EraError::HeaderMismatch(format!(
            "the Mcp-Name header is required for {} (it mirrors params.{field})",
            call.method
        ))),
        (Some(body_value), Some(header)) => {
            let decoded = decode_header_value(header).ok_or_else(|| {
                EraError::HeaderMismatch(
                    "the Mcp-Name header has a malformed =?base64?…?= value".into(),
                )
            })?;
            if decoded == body_value {
                Ok(())
            } else {
                Err(EraError::HeaderMismatch(format!(
                    "Mcp-Name header {decoded:?} does not match params.{field} {body_value:?}"
                )))
            }
        }
    }
}

/// The body field that `Mcp-Name` mirrors for `method`, if any.
fn name_source(method: &str) -> Option<&'static str> {
    match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        _ => None,
    }
}

// Named once: a lookup by `&str` parses the name on every request.
const MCP_PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");
const MCP_METHOD: HeaderName = HeaderName::from_static("mcp-method");
const MCP_NAME: HeaderName = HeaderName::from_static("mcp-name");

/// One header's value, with the optional whitespace around it removed
/// (RFC 9110 §5.5). Sent twice, or with bytes outside visible ASCII, it is
/// refused: we cannot tell which copy a gateway in front of us acted on.
fn single_header<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> Result<Option<&'a str>, EraError> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(EraError::HeaderMismatch(format!(
            "{name} is sent more than once"
        )));
    }
    let text = first.to_str().map_err(|_| {
        EraError::HeaderMismatch(format!("{name} has characters outside visible ASCII"))
    })?;
    Ok(Some(text.trim_matches([' ', '\t'])))
}

/// Streamable HTTP › Value Encoding: a value that is not plain ASCII travels
/// as `=?base64?<standard base64 of its UTF-8>?=`. Anything else is the value
/// itself. `None`: the sentinel form with something that does not decode.
pub fn decode_header_value(value: &str) -> Option<String> {
    let Some(encoded) = value
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
    else {
        return Some(value.to_string());
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// Give a result the fields every modern result carries: `resultType`, the
/// server's name in `_meta` (a SHOULD), and, for cacheable methods, `ttlMs`
/// and `cacheScope` (Basic › Responses › ResultType; Basic › `_meta` ›
/// Per-response protocol fields; Server › Utilities › Caching). A handler
/// may set its own values; they are kept.
pub fn shape_result(method: &str, cache_scope: CacheScope, mut result: Value) -> Value {
    if let Value::Object(fields) = &mut result {
        fields
            .entry("resultType")
            .or_insert_with(|| json!("complete"));
        if let Value::Object(meta) = fields.entry("_meta").or_insert_with(|| json!({})) {
            meta.entry(SERVER_INFO_KEY)
                .or_insert_with(|| json!({"name": SERVER_NAME, "version": SERVER_VERSION}));
        }
        if CACHEABLE_METHODS.contains(&method) {
            fields.entry("ttlMs").or_insert_with(|| json!(CACHE_TTL_MS));
            fields
                .entry("cacheScope")
                .or_insert_with(|| json!(cache_scope.as_str()));
        }
    }
    result
}

/// The server's self-description, as `initialize` (legacy) and
/// `server/discover` (modern) report it.
pub fn server_info() -> Map<String, Value> {
    let mut info = Map::new();
    info.insert("name".into(), json!(SERVER_NAME));
    info.insert("title".into(), json!("MCP Authorization, Step by Step"));
    info.insert("version".into(), json!(SERVER_VERSION));
    info
}

/// The server's name and version: what `serverInfo` says in both eras.
pub const SERVER_NAME: &str = "mcp-auth-step-by-step";
pub const SERVER_VERSION: &str = env!("CARGO_PKG_VERSION");
