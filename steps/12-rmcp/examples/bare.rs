//! The rmcp echo server with no authorization at all — only the baseline `scripts/bench.sh`
//! measures step 12 against. Never serve this: anyone who reaches it may call every tool.
//!
//!     cargo run --release -p step12 --example bare -- --bind 127.0.0.1:9100

use axum::{Router, routing::get};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let bind = args
        .iter()
        .position(|a| a == "--bind")
        .and_then(|at| args.get(at + 1))
        .map_or("127.0.0.1:9100", String::as_str);
    let app = Router::new()
        .route_service("/mcp", step12::echo_service())
        .route("/health", get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind(bind).await?;
    println!("rmcp without authorization on http://{bind}/mcp (benchmark baseline only)");
    axum::serve(listener, app).await
}
