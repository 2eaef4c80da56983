//! One type for every secret the client holds: a client secret, an access or
//! refresh token, a PKCE verifier.
//!
//! Structs are printed with `{:?}` in logs, panics and error messages; a
//! token that lands there is a credential anyone reading the log can replay
//! (RFC 6750 §5.3: "Don't store bearer tokens in … logs"). So `Debug` shows
//! `[redacted]`, there is no `Display`, and the value is read only through
//! [`Secret::expose`] — each place that needs the text says so.

use serde::{Deserialize, Serialize};

/// A secret string. Serialized as the plain string (the credentials file must
/// hold the client secret; that file is created with mode 0600).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its length in bytes (safe to print).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value_but_serde_keeps_it() {
        let secret = Secret::new("s3cret-value");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&secret)), "Some([redacted])");
        assert_eq!(secret.expose(), "s3cret-value");
        let json = serde_json::to_string(&secret).unwrap();
        assert_eq!(json, "\"s3cret-value\"");
        assert_eq!(serde_json::from_str::<Secret>(&json).unwrap(), secret);
    }
}
