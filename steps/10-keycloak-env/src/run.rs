//! The server's wiring, a page of numbered steps: each piece is in its own
//! module (`env_file`, `cors`, `describe`; `production`). `main.rs` calls
//! [`run`] with step 9's dispatch; step 12 calls it with an rmcp server.

use std::{path::PathBuf, process::ExitCode};

use axum::Router;
use clap::{CommandFactory, FromArgMatches, Parser};
use plumbing::{cli::ServeArgs, server};
use step6::{auth::Auth, config::AuthArgs};
use step9::{Setup, config::KeycloakArgs};

use crate::{ProductionArgs, cors::CorsArgs, describe, env_file, production};

/// Step 10: step 9 configured from a dotenv file (env/keycloak_direct.env by default), with CORS
/// for browser-based MCP clients such as MCP Inspector, and optional production choices.
#[derive(Debug, Parser)]
#[command(version)]
pub struct Cli {
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
    #[command(flatten)]
    production: ProductionArgs,
}

/// Print the error and fail: startup errors say what to do, never panic.
fn fail(error: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::FAILURE
}

/// Run the server called `name` from the command line; `answer` builds what
/// answers `/mcp` once the caller is authenticated (see [`crate::routes`]).
pub async fn run(name: &'static str, answer: impl FnOnce(&Auth) -> Router) -> ExitCode {
    // 1. The env file first, so the flags' environment fallbacks see it.
    let args: Vec<String> = std::env::args().collect();
    let loaded = match env_file::load(&args) {
        Ok(loaded) => loaded,
        Err(err) => return fail(err),
    };
    plumbing::logging::init_tracing();
    // Named for the binary that runs it (step 12 runs this too).
    let matches = Cli::command().name(name).get_matches_from(&args);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    let production = &cli.production;

    // 2. Step 9's setup: key cache, metadata, authentication; then a pinned JWKS URL if given.
    let Setup {
        cache,
        mut metadata,
        auth,
        auth_args,
    } = match Setup::from_args(cli.auth.clone(), &cli.keycloak) {
        Ok(setup) => setup,
        Err(message) => return fail(message),
    };
    crate::dpop::advertise(&production.dpop, &mut metadata.resource);
    if let Err(err) = production::pin_key_set(production, &cache, cli.keycloak.allow_insecure_http)
    {
        return fail(err);
    }

    // 3. The production choices: None is the default, step 6's strict local validation.
    let mode = match production::mode_auth(
        production,
        &auth,
        &cache,
        &metadata,
        cli.keycloak.allow_insecure_http,
    ) {
        Ok(mode) => mode,
        Err(err) => return fail(err),
    };

    // 4. Say what is running.
    println!("{name} effective configuration:");
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
                "connect {:?}, total {:?}",
                cli.keycloak.idp_connect_timeout, cli.keycloak.idp_timeout
            ),
        ),
        (
            "validation",
            format!("{:?}", production.validation).to_lowercase(),
        ),
        (
            "auth mode",
            format!("{:?}", production.auth_mode).to_lowercase(),
        ),
        ("dpop", crate::dpop::describe(&production.dpop)),
        (
            "jwks url",
            production
                .jwks_url
                .as_ref()
                .map_or_else(|| "(from discovery)".into(), |url| url.to_string()),
        ),
    ];
    for line in describe::describe(loaded.as_deref(), &settings) {
        println!("{line}");
    }
    if let Some(warning) = describe::mode_warning(production.auth_mode) {
        println!("{warning}");
    }

    // 5. Serve: step 9's routes with CORS, behind step 1's guard (which allows the CORS origins).
    cache.spawn_refresher();
    let guard = step7::guard(cli.serve.bind, &auth_args);
    let details = cli
        .keycloak
        .health_details
        .show(cli.serve.bind, &auth_args.server_url.host());
    let answer = answer(&auth);
    let app = crate::app(
        &cache,
        details,
        &metadata,
        auth,
        guard,
        &cli.cors.cors_origins,
        mode,
        answer,
    );
    server::serve(app, &cli.serve, name).await
}
