//! The rmcp echo server served the way every step of this workspace is served — plumbing's
//! connection loop (limits, timeouts) and step 1's layers (request id, log line, Origin guard) —
//! but with no authorization at all. Only for `scripts/bench.sh`: the difference between this
//! and step 12 is what the authorization layer costs, without the cost of the server around it.
//! Never serve this: anyone who reaches it may call every tool.
//!
//!     cargo run --release -p step12 --example served -- --bind 127.0.0.1:9100

use std::process::ExitCode;

use clap::Parser;
use plumbing::{cli::ServeArgs, server};
use step1::origin::OriginGuard;

/// rmcp behind step 1's layers, without authorization (benchmark baseline only).
#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    plumbing::logging::init_tracing();
    let cli = Cli::parse();
    let routes = axum::Router::new()
        .route_service("/mcp", step12::echo_service())
        .merge(step1::health::routes(step1::health::no_probe()));
    let app = step1::app::layers(routes, OriginGuard::for_bind(cli.serve.bind));
    server::serve(app, &cli.serve, "served").await
}
