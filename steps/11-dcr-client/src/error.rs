//! Everything that can stop the client, each with a message a person can act on.

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("HTTP request to {url} failed: {reason}")]
    Http { url: String, reason: String },
    #[error("{0}")]
    Discovery(String),
    #[error(
        "the authorization server {issuer} does not support PKCE with S256 (code_challenge_methods_supported: {found}); refusing to continue"
    )]
    NoS256 { issuer: String, found: String },
    #[error(
        "authorization server metadata names issuer {found:?}, but we asked {expected:?}; refusing (RFC 8414 §3.3)"
    )]
    IssuerMismatch { found: String, expected: String },
    #[error("the redirect carried state {found:?}, not the one we sent: possible CSRF, aborting")]
    StateMismatch { found: String },
    #[error(
        "the redirect says it comes from issuer {found:?}, not {expected:?} (RFC 9207): aborting"
    )]
    RedirectIssuerMismatch { found: String, expected: String },
    #[error("the authorization server refused: {error}{}", description.as_deref().map(|d| format!(" — {d}")).unwrap_or_default())]
    Provider {
        error: String,
        description: Option<String>,
    },
    #[error("client registration failed: {0}")]
    Registration(String),
    #[error("token request failed: {0}")]
    Token(String),
    #[error("no redirect arrived within {0} seconds (did the login finish in the browser?)")]
    LoginTimeout(u64),
    #[error("the browser command failed: {0}")]
    Browser(String),
    #[error("MCP call failed: {0}")]
    Mcp(String),
    #[error(
        "the authorization server {asked} asked for client {client_id}, which belongs to {bound}: its secret goes there only. \
         If {asked} is right, pass --client-issuer {asked} (or --register-elsewhere to register a new client there)"
    )]
    ForeignIssuer {
        client_id: String,
        bound: String,
        asked: String,
    },
    #[error("credentials file {path}: {reason}")]
    Credentials { path: String, reason: String },
    #[error(
        "refusing {0}: only https, or http on a loopback host, is used (--allow-insecure-http allows plain http elsewhere; no other scheme is ever used)"
    )]
    InsecureUrl(String),
}
