//! `cargo run -p step7` — step 6 plus OAuth metadata for discovery.

use std::process::ExitCode;

use clap::Parser;
use plumbing::{cli::ServeArgs, server};
use step6::config::AuthArgs;
use step7::Setup;

/// Step 7: publishes RFC 9728 protected-resource metadata (and the demo issuer's RFC 8414
/// metadata); every 401 points to it.
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
        step7::app(&key, &metadata, auth, guard),
        &cli.serve,
        "step7",
    )
    .await
}
