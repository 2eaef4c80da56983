//! `cargo run -q -p step11 --example jws -- …` — the signed JWTs of step 11's
//! DPoP and `private_key_jwt`, one at a time, for curl and the test scripts
//! (beyond the blog; docs/sender-constrained.md).
//!
//! ```text
//! jws keygen > key.pem                                      a P-256 key (PKCS#8 PEM)
//! jws proof --key key.pem --htu URL [--htm POST] [--token T] [--nonce N]   a DPoP proof
//!     [--count N]                                           N proofs, one per line (scripts/bench.sh)
//! jws assertion --key key.pem --client-id ID --audience ISSUER            a client assertion
//! jws jwk --key key.pem                                     the public key, as a JWK
//! ```

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use step11::{client_assertion::Assertion, es256::Es256Key};

/// Make the JWTs step 11 signs: DPoP proofs (RFC 9449) and private_key_jwt client assertions
/// (RFC 7523), with a P-256 key kept in a PEM file.
#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a new P-256 private key (PKCS#8 PEM).
    Keygen,
    /// Print a DPoP proof for one request.
    Proof {
        /// The private key (PKCS#8 PEM) the proof is signed with.
        #[arg(long)]
        key: PathBuf,
        /// The request's method (htm).
        #[arg(long, default_value = "POST")]
        htm: String,
        /// The request's URL (htu; query and fragment are dropped).
        #[arg(long)]
        htu: String,
        /// The access token sent with the request (its hash becomes ath).
        #[arg(long)]
        token: Option<String>,
        /// A nonce the server handed out (DPoP-Nonce).
        #[arg(long)]
        nonce: Option<String>,
        /// How many proofs (each with its own jti), one per line.
        #[arg(long, default_value_t = 1)]
        count: usize,
    },
    /// Print a private_key_jwt client assertion.
    Assertion {
        /// The client's private key (PKCS#8 PEM), e.g. keys/mcp_agent_private_key.pem.
        #[arg(long)]
        key: PathBuf,
        /// The client id (iss and sub).
        #[arg(long)]
        client_id: String,
        /// The authorization server's issuer (aud).
        #[arg(long)]
        audience: String,
    },
    /// Print the public key as a JWK.
    Jwk {
        /// The private key (PKCS#8 PEM).
        #[arg(long)]
        key: PathBuf,
    },
}

fn load(path: &PathBuf) -> Result<Es256Key, String> {
    let pem = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Es256Key::from_pkcs8_pem(&pem).map_err(|e| format!("{}: {e}", path.display()))
}

fn run(cli: Cli) -> Result<String, String> {
    Ok(match cli.command {
        Command::Keygen => Es256Key::generate().to_pkcs8_pem().trim_end().to_string(),
        Command::Proof {
            key,
            htm,
            htu,
            token,
            nonce,
            count,
        } => {
            let key = load(&key)?;
            (0..count)
                .map(|_| key.proof(&htm, &htu, token.as_deref(), nonce.as_deref()))
                .collect::<Vec<_>>()
                .join("\n")
        }
        Command::Assertion {
            key,
            client_id,
            audience,
        } => Assertion {
            key: load(&key)?,
            audience,
        }
        .jwt(&client_id),
        Command::Jwk { key } => load(&key)?.public_jwk().to_string(),
    })
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
