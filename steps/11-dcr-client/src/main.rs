//! `cargo run -p step11 -- [SERVER_URL]` — discover, register, sign in, call the echo tool.

use std::{path::PathBuf, process::ExitCode, time::Duration};

use clap::Parser;
use step11::{
    era::Protocol,
    es256::Es256Key,
    flow::{self, Options},
    machine::Grant,
    secret::Secret,
};
use url::Url;

/// Step 11: an MCP client that goes from a server URL to a tool call — 401, metadata discovery,
/// dynamic client registration, PKCE, resource indicators, loopback redirect.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// The MCP endpoint (http or https; plain http only on a loopback host unless
    /// --allow-insecure-http).
    #[arg(default_value = "http://localhost:9000/mcp", value_parser = flow::http_url)]
    server_url: Url,

    /// Scopes to ask for (space or comma separated). Default: the 401's scope, else the
    /// resource's scopes_supported, else none.
    #[arg(long)]
    scopes: Option<String>,

    /// Port of the loopback redirect listener on 127.0.0.1 (0: any free port; a stored client reuses its own).
    #[arg(long, default_value_t = 0)]
    redirect_port: u16,

    /// Where registered client credentials are kept (created with mode 0600).
    #[arg(long, env = "STEP11_CREDENTIALS", default_value_os_t = default_credentials())]
    credentials: PathBuf,

    /// Forget the stored client for this authorization server and register a new one.
    #[arg(long)]
    reset: bool,

    /// Do not open a browser; print the authorization URL instead.
    #[arg(long)]
    no_browser: bool,

    /// Run CMD with the authorization URL as its last argument instead of opening a browser
    /// (scripts/browser_login.sh stands in for a person).
    #[arg(long, value_name = "CMD")]
    browser_cmd: Option<String>,

    /// A pre-registered client id (skips dynamic registration).
    #[arg(long)]
    client_id: Option<String>,

    /// A file holding the pre-registered client's secret (confidential clients only). Or set
    /// MCP_CLIENT_SECRET. There is no flag for the secret itself: a command line is visible to
    /// every user of the machine (`ps`).
    #[arg(long, value_name = "FILE", requires = "client_id")]
    client_secret_file: Option<PathBuf>,

    /// The issuer (authorization server) the --client-id belongs to. Its secret goes to that
    /// issuer only. Without this flag, the issuer the client is first used with is recorded in
    /// the credentials file and holds from then on.
    #[arg(long, value_name = "URL", requires = "client_id", value_parser = step11::flow::http_url)]
    client_issuer: Option<Url>,

    /// When a server sends us to an authorization server other than the one --client-id
    /// belongs to, register a new client there (its secret stays home) instead of stopping.
    #[arg(long, requires = "client_id")]
    register_elsewhere: bool,

    /// Seconds to wait for the browser to come back to the redirect listener.
    #[arg(long, default_value_t = 300)]
    login_timeout: u64,

    /// The message for the echo tool.
    #[arg(long, default_value = "hello from step 11")]
    message: String,

    /// Allow plain-http authorization servers on non-loopback hosts (never do this outside a lab).
    #[arg(long)]
    allow_insecure_http: bool,

    /// Accept a server that publishes no protected-resource metadata, treating its origin as the
    /// authorization server with default endpoints (MCP 2025-03-26 rules; 2025-11-25 refuses).
    #[arg(long = "legacy-2025-03-26")]
    legacy_2025_03_26: bool,

    /// Which MCP wire to speak: auto (ask server/discover, fall back to the 2025 initialize
    /// handshake), legacy (only the handshake), or 2026-07-28 (only the stateless wire).
    #[arg(long, value_enum, default_value = "auto")]
    protocol: Protocol,

    /// An https URL where you publish this client's metadata (a Client ID Metadata Document):
    /// used as the client_id by providers that advertise client_id_metadata_document_supported,
    /// instead of registering. The client prints the document to publish.
    #[arg(long, value_name = "URL", value_parser = step11::cimd::check_url)]
    client_metadata_url: Option<Url>,

    /// Beyond the blog. How to get the token: authorization-code (a person signs in in the
    /// browser) or client-credentials (the client acts for itself: no browser; needs --client-id
    /// and a secret or --client-key).
    #[arg(long, value_enum, default_value = "authorization-code")]
    grant: Grant,

    /// Beyond the blog. Authenticate the pre-registered client with a signed JWT
    /// (private_key_jwt, ES256) made with the P-256 private key in FILE (PKCS#8 PEM), instead
    /// of a secret.
    #[arg(long, value_name = "FILE", requires = "client_id")]
    client_key: Option<PathBuf>,

    /// Beyond the blog. Ask for a DPoP-bound token (RFC 9449): a fresh key for this run, a
    /// proof on the token request and on every MCP request, one retry with a server's nonce.
    #[arg(long)]
    dpop: bool,
}

fn default_credentials() -> PathBuf {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("mcp-auth-step-by-step")
        .join("step11.credentials.json")
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let client_secret = match &cli.client_secret_file {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => Some(Secret::new(text.trim_end_matches(['\r', '\n']))),
            Err(err) => {
                eprintln!(
                    "error: cannot read --client-secret-file {}: {err}",
                    path.display()
                );
                return ExitCode::FAILURE;
            }
        },
        None => std::env::var("MCP_CLIENT_SECRET")
            .ok()
            .filter(|s| !s.is_empty())
            .map(Secret::new),
    };
    let client_key = match &cli.client_key {
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|pem| Es256Key::from_pkcs8_pem(&pem))
        {
            Ok(key) => Some(key),
            Err(err) => {
                eprintln!("error: --client-key {}: {err}", path.display());
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };
    if cli.allow_insecure_http {
        eprintln!(
            "warning: --allow-insecure-http: tokens and codes may cross the network unencrypted"
        );
    }
    let options = Options {
        server_url: cli.server_url,
        scopes: cli.scopes.map(|s| s.replace(',', " ")),
        redirect_port: cli.redirect_port,
        credentials: cli.credentials,
        reset: cli.reset,
        no_browser: cli.no_browser,
        browser_cmd: cli.browser_cmd,
        client_id: cli.client_id,
        client_secret,
        client_issuer: cli.client_issuer,
        register_elsewhere: cli.register_elsewhere,
        login_timeout: Duration::from_secs(cli.login_timeout),
        message: cli.message,
        allow_insecure_http: cli.allow_insecure_http,
        legacy_2025_03_26: cli.legacy_2025_03_26,
        protocol: cli.protocol,
        client_metadata_url: cli.client_metadata_url,
        grant: cli.grant,
        client_key,
        dpop: cli.dpop,
    };
    match flow::run(options).await {
        Ok(()) => {
            println!("\ndone: authorized and called the server");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("\nerror: {}", step11::narrate::clean(&err.to_string()));
            ExitCode::FAILURE
        }
    }
}
