//! `cargo run -p step9` — step 8's server, trusting Keycloak's keys.

use std::process::ExitCode;

use clap::Parser;
use plumbing::{cli::ServeArgs, server};
use step6::config::AuthArgs;
use step9::{Setup, config::KeycloakArgs};

/// Step 9: accepts access tokens issued by Keycloak (realm mcp-realm, audience echo-mcp-server),
/// with the realm's signing keys found by OIDC discovery and cached.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
    #[command(flatten)]
    auth: AuthArgs,
    #[command(flatten)]
    keycloak: KeycloakArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    plumbing::logging::init_tracing();
    let cli = Cli::parse();
    let setup = match Setup::from_args(cli.auth, &cli.keycloak) {
        Ok(setup) => setup,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    setup.cache.spawn_refresher();
    let guard = step7::guard(cli.serve.bind, &setup.auth_args);
    let details = cli
        .keycloak
        .health_details
        .show(cli.serve.bind, &setup.auth_args.server_url.host());
    let app = step9::app(&setup.cache, details, &setup.metadata, setup.auth, guard);
    server::serve(app, &cli.serve, "step9").await
}
