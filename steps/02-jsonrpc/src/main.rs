//! `cargo run -p step2` — a JSON-RPC 2.0 endpoint that knows `ping`.

use std::process::ExitCode;

use clap::Parser;
use plumbing::{cli::ServeArgs, server};
use step1::origin::OriginGuard;

/// Step 2: POST /mcp accepts JSON-RPC 2.0 messages and answers ping.
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
    let app = step2::app(OriginGuard::for_bind(cli.serve.bind));
    server::serve(app, &cli.serve, "step2").await
}
