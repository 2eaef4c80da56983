//! Command-line flags shared by every server binary.
//!
//! Later steps `#[command(flatten)]` this struct into their own, so `--bind`
//! and the connection limits mean the same thing from step 1 to step 10.

use std::{net::SocketAddr, time::Duration};

use clap::Args;

/// Where the server listens, and how long it waits for a slow client.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on. Keep it on loopback (127.0.0.1) unless a reverse
    /// proxy in front of the server does TLS and origin checks: the MCP
    /// transport spec says local servers SHOULD bind only to localhost.
    #[arg(long, env = "MCP_BIND", default_value = "127.0.0.1:9000")]
    pub bind: SocketAddr,

    /// How long a client may take to send a request's headers (and how long an idle
    /// keep-alive connection stays open). A client that sends half its headers is cut off then.
    #[arg(long, env = "MCP_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub header_read_timeout: Duration,

    /// How long one request may take in all, body included. A client that announces
    /// `Content-Length: 1000` and sends one byte gets 408 Request Timeout then.
    #[arg(long, env = "MCP_REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// How many connections are served at once; further ones wait in the kernel's
    /// accept queue until a slot frees up. Near this cap (7/8 of it) answers say
    /// `Connection: close`, so idle keep-alive connections give their slots back.
    #[arg(long, env = "MCP_MAX_CONNECTIONS", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// How many connections one client address may hold at once (default: an eighth of
    /// --max-connections, at least 1). One more is closed at once, so a single client
    /// cannot take every slot and lock the others out.
    #[arg(long, env = "MCP_MAX_CONNECTIONS_PER_CLIENT", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_client: Option<u32>,

    /// How long an answer may wait for the client to read it. A client that sends requests
    /// and never reads the answers is disconnected then (its answers pile up in our buffers).
    #[arg(long, env = "MCP_WRITE_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub write_timeout: Duration,

    /// How many requests one keep-alive connection may carry; the last answer says
    /// `Connection: close`. Bounds a connection's lifetime (with the idle timeout above).
    #[arg(long, env = "MCP_MAX_REQUESTS_PER_CONNECTION", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_requests_per_connection: u32,
}

impl ServeArgs {
    /// `--max-connections-per-client`, or its default: an eighth of the global cap.
    pub fn per_client_limit(&self) -> u32 {
        self.max_connections_per_client
            .unwrap_or((self.max_connections / 8).max(1))
    }
}

/// A duration flag: `30s`, `500ms`, `2m` (humantime), or a bare number of
/// seconds (`30`), so that `--idp-timeout 5` and `--idp-timeout 5s` agree.
/// Typed at the edge: the rest of the code sees a `Duration`, never a `u64`
/// whose unit lives in a comment.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    humantime::parse_duration(text)
        .map_err(|e| format!("{e} (write e.g. 30s, 500ms or 2m; a bare number is seconds)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_with_or_without_a_unit() {
        assert_eq!(parse_duration("5").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration(" 2m ").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("-1").is_err());
        assert!(
            parse_duration("soon")
                .unwrap_err()
                .contains("bare number is seconds")
        );
    }
}
