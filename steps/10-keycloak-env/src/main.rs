//! `cargo run -p step10 [-- --env env/keycloak_proxy.env]` — step 9, configured from an env file,
//! with CORS for browser clients.

use std::{path::PathBuf, process::ExitCode, sync::Arc};

use clap::Parser;
use step1::{cli::ServeArgs, server};
use step6::config::AuthArgs;
use step9::{Setup, config::KeycloakArgs};
use step10::{
    ProductionArgs,
    auth_mode::{AuthMode, ModeAuth, Validation, Verifier},
    cors::CorsArgs,
    env_file,
    introspection::{ClientSecret, Introspector, IntrospectorConfig},
};

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
    #[command(flatten)]
    production: ProductionArgs,
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
    let production = cli.production.clone();
    let client_secret = match production.client_secret() {
        Ok(secret) => secret,
        Err(err) => {
            eprintln!("error: cannot read --introspection-client-secret-file: {err}");
            return ExitCode::FAILURE;
        }
    };
    if production.validation == Validation::Introspection && client_secret.is_none() {
        eprintln!(
            "error: --validation introspection needs the secret of client {}: set {} (e.g. in the env file) or --introspection-client-secret-file",
            production.introspection_client_id,
            step10::CLIENT_SECRET_VAR
        );
        return ExitCode::FAILURE;
    }
    let Setup {
        cache,
        metadata,
        auth,
        auth_args,
    } = match Setup::from_args(cli.auth, &cli.keycloak, production.jwks_url.clone()) {
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
        (
            "jwks url",
            production
                .jwks_url
                .clone()
                .unwrap_or_else(|| "(from discovery)".into()),
        ),
    ];
    for line in step10::describe(loaded.as_deref(), &settings) {
        println!("{line}");
    }
    if production.auth_mode == AuthMode::Permissive {
        println!(
            "  WARNING         auth mode PERMISSIVE: invalid and missing tokens are let through — debugging only"
        );
    }
    let mode =
        if production.validation == Validation::Jwt && production.auth_mode == AuthMode::Strict {
            None // the default: step 6's middleware, unchanged
        } else {
            let verifier = match production.validation {
                Validation::Jwt => Verifier::Jwt(auth.validator.clone()),
                Validation::Introspection => Verifier::Introspection(Arc::new(Introspector::new(
                    cache.http().clone(),
                    IntrospectorConfig {
                        issuer: metadata.issuer.clone(),
                        audiences: auth.validator.audiences().to_vec(),
                        client_id: production.introspection_client_id.clone(),
                        client_secret: client_secret
                            .clone()
                            .unwrap_or_else(|| ClientSecret::new(String::new())),
                        cache_secs: production.introspection_cache_secs.max(0),
                        allow_insecure_http: cli.keycloak.allow_insecure_http,
                    },
                ))),
            };
            Some(ModeAuth {
                verifier: Arc::new(verifier),
                challenge: auth.challenge.clone(),
                mode: production.auth_mode,
            })
        };
    cache.spawn_refresher();
    let guard = step7::guard(cli.serve.bind, &auth_args);
    let details = cli.keycloak.health_details.show(cli.serve.bind);
    let app = step10::app(
        &cache,
        details,
        &metadata,
        auth,
        guard,
        &cli.cors.cors_origins,
        mode,
    );
    server::serve(app, &cli.serve, "step10").await
}
