//! `cargo run -p step10 [-- --env env/keycloak_proxy.env]` — step 9, configured from an env file,
//! with CORS for browser clients, and the optional production choices. The wiring is
//! [`step10::run`]; `/mcp` is answered by step 9's dispatch.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    step10::run::run("step10", step10::builtin_mcp).await
}
