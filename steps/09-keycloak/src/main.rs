//! `cargo run -p step9` — step 8's server, trusting Keycloak's keys.

use std::process::ExitCode;

use clap::Parser;
use step1::{cli::ServeArgs, server};
use step6::config::AuthArgs;
use step7::metadata::Metadata;
use step9::{
    config::KeycloakArgs,
    key_cache::{KeyCache, KeyCacheConfig},
};

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
    server::init_tracing();
    let cli = Cli::parse();
    let auth_args = cli.keycloak.apply_defaults(cli.auth);
    let built = (|| {
        let metadata = Metadata::from_args(&auth_args).map_err(|e| e.to_string())?;
        let (connect_timeout, timeout) = cli.keycloak.timeouts();
        let cache = KeyCache::new(KeyCacheConfig {
            issuer: metadata.issuer.clone(),
            jwks_uri: None,
            connect_timeout,
            timeout,
            cooldown: std::time::Duration::from_secs(cli.keycloak.jwks_refresh_cooldown),
        })
        .map_err(|e| e.to_string())?;
        let auth = step7::auth(cache.clone(), &auth_args, &metadata).map_err(|e| e.to_string())?;
        Ok::<_, String>((cache, metadata, auth))
    })();
    let (cache, metadata, auth) = match built {
        Ok(built) => built,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(issuer = %metadata.issuer, audience = ?auth.validator.audiences(), "accepting Keycloak tokens");
    cache.spawn_refresher();
    let guard = step6::guard(cli.serve.bind, &auth_args);
    let app = step9::app(&cache, &metadata, auth, guard);
    server::serve(app, cli.serve.bind, "step9").await
}
