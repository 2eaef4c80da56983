//! `cargo run -p step2` — a JSON-RPC 2.0 endpoint that knows `ping`.

use std::process::ExitCode;

use clap::Parser;
use step1::{cli::ServeArgs, origin::OriginGuard, server};

/// Step 2: POST /mcp accepts JSON-RPC 2.0 messages and answers ping.
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
    let app = step2::app(OriginGuard::for_bind(cli.serve.bind));
    server::serve(app, &cli.serve, "step2").await
}
