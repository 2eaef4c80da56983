//! Reading a `WWW-Authenticate: Bearer …` challenge (RFC 6750 §3, RFC 9110 §11.6.1).
//!
//! ```text
//! WWW-Authenticate: Bearer realm="mcp-server",
//!                   resource_metadata="http://localhost:9000/.well-known/oauth-protected-resource/mcp",
//!                   scope="mcp:read mcp:tools mcp:prompts"
//! ```
//!
//! A comma-separated list of `name=value` pairs, where a value is a token or
//! a quoted string with `\` escapes. Written by hand: it is short, and it is
//! the first thing a client must get right.

use std::collections::HashMap;

/// The parameters of a Bearer challenge, names lower-cased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Challenge {
    pub params: HashMap<String, String>,
}

impl Challenge {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    pub fn resource_metadata(&self) -> Option<&str> {
        self.get("resource_metadata")
    }

    pub fn scope(&self) -> Option<&str> {
        self.get("scope")
    }

    pub fn error(&self) -> Option<&str> {
        self.get("error")
    }
}

/// Parse the Bearer challenge out of one `WWW-Authenticate` value; `None`
/// if it is not a Bearer challenge.
pub fn parse(header: &str) -> Option<Challenge> {
    parse_scheme(header, "bearer")
}

/// The same for a challenge of `scheme` (beyond the blog: `DPoP`, RFC 9449
/// §7.1, whose parameters are Bearer's plus `algs`).
pub fn parse_scheme(header: &str, scheme: &str) -> Option<Challenge> {
    let trimmed = header.trim_start();
    let (found, rest) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
    if !found.eq_ignore_ascii_case(scheme) {
        return None;
    }
    let mut params = HashMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ' ' || *c == ',') {
            chars.next();
        }
        let name: String = chars
            .by_ref()
            .take_while(|c| *c != '=')
            .collect::<String>()
            .trim()
            .to_ascii_lowercase();
        if name.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek() {
                if *c == ',' {
                    break;
                }
                value.push(*c);
                chars.next();
            }
            value = value.trim().to_string();
        }
        params.insert(name, value);
    }
    Some(Challenge { params })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quoted_and_token_values() {
        let c = parse(r#"Bearer realm="mcp-server", resource_metadata="http://x/.well-known/oauth-protected-resource/mcp", scope="a b", error=invalid_token"#).unwrap();
        assert_eq!(c.get("realm"), Some("mcp-server"));
        assert_eq!(
            c.resource_metadata(),
            Some("http://x/.well-known/oauth-protected-resource/mcp")
        );
        assert_eq!(c.scope(), Some("a b"));
        assert_eq!(c.error(), Some("invalid_token"));
    }

    #[test]
    fn escapes_and_commas_inside_quotes() {
        let c = parse(r#"bearer error_description="a, \"quoted\" thing""#).unwrap();
        assert_eq!(c.get("error_description"), Some(r#"a, "quoted" thing"#));
    }

    #[test]
    fn other_schemes_are_not_ours() {
        assert_eq!(parse(r#"Basic realm="x""#), None);
        assert_eq!(parse("Bearer").unwrap().params.len(), 0);
    }
}
