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

use std::collections::BTreeSet;

use serde_json::Value;
use step6::identity::Identity;

/// The scopes and roles of one caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    pub scopes: BTreeSet<String>,
    pub roles: BTreeSet<String>,
}

fn strings(value: Option<&Value>) -> impl Iterator<Item = String> + '_ {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
}

impl Grants {
    /// Grants from a validated identity. `clients` are the client ids whose
    /// `resource_access` roles count (our accepted audiences).
    pub fn from_identity(identity: &Identity, clients: &[String]) -> Grants {
        let claims = &identity.claims;
        let mut roles: BTreeSet<String> = strings(claims.get("roles")).collect();
        roles.extend(strings(
            claims.get("realm_access").and_then(|r| r.get("roles")),
        ));
        if let Some(access) = claims.get("resource_access") {
            for client in clients {
                roles.extend(strings(access.get(client).and_then(|c| c.get("roles"))));
            }
        }
        Grants {
            scopes: identity.scopes.iter().cloned().collect(),
            roles,
        }
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.contains(role)
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
        let grants = Grants::from_identity(&who, &["echo-mcp-server".into()]);
        assert_eq!(
            grants.roles,
            BTreeSet::from(["a".into(), "b".into(), "c".into()])
        );
        assert!(!grants.has_role("admin"));
        assert!(grants.has_scope("mcp:read"));
    }

    #[test]
    fn odd_shapes_are_ignored_not_fatal() {
        let who = identity(json!({"roles": "admin", "realm_access": ["x"], "resource_access": 5}));
        let grants = Grants::from_identity(&who, &["echo-mcp-server".into()]);
        assert!(grants.roles.is_empty());
    }
}
