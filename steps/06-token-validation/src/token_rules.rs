//! The checks beyond the blog's (signature, `iss`, `aud`, `exp`) — beyond the
//! blog: hardening ([docs/hardening.md](../../../docs/hardening.md)).
//!
//! - the token *type*: a token signed by the right key that is not an access
//!   token — an ID token or a refresh token of the same provider — must not be
//!   used as one. How a provider marks its access tokens differs
//!   ([`TokenType`]): RFC 9068 puts `typ: at+jwt` in the header (tokengen);
//!   Keycloak puts `typ: JWT` in the header and `"typ": "Bearer"` in the claims
//!   (its ID tokens say `"ID"`, its refresh tokens `"Refresh"`);
//! - `iat` not in the future, and a bounded lifetime (`--max-token-lifetime`):
//!   a stolen signing key cannot mint ten-year tokens that outlive its rotation;
//! - [`unverified_claims`] and `could_be_ours`: how to *refuse* a token whose
//!   key cannot be looked up yet (503 or 401), never a reason to accept one.

use serde_json::{Map, Value};

use crate::validate::{LEEWAY_SECS, TokenError, Validator};

/// The default for `--max-token-lifetime`: an hour. Keycloak issues access
/// tokens for 5 minutes by default; tokengen for 15.
pub const DEFAULT_MAX_LIFETIME_SECS: i64 = 3600;

/// How the issuer marks a JWT as an *access* token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TokenType {
    /// RFC 9068: header `typ` is `at+jwt` (or `application/at+jwt`). tokengen's tokens.
    AtJwt,
    /// Keycloak: claim `typ` is `Bearer` (ID tokens say `ID`, refresh tokens `Refresh`).
    Keycloak,
}

impl Validator {
    /// How this issuer marks access tokens (default: RFC 9068 `at+jwt`).
    pub fn with_token_type(mut self, token_type: TokenType) -> Validator {
        self.token_type = token_type;
        self
    }

    /// The longest lifetime (`exp - iat`) a token may have.
    pub fn with_max_lifetime(mut self, max: std::time::Duration) -> Validator {
        self.max_lifetime_secs = i64::try_from(max.as_secs()).unwrap_or(i64::MAX);
        self
    }

    /// Before the signature is checked: does the token at least *claim* to be
    /// ours — our issuer, not yet expired? Never a reason to accept; only a
    /// reason to say 503 rather than 401 while the key set may not be asked.
    pub(crate) fn could_be_ours(&self, token: &str, now: i64) -> bool {
        unverified_claims(token).is_some_and(|claims| {
            claims.get("iss").and_then(Value::as_str) == Some(self.issuer.as_str())
                && claims
                    .get("exp")
                    .and_then(Value::as_i64)
                    .is_some_and(|exp| exp.saturating_add(LEEWAY_SECS as i64) > now)
        })
    }

    /// Keycloak marks its access tokens in the claims, not the header.
    pub(crate) fn check_type_claim(&self, claims: &Map<String, Value>) -> Result<(), TokenError> {
        if self.token_type != TokenType::Keycloak {
            return Ok(());
        }
        match claims.get("typ").and_then(Value::as_str) {
            Some(typ) if typ.eq_ignore_ascii_case("Bearer") => Ok(()),
            other => Err(TokenError::WrongType(format!(
                "claim typ {other:?}, expected \"Bearer\""
            ))),
        }
    }

    /// `iat` not in the future (beyond the leeway), and a bounded lifetime:
    /// `exp - iat`, or `exp - now` for a token without `iat`.
    pub(crate) fn check_lifetime(
        &self,
        claims: &Map<String, Value>,
        now: i64,
    ) -> Result<(), TokenError> {
        let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
        let iat = match claims.get("iat") {
            None => None,
            Some(iat) => Some(
                iat.as_i64()
                    .ok_or_else(|| TokenError::Invalid("iat is not a number".into()))?,
            ),
        };
        if let Some(iat) = iat
            && iat > now + LEEWAY_SECS as i64
        {
            return Err(TokenError::IssuedInFuture(iat - now));
        }
        let lifetime = exp.saturating_sub(iat.unwrap_or(now));
        if lifetime > self.max_lifetime_secs {
            return Err(TokenError::LivesTooLong(lifetime, self.max_lifetime_secs));
        }
        Ok(())
    }
}

/// A JWT's claims *without* checking its signature — only to decide how to
/// refuse it, or whether it is worth more work; never to trust it.
pub fn unverified_claims(token: &str) -> Option<Map<String, Value>> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&json).ok()
}
