//! # Step 12 (beyond the blog) — your own rmcp server, behind this workspace's authorization
//!
//! rmcp, the official Rust SDK, has an OAuth *client* but nothing on the
//! server side: no token validation, no `401` challenge, no protected-resource
//! metadata, no scopes. Steps 6–10 are all of that. This step puts them in
//! front of an rmcp server ([`echo_server`], written the way rmcp's
//! documentation writes servers) with a few lines ([`authorization`]):
//!
//! ```text
//! step10::run::run("step12", step12::mcp)     // main.rs: step 10's server, this /mcp
//! Authorization::new(auth)                    // mcp(): step 8's policy in front of rmcp
//!     .with_tool_scope("echo_prompt_text", "mcp:prompts")
//!     .protect(echo_service())
//! ```
//!
//! Run with `scripts/idp.sh start`, then `cargo run -p step12` (the flags and
//! env files of step 10).

// The lesson (beyond the blog: step 12): the lines your server adds.
pub mod authorization;
// Beyond the blog: your server, as rmcp writes it.
pub mod echo_server;
// Beyond the blog: what the checks read of a body, and only that (speed).
pub mod members;

use rmcp::transport::streamable_http_server::{
    StreamableHttpServerConfig, StreamableHttpService, session::never::NeverSessionManager,
};

pub use authorization::Authorization;
pub use echo_server::EchoServer;

/// rmcp's transport as this workspace serves MCP: stateless (no
/// `Mcp-Session-Id`; 2026-07-28 has no sessions, and the legacy wire does not
/// need one), plain JSON answers. Its own `Host` check is off: step 1's
/// guard in front already admits only the bind address and the public URL
/// (rmcp's default list would refuse a proxy's public host).
pub fn rmcp_config() -> StreamableHttpServerConfig {
    StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .disable_allowed_hosts()
}

/// The rmcp service for [`echo_server::EchoServer`].
pub fn echo_service() -> StreamableHttpService<EchoServer, NeverSessionManager> {
    StreamableHttpService::new(|| Ok(EchoServer::new()), Default::default(), rmcp_config())
}

/// `/mcp` for step 12's binary: the echo server behind the authorization,
/// `echo_prompt_text` demanding `mcp:prompts`.
pub fn mcp(auth: &step6::auth::Auth) -> axum::Router {
    Authorization::new(auth)
        .with_tool_scope("echo_prompt_text", "mcp:prompts")
        .protect(echo_service())
}
