//! `--env FILE`: settings from a dotenv file, loaded before the flags are read.
//!
//! ```text
//! # env/keycloak_direct.env
//! KEYCLOAK_URL=http://localhost:8080
//! MCP_SERVER_URL=http://localhost:9000
//! ```
//!
//! Every flag of the earlier steps has an environment fallback (`KEYCLOAK_URL`,
//! `MCP_SERVER_URL`, `MCP_AUDIENCE`, …), so a file of variables configures the
//! whole server. The order of precedence, strongest first:
//!
//! 1. a flag on the command line,
//! 2. a variable already set in the environment (dotenvy never overrides it, so
//!    `KEYCLOAK_URL=… cargo run -p step10` beats the file),
//! 3. the file,
//! 4. the built-in default.
//!
//! The file is read *before* clap parses the command line, because clap reads
//! the environment while parsing. A missing default file is fine (a warning);
//! a missing file you named is an error.

use std::path::{Path, PathBuf};

/// The file used when `--env` is not given.
pub const DEFAULT_ENV_FILE: &str = "env/keycloak_direct.env";

#[derive(Debug, thiserror::Error)]
pub enum EnvFileError {
    #[error("--env {0}: no such file (try env/keycloak_direct.env or env/keycloak_proxy.env)")]
    Missing(PathBuf),
    #[error("--env {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
}

/// The value of `--env FILE` / `--env=FILE` in `args`, if any.
pub fn requested_env_file(args: &[String]) -> Option<PathBuf> {
    args.iter().enumerate().find_map(|(i, arg)| {
        if arg == "--env" {
            args.get(i + 1).map(PathBuf::from)
        } else {
            arg.strip_prefix("--env=").map(PathBuf::from)
        }
    })
}

/// Load the env file named in `args`, or the default one if it exists.
/// Returns the file that was loaded.
pub fn load(args: &[String]) -> Result<Option<PathBuf>, EnvFileError> {
    let requested = requested_env_file(args);
    let path = requested
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_ENV_FILE));
    if !Path::new(&path).is_file() {
        return match requested {
            Some(path) => Err(EnvFileError::Missing(path)),
            None => Ok(None),
        };
    }
    dotenvy::from_path(&path).map_err(|e| EnvFileError::Unreadable {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn finds_both_spellings() {
        assert_eq!(
            requested_env_file(&args(&["x", "--env", "a.env"])),
            Some("a.env".into())
        );
        assert_eq!(
            requested_env_file(&args(&["x", "--env=b.env"])),
            Some("b.env".into())
        );
        assert_eq!(
            requested_env_file(&args(&["x", "--bind", "1.2.3.4:5"])),
            None
        );
    }

    #[test]
    fn a_named_file_must_exist() {
        assert!(matches!(
            load(&args(&["x", "--env", "/nonexistent.env"])),
            Err(EnvFileError::Missing(_))
        ));
    }

    #[test]
    // Setting a variable is `unsafe` since edition 2024 (another thread may read the environment);
    // the one exception to the workspace's `unsafe_code = "deny"`.
    #[allow(unsafe_code)]
    fn variables_already_set_win_over_the_file() {
        let dir = std::env::temp_dir().join(format!("step10-env-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("t.env");
        std::fs::write(&file, "STEP10_TEST_A=from-file\nSTEP10_TEST_B=from-file\n").unwrap();
        // SAFETY: this test is the only code in this process touching these two variables.
        unsafe { std::env::set_var("STEP10_TEST_A", "from-environment") };
        let loaded = load(&args(&["x", "--env", file.to_str().unwrap()])).unwrap();
        assert_eq!(loaded, Some(file));
        assert_eq!(std::env::var("STEP10_TEST_A").unwrap(), "from-environment");
        assert_eq!(std::env::var("STEP10_TEST_B").unwrap(), "from-file");
    }
}
