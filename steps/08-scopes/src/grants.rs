//! What a caller is allowed: scopes and roles, read from the token's claims.
//!
//! Scopes and roles answer two different questions:
//!
//! - a **scope** is what the user *delegated* to this client — "this app may
//!   call tools for me" — in the standard `scope` claim, space separated
//!   (RFC 8693 §4.2, RFC 9068 §2.2.3). The user consented to it.
//! - a **role** is what the user *is* — an administrator of this server —
//!   however little they delegated. There is no single standard claim.
//!
//! We read roles from exactly two places, both about *this* server:
//!
//! ```text
//! "roles": ["admin"]                                   tokengen (RFC 9068 §2.2.3.1 names `roles`)
//! "resource_access": {"echo-mcp-server": {"roles": ["admin"]}}
//!                                                      Keycloak client roles — only for
//!                                                      clients we accept as audience
//! ```
//!
//! Never from Keycloak's `realm_access`: a realm role is realm-wide, so an
//! `admin` of some other application in the same realm would be admin here
//! too. The same goes for client roles of *other* clients.
//!
//! The blog's rule "the admin role may do everything" is kept, and it means a
//! token with the admin role passes the scope check even for scopes the user
//! never delegated to that client. A production server may prefer to require
//! the scope *and* the role (a role limits the user, a scope limits the
//! client), so that a client given `mcp:read` by an admin cannot call tools.

use serde_json::Value;
use step6::identity::Identity;

/// The scopes and roles of one caller: a view over the identity's claims,
/// computed on demand (this runs on every request, so it allocates nothing).
#[derive(Debug, Clone, Copy)]
pub struct Grants<'a> {
    identity: Option<&'a Identity>,
    /// The client ids whose `resource_access` roles count (our audiences).
    clients: &'a [String],
}

fn contains(list: Option<&Value>, wanted: &str) -> bool {
    list.and_then(Value::as_array)
        .is_some_and(|items| items.iter().any(|item| item.as_str() == Some(wanted)))
}

impl<'a> Grants<'a> {
    /// Grants from a validated identity.
    pub fn of(identity: &'a Identity, clients: &'a [String]) -> Grants<'a> {
        Grants {
            identity: Some(identity),
            clients,
        }
    }

    /// No identity at all: no scope, no role.
    pub fn none() -> Grants<'static> {
        Grants {
            identity: None,
            clients: &[],
        }
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.identity
            .is_some_and(|identity| identity.scopes.iter().any(|s| s == scope))
    }

    pub fn has_role(&self, role: &str) -> bool {
        let Some(identity) = self.identity else {
            return false;
        };
        let claims = &identity.claims;
        contains(claims.get("roles"), role)
            || claims.get("resource_access").is_some_and(|access| {
                self.clients
                    .iter()
                    .any(|client| contains(access.get(client).and_then(|c| c.get("roles")), role))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn identity(claims: Value) -> Identity {
        let mut claims = claims.as_object().unwrap().clone();
        claims.insert("sub".into(), json!("u"));
        claims.insert("exp".into(), json!(1));
        Identity::from_claims(claims).unwrap()
    }

    #[test]
    fn roles_from_our_two_places_only() {
        let who = identity(json!({
            "scope": "mcp:read",
            "roles": ["a"],
            "realm_access": {"roles": ["admin", "b"]},
            "resource_access": {"echo-mcp-server": {"roles": ["c"]}, "other-app": {"roles": ["admin"]}}
        }));
        let clients = ["echo-mcp-server".to_string()];
        let grants = Grants::of(&who, &clients);
        for role in ["a", "c"] {
            assert!(grants.has_role(role), "{role}");
        }
        // A realm-wide role, or another client's role, is not a role here.
        assert!(!grants.has_role("admin"));
        assert!(!grants.has_role("b"));
        assert!(grants.has_scope("mcp:read"));
        assert!(!grants.has_scope("mcp:tools"));
    }

    #[test]
    fn odd_shapes_are_ignored_not_fatal() {
        let who = identity(json!({"roles": "admin", "realm_access": ["x"], "resource_access": 5}));
        let clients = ["echo-mcp-server".to_string()];
        assert!(!Grants::of(&who, &clients).has_role("admin"));
        assert!(!Grants::none().has_role("admin"));
    }
}
