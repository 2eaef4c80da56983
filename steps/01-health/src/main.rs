//! `cargo run -p step1` — health endpoint behind the Origin/Host guard.

use std::process::ExitCode;

use clap::Parser;
use plumbing::{cli::ServeArgs, server};
use step1::{app, origin::OriginGuard};

/// Step 1: GET /health, protected against DNS rebinding by an Origin/Host guard.
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
    let app = app::app(OriginGuard::for_bind(cli.serve.bind));
    server::serve(app, &cli.serve, "step1").await
}
