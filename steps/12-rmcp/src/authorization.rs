//! What your rmcp server adds to be protected like step 10: one value, one call.
//!
//! ```text
//! Authorization::new(&auth)                               // step 10's authentication (its flags, its provider)
//!     .with_tool_scope("echo_prompt_text", "mcp:prompts") // a tool that needs more than step 8's mcp:tools
//!     .protect(rmcp_service)                              // → the /mcp Router step 10 serves
//! ```
//!
//! In front of rmcp, on every `POST /mcp`, after step 10 has established
//! who is calling (401 otherwise):
//!
//! 1. the body is read (step 2's 1 MiB limit), the members the checks need
//!    parsed ([`crate::members`]), and the headers checked against them
//!    (step 2's `era::admit`: `MCP-Protocol-Version`, the 2026-07-28
//!    envelope, `Mcp-Method`/`Mcp-Name` — a gateway that routes on the
//!    headers is not fooled, and nothing below trusts them unchecked);
//! 2. step 8's per-method policy, then the tool's own scope: a `403
//!    insufficient_scope` naming the scope to step up to;
//! 3. rmcp receives the body's bytes. A member the checks read, sent twice
//!    (`"method"` once for the policy and once for rmcp), was refused in 1:
//!    the body cannot mean one thing here and another there.
//!
//! The caller's [`Identity`](step6::identity::Identity) rides on the request:
//! rmcp hands the request's `http::request::Parts` to tool handlers
//! (`Extension<Parts>`; see `echo_server::whoami`).

use std::{collections::HashMap, convert::Infallible, sync::Arc};

use axum::{
    Router,
    body::Body,
    extract::{Request, State},
    http::Method,
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use serde_json::Value;
use step2::{
    era::{self, CacheScope},
    jsonrpc::{self, Message},
    mcp::{self, TransportError},
};
use step6::auth::{Auth, Challenge};
use step8::{
    dispatch::{self, InsufficientScope},
    policy::{self, ADMIN_ROLE},
};
use tower::Layer;

use crate::members;

/// Step 8's policy and the per-tool scopes, for a server that is not ours.
#[derive(Clone)]
pub struct Authorization {
    challenge: Arc<Challenge>,
    clients: Arc<[String]>,
    tool_scopes: Arc<HashMap<String, &'static str>>,
}

impl Authorization {
    /// From step 10's authentication: its challenge (for the 403s) and the
    /// clients whose roles count (its audiences).
    pub fn new(auth: &Auth) -> Authorization {
        Authorization {
            challenge: Arc::clone(&auth.challenge),
            clients: auth.validator.audiences().into(),
            tool_scopes: Arc::new(HashMap::new()),
        }
    }

    /// `tools/call` of `tool` needs `scope` too, beyond step 8's `mcp:tools`
    /// (the `admin` role passes, as everywhere in step 8).
    pub fn with_tool_scope(mut self, tool: &str, scope: &'static str) -> Authorization {
        Arc::make_mut(&mut self.tool_scopes).insert(tool.to_string(), scope);
        self
    }

    /// `/mcp` answered by `service` (rmcp's `StreamableHttpService`) behind
    /// this policy. Step 10 puts its authentication and CORS around it.
    pub fn protect<S, B>(self, service: S) -> Router
    where
        S: tower::Service<Request, Response = http::Response<B>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        B: http_body::Body<Data = axum::body::Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        // `check` wraps rmcp directly (not as a route layer): one service, one wrap.
        let checked = middleware::from_fn_with_state(self, check).layer(service);
        Router::new().route_service("/mcp", checked)
    }

    /// `Err`: the scope to ask for. The method's (step 8), then the tool's.
    fn allowed(
        &self,
        call: &jsonrpc::Call,
        context: &http::Extensions,
    ) -> Result<(), &'static str> {
        let grants = dispatch::grants(context, &self.clients);
        policy::check(&call.method, &grants)?;
        if call.method != "tools/call" {
            return Ok(());
        }
        let tool = call
            .params
            .as_ref()
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str);
        match tool.and_then(|name| self.tool_scopes.get(name)) {
            Some(scope) if !grants.has_scope(scope) && !grants.has_role(ADMIN_ROLE) => Err(scope),
            _ => Ok(()),
        }
    }
}

/// The middleware: read, check, hand on (see the module page).
async fn check(State(authz): State<Authorization>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        // GET (a stream) and DELETE (a session): rmcp answers them (stateless: 405).
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match mcp::read_body(body).await {
        Ok(bytes) => bytes,
        Err(refused) => return refused.into_response(),
    };
    match members::read(&bytes) {
        Ok(Message::Request(call)) => {
            if !mcp::is_json(&parts.headers) {
                return TransportError::UnsupportedMediaType.into_response_for(Some(&call.id));
            }
            if let Err(refused) = era::admit(&call, &parts.headers, CacheScope::Private) {
                return TransportError::Era(refused).into_response_for(Some(&call.id));
            }
            if let Err(scope) = authz.allowed(&call, &parts.extensions) {
                tracing::info!(method = %call.method.escape_debug(), needed = scope, "insufficient scope");
                let challenge = Arc::clone(&authz.challenge);
                return InsufficientScope {
                    id: call.id,
                    scope,
                    challenge,
                }
                .into_response();
            }
        }
        Ok(Message::Notification { .. } | Message::Response { .. }) => {}
        Err(rejected) => return TransportError::Rejected(rejected).into_response(),
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
