//! `cargo run -p step3` — lists the echo tool and echo_prompt.

use std::process::ExitCode;

use clap::Parser;
use plumbing::{cli::ServeArgs, server};
use step1::origin::OriginGuard;

/// Step 3: tools/list and prompts/list describe the echo tool and echo_prompt.
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
    let app = step3::app(OriginGuard::for_bind(cli.serve.bind));
    server::serve(app, &cli.serve, "step3").await
}
