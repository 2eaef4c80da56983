//! Beyond the blog: `--grant client-credentials` — an agent that acts for
//! itself, no person and no browser (RFC 6749 §4.4; the MCP extension for
//! client credentials, SEP-1046).
//!
//! The client is pre-registered by an administrator (Keycloak: a client
//! with a service account, whose roles decide its scopes — `mcp-agent` and
//! `mcp-agent-jwt` in keycloak/mcp-realm.json) and authenticates with its
//! secret or, with `--client-key`, a signed assertion (`private_key_jwt`).
//! Discovery (stages 1–4) and the MCP calls are the blog's; stages 5–7 are
//! one token request:
//!
//! ```text
//! POST {token_endpoint}
//! Authorization: Basic …            (or client_assertion_type + client_assertion)
//!
//! grant_type=client_credentials&scope=mcp:read&resource=http://localhost:9000/mcp
//! ```

use crate::{
    credentials::{ClientCredentials, Store},
    discovery::AuthServerMetadata,
    error::ClientError,
    flow::{Authorizer, Options, bound_here},
    narrate::{say, stage},
    token::{self, Tokens},
};

/// How the client gets its token (`--grant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Grant {
    /// A person signs in in the browser (the blog's flow: PKCE, loopback redirect).
    AuthorizationCode,
    /// Beyond the blog: the client acts for itself, no person, no browser (RFC 6749 §4.4).
    ClientCredentials,
}

/// Beyond the blog, `--grant client-credentials`: a pre-registered client
/// (bound to its issuer like any other) that authenticates with a secret or
/// with `--client-key` (`private_key_jwt`). No registration: a provider gives
/// a machine client its rights (Keycloak: the service-account roles) when an
/// administrator creates it.
pub fn client(
    store: &mut Store,
    issuer: &str,
    metadata: &AuthServerMetadata,
    options: &Options,
) -> Result<ClientCredentials, ClientError> {
    let no_client = || {
        ClientError::Registration(
            "--grant client-credentials needs a pre-registered client: --client-id, and its secret (--client-secret-file or MCP_CLIENT_SECRET) or key (--client-key)".into(),
        )
    };
    let client_id = options.client_id.as_deref().ok_or_else(no_client)?;
    let client_id = bound_here(store, client_id, issuer, options)?.ok_or_else(no_client)?;
    let supported = metadata
        .token_endpoint_auth_methods_supported
        .clone()
        .unwrap_or_default();
    let offers = |method: &str| supported.is_empty() || supported.iter().any(|m| m == method);
    let method = match (&options.client_key, &options.client_secret) {
        (Some(_), _) => "private_key_jwt",
        (None, Some(_)) if offers("client_secret_basic") => "client_secret_basic",
        (None, Some(_)) => "client_secret_post",
        (None, None) => return Err(no_client()),
    };
    say(&format!(
        "pre-registered client {client_id}, acting for itself (token endpoint auth {method})"
    ));
    Ok(ClientCredentials {
        client_id: client_id.to_string(),
        client_secret: options.client_secret.clone(),
        token_endpoint_auth_method: method.into(),
        redirect_uri: None,
        registered_at: None,
    })
}

/// Beyond the blog: a token for the client itself, no person involved
/// (RFC 6749 §4.4, the MCP extension for client credentials): the client
/// authenticates (secret or `private_key_jwt`) and names scope and resource.
pub(crate) async fn token(
    authorizer: &Authorizer,
    scope: Option<&str>,
    n: u32,
) -> Result<Tokens, ClientError> {
    stage(
        n,
        "Token request (client credentials: the client acts for itself, no browser)",
    );
    let (http, endpoint, credentials) = (
        &authorizer.http,
        authorizer.metadata.token_endpoint.as_str(),
        &authorizer.credentials,
    );
    let (resource, proofs) = (authorizer.resource.as_str(), authorizer.proofs());
    say(&format!(
        "POST {endpoint}  grant_type=client_credentials, scope={}, resource={resource}, client auth {}{}",
        scope.unwrap_or("(none)"),
        credentials.token_endpoint_auth_method,
        if proofs.dpop.is_some() {
            ", DPoP proof"
        } else {
            ""
        }
    ));
    let mut form = vec![("grant_type", "client_credentials".to_string())];
    if let Some(scope) = scope {
        form.push(("scope", scope.to_string()));
    }
    form.push(("resource", resource.to_string()));
    token::token_request(http, endpoint, credentials, form, proofs).await
}
