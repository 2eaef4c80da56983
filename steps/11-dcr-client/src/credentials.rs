//! Client credentials, remembered per issuer, in a file only the user can read.
//!
//! Registering a new client on every run would litter the authorization
//! server with clients; so after RFC 7591 registration the client id (and
//! secret, if one was issued) is stored, keyed by the issuer, and reused next
//! time. The file holds a secret, so it is created with mode `0600`.
//! Tokens are not stored: each run logs in again.
//!
//! ```text
//! {"issuers": {"http://localhost:8080/realms/mcp-realm":
//!    {"client_id": "…", "token_endpoint_auth_method": "none", "redirect_uri": "http://127.0.0.1:41234/callback"}}}
//! ```

use std::{
    collections::BTreeMap,
    io::Write,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use crate::error::ClientError;

/// What the client needs to talk to one authorization server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientCredentials {
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// `none`, `client_secret_basic` or `client_secret_post`.
    pub token_endpoint_auth_method: String,
    /// The redirect URI registered with the client (its port is reused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    issuers: BTreeMap<String, ClientCredentials>,
}

/// The credentials file.
pub struct Store {
    path: PathBuf,
    file: File,
}

fn fail(path: &Path, reason: impl ToString) -> ClientError {
    ClientError::Credentials {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

impl Store {
    /// Read the file (a missing file is an empty store).
    pub fn load(path: &Path) -> Result<Store, ClientError> {
        let file = match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| fail(path, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => File::default(),
            Err(e) => return Err(fail(path, e)),
        };
        Ok(Store {
            path: path.to_owned(),
            file,
        })
    }

    pub fn get(&self, issuer: &str) -> Option<&ClientCredentials> {
        self.file.issuers.get(issuer)
    }

    /// Forget the credentials for `issuer` (`--reset`).
    pub fn forget(&mut self, issuer: &str) -> Result<bool, ClientError> {
        let removed = self.file.issuers.remove(issuer).is_some();
        if removed {
            self.save()?;
        }
        Ok(removed)
    }

    pub fn put(&mut self, issuer: &str, credentials: ClientCredentials) -> Result<(), ClientError> {
        self.file.issuers.insert(issuer.to_string(), credentials);
        self.save()
    }

    /// Write the file with mode 0600 (on Unix), creating its folder.
    fn save(&self) -> Result<(), ClientError> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| fail(&self.path, e))?;
        }
        let text = serde_json::to_string_pretty(&self.file).map_err(|e| fail(&self.path, e))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&self.path).map_err(|e| fail(&self.path, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| fail(&self.path, e))?;
        }
        file.write_all(text.as_bytes())
            .map_err(|e| fail(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_mode_0600() {
        let path = std::env::temp_dir().join(format!("step11-creds-{}/c.json", std::process::id()));
        let mut store = Store::load(&path).unwrap();
        assert!(store.get("http://as").is_none());
        let creds = ClientCredentials {
            client_id: "abc".into(),
            client_secret: Some("s3cret".into()),
            token_endpoint_auth_method: "client_secret_basic".into(),
            redirect_uri: Some("http://127.0.0.1:1234/callback".into()),
        };
        store.put("http://as", creds.clone()).unwrap();
        assert_eq!(Store::load(&path).unwrap().get("http://as"), Some(&creds));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert!(store.forget("http://as").unwrap());
        assert!(Store::load(&path).unwrap().get("http://as").is_none());
    }
}
