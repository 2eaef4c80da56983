//! rmcp's own *client* (the official Rust SDK, as on crates.io) against one of our servers — for
//! `scripts/test_interop.sh`, like `interop/sdk_client.mjs` and `interop/py_client.py`.
//!
//!     cargo run -p step12 --example rmcp_client -- URL [--token T] [--lifecycle initialize|discover|auto]
//!         [--narrow] [--tools echo,…] [--server-name NAME] [--expect-unauthorized] [--require-session]
//!
//! Checks: connect in the lifecycle asked for (and the protocol version it gives), tools/list,
//! tools/call echo (its structured result), prompts/get (refused with a 403 naming mcp:prompts
//! when --narrow says the token lacks it). Prints one line per check and "N passed, N failed";
//! exits 1 on any failure.

use std::process::ExitCode;

use rmcp::{
    ClientHandler, ClientLifecycleMode, ClientServiceExt,
    model::{CallToolRequestParams, GetPromptRequestParams, ProtocolVersion},
    transport::{
        StreamableHttpClientTransport, streamable_http_client::StreamableHttpClientTransportConfig,
    },
};
use serde_json::json;

#[derive(Clone, Default)]
struct Client;

impl ClientHandler for Client {}

struct Checks {
    passed: u32,
    failed: u32,
}

impl Checks {
    fn check(&mut self, ok: bool, what: &str, detail: impl std::fmt::Debug) {
        if ok {
            self.passed += 1;
            println!("  ok - {what}");
        } else {
            self.failed += 1;
            println!("  not ok - {what}: {detail:?}");
        }
    }
}

fn option<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1).map(String::as_str)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(url) = args.first().filter(|a| !a.starts_with("--")) else {
        eprintln!(
            "usage: rmcp_client URL [--token T] [--lifecycle initialize|discover|auto] [--narrow] [--tools A,B]"
        );
        return ExitCode::from(2);
    };
    let lifecycle_name = option(&args, "--lifecycle").unwrap_or("initialize");
    let modern = vec![ProtocolVersion::V_2026_07_28];
    let lifecycle = match lifecycle_name {
        "initialize" => ClientLifecycleMode::Initialize,
        "discover" => ClientLifecycleMode::Discover {
            preferred_versions: modern,
        },
        "auto" => ClientLifecycleMode::Auto {
            preferred_versions: modern,
            legacy_version: None,
        },
        other => {
            eprintln!("unknown lifecycle {other}");
            return ExitCode::from(2);
        }
    };
    let mut config = StreamableHttpClientTransportConfig::with_uri(url.as_str());
    // Our servers assign no session (stateless, as 2026-07-28 is and the spec allows before it);
    // --require-session shows what a client that insists on one meets.
    config.allow_stateless = !args.iter().any(|a| a == "--require-session");
    if let Some(token) = option(&args, "--token") {
        config = config.auth_header(token);
    }
    let narrow = args.iter().any(|a| a == "--narrow");
    let tools: Vec<&str> = option(&args, "--tools")
        .unwrap_or("echo")
        .split(',')
        .collect();
    let server_name = option(&args, "--server-name").unwrap_or("mcp-auth-step-by-step");
    let expect_unauthorized = args.iter().any(|a| a == "--expect-unauthorized");

    let label = format!("rmcp 3.11 client ({lifecycle_name})");
    let mut checks = Checks {
        passed: 0,
        failed: 0,
    };
    let transport = StreamableHttpClientTransport::from_config(config);
    match Client.serve_with_lifecycle(transport, lifecycle).await {
        Err(error) if expect_unauthorized => {
            let text = format!("{error:?}");
            checks.check(
                text.contains("AuthRequired") || text.contains("401"),
                &format!("{label}: connecting without a token is refused (401)"),
                text,
            );
        }
        Err(error) => checks.check(false, &format!("{label}: connects"), error),
        Ok(_) if expect_unauthorized => checks.check(
            false,
            "connecting without a token is refused",
            "it connected",
        ),
        Ok(client) => {
            let info = client.peer().peer_info();
            let version = info.as_ref().map(|info| info.protocol_version.to_string());
            let expected = if lifecycle_name == "initialize" {
                "2025-11-25"
            } else {
                "2026-07-28"
            };
            checks.check(
                version.as_deref() == Some(expected),
                &format!("{label}: connected at {expected}"),
                &version,
            );
            let name = info
                .as_ref()
                .and_then(|info| info.server_info.as_ref())
                .map(|s| s.name.clone());
            checks.check(
                name.as_deref() == Some(server_name),
                &format!("serverInfo.name is {server_name}"),
                name,
            );

            match client.list_all_tools().await {
                Ok(list) => {
                    let mut names: Vec<String> = list.iter().map(|t| t.name.to_string()).collect();
                    names.sort();
                    checks.check(
                        names == tools,
                        &format!("tools/list returns {}", tools.join(", ")),
                        names,
                    );
                }
                Err(error) => checks.check(false, "tools/list", error),
            }

            let arguments = json!({"message": "hello rmcp", "repeat_count": 2});
            let call = CallToolRequestParams::new("echo")
                .with_arguments(arguments.as_object().cloned().unwrap_or_default());
            match client.call_tool(call).await {
                Ok(result) => checks.check(
                    result
                        .structured_content
                        .as_ref()
                        .and_then(|s| s.get("echo"))
                        == Some(&json!("hello rmcphello rmcp")),
                    "tools/call echo returns the repeated text as structured content",
                    result,
                ),
                Err(error) => checks.check(false, "tools/call echo", error),
            }

            let arguments = json!({"message": "hi"});
            let get = GetPromptRequestParams::new("echo_prompt")
                .with_arguments(arguments.as_object().cloned().unwrap_or_default());
            match (client.get_prompt(get).await, narrow) {
                (Ok(prompt), false) => checks.check(
                    format!("{:?}", prompt.messages).contains("Please process this message: hi"),
                    "prompts/get fills the template",
                    prompt,
                ),
                (Ok(prompt), true) => {
                    checks.check(false, "prompts/get without mcp:prompts is refused", prompt)
                }
                (Err(error), true) => {
                    let text = format!("{error:?}");
                    checks.check(
                        text.contains("mcp:prompts"),
                        "prompts/get without mcp:prompts is refused, naming mcp:prompts",
                        text,
                    );
                }
                (Err(error), false) => checks.check(false, "prompts/get", error),
            }
            let _ = client.cancel().await;
        }
    }
    println!(
        "{label}: {} passed, {} failed",
        checks.passed, checks.failed
    );
    if checks.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
