//! Sender-constrained tokens sent as plain bearer tokens (beyond the blog).
//!
//! A token can be bound to a key its client must prove it holds on every
//! request: DPoP (RFC 9449 §6: `cnf.jkt`, the key's thumbprint) or mutual
//! TLS (RFC 8705 §3.1: `cnf.x5t#S256`, the certificate's). Such a token is
//! only as safe as that proof. Sent as `Authorization: Bearer`, with no proof,
//! it must be refused — otherwise a stolen bound token is as good as a
//! bearer token here (RFC 9449 §7.2: a resource server that accepts both
//! MUST check the binding). These steps check no proof, so every `cnf` is
//! refused: `401 invalid_token`.

use serde_json::{Map, Value};

use crate::validate::TokenError;

/// `Err` when the claims bind the token to a key or certificate (`cnf`).
pub fn refuse_bound(claims: &Map<String, Value>) -> Result<(), TokenError> {
    let Some(confirmation) = claims.get("cnf") else {
        return Ok(());
    };
    let kinds = match confirmation.as_object() {
        Some(members) if !members.is_empty() => members
            .keys()
            .map(|name| match name.as_str() {
                "jkt" => "DPoP key (cnf.jkt)".to_string(),
                "x5t#S256" => "mTLS certificate (cnf.x5t#S256)".to_string(),
                other => format!("cnf.{}", other.escape_debug()),
            })
            .collect::<Vec<_>>()
            .join(", "),
        _ => "an unreadable cnf claim".to_string(),
    };
    Err(TokenError::Bound(kinds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn only_an_unbound_token_passes() {
        assert!(refuse_bound(&claims(json!({"sub": "u"}))).is_ok());
        let cases = [
            (
                json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}),
                "DPoP key (cnf.jkt)",
            ),
            (
                json!({"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}),
                "mTLS certificate (cnf.x5t#S256)",
            ),
            (json!({"jwk": {"kty": "EC"}}), "cnf.jwk"),
            (json!({}), "an unreadable cnf claim"),
            (json!("jkt"), "an unreadable cnf claim"),
            (Value::Null, "an unreadable cnf claim"),
        ];
        for (cnf, named) in cases {
            match refuse_bound(&claims(json!({"sub": "u", "cnf": cnf}))) {
                Err(TokenError::Bound(kinds)) => assert_eq!(kinds, named),
                other => panic!("{cnf}: {other:?}"),
            }
        }
    }
}
