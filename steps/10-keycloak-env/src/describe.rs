//! The effective configuration, printed at start: "which Keycloak is this
//! talking to, through which URL, with which choices?" — without secrets.

use std::path::Path;

use crate::auth_mode::AuthMode;

/// The effective configuration as `(name, value)` lines — no secrets: a
/// variable whose name says SECRET, PASSWORD or TOKEN is shown as "(set)".
pub fn describe(env_file: Option<&Path>, settings: &[(&str, String)]) -> Vec<String> {
    let mut lines = vec![format!(
        "  env file        {}",
        env_file.map_or(
            "(none found; flags, environment and defaults)".to_string(),
            |p| p.display().to_string()
        )
    )];
    for (name, value) in settings {
        lines.push(format!("  {name:<15} {value}"));
    }
    for (name, _) in std::env::vars() {
        let secret = ["SECRET", "PASSWORD", "TOKEN"]
            .iter()
            .any(|w| name.contains(w));
        if secret && (name.starts_with("KEYCLOAK_") || name.starts_with("MCP_")) {
            lines.push(format!("  {name:<15} (set, not shown)"));
        }
    }
    lines
}

/// The warning line printed under the configuration in permissive mode.
pub fn mode_warning(mode: AuthMode) -> Option<&'static str> {
    (mode == AuthMode::Permissive).then_some(
        "  WARNING         auth mode PERMISSIVE: invalid and missing tokens are let through — debugging only",
    )
}
