//! The demo key pair: read the private key, or generate a new pair.
//!
//! Files (PEM): `keys/mcp_private_key.pem` is PKCS#8 (`BEGIN PRIVATE KEY`),
//! `keys/mcp_public_key.pem` is SPKI (`BEGIN PUBLIC KEY`). Both are what
//! OpenSSL and most libraries expect today.

use std::path::{Path, PathBuf};

use jsonwebtoken::EncodingKey;
use rsa::{
    RsaPrivateKey, RsaPublicKey,
    pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding},
};
use step5::jwks::Jwk;

/// Where the demo private key lives by default.
pub const DEFAULT_PRIVATE_KEY: &str = "keys/mcp_private_key.pem";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "cannot read the private key {path}: {source}\n  run from the workspace root, pass --key PATH, or create a pair with --generate-keys"
    )]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not an RSA private key in PKCS#8 PEM: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("refusing to overwrite {0}; pass --force to replace the demo key pair")]
    Exists(PathBuf),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("key generation failed: {0}")]
    Generate(String),
}

/// A private key ready to sign, with its public JWK (whose `kid` goes into
/// every token header).
pub struct SigningKey {
    pub rsa: RsaPrivateKey,
    pub encoding: EncodingKey,
    pub jwk: Jwk,
    pub pem: String,
}

impl SigningKey {
    /// Read a PKCS#8 PEM private key.
    /// The workspace's demo key (`keys/mcp_private_key.pem`), for tests.
    pub fn demo() -> SigningKey {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../keys/mcp_private_key.pem");
        SigningKey::load(Path::new(path)).expect("the demo key in keys/ loads")
    }

    pub fn load(path: &Path) -> Result<SigningKey, KeyError> {
        let pem = std::fs::read_to_string(path).map_err(|source| KeyError::Unreadable {
            path: path.to_owned(),
            source,
        })?;
        SigningKey::from_pem(&pem).map_err(|reason| KeyError::Invalid {
            path: path.to_owned(),
            reason,
        })
    }

    /// Parse PEM text.
    pub fn from_pem(pem: &str) -> Result<SigningKey, String> {
        let rsa = RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| e.to_string())?;
        let encoding = EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| e.to_string())?;
        Ok(SigningKey {
            jwk: Jwk::from_rsa(&RsaPublicKey::from(&rsa)),
            rsa,
            encoding,
            pem: pem.to_string(),
        })
    }

    /// A brand-new 2048-bit key (for forging "signed by another key").
    pub fn generate() -> Result<SigningKey, KeyError> {
        let rsa = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
            .map_err(|e| KeyError::Generate(e.to_string()))?;
        let pem = rsa
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| KeyError::Generate(e.to_string()))?;
        SigningKey::from_pem(&pem).map_err(KeyError::Generate)
    }

    /// The public half in SPKI PEM.
    pub fn public_pem(&self) -> String {
        RsaPublicKey::from(&self.rsa)
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_default()
    }
}

/// Write a new pair into `dir`: `mcp_private_key.pem` (mode 0600 on Unix) and
/// `mcp_public_key.pem`. Refuses to overwrite unless `force`.
pub fn generate_pair(dir: &Path, force: bool) -> Result<SigningKey, KeyError> {
    let private_path = dir.join("mcp_private_key.pem");
    let public_path = dir.join("mcp_public_key.pem");
    for path in [&private_path, &public_path] {
        if path.exists() && !force {
            return Err(KeyError::Exists(path.clone()));
        }
    }
    let key = SigningKey::generate()?;
    let write = |path: &PathBuf, text: &str| {
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(path, text))
            .map_err(|source| KeyError::Write {
                path: path.clone(),
                source,
            })
    };
    write(&private_path, &key.pem)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&private_path, std::fs::Permissions::from_mode(0o600));
    }
    write(&public_path, &key.public_pem())?;
    Ok(key)
}
