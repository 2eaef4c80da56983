//! Loading the demo public key from a PEM file, with errors a learner can act on.
//!
//! The file is the SubjectPublicKeyInfo ("SPKI", RFC 5280 §4.1.2.7) form that
//! begins `-----BEGIN PUBLIC KEY-----`. The private half never reaches the
//! server: only `tokengen` reads it, to sign tokens.

use std::path::{Path, PathBuf};

use rsa::{RsaPublicKey, pkcs8::DecodePublicKey, traits::PublicKeyParts};

use crate::jwks::Jwk;

/// Where `cargo run -p stepN` looks for the key when no `--public-key` is given.
pub const DEFAULT_PUBLIC_KEY: &str = "keys/mcp_public_key.pem";

/// The command that writes a fresh demo key pair.
pub const GENERATE_HINT: &str = "cargo run -p tokengen -- --generate-keys";

/// The loaded key, and its published form.
#[derive(Debug, Clone)]
pub struct PublicKey {
    pub path: PathBuf,
    pub rsa: RsaPublicKey,
    pub jwk: Jwk,
}

/// Why the key could not be loaded. Each message names the file and the fix.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error(
        "cannot read the public key {path}: {source}\n  run from the workspace root, pass --public-key PATH, or create a demo pair with: {GENERATE_HINT}"
    )]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is not an RSA public key in PEM (SPKI, '-----BEGIN PUBLIC KEY-----'): {reason}\n  create a demo pair with: {GENERATE_HINT}"
    )]
    NotAPublicKey { path: PathBuf, reason: String },
    #[error("{path} holds a {bits}-bit RSA key; use at least 2048 bits ({GENERATE_HINT})")]
    TooSmall { path: PathBuf, bits: usize },
}

impl PublicKey {
    /// Read and check the key at `path`.
    pub fn load(path: &Path) -> Result<PublicKey, KeyFileError> {
        let pem = std::fs::read_to_string(path).map_err(|source| KeyFileError::Unreadable {
            path: path.to_owned(),
            source,
        })?;
        PublicKey::from_pem(path, &pem)
    }

    /// Parse PEM text (`path` is only used in messages).
    pub fn from_pem(path: &Path, pem: &str) -> Result<PublicKey, KeyFileError> {
        let rsa = RsaPublicKey::from_public_key_pem(pem).map_err(|e| {
            let reason = if pem.contains("PRIVATE KEY") {
                "this is a private key; the server only needs the public one".to_string()
            } else {
                e.to_string()
            };
            KeyFileError::NotAPublicKey {
                path: path.to_owned(),
                reason,
            }
        })?;
        let bits = rsa.size() * 8;
        if bits < 2048 {
            return Err(KeyFileError::TooSmall {
                path: path.to_owned(),
                bits,
            });
        }
        Ok(PublicKey {
            path: path.to_owned(),
            jwk: Jwk::from_rsa(&rsa),
            rsa,
        })
    }

    /// The key id (RFC 7638 thumbprint).
    pub fn kid(&self) -> &str {
        &self.jwk.kid
    }
}
