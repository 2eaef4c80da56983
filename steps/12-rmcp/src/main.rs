//! `cargo run -p step12` — an rmcp server behind step 10's authorization: the same flags, env
//! files and identity provider as step 10; `/mcp` is answered by rmcp.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    step10::run::run("step12", step12::mcp).await
}
