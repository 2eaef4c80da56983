//! What a caller is allowed: scopes and roles, read from the token's claims.
//!
//! Scopes are OAuth's unit of delegation — what the *client* may do on the
//! user's behalf — in the standard `scope` claim, space separated (RFC 8693
//! §4.2, RFC 9068 §2.2.3). Roles describe the *user*; there is no single
//! standard claim, so we read the three places providers put them:
//!
//! ```text
//! "roles": ["admin"]                                   tokengen, many providers
//! "realm_access": {"roles": ["admin"]}                 Keycloak realm roles
//! "resource_access": {"echo-mcp-server": {"roles": ["admin"]}}
//!                                                      Keycloak client roles — only for
//!                                                      clients we accept as audience
//! ```
//!
//! Client roles of *other* clients are ignored: an `admin` role on some
//! unrelated application must not make you admin here.

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
            || contains(
                claims.get("realm_access").and_then(|r| r.get("roles")),
                role,
            )
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
    fn roles_from_all_three_places_but_only_our_clients() {
        let who = identity(json!({
            "scope": "mcp:read",
            "roles": ["a"],
            "realm_access": {"roles": ["b"]},
            "resource_access": {"echo-mcp-server": {"roles": ["c"]}, "other-app": {"roles": ["admin"]}}
        }));
        let clients = ["echo-mcp-server".to_string()];
        let grants = Grants::of(&who, &clients);
        for role in ["a", "b", "c"] {
            assert!(grants.has_role(role), "{role}");
        }
        assert!(!grants.has_role("admin"));
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
