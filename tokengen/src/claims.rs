//! What goes into a token.
//!
//! An access token in the shape of RFC 9068 ("JWT Profile for OAuth 2.0
//! Access Tokens"):
//!
//! ```text
//! header  {"typ":"at+jwt","alg":"RS256","kid":"<RFC 7638 thumbprint>"}
//! payload {"iss":"http://localhost:9000",        who issued it
//!          "sub":"alice",                         who it is about
//!          "aud":"http://localhost:9000/mcp",     who may accept it (RFC 8707 resource)
//!          "exp":1767225600, "iat":…, "nbf":…,    when it is valid (seconds since 1970, UTC)
//!          "jti":"<uuid>", "client_id":"tokengen",
//!          "scope":"mcp:read mcp:tools",          what it allows (space separated, RFC 8693 §4.2)
//!          "preferred_username":"alice",
//!          "roles":["admin"]}                     (only when given)
//! ```
//!
//! Times come from `SystemTime::now()` against the Unix epoch, which is UTC
//! by definition: the Python original used local time and minted tokens that
//! were already expired (or not yet valid) on hosts east or west of UTC.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

/// The demo issuer: the step server itself (step 7 publishes its metadata).
pub const DEFAULT_ISSUER: &str = "http://localhost:9000";
/// The demo audience: the canonical URI of the MCP endpoint (RFC 8707).
pub const DEFAULT_AUDIENCE: &str = "http://localhost:9000/mcp";

/// A demo user: a name, scopes and roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Demo {
    /// mcp:read mcp:tools — may list and call tools
    Alice,
    /// mcp:read mcp:prompts — may list and get prompts
    Bob,
    /// every scope and the admin role
    Admin,
    /// no scopes at all — authenticated, allowed nothing else
    Guest,
}

impl Demo {
    /// (username, scopes, roles)
    pub fn profile(
        self,
    ) -> (
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    ) {
        match self {
            Demo::Alice => ("alice", &["mcp:read", "mcp:tools"], &[]),
            Demo::Bob => ("bob", &["mcp:read", "mcp:prompts"], &[]),
            Demo::Admin => (
                "admin",
                &["mcp:read", "mcp:tools", "mcp:prompts"],
                &["admin"],
            ),
            Demo::Guest => ("guest", &[], &[]),
        }
    }
}

/// Split "a,b c" into ["a", "b", "c"].
pub fn split_list(text: &str) -> Vec<String> {
    text.split([',', ' '])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Seconds since the Unix epoch (UTC), `offset` seconds from now.
pub fn unix_time(offset: i64) -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64;
    now + offset
}

/// What to put in a token.
#[derive(Debug, Clone)]
pub struct TokenSpec {
    pub username: String,
    pub scopes: Vec<String>,
    pub roles: Vec<String>,
    pub issuer: String,
    pub audience: String,
    pub lifetime: Duration,
    /// More claims, added last (they replace a standard one of the same name).
    pub extra: Map<String, Value>,
}

impl TokenSpec {
    /// A demo user's token for the default issuer and audience — what
    /// `tokengen --demo NAME --expires LIFETIME` mints (tests start here).
    pub fn demo(demo: Demo, lifetime: Duration) -> TokenSpec {
        let (username, scopes, roles) = demo.profile();
        let owned = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        TokenSpec {
            username: username.into(),
            scopes: owned(scopes),
            roles: owned(roles),
            issuer: DEFAULT_ISSUER.into(),
            audience: DEFAULT_AUDIENCE.into(),
            lifetime,
            extra: Map::new(),
        }
    }

    /// The claims, as an ordered JSON object (forgeries edit it).
    pub fn claims(&self) -> Map<String, Value> {
        let now = unix_time(0);
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.issuer));
        claims.insert("sub".into(), json!(self.username));
        claims.insert("aud".into(), json!(self.audience));
        claims.insert("exp".into(), json!(now + self.lifetime.as_secs() as i64));
        claims.insert("iat".into(), json!(now));
        claims.insert("nbf".into(), json!(now));
        claims.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
        claims.insert("client_id".into(), json!("tokengen"));
        claims.insert("scope".into(), json!(self.scopes.join(" ")));
        claims.insert("preferred_username".into(), json!(self.username));
        if !self.roles.is_empty() {
            claims.insert("roles".into(), json!(self.roles));
        }
        claims.extend(self.extra.clone());
        claims
    }
}

/// An `exp`/`iat` value as an RFC 3339 UTC time, for humans.
pub fn describe_time(unix: i64) -> String {
    let time = UNIX_EPOCH + Duration::from_secs(unix.max(0) as u64);
    humantime::format_rfc3339_seconds(time).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_on_commas_and_spaces() {
        assert_eq!(
            split_list("mcp:read,mcp:tools  mcp:prompts,"),
            ["mcp:read", "mcp:tools", "mcp:prompts"]
        );
        assert!(split_list("").is_empty());
    }

    #[test]
    fn times_are_utc_and_expiry_follows_lifetime() {
        let spec = TokenSpec {
            username: "alice".into(),
            scopes: vec!["mcp:read".into()],
            roles: vec![],
            issuer: DEFAULT_ISSUER.into(),
            audience: DEFAULT_AUDIENCE.into(),
            lifetime: Duration::from_secs(900),
            extra: Map::new(),
        };
        let claims = spec.claims();
        let exp = claims["exp"].as_i64().unwrap();
        let iat = claims["iat"].as_i64().unwrap();
        assert_eq!(exp - iat, 900);
        // Whatever TZ says, the epoch is UTC: compare with the system clock directly.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!((iat - now).abs() <= 2);
        assert!(describe_time(0).starts_with("1970-01-01T00:00:00Z"));
        assert!(claims.get("roles").is_none());
    }
}
