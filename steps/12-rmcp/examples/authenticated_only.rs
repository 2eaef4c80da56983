//! The rmcp echo server behind step 10 — authentication, CORS, step 1's guard — but *without*
//! step 12's policy layer: every valid token may call every tool. Only for `scripts/bench.sh`,
//! which measures what each part costs (rmcp alone → this → step 12). Never serve this.
//!
//!     cargo run --release -p step12 --example authenticated_only -- --env env/keycloak_direct.env

#[tokio::main]
async fn main() -> std::process::ExitCode {
    step10::run::run("authenticated_only", |_auth| {
        axum::Router::new().route_service("/mcp", step12::echo_service())
    })
    .await
}
