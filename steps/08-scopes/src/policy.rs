//! The policy table: which JSON-RPC method needs which scope.
//!
//! | method | needs |
//! |---|---|
//! | `initialize`, `ping`, `server/discover`, notifications | a valid token (any scope) |
//! | `tools/list` | `mcp:read` or `mcp:tools` |
//! | `prompts/list` | `mcp:read` or `mcp:prompts` |
//! | `tools/call` | `mcp:tools` |
//! | `prompts/get` | `mcp:prompts` |
//! | anything else | a valid token (then `-32601` from dispatch) |
//! | *any method* | …or the `admin` role |
//!
//! Listing is allowed with the narrower scope too: a client that may call
//! tools must be able to see them.

use crate::grants::Grants;

/// The role that may do everything.
pub const ADMIN_ROLE: &str = "admin";

/// What a method needs beyond a valid token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// A valid token is enough.
    Authenticated,
    /// One of these scopes. The first is the one a `403` asks for.
    AnyScope(&'static [&'static str]),
}

/// The row of the table for `method`.
pub fn requirement(method: &str) -> Requirement {
    match method {
        "tools/list" => Requirement::AnyScope(&["mcp:read", "mcp:tools"]),
        "prompts/list" => Requirement::AnyScope(&["mcp:read", "mcp:prompts"]),
        "tools/call" => Requirement::AnyScope(&["mcp:tools"]),
        "prompts/get" => Requirement::AnyScope(&["mcp:prompts"]),
        _ => Requirement::Authenticated,
    }
}

/// `Ok` if `grants` allow `method`; otherwise the scope to ask for.
pub fn check(method: &str, grants: &Grants<'_>) -> Result<(), &'static str> {
    if grants.has_role(ADMIN_ROLE) {
        return Ok(());
    }
    match requirement(method) {
        Requirement::Authenticated => Ok(()),
        Requirement::AnyScope(scopes) if scopes.iter().any(|s| grants.has_scope(s)) => Ok(()),
        Requirement::AnyScope(scopes) => Err(scopes[0]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::json;
    use step6::identity::Identity;

    fn who(scopes: &[&str], roles: &[&str]) -> Identity {
        let claims = json!({"sub": "u", "exp": 1, "scope": scopes.join(" "), "roles": roles});
        Identity::from_claims(claims.as_object().unwrap().clone()).unwrap()
    }

    #[test]
    fn the_table() {
        let (alice, bob, guest, admin, tools_only) = (
            who(&["mcp:read", "mcp:tools"], &[]),
            who(&["mcp:read", "mcp:prompts"], &[]),
            who(&[], &[]),
            who(&[], &["admin"]),
            who(&["mcp:tools"], &[]),
        );
        let cases = [
            (&alice, "tools/call", Ok(())),
            (&alice, "prompts/get", Err("mcp:prompts")),
            (&alice, "prompts/list", Ok(())),
            (&bob, "tools/call", Err("mcp:tools")),
            (&bob, "prompts/get", Ok(())),
            (&guest, "initialize", Ok(())),
            (&guest, "ping", Ok(())),
            (&guest, "tools/list", Err("mcp:read")),
            (&guest, "resources/list", Ok(())),
            (&admin, "tools/call", Ok(())),
            (&admin, "prompts/get", Ok(())),
            (&tools_only, "tools/list", Ok(())),
            (&tools_only, "prompts/list", Err("mcp:read")),
        ];
        for (identity, method, expected) in cases {
            let grants = Grants::of(identity, &[]);
            assert_eq!(
                check(method, &grants),
                expected,
                "{method} for {:?}",
                identity.subject
            );
        }
    }
}
