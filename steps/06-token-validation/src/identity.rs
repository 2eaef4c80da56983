//! Who is calling: what a validated token says about its bearer.
//!
//! The standard claims (RFC 9068 §2.2, RFC 8693 §4.2):
//!
//! ```text
//! sub                 the subject — a stable id for the user
//! preferred_username  a display name (OIDC; Keycloak sets it)
//! scope               "mcp:read mcp:tools" — space separated, one string
//! exp                 when the token stops being valid (Unix seconds, UTC)
//! ```
//!
//! The Python original read scopes from a non-standard `scopes` array; this
//! reads the standard `scope` string. All claims are kept, so step 8 can look
//! at roles too.

use std::sync::Arc;

use serde_json::{Map, Value, json};

/// The caller, as established by a valid token.
///
/// Cloned once per request (from the verified-token cache into the request),
/// so the fields are shared (`Arc`), not copied.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub subject: Arc<str>,
    pub username: Option<Arc<str>>,
    pub scopes: Arc<[String]>,
    pub expires_at: i64,
    /// Every claim of the token, for later steps (roles, client id, …).
    pub claims: Arc<Map<String, Value>>,
}

impl Identity {
    /// Read an identity from validated claims. `sub` and `exp` were required
    /// by the validator, so their absence here is impossible in practice; it
    /// is still handled, not unwrapped.
    pub fn from_claims(claims: Map<String, Value>) -> Option<Identity> {
        let subject: Arc<str> = claims.get("sub")?.as_str()?.into();
        let expires_at = claims.get("exp")?.as_i64()?;
        let username = claims
            .get("preferred_username")
            .and_then(Value::as_str)
            .map(Arc::from);
        let scopes: Arc<[String]> = claims
            .get("scope")
            .and_then(Value::as_str)
            .map(|s| s.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        Some(Identity {
            subject,
            username,
            scopes,
            expires_at,
            claims: Arc::new(claims),
        })
    }

    /// The name to show: `preferred_username`, else `sub`.
    pub fn display_name(&self) -> &str {
        self.username.as_deref().unwrap_or(&self.subject)
    }

    /// What `initialize` reports under `_meta` (MCP Basic › `_meta`): enough
    /// for a learner to see who the server thinks they are. Never the token.
    pub fn to_meta(&self) -> Value {
        json!({
            "sub": &*self.subject,
            "username": self.display_name(),
            "scopes": &*self.scopes,
            "expires_at": self.expires_at
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_standard_scope_string() {
        let claims = json!({"sub": "u1", "exp": 10, "scope": "mcp:read  mcp:tools", "preferred_username": "alice"});
        let identity = Identity::from_claims(claims.as_object().unwrap().clone()).unwrap();
        assert_eq!(&*identity.scopes, ["mcp:read", "mcp:tools"]);
        assert_eq!(identity.display_name(), "alice");
    }

    #[test]
    fn a_scopes_array_is_not_the_scope_claim() {
        let claims = json!({"sub": "u1", "exp": 10, "scopes": ["mcp:tools"]});
        let identity = Identity::from_claims(claims.as_object().unwrap().clone()).unwrap();
        assert!(identity.scopes.is_empty());
        assert_eq!(identity.display_name(), "u1");
    }
}
