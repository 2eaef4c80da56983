//! The flags that describe *who* this server is and *whose* tokens it takes.
//!
//! Everything the server publishes or checks is built from the public URL,
//! never hard-coded (the Python original hard-coded port 9000 in its
//! metadata URL):
//!
//! ```text
//! --server-url http://localhost:9000     public URL (behind a proxy: the proxy's URL)
//!   resource   = {server-url}/mcp        the canonical URI of the MCP endpoint (RFC 8707 §2)
//!   --issuer   = {server-url}            default: the demo issuer is this server (tokengen signs)
//!   --audience = {server-url}/mcp        default: tokens must be issued *for this resource*
//! ```
//!
//! The blog used `mcp-simple-auth` and `mcp-server` as issuer and audience.
//! They became URLs because step 7 publishes authorization-server metadata
//! whose `issuer` must be a URL (RFC 8414 §2), and because the MCP spec asks
//! clients to request tokens for the server's canonical URI (RFC 8707), so
//! that URI is what lands in `aud`.

use clap::Args;
use url::Url;

/// Flags shared from step 6 on.
#[derive(Debug, Clone, Args)]
pub struct AuthArgs {
    /// The public URL clients use to reach this server (http(s)://host[:port], no path).
    /// Every URL the server publishes is built from it.
    #[arg(long, env = "MCP_SERVER_URL", default_value = "http://localhost:9000", value_parser = ServerUrl::parse)]
    pub server_url: ServerUrl,

    // `--issuer` and `--audience` stay strings: they are compared byte for
    // byte with the token's `iss` and `aud`, and parsing them as `Url` would
    // rewrite them (`http://kc` becomes `http://kc/`) so they never match.
    /// The `iss` that tokens must carry, compared exactly. Default: in steps 6–8 the server URL
    /// (the demo issuer, whose tokens come from tokengen); from step 9 on the Keycloak realm,
    /// {keycloak-url}/realms/{keycloak-realm}.
    #[arg(long, env = "MCP_ISSUER")]
    pub issuer: Option<String>,

    /// Accepted `aud` values (repeat the flag or separate with commas). Default: in steps 6–8
    /// {server-url}/mcp, this server's canonical resource URI; from step 9 on echo-mcp-server,
    /// the client id Keycloak's audience mapper puts there.
    #[arg(long, env = "MCP_AUDIENCE", value_delimiter = ',')]
    pub audience: Vec<String>,

    /// How many already-verified tokens to remember (keyed by a SHA-256 of the token, each
    /// until its own exp); 0 turns the cache off and verifies the signature on every request.
    #[arg(long, env = "MCP_TOKEN_CACHE", default_value_t = crate::token_cache::DEFAULT_CAPACITY)]
    pub token_cache: usize,

    /// The longest lifetime a token may have (exp - iat, or exp - now without iat). A token
    /// minted for longer is refused: a leaked signing key must not mint tokens that outlive it.
    #[arg(long, env = "MCP_MAX_TOKEN_LIFETIME", default_value = "1h", value_parser = humantime::parse_duration)]
    pub max_token_lifetime: std::time::Duration,

    /// How the issuer marks access tokens: at-jwt (RFC 9068 header typ, tokengen) or keycloak
    /// (claim typ "Bearer"). Default: at-jwt here; step 9 and later default to keycloak.
    #[arg(long, env = "MCP_TOKEN_TYPE", value_enum)]
    pub token_type: Option<crate::validate::TokenType>,
}

/// The server's public URL: an absolute `http(s)` URL with a host and nothing
/// after it — no path, query, fragment or user name. Checked when clap parses
/// `--server-url` (or `MCP_SERVER_URL`), so a bad value stops the server before
/// anything is built, with clap's usage line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl(Url);

#[derive(Debug, thiserror::Error)]
#[error("{0:?} must be an absolute http(s) URL without a path, e.g. http://localhost:9000")]
pub struct BadServerUrl(String);

impl ServerUrl {
    /// Parse and check (clap's `value_parser`). The scheme and host come out
    /// lower-cased and a default port is dropped (`Url`'s normal form).
    pub fn parse(text: &str) -> Result<ServerUrl, BadServerUrl> {
        let bad = || BadServerUrl(text.to_string());
        let url = Url::parse(text).map_err(|_| bad())?;
        let ok = matches!(url.scheme(), "http" | "https")
            && url.host().is_some()
            && url.path() == "/"
            && url.query().is_none()
            && url.fragment().is_none()
            && url.username().is_empty()
            && url.password().is_none();
        if ok { Ok(ServerUrl(url)) } else { Err(bad()) }
    }

    /// `http://localhost:9000` — without the `/` that `Url` always shows, so
    /// `{server-url}/mcp` has one slash.
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }

    /// The host name (for the Host guard), lower-case; `[::1]` keeps its brackets.
    pub fn host(&self) -> String {
        self.0.host_str().unwrap_or_default().to_string()
    }

    /// The port (the scheme's default when none is written).
    pub fn port(&self) -> u16 {
        self.0.port_or_known_default().unwrap_or(80)
    }
}

/// A learner who moves the server (`--bind 127.0.0.1:9100`) and forgets
/// `--server-url` gets metadata and challenges naming port 9000, where
/// nothing listens. Behind a proxy (a public URL that is not loopback) the
/// ports differ on purpose, so only a loopback public URL is checked.
pub fn port_mismatch(bind: std::net::SocketAddr, server_url: &ServerUrl) -> Option<String> {
    let loopback = step1::origin::is_loopback_name(&server_url.host());
    (loopback && bind.port() != 0 && bind.port() != server_url.port()).then(|| {
        format!(
            "listening on port {} but the public URL (--server-url) is {server_url}: every URL this \
             server publishes names port {}; pass --server-url http://localhost:{}",
            bind.port(),
            server_url.port(),
            bind.port()
        )
    })
}

impl std::fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AuthArgs {
    /// The server URL without a trailing slash.
    pub fn server_url(&self) -> String {
        self.server_url.as_str().to_string()
    }

    /// The canonical URI of the MCP endpoint: `{server-url}/mcp`.
    pub fn resource(&self) -> String {
        format!("{}/mcp", self.server_url)
    }

    pub fn issuer(&self) -> String {
        match &self.issuer {
            Some(issuer) => issuer.clone(),
            None => self.server_url(),
        }
    }

    pub fn audiences(&self) -> Vec<String> {
        if self.audience.is_empty() {
            vec![self.resource()]
        } else {
            self.audience.clone()
        }
    }
}

/// The Python original's variable names, and the ones this workspace reads instead.
const RENAMED_VARIABLES: [(&str, &str); 2] = [
    ("JWT_ISSUER", "MCP_ISSUER"),
    ("JWT_AUDIENCE", "MCP_AUDIENCE"),
];

/// A warning for each of the original's variables that is set (and would
/// otherwise be ignored without a word). `lookup` reads a variable.
pub fn renamed_variable_warnings(lookup: impl Fn(&str) -> Option<String>) -> Vec<String> {
    RENAMED_VARIABLES
        .iter()
        .filter(|(old, _)| lookup(old).is_some())
        .map(|(old, new)| {
            format!("{old} is set but not read here: this workspace reads {new} (the Python original's name was {old})")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        auth: AuthArgs,
    }

    #[test]
    fn defaults_follow_the_server_url() {
        let cli = Cli::parse_from(["x", "--server-url", "https://MCP.example.com/"]);
        assert_eq!(cli.auth.resource(), "https://mcp.example.com/mcp");
        assert_eq!(cli.auth.issuer(), "https://mcp.example.com");
        assert_eq!(cli.auth.audiences(), ["https://mcp.example.com/mcp"]);
        assert_eq!(cli.auth.server_url.host(), "mcp.example.com");
        let cli = Cli::parse_from(["x", "--server-url", "http://[::1]:9000"]);
        assert_eq!(cli.auth.resource(), "http://[::1]:9000/mcp");
        assert_eq!(cli.auth.server_url.host(), "[::1]");
    }

    #[test]
    fn explicit_values_win_and_bad_urls_are_refused() {
        let cli = Cli::parse_from(["x", "--issuer", "http://kc/realms/r", "--audience", "a,b"]);
        assert_eq!(cli.auth.issuer(), "http://kc/realms/r");
        assert_eq!(cli.auth.audiences(), ["a", "b"]);
        for bad in [
            "localhost:9000",
            "ftp://x",
            "http://x/path",
            "http://x/?q",
            "http://x/#f",
            "http://user@x",
            "not a url",
            "",
        ] {
            let parsed = Cli::try_parse_from(["x", "--server-url", bad]);
            assert!(parsed.is_err(), "{bad} should be refused by clap");
        }
    }

    #[test]
    fn the_originals_variable_names_are_pointed_out() {
        let set = |name: &str| (name == "JWT_AUDIENCE").then(|| "mcp-server".to_string());
        let warnings = renamed_variable_warnings(set);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("MCP_AUDIENCE"));
        assert!(renamed_variable_warnings(|_| None).is_empty());
    }

    #[test]
    fn a_moved_port_without_a_server_url_is_named() {
        let url = |text: &str| ServerUrl::parse(text).unwrap();
        let bind = |text: &str| text.parse::<std::net::SocketAddr>().unwrap();
        let warning = port_mismatch(bind("127.0.0.1:9100"), &url("http://localhost:9000"));
        assert!(warning.is_some_and(|w| w.contains("--server-url http://localhost:9100")));
        assert!(port_mismatch(bind("127.0.0.1:9100"), &url("http://localhost:9100")).is_none());
        // Behind a proxy the ports differ on purpose.
        assert!(port_mismatch(bind("127.0.0.1:9000"), &url("https://mcp.example.com")).is_none());
        assert!(port_mismatch(bind("127.0.0.1:0"), &url("http://localhost:9000")).is_none());
    }
}
