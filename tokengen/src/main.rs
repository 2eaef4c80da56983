//! `cargo run -p tokengen -- --demo alice` — mint a demo access token.
//!
//! ```text
//! TOKEN=$(cargo run -q -p tokengen -- --username alice --scopes mcp:read,mcp:tools)
//! TOKEN=$(cargo run -q -p tokengen -- --demo admin --expires 1h)
//! BAD=$(cargo run -q -p tokengen -- --forge expired)
//! cargo run -p tokengen -- --generate-keys          # a new demo key pair in keys/
//! ```

use std::{path::PathBuf, process::ExitCode, time::Duration};

use clap::Parser;
use tokengen::{
    claims::{DEFAULT_AUDIENCE, DEFAULT_ISSUER, Demo, TokenSpec, describe_time, split_list},
    forge::{Forgery, forge, mint},
    keypair::{DEFAULT_PRIVATE_KEY, SigningKey, generate_pair},
};

/// Mint demo access tokens for steps 5–8 (token on stdout, details on stderr),
/// forge bad ones for the tests, or generate the demo key pair.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// A ready-made user: alice (mcp:read mcp:tools), bob (mcp:read mcp:prompts),
    /// admin (all scopes + admin role), guest (no scopes). Overrides --username/--scopes/--roles.
    #[arg(long, value_enum)]
    demo: Option<Demo>,

    /// The subject (`sub` and `preferred_username`).
    #[arg(long, default_value = "alice")]
    username: String,

    /// Scopes, comma or space separated (written to the standard `scope` claim).
    #[arg(long, default_value = "mcp:read,mcp:tools")]
    scopes: String,

    /// Roles, comma or space separated (written to the `roles` claim); e.g. admin.
    #[arg(long, default_value = "")]
    roles: String,

    /// Lifetime of the token, e.g. 30s, 15m, 1h, 2days.
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    expires: Duration,

    /// The `iss` claim: must equal the server's --issuer.
    #[arg(long, env = "MCP_ISSUER", default_value = DEFAULT_ISSUER)]
    issuer: String,

    /// The `aud` claim: must equal the server's --audience (the MCP endpoint's canonical URL).
    #[arg(long, env = "MCP_AUDIENCE", default_value = DEFAULT_AUDIENCE)]
    audience: String,

    /// An extra claim as NAME=JSON, repeatable, e.g. --claim 'scopes=["mcp:tools"]' (added last,
    /// so it can also replace a standard claim).
    #[arg(long = "claim", value_name = "NAME=JSON", value_parser = parse_claim)]
    claims: Vec<(String, serde_json::Value)>,

    /// The private key to sign with (PKCS#8 PEM).
    #[arg(long, default_value = DEFAULT_PRIVATE_KEY)]
    key: PathBuf,

    /// Make a deliberately bad token of this kind instead (for tests).
    #[arg(long, value_enum)]
    forge: Option<Forgery>,

    /// Write a new demo key pair (mcp_private_key.pem, mcp_public_key.pem) into --out-dir and exit.
    #[arg(long)]
    generate_keys: bool,

    /// Where --generate-keys writes the pair.
    #[arg(long, default_value = "keys")]
    out_dir: PathBuf,

    /// Let --generate-keys replace an existing pair.
    #[arg(long)]
    force: bool,
}

/// `NAME=JSON` → the claim; a value that is not JSON is taken as a string.
fn parse_claim(text: &str) -> Result<(String, serde_json::Value), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not NAME=JSON, e.g. scopes=[\"mcp:tools\"]"))?;
    let value = serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::from(value));
    Ok((name.to_string(), value))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Every error here is one of the library's typed errors (`KeyError`, the
/// claim and forge errors); its message says what to fix.
fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    if cli.generate_keys {
        let key = generate_pair(&cli.out_dir, cli.force)?;
        eprintln!(
            "wrote {0}/mcp_private_key.pem and {0}/mcp_public_key.pem (kid {1}) — demo keys, never for production",
            cli.out_dir.display(),
            key.jwk.kid
        );
        return Ok(());
    }

    let key = SigningKey::load(&cli.key)?;
    let mut spec = match cli.demo {
        Some(demo) => TokenSpec::demo(demo, cli.expires),
        None => TokenSpec {
            username: cli.username,
            scopes: split_list(&cli.scopes),
            roles: split_list(&cli.roles),
            issuer: String::new(),
            audience: String::new(),
            lifetime: cli.expires,
            extra: Default::default(),
        },
    };
    spec.issuer = cli.issuer;
    spec.audience = cli.audience;
    spec.extra = cli.claims.into_iter().collect();

    let token = match cli.forge {
        Some(kind) => {
            eprintln!(
                "forged token: {kind:?} (for tests — a server must reject it unless it is a CONTROL)"
            );
            forge(kind, &spec, &key)?
        }
        None => {
            let claims = spec.claims();
            let exp = claims["exp"].as_i64().unwrap_or_default();
            eprintln!("token for {} (kid {})", spec.username, key.jwk.kid);
            eprintln!("  iss   {}", spec.issuer);
            eprintln!("  aud   {}", spec.audience);
            eprintln!(
                "  scope {}",
                if spec.scopes.is_empty() {
                    "(none)".to_string()
                } else {
                    spec.scopes.join(" ")
                }
            );
            if !spec.roles.is_empty() {
                eprintln!("  roles {}", spec.roles.join(" "));
            }
            eprintln!("  exp   {} (UTC)", describe_time(exp));
            mint(&spec, &key)?
        }
    };
    println!("{token}");
    Ok(())
}
