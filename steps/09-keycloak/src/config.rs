//! Where Keycloak is, and what its tokens must say.
//!
//! ```text
//! --keycloak-url   http://localhost:8080     KEYCLOAK_URL
//! --keycloak-realm mcp-realm                 KEYCLOAK_REALM
//!   issuer   = {keycloak-url}/realms/{realm}          (unless --issuer says otherwise)
//!   audience = echo-mcp-server                        (unless --audience says otherwise)
//! ```
//!
//! The audience is a *client id*, not this server's URL: Keycloak has no
//! RFC 8707 resource indicators, so an audience mapper in the realm puts
//! `echo-mcp-server` into `aud` (see keycloak/README.md). Accepting exactly
//! that is still the confused-deputy defence — a token minted for another
//! client is refused.

use std::time::Duration;

use clap::Args;
use step6::config::AuthArgs;
use url::Url;

/// The audience Keycloak's audience mapper puts into our tokens.
pub const DEFAULT_AUDIENCE: &str = "echo-mcp-server";

/// Flags of step 9 (with env fallbacks, so step 10's env files can set them).
#[derive(Debug, Clone, Args)]
pub struct KeycloakArgs {
    /// Keycloak's base URL (http(s)://host:port, or with the path prefix of a Keycloak before 17,
    /// e.g. https://sso.example.com/auth).
    #[arg(long, env = "KEYCLOAK_URL", default_value = "http://localhost:8080", value_parser = crate::https_rule::http_url)]
    pub keycloak_url: Url,

    /// The realm whose tokens are accepted.
    #[arg(long, env = "KEYCLOAK_REALM", default_value = "mcp-realm")]
    pub keycloak_realm: String,

    /// How long to wait for a TCP connection to the provider (2s, 500ms; a bare number is seconds).
    #[arg(long, env = "IDP_CONNECT_TIMEOUT", default_value = "2s", value_parser = plumbing::cli::parse_duration)]
    pub idp_connect_timeout: Duration,

    /// How long any single call to the provider may take in total (5s; a bare number is seconds).
    #[arg(long, env = "IDP_TIMEOUT", default_value = "5s", value_parser = plumbing::cli::parse_duration)]
    pub idp_timeout: Duration,

    /// Minimum time between two key-set refreshes caused by unknown `kid`s (so that forged kids
    /// cannot make us hammer the provider). 10s; a bare number is seconds.
    #[arg(long, env = "JWKS_REFRESH_COOLDOWN", default_value = "10s", value_parser = plumbing::cli::parse_duration)]
    pub jwks_refresh_cooldown: Duration,

    /// Accept plain-http provider, discovered and server URLs on non-loopback hosts
    /// (never in production: keys and tokens would cross the network unencrypted).
    #[arg(long)]
    pub allow_insecure_http: bool,

    /// What /health tells: `on` adds key ids, the key-set URL, fetch counts and the last
    /// provider error; `off` says only ready or degraded. `auto`: on when both the bind address
    /// and the public URL (--server-url) are loopback (a laptop), off otherwise — behind a
    /// reverse proxy those details help an attacker more than a load balancer.
    #[arg(long, env = "MCP_HEALTH_DETAILS", value_enum, default_value = "auto")]
    pub health_details: HealthDetails,
}

/// `--health-details`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HealthDetails {
    Auto,
    On,
    Off,
}

impl HealthDetails {
    /// Whether to show details for a server bound to `bind` and reached at
    /// `public_host` (the host of `--server-url`). A loopback bind alone is
    /// not enough: a reverse proxy on the same machine (env/keycloak_proxy.env)
    /// binds the server to loopback and carries /health to the internet.
    pub fn show(self, bind: std::net::SocketAddr, public_host: &str) -> bool {
        match self {
            HealthDetails::On => true,
            HealthDetails::Off => false,
            HealthDetails::Auto => {
                bind.ip().is_loopback() && step1::origin::is_loopback_name(public_host)
            }
        }
    }
}

impl KeycloakArgs {
    /// `{keycloak-url}/realms/{realm}`.
    pub fn issuer(&self) -> String {
        format!(
            "{}/realms/{}",
            self.keycloak_url.as_str().trim_end_matches('/'),
            self.keycloak_realm
        )
    }

    pub fn timeouts(&self) -> (Duration, Duration) {
        (self.idp_connect_timeout, self.idp_timeout)
    }

    /// Step 6's flags with Keycloak's defaults filled in: the realm's issuer,
    /// `echo-mcp-server` as audience and Keycloak's token-type rule, unless
    /// given explicitly.
    pub fn apply_defaults(&self, mut auth: AuthArgs) -> AuthArgs {
        if auth.issuer.is_none() {
            auth.issuer = Some(self.issuer());
        }
        if auth.audience.is_empty() {
            auth.audience = vec![DEFAULT_AUDIENCE.to_string()];
        }
        // Keycloak marks access tokens with the claim typ "Bearer" (ID tokens: "ID").
        auth.token_type
            .get_or_insert(step6::validate::TokenType::Keycloak);
        auth
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        auth: AuthArgs,
        #[command(flatten)]
        keycloak: KeycloakArgs,
    }

    #[test]
    fn keycloak_defaults_fill_issuer_and_audience() {
        let cli = Cli::parse_from([
            "x",
            "--keycloak-url",
            "http://kc:8080/",
            "--keycloak-realm",
            "r",
        ]);
        let auth = cli.keycloak.apply_defaults(cli.auth);
        assert_eq!(auth.issuer(), "http://kc:8080/realms/r");
        assert_eq!(auth.audiences(), ["echo-mcp-server"]);
        assert_eq!(auth.token_type, Some(step6::validate::TokenType::Keycloak));
    }

    #[test]
    fn explicit_flags_win() {
        let cli = Cli::parse_from([
            "x",
            "--issuer",
            "http://other/realms/x",
            "--audience",
            "a,b",
        ]);
        let auth = cli.keycloak.apply_defaults(cli.auth);
        assert_eq!(auth.issuer(), "http://other/realms/x");
        assert_eq!(auth.audiences(), ["a", "b"]);
    }

    #[test]
    fn the_keycloak_url_is_an_http_url_checked_by_clap() {
        let cli = Cli::parse_from(["x", "--keycloak-url", "https://sso.example.com/auth/"]);
        assert_eq!(
            cli.keycloak.issuer(),
            "https://sso.example.com/auth/realms/mcp-realm"
        );
        for bad in ["localhost:8080", "ftp://kc", "kc", "http://user:pw@kc", ""] {
            let parsed = Cli::try_parse_from(["x", "--keycloak-url", bad]);
            assert!(parsed.is_err(), "{bad} should be refused by clap");
        }
    }

    #[test]
    fn auto_details_only_when_bind_and_public_url_are_both_loopback() {
        let loopback: std::net::SocketAddr = "127.0.0.1:9000".parse().unwrap();
        let everywhere: std::net::SocketAddr = "0.0.0.0:9000".parse().unwrap();
        assert!(HealthDetails::Auto.show(loopback, "localhost"));
        assert!(HealthDetails::Auto.show(loopback, "[::1]"));
        // env/keycloak_proxy.env: bound to loopback, published through a proxy.
        assert!(!HealthDetails::Auto.show(loopback, "mcp.example.com"));
        assert!(!HealthDetails::Auto.show(everywhere, "localhost"));
        assert!(HealthDetails::On.show(everywhere, "mcp.example.com"));
        assert!(!HealthDetails::Off.show(loopback, "localhost"));
    }
}
