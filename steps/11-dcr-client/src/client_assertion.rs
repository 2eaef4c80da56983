//! `private_key_jwt` client authentication (RFC 7523 §2.2, §3; OpenID
//! Connect Core §9) — beyond the blog, for `--grant client-credentials
//! --client-key FILE`.
//!
//! Instead of a shared secret, the client signs a short-lived JWT with its
//! private key; the provider checks it with the public key it was given at
//! registration (Keycloak: the client's `jwks.string`). Nothing secret
//! crosses the wire, and a captured assertion is good for one minute and
//! one use (`jti`).
//!
//! ```text
//! client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer
//! client_assertion=<JWT: iss = sub = client_id, aud = the issuer, iat, exp = iat + 60, jti>
//! ```

use serde_json::json;

use crate::es256::{ALG, Es256Key, now_unix, random_id};

/// The `client_assertion_type` of a JWT assertion (RFC 7523 §2.2).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is valid: long enough to reach the provider.
pub const LIFETIME_SECS: i64 = 60;

/// The key a client authenticates with, and whom its assertions are for.
#[derive(Debug)]
pub struct Assertion {
    pub key: Es256Key,
    /// The authorization server's issuer identifier (RFC 7523 §3: `aud`
    /// identifies the authorization server; the issuer is accepted by
    /// Keycloak, oidc-provider and the MCP conformance suite alike).
    pub audience: String,
}

impl Assertion {
    /// A fresh assertion for `client_id`.
    pub fn jwt(&self, client_id: &str) -> String {
        let now = now_unix();
        let header = json!({"typ": "JWT", "alg": ALG});
        let claims = json!({
            "iss": client_id,
            "sub": client_id,
            "aud": self.audience,
            "iat": now,
            "exp": now + LIFETIME_SECS,
            "jti": random_id(),
        });
        self.key.sign(&header, &claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    use serde_json::Value;

    #[test]
    fn an_assertion_names_the_client_and_the_issuer() {
        let assertion = Assertion {
            key: Es256Key::generate(),
            audience: "https://as.example/realms/r".into(),
        };
        let jwt = assertion.jwt("agent");
        let part = |i: usize| -> Value {
            serde_json::from_slice(
                &URL_SAFE_NO_PAD
                    .decode(jwt.split('.').nth(i).unwrap())
                    .unwrap(),
            )
            .unwrap()
        };
        assert_eq!(part(0)["alg"], "ES256");
        let claims = part(1);
        assert_eq!(claims["iss"], "agent");
        assert_eq!(claims["sub"], "agent");
        assert_eq!(claims["aud"], "https://as.example/realms/r");
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            LIFETIME_SECS
        );
        assert_ne!(
            assertion.jwt("agent").split('.').nth(1),
            jwt.split('.').nth(1),
            "a fresh jti each time"
        );
    }
}
