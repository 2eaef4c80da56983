//! HTTPS rules: every URL the server talks to — the provider given at start,
//! and the URLs the provider's discovery document names (`jwks_uri`,
//! `introspection_endpoint`) — must be `https`, or `http` on a loopback host
//! (a laptop). Anything else is refused unless `--allow-insecure-http` says
//! otherwise, loudly. Tokens, keys and client secrets must not cross a network
//! unencrypted (OAuth 2.1 §1.5; MCP Authorization: authorization server
//! endpoints MUST be served over HTTPS), and a key set fetched over plain http
//! can be swapped by anyone on the path — then they sign the tokens.
//!
//! ```text
//! https://kc.example.com/realms/x      ok
//! http://localhost:8080/realms/x       ok (loopback: 127.0.0.1, [::1], localhost)
//! http://kc.example.com/realms/x       refused
//! ftp://localhost/certs                refused (only http and https are spoken here)
//! ```

use url::Url;

#[derive(Debug, thiserror::Error)]
#[error(
    "{name} {url} is not https (plain http is allowed only on a loopback host); use https, or pass --allow-insecure-http (never in production)"
)]
pub struct InsecureUrl {
    pub name: &'static str,
    pub url: String,
}

/// Is `url` acceptable without `--allow-insecure-http`?
pub fn is_secure_enough(url: &str) -> bool {
    let Ok(url) = Url::parse(url) else {
        return false;
    };
    match url.scheme() {
        "https" => true,
        "http" => matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")),
        _ => false,
    }
}

/// Is `url` http(s) at all? Even `--allow-insecure-http` never allows another scheme.
pub fn is_http(url: &str) -> bool {
    Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// A flag that must be an http(s) URL with a host (clap's `value_parser` for
/// `--keycloak-url` and step 10's `--jwks-url`). Whether plain http is
/// acceptable is [`check`]'s business, at start, where `--allow-insecure-http`
/// is known.
pub fn http_url(text: &str) -> Result<Url, NotHttp> {
    match Url::parse(text) {
        Ok(url)
            if matches!(url.scheme(), "http" | "https")
                && url.host().is_some()
                && url.username().is_empty()
                && url.password().is_none() =>
        {
            Ok(url)
        }
        _ => Err(NotHttp(text.to_string())),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not an absolute http(s) URL, e.g. http://localhost:8080")]
pub struct NotHttp(String);

/// Check one URL; with `allow_insecure`, plain http anywhere passes (with a warning).
pub fn check_one(name: &'static str, url: &str, allow_insecure: bool) -> Result<(), InsecureUrl> {
    let refused = || InsecureUrl {
        name,
        url: url.to_string(),
    };
    if is_secure_enough(url) {
        Ok(())
    } else if allow_insecure && is_http(url) {
        tracing::warn!(
            name,
            url,
            "--allow-insecure-http: plain http on a non-loopback host"
        );
        Ok(())
    } else {
        Err(refused())
    }
}

/// Check each `(name, url)`; the first offender is the error.
pub fn check(urls: &[(&'static str, &str)], allow_insecure: bool) -> Result<(), InsecureUrl> {
    for (name, url) in urls {
        check_one(name, url, allow_insecure)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_http_and_https_pass() {
        assert!(is_secure_enough("http://localhost:8080/realms/x"));
        assert!(is_secure_enough("http://127.0.0.1:9000"));
        assert!(is_secure_enough("http://[::1]:9000"));
        assert!(is_secure_enough("https://kc.example.com/realms/x"));
        assert!(!is_secure_enough("http://kc.example.com/realms/x"));
        assert!(!is_secure_enough("http://localhost.evil.example"));
        assert!(!is_secure_enough("ftp://localhost/certs"));
        assert!(!is_secure_enough("file:///etc/passwd"));
        assert!(!is_secure_enough("not a url"));
        assert!(
            check(&[("provider URL", "http://kc.invalid")], false)
                .unwrap_err()
                .to_string()
                .contains("kc.invalid")
        );
    }

    #[test]
    fn the_override_allows_http_but_never_another_scheme() {
        assert!(check_one("x", "http://kc.example.com", true).is_ok());
        assert!(check_one("x", "ftp://kc.example.com", true).is_err());
        assert!(check_one("x", "file:///etc/passwd", true).is_err());
    }
}
