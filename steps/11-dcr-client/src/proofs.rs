//! Beyond the blog: what a token request carries besides its form — a DPoP
//! proof (RFC 9449 §5) and, for `--client-key`, a `private_key_jwt`
//! assertion instead of a secret (RFC 7523). Both off by default
//! (`Proofs::default()`): the blog's requests are unchanged.

use reqwest::{RequestBuilder, StatusCode, header::HeaderMap};

use crate::{
    client_assertion::{Assertion, JWT_BEARER},
    credentials::ClientCredentials,
    dpop::DpopSession,
    narrate,
};

#[derive(Debug, Clone, Copy, Default)]
pub struct Proofs<'a> {
    pub assertion: Option<&'a Assertion>,
    pub dpop: Option<&'a DpopSession>,
}

impl Proofs<'_> {
    /// Add the proof header and, for `private_key_jwt`, the assertion (and
    /// `client_id`) to a token request.
    pub fn apply(
        &self,
        mut request: RequestBuilder,
        endpoint: &str,
        credentials: &ClientCredentials,
        form: &mut Vec<(&str, String)>,
    ) -> RequestBuilder {
        if let Some(dpop) = self.dpop {
            request = request.header("dpop", dpop.proof("POST", endpoint, None));
        }
        if credentials.token_endpoint_auth_method == "private_key_jwt" {
            form.push(("client_id", credentials.client_id.clone()));
            if let Some(assertion) = self.assertion {
                form.push(("client_assertion_type", JWT_BEARER.to_string()));
                form.push(("client_assertion", assertion.jwt(&credentials.client_id)));
            }
        }
        request
    }

    /// Keep a nonce the provider sent; `true` when it is new.
    pub fn new_nonce(&self, endpoint: &str, headers: &HeaderMap) -> bool {
        self.dpop
            .is_some_and(|dpop| dpop.remember(endpoint, headers))
    }

    /// What to say when a token we asked to be bound came back a bearer token.
    pub fn unbound(&self, token_type: &str) -> Option<String> {
        (self.dpop.is_some() && !token_type.eq_ignore_ascii_case("dpop")).then(|| {
            format!(
                "the provider did not bind the token to our DPoP key (token_type {token_type}): it is a bearer token"
            )
        })
    }
}

/// A provider's `400 use_dpop_nonce` (RFC 9449 §8): retry once with the
/// nonce it sent.
pub fn nonce_asked(status: StatusCode, body: &serde_json::Value) -> bool {
    let asked = status == StatusCode::BAD_REQUEST && body["error"] == "use_dpop_nonce";
    if asked {
        narrate::say(
            "← 400 use_dpop_nonce: the provider wants its nonce in the proof; once more with it",
        );
    }
    asked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_400_use_dpop_nonce_asks_for_a_retry() {
        let asked = serde_json::json!({"error": "use_dpop_nonce"});
        let other = serde_json::json!({"error": "invalid_grant"});
        assert!(nonce_asked(StatusCode::BAD_REQUEST, &asked));
        assert!(!nonce_asked(StatusCode::UNAUTHORIZED, &asked));
        assert!(!nonce_asked(StatusCode::BAD_REQUEST, &other));
    }

    #[test]
    fn a_bearer_token_is_named_only_when_dpop_was_asked_for() {
        let session = DpopSession::new();
        let with = Proofs {
            assertion: None,
            dpop: Some(&session),
        };
        assert!(with.unbound("Bearer").unwrap().contains("did not bind"));
        assert_eq!(with.unbound("DPoP"), None);
        assert_eq!(with.unbound("dpop"), None);
        assert_eq!(Proofs::default().unbound("Bearer"), None);
    }
}
