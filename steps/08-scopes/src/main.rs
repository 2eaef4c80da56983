//! `cargo run -p step8` — step 7 plus per-method scope checks.

use std::process::ExitCode;

use clap::Parser;
use plumbing::{cli::ServeArgs, server};
use step6::config::AuthArgs;
use step7::Setup;

/// Step 8: every MCP method needs its scope (mcp:read, mcp:tools, mcp:prompts) or the admin
/// role; a token that is too narrow gets 403 insufficient_scope.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
    #[command(flatten)]
    auth: AuthArgs,
    #[command(flatten)]
    key: step5::KeyArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    plumbing::logging::init_tracing();
    let cli = Cli::parse();
    let Setup {
        key,
        metadata,
        auth,
    } = match Setup::from_args(&cli.auth, &cli.key) {
        Ok(setup) => setup,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(resource = %metadata.resource.resource, issuer = %metadata.issuer, kid = key.kid(), "publishing metadata, accepting tokens");
    let guard = step7::guard(cli.serve.bind, &cli.auth);
    server::serve(
        step8::app(&key, &metadata, auth, guard),
        &cli.serve,
        "step8",
    )
    .await
}
