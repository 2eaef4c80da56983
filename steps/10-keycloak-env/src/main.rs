//! `cargo run -p step10 [-- --env env/keycloak_proxy.env]` — step 9, configured from an env file,
//! with CORS for browser clients.

use std::{path::PathBuf, process::ExitCode};

use clap::Parser;
use step1::{cli::ServeArgs, server};
use step6::config::AuthArgs;
use step9::{Setup, config::KeycloakArgs};
use step10::{cors::CorsArgs, env_file};

/// Step 10: step 9 configured from a dotenv file (env/keycloak_direct.env by default), with CORS
/// for browser-based MCP clients such as MCP Inspector.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// A dotenv file to read before the flags (variables already set are not overridden).
    #[arg(long, value_name = "FILE", default_value = env_file::DEFAULT_ENV_FILE)]
    env: PathBuf,
    #[command(flatten)]
    serve: ServeArgs,
    #[command(flatten)]
    auth: AuthArgs,
    #[command(flatten)]
    keycloak: KeycloakArgs,
    #[command(flatten)]
    cors: CorsArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let loaded = match env_file::load(&args) {
        Ok(loaded) => loaded,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    server::init_tracing();
    let cli = Cli::parse_from(&args);
    let Setup {
        cache,
        metadata,
        auth,
        auth_args,
    } = match Setup::from_args(cli.auth, &cli.keycloak) {
        Ok(setup) => setup,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    println!("step10 effective configuration:");
    let settings = [
        ("bind", cli.serve.bind.to_string()),
        ("server url", metadata.server_url.clone()),
        ("resource", metadata.resource.resource.clone()),
        ("issuer", metadata.issuer.clone()),
        ("audience", auth.validator.audiences().join(", ")),
        ("cors origins", cli.cors.cors_origins.join(", ")),
        (
            "idp timeouts",
            format!(
                "connect {}s, total {}s",
                cli.keycloak.idp_connect_timeout, cli.keycloak.idp_timeout
            ),
        ),
    ];
    for line in step10::describe(loaded.as_deref(), &settings) {
        println!("{line}");
    }
    cache.spawn_refresher();
    let guard = step7::guard(cli.serve.bind, &auth_args);
    let app = step10::app(&cache, &metadata, auth, guard, &cli.cors.cors_origins);
    server::serve(app, cli.serve.bind, "step10").await
}
