//! The MCP server itself, written the way rmcp's own documentation writes
//! one: `#[tool]` and `#[prompt]` functions in routers, a `ServerHandler`
//! made by `#[tool_handler]` / `#[prompt_handler]`. It knows nothing about
//! OAuth — that is the point: this is *your* server, and
//! [`crate::authorization`] stands in front of it.
//!
//! The same `echo` tool and `echo_prompt` as steps 3–4 (the arguments checked
//! by step 4's `EchoArgs`, so the same limits), and two tools for step 12:
//! `whoami` reads the caller's identity that the authorization put on the
//! request, and `echo_prompt_text` demands a scope of its own
//! (`mcp:prompts`, given with [`crate::authorization::Authorization::with_tool_scope`]).

use rmcp::{
    ServerHandler,
    handler::server::{
        router::{prompt::PromptRouter, tool::ToolRouter},
        tool::Extension,
        wrapper::{Json, Parameters},
    },
    model::{Implementation, PromptMessage, Role, ServerCapabilities, ServerConfig},
    prompt, prompt_handler, prompt_router, schemars, tool, tool_handler, tool_router,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};
use step6::identity::Identity;

/// `echo`'s arguments (the JSON schema is derived from this type).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct EchoRequest {
    /// The text to echo back
    pub message: String,
    /// How many times to repeat the message (1–10, default 1)
    pub repeat_count: Option<i64>,
}

/// `echo`'s structured result.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct EchoResult {
    pub echo: String,
    pub repeat_count: i64,
}

/// `echo_prompt`'s and `echo_prompt_text`'s argument.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct PromptRequest {
    /// The message to process
    pub message: String,
}

/// Who is calling, as the authorization established it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Caller {
    pub sub: String,
    pub username: Option<String>,
    pub scopes: Vec<String>,
}

/// The server. rmcp builds one per request (stateless), so it holds only
/// its routers.
#[derive(Debug, Clone)]
pub struct EchoServer {
    tool_router: ToolRouter<Self>,
    prompt_router: PromptRouter<Self>,
}

impl Default for EchoServer {
    fn default() -> Self {
        Self::new()
    }
}

impl EchoServer {
    pub fn new() -> Self {
        Self {
            tool_router: Self::tool_router(),
            prompt_router: Self::prompt_router(),
        }
    }
}

fn prompt_text(message: &str) -> String {
    format!("Please process this message: {message}")
}

#[tool_router]
impl EchoServer {
    #[tool(
        description = "Echoes the message back, repeated repeat_count times with nothing in between (\"hi\" twice is \"hihi\")."
    )]
    fn echo(
        &self,
        Parameters(request): Parameters<EchoRequest>,
    ) -> Result<Json<EchoResult>, String> {
        let mut arguments = Map::new();
        arguments.insert("message".into(), json!(request.message));
        if let Some(count) = request.repeat_count {
            arguments.insert("repeat_count".into(), json!(count));
        }
        let args = step4::calls::EchoArgs::from_arguments(&arguments)?;
        Ok(Json(EchoResult {
            echo: args.run(),
            repeat_count: args.repeat_count,
        }))
    }

    #[tool(description = "Who the server sees calling: the token's subject, user name and scopes.")]
    fn whoami(
        &self,
        Extension(parts): Extension<http::request::Parts>,
    ) -> Result<Json<Caller>, String> {
        let identity = parts
            .extensions
            .get::<Identity>()
            .ok_or("no identity on this request: the server is not behind the authorization")?;
        Ok(Json(Caller {
            sub: identity.subject.to_string(),
            username: identity.username.as_deref().map(str::to_string),
            scopes: identity.scopes.to_vec(),
        }))
    }

    #[tool(
        description = "The text echo_prompt would give, as a tool. Needs the mcp:prompts scope, like prompts/get."
    )]
    fn echo_prompt_text(&self, Parameters(request): Parameters<PromptRequest>) -> String {
        prompt_text(&request.message)
    }
}

#[prompt_router]
impl EchoServer {
    #[prompt(
        name = "echo_prompt",
        description = "Asks the model to process a message."
    )]
    async fn echo_prompt(
        &self,
        Parameters(request): Parameters<PromptRequest>,
    ) -> Vec<PromptMessage> {
        vec![PromptMessage::new_text(
            Role::User,
            prompt_text(&request.message),
        )]
    }
}

#[tool_handler(router = self.tool_router)]
#[prompt_handler(router = self.prompt_router)]
impl ServerHandler for EchoServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_prompts()
                .build(),
        )
        .with_server_info(Implementation::new(
            "step12-rmcp-echo",
            env!("CARGO_PKG_VERSION"),
        ))
    }
}
