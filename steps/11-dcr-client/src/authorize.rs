//! The authorization request, the browser, and the loopback redirect.
//!
//! ```text
//! GET {authorization_endpoint}?response_type=code&client_id=…
//!     &redirect_uri=http://127.0.0.1:41234/callback
//!     &scope=mcp:read%20mcp:tools&state=<random>
//!     &code_challenge=<S256 of the verifier>&code_challenge_method=S256
//!     &resource=http://localhost:9000/mcp                       (RFC 8707: the token is for this server)
//!
//! … the user logs in and consents in the browser …
//!
//! GET http://127.0.0.1:41234/callback?code=…&state=<same>&iss=<issuer>    (to our listener)
//! ```
//!
//! Native apps receive the redirect on a loopback listener (RFC 8252 §7.3),
//! bound to 127.0.0.1 only — no copying URLs by hand (the Python original
//! asked the user to paste the redirect URL). The `state` must come back
//! unchanged (CSRF, RFC 6749 §10.12) and `iss` must be our issuer — present
//! whenever the server advertises it (RFC 9207: defeats mix-up attacks).

use std::{collections::HashMap, time::Duration};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
    process::Child,
};
use url::Url;

use crate::{error::ClientError, narrate};

/// The listener for the redirect, and the URI that reaches it.
pub struct Redirect {
    listener: TcpListener,
    pub uri: String,
}

/// Listen on 127.0.0.1:`port` (0 = any free port).
pub async fn listen(port: u16) -> Result<Redirect, ClientError> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
        ClientError::Browser(format!(
            "cannot listen on 127.0.0.1:{port} for the redirect: {e}"
        ))
    })?;
    let port = listener
        .local_addr()
        .map_err(|e| ClientError::Browser(e.to_string()))?
        .port();
    Ok(Redirect {
        listener,
        uri: format!("http://127.0.0.1:{port}/callback"),
    })
}

/// Everything that goes into the authorization URL.
pub struct AuthorizationRequest<'a> {
    pub endpoint: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub scope: Option<&'a str>,
    pub state: &'a str,
    pub code_challenge: &'a str,
    pub resource: &'a str,
}

impl AuthorizationRequest<'_> {
    pub fn url(&self) -> Result<Url, ClientError> {
        let mut url = Url::parse(self.endpoint).map_err(|e| {
            ClientError::Discovery(format!("authorization_endpoint is not a URL: {e}"))
        })?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", self.client_id)
                .append_pair("redirect_uri", self.redirect_uri);
            if let Some(scope) = self.scope {
                query.append_pair("scope", scope);
            }
            query
                .append_pair("state", self.state)
                .append_pair("code_challenge", self.code_challenge)
                .append_pair("code_challenge_method", "S256")
                .append_pair("resource", self.resource);
        }
        Ok(url)
    }
}

/// How to show the authorization URL to the user.
pub enum Browser<'a> {
    /// Run this command with the URL as its last argument (scripts stand in for a person).
    Command(&'a str),
    /// Print the URL and wait.
    PrintOnly,
    /// xdg-open / open, falling back to printing.
    System,
}

/// Show the URL; returns the child process when a command was started.
pub fn open(browser: Browser<'_>, url: &Url) -> Result<Option<Child>, ClientError> {
    let spawn = |program: &str, args: Vec<String>| {
        tokio::process::Command::new(program)
            .args(args)
            .stdout(std::process::Stdio::null())
            .spawn()
    };
    match browser {
        Browser::Command(command) => {
            narrate::say(&format!(
                "running the browser command: {command} <authorization URL>"
            ));
            let child = spawn(
                "sh",
                vec![
                    "-c".into(),
                    format!("{command} \"$1\""),
                    "sh".into(),
                    url.to_string(),
                ],
            )
            .map_err(|e| ClientError::Browser(format!("{command}: {e}")))?;
            Ok(Some(child))
        }
        Browser::PrintOnly => {
            narrate::say(&format!("open this URL in a browser:\n\n      {url}\n"));
            Ok(None)
        }
        Browser::System => {
            let opener = if cfg!(target_os = "macos") {
                "open"
            } else {
                "xdg-open"
            };
            match spawn(opener, vec![url.to_string()]) {
                Ok(child) => {
                    narrate::say(&format!(
                        "opened your browser ({opener}); if nothing appears, open:\n      {url}"
                    ));
                    Ok(Some(child))
                }
                Err(_) => open(Browser::PrintOnly, url),
            }
        }
    }
}

/// How long one connection to the listener may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Wait for the browser to arrive at the redirect URI with our `state`;
/// return its query parameters.
///
/// Any local process can connect to the listener, so nothing it sends is
/// trusted: each connection is served by its own task with a short read
/// timeout (an idle connection cannot block the real redirect), and only a
/// request carrying the `state` we sent ends the wait — an `?error=` with
/// another state is ignored too, so a stray process cannot abort a login
/// (RFC 6749 §4.1.2.1, §10.12). Other paths get a 404.
pub async fn wait_for_redirect(
    redirect: &Redirect,
    state: &str,
    timeout: Duration,
) -> Result<HashMap<String, String>, ClientError> {
    let (found, mut arrived) = tokio::sync::mpsc::channel(1);
    let wait = async {
        loop {
            tokio::select! {
                accepted = redirect.listener.accept() => {
                    if let Ok((socket, _)) = accepted {
                        tokio::spawn(serve_one(socket, state.to_string(), found.clone()));
                    }
                }
                Some(params) = arrived.recv() => return params,
            }
        }
    };
    tokio::time::timeout(timeout, wait)
        .await
        .map_err(|_| ClientError::LoginTimeout(timeout.as_secs()))
}

/// Answer one connection to the listener; send its parameters on if they carry `state`.
async fn serve_one(
    mut socket: tokio::net::TcpStream,
    state: String,
    found: tokio::sync::mpsc::Sender<HashMap<String, String>>,
) {
    let Ok(Some(target)) = tokio::time::timeout(READ_TIMEOUT, read_target(&mut socket)).await
    else {
        return; // too slow, or not HTTP: just close
    };
    let Ok(url) = Url::parse(&format!("http://127.0.0.1{target}")) else {
        return;
    };
    let params: HashMap<String, String> = url.query_pairs().into_owned().collect();
    let (status, page) = if url.path() != "/callback" {
        ("404 Not Found", "")
    } else if params.get("state") != Some(&state) {
        narrate::say(
            "ignored a request to the redirect listener whose state is not ours (still waiting)",
        );
        (
            "400 Bad Request",
            "<!doctype html><title>Not this login</title><p>This response does not belong to the login in progress.</p>",
        )
    } else {
        (
            "200 OK",
            "<!doctype html><title>Signed in</title><p>Done — you can close this window and return to the terminal.</p>",
        )
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
        page.len()
    );
    let _ = socket.write_all(response.as_bytes()).await;
    if status.starts_with("200") {
        let _ = found.send(params).await;
    }
}

/// The request target of an HTTP request head (read with a 16 KiB bound).
async fn read_target(socket: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buffer = vec![0u8; 16 * 1024];
    let mut read = 0;
    // (`<=` would read into an empty slice once full, which returns 0 and ends
    // the loop the same way: an equivalent mutant.)
    while read < buffer.len() {
        match socket.read(&mut buffer[read..]).await {
            Ok(0) | Err(_) => break,
            Ok(n) => read += n,
        }
        if buffer[..read].windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let request = String::from_utf8_lossy(&buffer[..read]);
    request.split_whitespace().nth(1).map(str::to_string)
}

/// Check what came back: an error from the provider, the state, the issuer; return the code.
///
/// `iss_required`: the authorization server advertises
/// `authorization_response_iss_parameter_supported`, so a redirect without
/// `iss` is refused (RFC 9207 §2.4) — otherwise a mix-up attacker could
/// simply leave it out.
pub fn check_redirect(
    params: &HashMap<String, String>,
    state: &str,
    issuer: &str,
    iss_required: bool,
) -> Result<String, ClientError> {
    let returned = params.get("state").map(String::as_str).unwrap_or("");
    if returned != state {
        return Err(ClientError::StateMismatch {
            found: returned.to_string(),
        });
    }
    match params.get("iss") {
        Some(iss) if iss != issuer => {
            return Err(ClientError::RedirectIssuerMismatch {
                found: iss.clone(),
                expected: issuer.to_string(),
            });
        }
        None if iss_required => {
            return Err(ClientError::RedirectIssuerMismatch {
                found: "(none)".into(),
                expected: issuer.to_string(),
            });
        }
        _ => {}
    }
    if let Some(error) = params.get("error") {
        return Err(ClientError::Provider {
            error: error.clone(),
            description: params.get("error_description").cloned(),
        });
    }
    params
        .get("code")
        .cloned()
        .ok_or_else(|| ClientError::Provider {
            error: "no code in the redirect".into(),
            description: None,
        })
}

#[cfg(test)]
mod tests {

    /// A browser (or a slow local process) may send the request head in
    /// pieces: the target is read once the head is complete, not from the
    /// first piece.
    #[tokio::test]
    async fn the_request_head_is_read_whole_even_in_pieces() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let client = tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
            stream.write_all(b"GET /call").await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            stream
                .write_all(b"back?code=c&state=s HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .unwrap();
            stream
        });
        let (mut socket, _) = listener.accept().await.unwrap();
        assert_eq!(
            read_target(&mut socket).await.as_deref(),
            Some("/callback?code=c&state=s")
        );
        drop(client.await.unwrap());
    }

    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn redirect_checks() {
        let ok = params(&[("code", "c"), ("state", "s"), ("iss", "http://as")]);
        assert_eq!(check_redirect(&ok, "s", "http://as", true).unwrap(), "c");
        assert!(matches!(
            check_redirect(&ok, "other", "http://as", false),
            Err(ClientError::StateMismatch { .. })
        ));
        assert!(matches!(
            check_redirect(&ok, "s", "http://evil", false),
            Err(ClientError::RedirectIssuerMismatch { .. })
        ));
        let no_iss = params(&[("code", "c"), ("state", "s")]);
        // Without iss: fine when the server does not advertise it, refused when it does.
        assert!(check_redirect(&no_iss, "s", "http://as", false).is_ok());
        assert!(matches!(
            check_redirect(&no_iss, "s", "http://as", true),
            Err(ClientError::RedirectIssuerMismatch { .. })
        ));
        let denied = params(&[
            ("error", "access_denied"),
            ("error_description", "no"),
            ("state", "s"),
        ]);
        assert!(matches!(
            check_redirect(&denied, "s", "http://as", false),
            Err(ClientError::Provider { .. })
        ));
    }

    #[test]
    fn authorization_url_carries_pkce_state_and_resource() {
        let url = AuthorizationRequest {
            endpoint: "http://as/auth",
            client_id: "c",
            redirect_uri: "http://127.0.0.1:1/callback",
            scope: Some("a b"),
            state: "st",
            code_challenge: "ch",
            resource: "http://localhost:9000/mcp",
        }
        .url()
        .unwrap();
        let q: HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["resource"], "http://localhost:9000/mcp");
        assert_eq!(q["scope"], "a b");
        assert_eq!(q["state"], "st");
    }
}
