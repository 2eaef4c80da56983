//! `cargo run -p step4` — a complete, unauthenticated MCP server.

use std::process::ExitCode;

use clap::Parser;
use plumbing::{cli::ServeArgs, server};
use step1::origin::OriginGuard;

/// Step 4: a working MCP server (initialize, tools/call echo, prompts/get) with no authentication.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    plumbing::logging::init_tracing();
    let cli = Cli::parse();
    let app = step4::app(OriginGuard::for_bind(cli.serve.bind));
    server::serve(app, &cli.serve, "step4").await
}
