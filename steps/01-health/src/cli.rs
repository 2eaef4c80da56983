//! Command-line flags shared by every server binary.
//!
//! Later steps `#[command(flatten)]` this struct into their own, so `--bind`
//! means the same thing from step 1 to step 10.

use std::net::SocketAddr;

use clap::Args;

/// Where the server listens.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on. Keep it on loopback (127.0.0.1) unless a reverse
    /// proxy in front of the server does TLS and origin checks: the MCP
    /// transport spec says local servers SHOULD bind only to localhost.
    #[arg(long, env = "MCP_BIND", default_value = "127.0.0.1:9000")]
    pub bind: SocketAddr,
}
