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
//!    {"client_id": "…", "token_endpoint_auth_method": "none", "redirect_uri": "http://127.0.0.1:41234/callback"}},
//!  "pre_registered": {"my-client": "http://localhost:8080/realms/mcp-realm"}}
//! ```
//!
//! `pre_registered` binds a `--client-id` (whose secret is never stored) to
//! the issuer it was first used with: a server's metadata cannot later send
//! that secret to another authorization server.

use std::{
    collections::BTreeMap,
    io::Write,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use crate::{error::ClientError, secret::Secret};

/// What the client needs to talk to one authorization server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientCredentials {
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    /// `none`, `client_secret_basic` or `client_secret_post`.
    pub token_endpoint_auth_method: String,
    /// The redirect URI registered with the client (its port is reused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// When it was registered (seconds since the Unix epoch), to say how old it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_at: Option<u64>,
}

/// Seconds since the Unix epoch.
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// "3 h 2 min ago", for a stored registration.
pub fn age(registered_at: Option<u64>) -> String {
    age_at(registered_at, now_unix())
}

/// [`age`], seen from `now`.
fn age_at(registered_at: Option<u64>, now: u64) -> String {
    let Some(at) = registered_at else {
        return "at an unknown time".into();
    };
    let secs = now.saturating_sub(at);
    match secs {
        0..60 => format!("{secs} s ago"),
        60..3600 => format!("{} min ago", secs / 60),
        3600..86400 => format!("{} h {} min ago", secs / 3600, secs % 3600 / 60),
        _ => format!("{} days ago", secs / 86400),
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    issuers: BTreeMap<String, ClientCredentials>,
    /// Pre-registered client ids (`--client-id`) and the one issuer each
    /// belongs to: the first it was used with, unless `--client-issuer` said.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pre_registered: BTreeMap<String, String>,
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

    /// The issuer a pre-registered `client_id` was bound to, if any.
    pub fn bound_issuer(&self, client_id: &str) -> Option<&str> {
        self.file.pre_registered.get(client_id).map(String::as_str)
    }

    /// Bind a pre-registered `client_id` to `issuer`, for good.
    pub fn bind(&mut self, client_id: &str, issuer: &str) -> Result<(), ClientError> {
        self.file
            .pre_registered
            .insert(client_id.to_string(), issuer.to_string());
        self.save()
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
    ///
    /// Atomically: the new text goes to a fresh temporary file next to it
    /// (created exclusively, mode 0600 from the start), which is then
    /// renamed over the old one. A crash mid-write leaves the old file, never
    /// half a JSON document. A symlink at the path is refused, not followed:
    /// otherwise anyone who can plant one makes us write the secret where
    /// they like (or clobber another file of the user's).
    fn save(&self) -> Result<(), ClientError> {
        let path = &self.path;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| fail(path, e))?;
        }
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(fail(
                path,
                "it is a symbolic link; refusing to write a secret through it",
            ));
        }
        let text = serde_json::to_string_pretty(&self.file).map_err(|e| fail(path, e))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "credentials".into());
        let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let written = options
            .open(&temporary)
            .and_then(|mut file| {
                file.write_all(text.as_bytes())?;
                file.sync_all()
            })
            .and_then(|()| std::fs::rename(&temporary, path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(fail(path, e));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_age_of_a_registration_in_words() {
        let now = 1_800_000_000;
        let cases = [
            (None, "at an unknown time"),
            (Some(now - 5), "5 s ago"),
            (Some(now - 59), "59 s ago"),
            (Some(now - 60), "1 min ago"),
            (Some(now - 3599), "59 min ago"),
            (Some(now - 3725), "1 h 2 min ago"),
            (Some(now - 86_399), "23 h 59 min ago"),
            (Some(now - 2 * 86_400), "2 days ago"),
            (Some(now + 100), "0 s ago"),
        ];
        for (at, words) in cases {
            assert_eq!(age_at(at, now), words, "{at:?}");
        }
        // The clock it reads is the real one (after 2020, before 2100).
        assert!((1_577_836_800..4_102_444_800).contains(&now_unix()));
        assert_eq!(age(Some(now_unix())), "0 s ago");
    }

    /// Only a file that does not exist is an empty store; one that cannot
    /// be read, or is not the store's JSON, is an error naming the path.
    #[test]
    fn an_unreadable_or_garbled_file_is_an_error_not_an_empty_store() {
        let dir = std::env::temp_dir().join(format!("step11-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(
            Store::load(&dir.join("absent.json"))
                .unwrap()
                .get("x")
                .is_none()
        );
        let error = Store::load(&dir)
            .err()
            .expect("a directory is not a credentials file");
        assert!(
            error.to_string().contains(&dir.display().to_string()),
            "{error}"
        );
        let garbled = dir.join("garbled.json");
        std::fs::write(&garbled, "{not json").unwrap();
        assert!(Store::load(&garbled).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn round_trip_with_mode_0600() {
        let path = std::env::temp_dir().join(format!("step11-creds-{}/c.json", std::process::id()));
        let mut store = Store::load(&path).unwrap();
        assert!(store.get("http://as").is_none());
        let creds = ClientCredentials {
            client_id: "abc".into(),
            client_secret: Some(Secret::new("s3cret")),
            token_endpoint_auth_method: "client_secret_basic".into(),
            redirect_uri: Some("http://127.0.0.1:1234/callback".into()),
            registered_at: Some(now_unix()),
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

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_refused_not_followed() {
        let dir = std::env::temp_dir().join(format!("step11-link-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("victim.txt");
        std::fs::write(&target, "do not overwrite").unwrap();
        let link = dir.join("c.json");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let mut store = Store::load(&dir.join("empty.json")).unwrap();
        store.path = link.clone();
        let creds = ClientCredentials {
            client_id: "abc".into(),
            client_secret: Some(Secret::new("s3cret")),
            token_endpoint_auth_method: "client_secret_basic".into(),
            redirect_uri: None,
            registered_at: None,
        };
        assert!(store.put("http://as", creds).is_err());
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "do not overwrite"
        );
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_whole() {
        let dir = std::env::temp_dir().join(format!("step11-atomic-{}", std::process::id()));
        let path = dir.join("c.json");
        let mut store = Store::load(&path).unwrap();
        let creds = |id: &str| ClientCredentials {
            client_id: id.into(),
            client_secret: None,
            token_endpoint_auth_method: "none".into(),
            redirect_uri: None,
            registered_at: None,
        };
        store.put("http://as", creds("first")).unwrap();
        // The temporary file's name is taken (as if a crash left one behind mid-write):
        // the write fails, and the file on disk is still the complete old one.
        let temporary = dir.join(format!(".c.json.{}.tmp", std::process::id()));
        std::fs::write(&temporary, "{\"issuers\": {\"half").unwrap();
        assert!(store.put("http://as", creds("second")).is_err());
        assert_eq!(
            Store::load(&path)
                .unwrap()
                .get("http://as")
                .unwrap()
                .client_id,
            "first"
        );
        let _ = std::fs::remove_file(&temporary);
    }

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        let creds = ClientCredentials {
            client_id: "abc".into(),
            client_secret: Some(Secret::new("s3cret-value")),
            token_endpoint_auth_method: "client_secret_basic".into(),
            redirect_uri: None,
            registered_at: None,
        };
        let tokens = crate::token::Tokens {
            access_token: Secret::new("eyJ.access.token"),
            refresh_token: Some(Secret::new("refresh-value")),
            expires_at: None,
            scope: None,
        };
        let pkce = crate::pkce::Pkce {
            verifier: Secret::new("verifier-value"),
            challenge: "challenge".into(),
        };
        let shown = format!("{creds:?} {tokens:?} {pkce:?}");
        for secret in [
            "s3cret-value",
            "eyJ.access.token",
            "refresh-value",
            "verifier-value",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("abc") && shown.contains("[redacted]"));
    }
}
