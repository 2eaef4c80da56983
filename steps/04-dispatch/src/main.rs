//! `cargo run -p step4` — a complete, unauthenticated MCP server.

use std::process::ExitCode;

use clap::Parser;
use step1::{cli::ServeArgs, origin::OriginGuard, server};

/// Step 4: a working MCP server (initialize, tools/call echo, prompts/get) with no authentication.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    server::init_tracing();
    let cli = Cli::parse();
    let app = step4::app(OriginGuard::for_bind(cli.serve.bind));
    server::serve(app, &cli.serve, "step4").await
}
