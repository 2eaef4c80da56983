//! `cargo run -p step7` — step 6 plus OAuth metadata for discovery.

use std::{process::ExitCode, sync::Arc};

use clap::Parser;
use step1::{cli::ServeArgs, server};
use step5::public_key::PublicKey;
use step6::{config::AuthArgs, keys::LocalKey};
use step7::metadata::Metadata;

/// Step 7: publishes RFC 9728 protected-resource metadata (and the demo issuer's RFC 8414
/// metadata); every 401 points to it.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
    #[command(flatten)]
    auth: AuthArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    server::init_tracing();
    let cli = Cli::parse();
    let built = (|| {
        let key = PublicKey::load(&cli.auth.key.public_key).map_err(|e| e.to_string())?;
        let metadata = Metadata::from_args(&cli.auth).map_err(|e| e.to_string())?;
        let local = LocalKey::new(&key).map_err(|e| e.to_string())?;
        let auth = step7::auth(Arc::new(local), &cli.auth, &metadata).map_err(|e| e.to_string())?;
        Ok::<_, String>((key, metadata, auth))
    })();
    let (key, metadata, auth) = match built {
        Ok(built) => built,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(resource = %metadata.resource.resource, issuer = %metadata.issuer, "publishing metadata");
    let app = step7::app(
        &key,
        &metadata,
        auth,
        step7::guard(cli.serve.bind, &cli.auth),
    );
    server::serve(app, cli.serve.bind, "step7").await
}
