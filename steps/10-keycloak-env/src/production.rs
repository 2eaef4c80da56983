//! The production choices, from flags to the middleware that enforces them:
//! `--validation jwt|introspection`, `--auth-mode strict|optional|permissive`,
//! `--jwks-url` ([`pin_key_set`]), the introspection client and its secret.
//!
//! All off by default: `cargo run -p step10` validates JWTs locally and
//! strictly, exactly as step 9. [`mode_auth`] returns `None` then, and step 6's
//! middleware guards `/mcp` unchanged.

use std::{path::PathBuf, sync::Arc};

use clap::Args;
use step6::auth::Auth;
use step7::metadata::Metadata;
use step9::key_cache::KeyCache;

use crate::{
    auth_mode::{AuthMode, ModeAuth, Validation, Verifier},
    dpop::{Dpop, DpopArgs},
    introspection::{ClientSecret, Introspector, IntrospectorConfig},
};

/// Choices for running in production (all off by default: strict local JWT validation).
#[derive(Debug, Clone, Args)]
pub struct ProductionArgs {
    /// How tokens are checked: locally against the key set (jwt), or by asking the provider (introspection).
    #[arg(long, value_enum, env = "MCP_VALIDATION", default_value = "jwt")]
    pub validation: Validation,

    /// strict: every request needs a valid token; optional: no token = anonymous (scope checks still
    /// deny); permissive: validate and log, never reject (debugging only).
    #[arg(long, value_enum, env = "MCP_AUTH_MODE", default_value = "strict")]
    pub auth_mode: AuthMode,

    /// Pin the key-set URL instead of discovering it (for providers without OIDC discovery).
    #[arg(long, env = "JWKS_URL", value_parser = step9::https_rule::http_url)]
    pub jwks_url: Option<url::Url>,

    /// The client id this server introspects with (its own confidential client).
    #[arg(long, env = "KEYCLOAK_CLIENT_ID", default_value = "echo-mcp-server")]
    pub introspection_client_id: String,

    /// A file holding that client's secret (needed for --validation introspection). Or set
    /// KEYCLOAK_CLIENT_SECRET in the environment or the env file. There is no flag for the
    /// secret itself: a command line is visible to every user of the machine (`ps`).
    #[arg(long, env = "KEYCLOAK_CLIENT_SECRET_FILE", value_name = "FILE")]
    pub introspection_client_secret_file: Option<PathBuf>,

    /// Seconds an active introspection answer is reused (0: ask every time). This is the
    /// revocation delay of introspection mode.
    #[arg(long, env = "INTROSPECTION_CACHE_SECS", default_value_t = 10)]
    pub introspection_cache_secs: u32,

    /// Introspection calls per second, all tokens together; above it, requests get
    /// 503 + Retry-After instead of a provider call (each call carries our secret).
    #[arg(long, env = "INTROSPECTION_MAX_PER_SEC", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub introspection_max_per_sec: u32,

    #[command(flatten)]
    pub dpop: DpopArgs,
}

/// The variable that holds the introspection client's secret.
pub const CLIENT_SECRET_VAR: &str = "KEYCLOAK_CLIENT_SECRET";

impl ProductionArgs {
    /// The introspection client's secret: from `--introspection-client-secret-file`, else
    /// from `KEYCLOAK_CLIENT_SECRET`; `None` when neither is set.
    pub fn client_secret(&self) -> Result<Option<ClientSecret>, std::io::Error> {
        if let Some(path) = &self.introspection_client_secret_file {
            let text = std::fs::read_to_string(path)?;
            return Ok(Some(ClientSecret::new(
                text.trim_end_matches(['\r', '\n']).to_string(),
            )));
        }
        Ok(std::env::var(CLIENT_SECRET_VAR)
            .ok()
            .filter(|s| !s.is_empty())
            .map(ClientSecret::new))
    }
}

/// Why the production choices cannot start, each with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot read --introspection-client-secret-file {path}: {source}")]
    SecretFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "--validation introspection needs the secret of client {client_id}: set {CLIENT_SECRET_VAR} (e.g. in the env file) or --introspection-client-secret-file"
    )]
    MissingSecret { client_id: String },
    #[error(transparent)]
    Insecure(#[from] step9::https_rule::InsecureUrl),
}

/// `--jwks-url`: the key cache fetches from this URL instead of discovering
/// one — for providers without OIDC discovery, or to refuse a discovery
/// document that would point the keys elsewhere. Step 9's HTTPS rule applies:
/// a key set over plain http can be swapped by anyone on the path.
pub fn pin_key_set(
    production: &ProductionArgs,
    cache: &KeyCache,
    allow_insecure_http: bool,
) -> Result<(), StartupError> {
    if let Some(url) = &production.jwks_url {
        step9::https_rule::check_one("JWKS URL", url.as_str(), allow_insecure_http)?;
        cache.set_key_set_url(url.to_string());
    }
    Ok(())
}

/// The middleware for the chosen validation, auth mode and DPoP rule, or
/// `None` for the default (local JWT, strict, no DPoP), which is step 6's.
/// `allow_insecure_http` is step 9's flag: it also governs the discovered
/// introspection endpoint. `metadata` gives the issuer, and the public URL DPoP proofs name.
pub fn mode_auth(
    production: &ProductionArgs,
    auth: &Auth,
    cache: &KeyCache,
    metadata: &Metadata,
    allow_insecure_http: bool,
) -> Result<Option<ModeAuth>, StartupError> {
    let dpop = Dpop::new(&production.dpop, &metadata.server_url).map(Arc::new);
    let secret = production
        .client_secret()
        .map_err(|source| StartupError::SecretFile {
            path: production
                .introspection_client_secret_file
                .clone()
                .unwrap_or_default(),
            source,
        })?;
    let verifier = match (production.validation, production.auth_mode) {
        (Validation::Jwt, AuthMode::Strict) if dpop.is_none() => return Ok(None),
        (Validation::Jwt, _) => Verifier::Jwt(auth.validator.clone()),
        (Validation::Introspection, _) => {
            let client_secret = secret.ok_or_else(|| StartupError::MissingSecret {
                client_id: production.introspection_client_id.clone(),
            })?;
            Verifier::Introspection(Arc::new(
                Introspector::new(
                    cache.http().clone(),
                    IntrospectorConfig {
                        issuer: metadata.issuer.clone(),
                        audiences: auth.validator.audiences().to_vec(),
                        client_id: production.introspection_client_id.clone(),
                        client_secret,
                        cache_secs: production.introspection_cache_secs.into(),
                        allow_insecure_http,
                        max_calls_per_sec: production.introspection_max_per_sec,
                    },
                )
                // A forged JWT is refused by its signature, before any provider call.
                .with_signature_check(auth.validator.clone()),
            ))
        }
    };
    Ok(Some(ModeAuth {
        verifier: Arc::new(verifier),
        challenge: auth.challenge.clone(),
        mode: production.auth_mode,
        dpop,
    }))
}
