//! `cargo run -p step3` — lists the echo tool and echo_prompt.

use std::process::ExitCode;

use clap::Parser;
use step1::{cli::ServeArgs, origin::OriginGuard, server};

/// Step 3: tools/list and prompts/list describe the echo tool and echo_prompt.
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
    let app = step3::app(OriginGuard::for_bind(cli.serve.bind));
    server::serve(app, &cli.serve, "step3").await
}
