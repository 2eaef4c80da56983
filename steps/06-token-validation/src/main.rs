//! `cargo run -p step6` — step 5's server with Bearer tokens required on /mcp.

use std::{process::ExitCode, sync::Arc};

use clap::Parser;
use plumbing::{cli::ServeArgs, server};
use step5::{KeyArgs, public_key::PublicKey};
use step6::{config::AuthArgs, keys::LocalKey};

/// Step 6: /mcp requires a valid Bearer JWT (mint one with `cargo run -q -p tokengen -- --demo alice`).
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
    #[command(flatten)]
    auth: AuthArgs,
    #[command(flatten)]
    key: KeyArgs,
}

/// The key and the authentication from the flags. Each error (`KeyFileError`,
/// a key jsonwebtoken cannot use) says what to fix; clap has checked the URL.
fn build(cli: &Cli) -> Result<(PublicKey, step6::auth::Auth), Box<dyn std::error::Error>> {
    let key = PublicKey::load(&cli.key.public_key)?;
    let local = LocalKey::new(&key)?;
    let auth = step6::auth(Arc::new(local), &cli.auth);
    Ok((key, auth))
}

#[tokio::main]
async fn main() -> ExitCode {
    plumbing::logging::init_tracing();
    let cli = Cli::parse();
    let (key, auth) = match build(&cli) {
        Ok(built) => built,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(
        issuer = auth.validator.issuer(),
        audience = ?auth.validator.audiences(),
        kid = key.kid(),
        "accepting tokens"
    );
    let app = step6::app(&key, auth, step6::guard(cli.serve.bind, &cli.auth));
    server::serve(app, &cli.serve, "step6").await
}
