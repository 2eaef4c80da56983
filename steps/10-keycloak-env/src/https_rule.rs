//! HTTPS rules: a provider URL or public server URL on plain http is refused
//! at start, unless its host is loopback (a laptop) or `--allow-insecure-http`
//! says otherwise — loudly. Tokens, codes and client secrets must not cross a
//! network unencrypted (OAuth 2.1 §1.5; MCP: authorization endpoints MUST use
//! HTTPS).

use url::Url;

#[derive(Debug, thiserror::Error)]
#[error(
    "{name} {url} uses plain http on a non-loopback host; use https, or pass --allow-insecure-http (never in production)"
)]
pub struct InsecureUrl {
    pub name: &'static str,
    pub url: String,
}

/// Is `url` acceptable without `--allow-insecure-http`?
pub fn is_secure_enough(url: &str) -> bool {
    match Url::parse(url) {
        Ok(url) => {
            url.scheme() == "https"
                || matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
        }
        Err(_) => false,
    }
}

/// Check each `(name, url)`; the first offender is the error.
pub fn check(urls: &[(&'static str, &str)]) -> Result<(), InsecureUrl> {
    for (name, url) in urls {
        if !is_secure_enough(url) {
            return Err(InsecureUrl {
                name,
                url: url.to_string(),
            });
        }
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
        assert!(is_secure_enough("https://kc.example.com/realms/x"));
        assert!(!is_secure_enough("http://kc.example.com/realms/x"));
        assert!(!is_secure_enough("http://localhost.evil.example"));
        assert!(
            check(&[("provider URL", "http://kc.invalid")])
                .unwrap_err()
                .to_string()
                .contains("kc.invalid")
        );
    }
}
