//! `cargo run -p step5` — step 4's server plus `/.well-known/jwks.json`.

use std::process::ExitCode;

use clap::Parser;
use plumbing::{cli::ServeArgs, server};
use step1::origin::OriginGuard;
use step5::{KeyArgs, public_key::PublicKey};

/// Step 5: loads the demo public key and publishes it as a JWKS at /.well-known/jwks.json.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
    #[command(flatten)]
    key: KeyArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    plumbing::logging::init_tracing();
    let cli = Cli::parse();
    let key = match PublicKey::load(&cli.key.public_key) {
        Ok(key) => key,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(kid = key.kid(), path = %key.path.display(), "public key loaded");
    let app = step5::app(&key, OriginGuard::for_bind(cli.serve.bind));
    server::serve(app, &cli.serve, "step5").await
}
