//! The whole dance, in order. Each stage prints what it sends and what it got.

use std::{path::PathBuf, sync::Arc, time::Duration};

use serde_json::json;
use url::Url;

use crate::{
    authorize::{self, AuthorizationRequest, Browser, Redirect},
    challenge::Challenge,
    cimd,
    client_assertion::Assertion,
    credentials::{ClientCredentials, Store},
    discovery::{self, AuthServerMetadata},
    dpop::DpopSession,
    era::{self, Protocol, Wire},
    error::ClientError,
    es256::Es256Key,
    machine::{self, Grant},
    mcp::{CallError, Connected, McpClient},
    narrate::{say, stage},
    pkce::{self, Pkce},
    registration,
    secret::Secret,
    token::{self, Proofs, Tokens},
};

/// What the command line decided.
#[derive(Debug, Clone)]
pub struct Options {
    /// The MCP endpoint (http or https: clap checked; whether plain http is
    /// acceptable is [`check_https`]'s business).
    pub server_url: Url,
    pub scopes: Option<String>,
    pub redirect_port: u16,
    pub credentials: PathBuf,
    pub reset: bool,
    pub no_browser: bool,
    pub browser_cmd: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    /// The issuer `client_id` belongs to (else: the one recorded at its first use).
    pub client_issuer: Option<Url>,
    /// Register anew at another issuer instead of stopping there.
    pub register_elsewhere: bool,
    pub login_timeout: Duration,
    pub message: String,
    pub allow_insecure_http: bool,
    /// Accept a server without protected-resource metadata, treating its origin as the
    /// authorization server with default endpoints (the 2025-03-26 rules).
    pub legacy_2025_03_26: bool,
    /// Which MCP wire to speak (see [`crate::era`]).
    pub protocol: Protocol,
    /// An https URL where the user publishes this client's metadata, used as
    /// `client_id` where the provider accepts that (checked by [`crate::cimd::check_url`]).
    pub client_metadata_url: Option<Url>,
    /// Beyond the blog: the authorization code (default) or client credentials.
    pub grant: Grant,
    /// Beyond the blog: `private_key_jwt` with this key instead of a secret.
    pub client_key: Option<Es256Key>,
    /// Beyond the blog: DPoP-bound tokens (a fresh key for this run, a proof on
    /// every token and MCP request).
    pub dpop: bool,
}

/// The server URL on the command line: an absolute http(s) URL with a host
/// (clap's `value_parser`). Whether plain http is acceptable is decided by
/// [`check_https`], which knows `--allow-insecure-http`.
pub fn http_url(text: &str) -> Result<Url, ClientError> {
    let bad = |why: &str| ClientError::Discovery(format!("server URL {text:?}: {why}"));
    let url = Url::parse(text).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(bad("must be an http(s) URL with a host"));
    }
    Ok(url)
}

/// Every URL the client contacts or hands to the browser — the MCP server
/// first, then each one a server names — must be http(s), and https unless
/// its host is loopback (OAuth 2.1 §1.5; MCP: authorization server endpoints
/// MUST be served over HTTPS). `--allow-insecure-http` allows plain http
/// anywhere; no flag allows another scheme (`smb://`, `file://`, … would be
/// handed to the browser or the OS).
pub fn check_https(url: &str, allow_insecure: bool) -> Result<(), ClientError> {
    let parsed = Url::parse(url)
        .map_err(|e| ClientError::Discovery(format!("{url:?} is not a URL: {e}")))?;
    let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback || allow_insecure => Ok(()),
        _ => Err(ClientError::InsecureUrl(url.to_string())),
    }
}

/// Everything learned on the way, needed to (re-)authorize.
pub(crate) struct Authorizer {
    pub(crate) http: reqwest::Client,
    pub(crate) metadata: AuthServerMetadata,
    pub(crate) credentials: ClientCredentials,
    /// The loopback listener; `None` for `--grant client-credentials` (no browser).
    redirect: Option<Redirect>,
    pub(crate) resource: String,
    options: Options,
    /// `private_key_jwt`: the client's key and the issuer its assertions are for.
    assertion: Option<Assertion>,
    dpop: Option<Arc<DpopSession>>,
}

impl Authorizer {
    pub(crate) fn proofs(&self) -> Proofs<'_> {
        Proofs {
            assertion: self.assertion.as_ref(),
            dpop: self.dpop.as_deref(),
        }
    }

    /// Stages 6–7: authorization request through the browser, then the token request.
    async fn authorize(&self, scope: Option<&str>, n: u32) -> Result<Tokens, ClientError> {
        let Some(redirect) = &self.redirect else {
            // Beyond the blog: --grant client-credentials (machine.rs).
            return machine::token(self, scope, n).await;
        };
        stage(
            n,
            "Authorization request (PKCE S256, state, resource) — the user signs in in the browser",
        );
        let pkce = Pkce::new();
        let state = pkce::random_string(32);
        let url = AuthorizationRequest {
            endpoint: &self.metadata.authorization_endpoint,
            client_id: &self.credentials.client_id,
            redirect_uri: &redirect.uri,
            scope,
            state: &state,
            code_challenge: &pkce.challenge,
            resource: &self.resource,
        }
        .url()?;
        say(&format!(
            "GET {}  (scope {:?}, code_challenge_method S256, resource {})",
            self.metadata.authorization_endpoint,
            scope.unwrap_or("(none)"),
            self.resource
        ));
        say(&format!("listening for the redirect on {}", redirect.uri));
        let browser = match (&self.options.browser_cmd, self.options.no_browser) {
            (Some(command), _) => Browser::Command(command),
            (None, true) => Browser::PrintOnly,
            (None, false) => Browser::System,
        };
        let child = authorize::open(browser, &url)?;
        if self.options.browser_cmd.is_none() {
            say(&format!(
                "waiting up to {} s (--login-timeout) for the browser to come back to {}.\n      \
                 Sign in as one of the demo users of keycloak/mcp-realm.json, e.g. mcp-user / user123.\n      \
                 No browser here? Stop (Ctrl-C) and run again with --browser-cmd scripts/browser_login.sh: a script signs in for you.",
                self.options.login_timeout.as_secs(),
                redirect.uri
            ));
        }
        let params = match authorize::wait_for_redirect(
            redirect,
            &state,
            self.options.login_timeout,
        )
        .await
        {
            Ok(params) => params,
            Err(err) => {
                if let Some(mut child) = child
                    && let Ok(Some(status)) = child.try_wait()
                    && !status.success()
                {
                    return Err(ClientError::Browser(format!(
                        "it exited with {status} before the redirect arrived"
                    )));
                }
                return Err(err);
            }
        };
        say(&format!(
            "← redirect to {} with {}",
            redirect.uri,
            params.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
        let iss_required = self.metadata.authorization_response_iss_parameter_supported;
        let code = authorize::check_redirect(&params, &state, &self.metadata.issuer, iss_required)?;
        say(if iss_required {
            "state matches what we sent; iss is our issuer (required: the server advertises RFC 9207)"
        } else {
            "state matches what we sent; iss (if sent) is our issuer"
        });
        stage(n + 1, "Token request (code + code_verifier + resource)");
        token::exchange_code(
            &self.http,
            &self.metadata.token_endpoint,
            &self.credentials,
            &code,
            &redirect.uri,
            &pkce.verifier,
            &self.resource,
            self.proofs(),
        )
        .await
    }
}

impl Authorizer {
    /// A new access token from a refresh token (RFC 6749 §6), for the same resource.
    async fn refresh(&self, refresh_token: &Secret) -> Result<Tokens, ClientError> {
        token::refresh(
            &self.http,
            &self.metadata.token_endpoint,
            &self.credentials,
            refresh_token,
            &self.resource,
            self.proofs(),
        )
        .await
    }
}

/// An authorized conversation with one authorization server: how to get
/// tokens again, the tokens, and the scopes asked for so far.
struct Session {
    authorizer: Authorizer,
    tokens: Tokens,
    scopes: Vec<String>,
}

impl Session {
    /// Stages 2–7 after a challenge: find the authorization server, read its
    /// metadata, get a client id, authorize in the browser, redeem the code.
    async fn start(
        http: &reqwest::Client,
        server: &Url,
        challenge: &Challenge,
        options: &Options,
        dpop: Option<Arc<DpopSession>>,
    ) -> Result<Session, ClientError> {
        let found = find_authorization_server(http, server, challenge, options).await?;
        let metadata = authorization_server_metadata(http, &found, options).await?;
        let scopes_supported = found
            .resource_metadata
            .as_ref()
            .and_then(|m| m.scopes_supported.as_ref());
        let (credentials, redirect, scope) = client_credentials(
            http,
            &found.issuer,
            &metadata,
            challenge,
            scopes_supported,
            options,
        )
        .await?;
        let assertion = options.client_key.clone().map(|key| Assertion {
            key,
            audience: metadata.issuer.clone(),
        });
        let authorizer = Authorizer {
            http: http.clone(),
            metadata,
            credentials,
            redirect,
            resource: found.resource,
            options: options.clone(),
            assertion,
            dpop,
        };
        let tokens = authorizer.authorize(scope.as_deref(), 6).await?;
        let scopes = scope
            .iter()
            .flat_map(|s| s.split(' '))
            .map(str::to_string)
            .collect();
        Ok(Session {
            authorizer,
            tokens,
            scopes,
        })
    }

    fn issuer(&self) -> &str {
        &self.authorizer.metadata.issuer
    }

    /// Before a call: a token past its lifetime is refreshed if we can.
    async fn refresh_if_expired(&mut self) -> Result<(), ClientError> {
        if self.tokens.expired()
            && let Some(refresh_token) = self.tokens.refresh_token.clone()
        {
            say("the access token has expired; refreshing");
            self.tokens = self.authorizer.refresh(&refresh_token).await?;
        }
        Ok(())
    }

    /// After a 401 for a token we hold: the refresh token, once (a client
    /// acting for itself asks for a new token instead).
    async fn refresh_after_401(&mut self) -> Result<(), ClientError> {
        if self.authorizer.redirect.is_none() {
            say("← 401 with our token: asking for a new one (client credentials)");
            self.tokens = self
                .authorizer
                .authorize(Some(&self.scopes.join(" ")), 9)
                .await?;
            return Ok(());
        }
        let Some(refresh_token) = self.tokens.refresh_token.clone() else {
            return Err(ClientError::Mcp(
                "401 with a fresh access token, and no refresh token".into(),
            ));
        };
        say("← 401 with our token: trying the refresh token once");
        self.tokens = self.authorizer.refresh(&refresh_token).await?;
        Ok(())
    }

    /// After a 403 insufficient_scope: authorize again with the union of
    /// what we had and what the challenge names (MCP Scope Challenge Handling).
    async fn step_up(&mut self, needed: &str) -> Result<(), ClientError> {
        for scope in needed.split(' ').filter(|s| !s.is_empty()) {
            if !self.scopes.iter().any(|have| have == scope) {
                self.scopes.push(scope.to_string());
            }
        }
        self.tokens = self
            .authorizer
            .authorize(Some(&self.scopes.join(" ")), 9)
            .await?;
        Ok(())
    }
}

/// Stage 8: connect (server/discover or initialize), tools/list, tools/call
/// (echo, or the first tool).
async fn use_server(mcp: &mut McpClient, message: &str) -> Result<(), CallError> {
    let Connected { result } = mcp.connect().await?;
    let identity = match mcp.wire {
        Wire::Modern => {
            say(&format!(
                "server/discover → MCP {} (stateless: every request names its version), server {}",
                era::MODERN_VERSION,
                result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"]
            ));
            result["_meta"]["mcp-auth-step-by-step/identity"].clone()
        }
        _ => {
            say(&format!(
                "initialize → MCP {} (the 2025 handshake), server {}",
                result["protocolVersion"], result["serverInfo"]["name"]
            ));
            say("notifications/initialized → accepted");
            result["_meta"]["mcp-auth-step-by-step/identity"].clone()
        }
    };
    if !identity.is_null() {
        say(&format!("the server sees us as {identity}"));
    }
    let tools = mcp.request("tools/list", json!({})).await?;
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    say(&format!("tools/list → {names:?}"));
    // Our server's echo tool with the message; on another server, its first tool.
    let call = if names.contains(&"echo") {
        Some(("echo", json!({"message": message})))
    } else {
        names.first().map(|name| (*name, json!({})))
    };
    if let Some((name, arguments)) = call {
        let result = mcp
            .request("tools/call", json!({"name": name, "arguments": arguments}))
            .await?;
        say(&format!(
            "tools/call {name} → {}",
            result["content"][0]["text"]
        ));
    }
    Ok(())
}
/// What stage 2 found: the authorization server to use and the resource
/// our tokens are for.
struct Found {
    issuer: String,
    resource: String,
    resource_metadata: Option<discovery::ResourceMetadata>,
}

/// Stage 2: the protected-resource metadata says which authorization server
/// this MCP server trusts (RFC 9728).
async fn find_authorization_server(
    http: &reqwest::Client,
    server: &Url,
    challenge: &Challenge,
    options: &Options,
) -> Result<Found, ClientError> {
    stage(2, "Protected-resource metadata (RFC 9728)");
    let resource_metadata =
        discovery::protected_resource_metadata(http, server, challenge.resource_metadata()).await?;
    let (issuer, resource) = match &resource_metadata {
        Some(prm) => {
            let issuer = prm.authorization_servers.first().cloned().ok_or_else(|| {
                ClientError::Discovery(
                    "the protected-resource metadata lists no authorization_servers".into(),
                )
            })?;
            say(&format!(
                "resource {} → authorization server {issuer}",
                prm.resource
            ));
            (issuer, prm.resource.clone())
        }
        None if options.legacy_2025_03_26 => {
            // A 2025-03-26-era server: the authorization server is the server's origin.
            let issuer = discovery::origin(server);
            say(&format!(
                "no protected-resource metadata; --legacy-2025-03-26: assuming the server's origin {issuer} is the authorization server"
            ));
            (issuer, server.to_string())
        }
        None => {
            return Err(ClientError::Discovery(format!(
                "{server} publishes no protected-resource metadata (RFC 9728), so nothing says which authorization server it trusts. A server written for MCP 2025-03-26 expects its own origin to be one: pass --legacy-2025-03-26 to allow that"
            )));
        }
    };
    check_https(&issuer, options.allow_insecure_http)?;
    Ok(Found {
        issuer,
        resource,
        resource_metadata,
    })
}

/// Stages 3–4: the authorization server's metadata (RFC 8414 / OIDC
/// discovery), its issuer checked, S256 required, every endpoint checked.
async fn authorization_server_metadata(
    http: &reqwest::Client,
    found: &Found,
    options: &Options,
) -> Result<AuthServerMetadata, ClientError> {
    let issuer = found.issuer.as_str();
    stage(
        3,
        "Authorization-server metadata (RFC 8414 / OIDC discovery, 2025-11-25 order)",
    );
    let metadata = match discovery::authorization_server_metadata(http, issuer).await? {
        Some(metadata) => metadata,
        None if options.legacy_2025_03_26 && found.resource_metadata.is_none() => {
            say(
                "no metadata either; --legacy-2025-03-26: using the default endpoints /authorize, /token, /register and assuming S256 (2025-11-25 would refuse here)",
            );
            AuthServerMetadata {
                issuer: issuer.to_string(),
                authorization_endpoint: format!("{issuer}/authorize"),
                token_endpoint: format!("{issuer}/token"),
                registration_endpoint: Some(format!("{issuer}/register")),
                code_challenge_methods_supported: Some(vec!["S256".into()]),
                token_endpoint_auth_methods_supported: None,
                authorization_response_iss_parameter_supported: false,
                client_id_metadata_document_supported: false,
            }
        }
        None => {
            return Err(ClientError::Discovery(format!(
                "no authorization-server metadata found for {issuer}"
            )));
        }
    };
    let endpoints = [&metadata.authorization_endpoint, &metadata.token_endpoint];
    for url in endpoints.into_iter().chain(&metadata.registration_endpoint) {
        check_https(url, options.allow_insecure_http)?;
    }
    stage(4, "PKCE support");
    say(&format!(
        "issuer {} matches; code_challenge_methods_supported includes S256",
        metadata.issuer
    ));
    Ok(metadata)
}

/// A pre-registered client (and its secret) belongs to one issuer: the one
/// `--client-issuer` names, or else the one it was first used with, which
/// is recorded in the credentials file. Any other issuer — named by a
/// server's metadata, which anyone can write — gets nothing: the client stops
/// and names who asked, or, with `--register-elsewhere`, registers anew
/// there (`Ok(None)`: the caller goes on as if no --client-id were given).
pub(crate) fn bound_here<'a>(
    store: &mut Store,
    client_id: &'a str,
    issuer: &str,
    options: &Options,
) -> Result<Option<&'a str>, ClientError> {
    let flag = options
        .client_issuer
        .as_ref()
        .map(|url| url.as_str().trim_end_matches('/').to_string());
    let bound = flag.or_else(|| store.bound_issuer(client_id).map(str::to_string));
    match bound {
        Some(bound) if bound == issuer.trim_end_matches('/') => Ok(Some(client_id)),
        Some(bound) if options.register_elsewhere => {
            say(&format!(
                "the pre-registered client {client_id} belongs to {bound}, not {issuer}: \
                 --register-elsewhere, so registering a new client there (the secret stays home)"
            ));
            Ok(None)
        }
        Some(bound) => Err(ClientError::ForeignIssuer {
            client_id: client_id.to_string(),
            bound,
            asked: issuer.to_string(),
        }),
        None => {
            store.bind(client_id, issuer)?;
            say(&format!(
                "the pre-registered client {client_id} is now bound to {issuer} (recorded in {}): \
                 no other issuer will get its secret",
                options.credentials.display()
            ));
            Ok(Some(client_id))
        }
    }
}

/// A client stored for this issuer — if the provider still knows it. A
/// provider that forgot it (restarted, cleaned up) would show `invalid_client`
/// on its sign-in page while we wait for a redirect; so we ask first
/// ([`token::client_is_known`]) and register anew when it is gone.
async fn still_known(
    http: &reqwest::Client,
    stored: Option<ClientCredentials>,
    issuer: &str,
    metadata: &AuthServerMetadata,
    redirect: &Redirect,
    store: &mut Store,
    options: &Options,
) -> Result<Option<ClientCredentials>, ClientError> {
    let Some(stored) = stored else {
        return Ok(None);
    };
    say(&format!(
        "stored client {} for {issuer}, registered {} (in {}; --reset forgets it)",
        stored.client_id,
        crate::credentials::age(stored.registered_at),
        options.credentials.display()
    ));
    if token::client_is_known(http, &metadata.token_endpoint, &stored, &redirect.uri).await? {
        say("the provider still knows it: reusing it");
        return Ok(Some(stored));
    }
    say(&format!(
        "the provider no longer knows client {} (invalid_client; it was restarted or cleaned up): registering anew",
        stored.client_id
    ));
    store.forget(issuer)?;
    Ok(None)
}

/// Stage 5: a client id — pre-registered, stored for this issuer, a Client ID
/// Metadata Document, or registered now (RFC 7591) — plus the redirect
/// listener and the scope to ask for.
async fn client_credentials(
    http: &reqwest::Client,
    issuer: &str,
    metadata: &AuthServerMetadata,
    challenge: &Challenge,
    scopes_supported: Option<&Vec<String>>,
    options: &Options,
) -> Result<(ClientCredentials, Option<Redirect>, Option<String>), ClientError> {
    stage(
        5,
        "Client credentials (pre-registered, stored, Client ID Metadata Document, or RFC 7591 registration)",
    );
    let mut store = Store::load(&options.credentials)?;
    // Scope selection (MCP Scope Selection Strategy): the flag, else the
    // challenge's scope, else the resource's scopes_supported, else none.
    let scope = options
        .scopes
        .clone()
        .or_else(|| challenge.scope().map(str::to_string))
        .or_else(|| scopes_supported.map(|s| s.join(" ")))
        .filter(|s| !s.is_empty());
    if options.grant == Grant::ClientCredentials {
        // Beyond the blog: no browser, no listener (machine.rs).
        let credentials = machine::client(&mut store, issuer, metadata, options)?;
        return Ok((credentials, None, scope));
    }
    if options.reset && store.forget(issuer)? {
        say(&format!("--reset: forgot the stored client for {issuer}"));
    }
    let stored = store.get(issuer).cloned();
    let stored_port = stored
        .as_ref()
        .and_then(|c| c.redirect_uri.as_deref())
        .and_then(|u| Url::parse(u).ok())
        .and_then(|u| u.port());
    let port = if options.redirect_port != 0 || options.client_id.is_some() {
        options.redirect_port
    } else {
        stored_port.unwrap_or(0)
    };
    let redirect = authorize::listen(port).await?;
    let pre_registered = match &options.client_id {
        Some(client_id) => bound_here(&mut store, client_id, issuer, options)?,
        None => None,
    };
    let credentials = if let Some(client_id) = pre_registered {
        let supported = metadata
            .token_endpoint_auth_methods_supported
            .clone()
            .unwrap_or_default();
        let method = match &options.client_secret {
            None => "none",
            Some(_)
                if supported.is_empty() || supported.iter().any(|m| m == "client_secret_basic") =>
            {
                "client_secret_basic"
            }
            Some(_) => "client_secret_post",
        };
        say(&format!(
            "pre-registered client {client_id} (token endpoint auth {method})"
        ));
        ClientCredentials {
            client_id: client_id.to_string(),
            client_secret: options.client_secret.clone(),
            token_endpoint_auth_method: method.into(),
            redirect_uri: Some(redirect.uri.clone()),
            registered_at: None,
        }
    } else if let Some(stored) = still_known(
        http, stored, issuer, metadata, &redirect, &mut store, options,
    )
    .await?
    {
        stored
    } else if let Some(url) = options
        .client_metadata_url
        .as_ref()
        .filter(|_| metadata.client_id_metadata_document_supported)
    {
        say(&format!(
            "the authorization server accepts Client ID Metadata Documents: client_id = {url}"
        ));
        say(&format!(
            "the provider will fetch {url}; it must serve:\n{:#}",
            cimd::document(url, &redirect.uri)
        ));
        ClientCredentials {
            client_id: url.to_string(),
            client_secret: None,
            token_endpoint_auth_method: "none".into(),
            redirect_uri: Some(redirect.uri.clone()),
            registered_at: None,
        }
    } else {
        if metadata.client_id_metadata_document_supported {
            say(
                "the authorization server also accepts Client ID Metadata Documents (preferred by MCP 2026-07-28): publish one and pass --client-metadata-url to skip registration",
            );
        }
        let endpoint = metadata.registration_endpoint.clone().ok_or_else(|| {
            ClientError::Registration(
                "the authorization server offers no registration endpoint: pass --client-id with a client registered by its administrator, or --client-metadata-url if it accepts Client ID Metadata Documents".into(),
            )
        })?;
        let method = registration::preferred_auth_method(
            metadata.token_endpoint_auth_methods_supported.as_deref(),
        );
        let credentials =
            registration::register(http, &endpoint, &redirect.uri, scope.as_deref(), method)
                .await?;
        store.put(issuer, credentials.clone())?;
        say(&format!(
            "stored in {} (mode 0600)",
            options.credentials.display()
        ));
        credentials
    };
    Ok((credentials, Some(redirect), scope))
}

/// Run the client against `options.server_url`.
///
/// The MCP calls are tried first without a token; a `401` at any point
/// starts discovery and authorization (once); a `403 insufficient_scope`
/// starts one step-up with the union of scopes; a `401` with a token we
/// hold re-reads the protected-resource metadata once — a new authorization
/// server means discovery and registration there — else triggers one
/// refresh. Anything beyond that is an error — no loops.
pub async fn run(options: Options) -> Result<(), ClientError> {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ClientError::Http {
            url: String::new(),
            reason: e.to_string(),
        })?;
    let server = options.server_url.clone();
    // The server receives our bearer token: the same rule as every other URL, before any request.
    check_https(server.as_str(), options.allow_insecure_http)?;
    let mut mcp = McpClient::new(http.clone(), server.as_str(), options.protocol);
    let dpop = options.dpop.then(|| Arc::new(DpopSession::new()));
    mcp.dpop = dpop.clone();
    let mut session: Option<Session> = None;
    // Each recovery happens at most once: no loops.
    let (mut stepped_up, mut rediscovered) = (false, false);

    stage(1, &format!("POST {server}  MCP calls, without a token"));
    loop {
        if let Some(session) = &mut session {
            session.refresh_if_expired().await?;
            mcp.token = Some(session.tokens.access_token.clone());
        }
        match use_server(&mut mcp, &options.message).await {
            Ok(()) => return Ok(()),
            Err(CallError::Unauthorized(challenge)) if session.is_none() => {
                say(&format!(
                    "← 401  resource_metadata={:?} scope={:?}",
                    challenge.resource_metadata().unwrap_or("(none)"),
                    challenge.scope().unwrap_or("(none)")
                ));
                session =
                    Some(Session::start(&http, &server, &challenge, &options, dpop.clone()).await?);
                stage(8, "MCP with the access token");
            }
            Err(CallError::Unauthorized(challenge)) if !rediscovered => {
                // A 401 for a token we just got: first ask whether the server now trusts
                // another authorization server (its metadata may have moved). Credentials
                // belong to the issuer that issued them (MCP 2026-07-28 Authorization, SEP-2352):
                // a new issuer means discovery and registration again, never our old client id.
                rediscovered = true;
                let Some(current) = session.as_mut() else {
                    continue;
                };
                if let Some(named) = moved_to(&http, &server, &challenge, current.issuer()).await? {
                    say(&format!(
                        "← 401 with our token, and the server's metadata now names the authorization server {named} (was {}): discovering and registering again",
                        current.issuer()
                    ));
                    session = Some(
                        Session::start(&http, &server, &challenge, &options, dpop.clone()).await?,
                    );
                    stage(
                        8,
                        "MCP with the access token from the new authorization server",
                    );
                    continue;
                }
                current.refresh_after_401().await?;
            }
            Err(CallError::Forbidden(challenge))
                if challenge.error() == Some("insufficient_scope") && !stepped_up =>
            {
                stepped_up = true;
                let needed = challenge.scope().unwrap_or("");
                say(&format!(
                    "← 403 insufficient_scope, needs {needed:?}: one step-up re-authorization"
                ));
                match &mut session {
                    Some(current) => current.step_up(needed).await?,
                    // A server that lets anonymous calls through and refuses one by scope:
                    // the challenge names the scope, so this is the first authorization.
                    None => {
                        session = Some(
                            Session::start(&http, &server, &challenge, &options, dpop.clone())
                                .await?,
                        )
                    }
                }
            }
            Err(other) => return Err(ClientError::Mcp(other.to_string())),
        }
    }
}

/// The authorization server the protected-resource metadata names now, if
/// it is not `current` (compared without a trailing slash).
async fn moved_to(
    http: &reqwest::Client,
    server: &Url,
    challenge: &Challenge,
    current: &str,
) -> Result<Option<String>, ClientError> {
    let named = discovery::protected_resource_metadata(http, server, challenge.resource_metadata())
        .await?
        .and_then(|prm| prm.authorization_servers.first().cloned());
    Ok(named.filter(|named| named.trim_end_matches('/') != current.trim_end_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_rule() {
        assert!(check_https("https://auth.example.com/realms/x", false).is_ok());
        assert!(check_https("http://localhost:8080/realms/x", false).is_ok());
        assert!(check_https("http://127.0.0.1:8080/token", false).is_ok());
        assert!(matches!(
            check_https("http://auth.example.com/token", false),
            Err(ClientError::InsecureUrl(_))
        ));
        assert!(check_https("http://auth.example.com/token", true).is_ok());
        for never in [
            "smb://localhost/share",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "ftp://127.0.0.1/x",
        ] {
            assert!(
                matches!(check_https(never, true), Err(ClientError::InsecureUrl(_))),
                "{never}"
            );
        }
    }
}
