//! The server's limits against clients that are slow on purpose, over a real
//! TCP connection (a router-level test cannot see connections).

use std::time::{Duration, Instant};

use axum::{Router, body::Bytes, routing::post};
use clap::Parser;
use step1::{cli::ServeArgs, server};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::oneshot,
};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

/// A server with step 1's routes plus a route that reads its body, started
/// with `flags`; returns its address and a handle that stops it when dropped.
async fn start(flags: &[&str]) -> (std::net::SocketAddr, oneshot::Sender<()>) {
    let args = Cli::parse_from(std::iter::once("test").chain(flags.iter().copied())).serve;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = step1::app::routes()
        .merge(Router::new().route("/echo", post(|body: Bytes| async move { body })));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        server::serve_on(listener, app, &args, async {
            let _ = stopped.await;
        })
        .await;
    });
    (addr, stop)
}

/// Read until the peer closes or `limit` passes; what was read, and whether it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&seen).into(), true),
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&seen).into(), false),
        }
    }
}

/// Send `request` and then nothing; what came back, and whether the server
/// closed the connection within 3 s (each test's limit is 1 s).
async fn send_then_stall(addr: std::net::SocketAddr, request: &[u8]) -> (String, bool) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let started = Instant::now();
    let (answer, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    (answer, closed && started.elapsed() < Duration::from_secs(3))
}

#[tokio::test]
async fn half_sent_headers_are_cut_off_at_the_header_timeout() {
    let (addr, _stop) = start(&["--header-read-timeout", "1s"]).await;
    let (_, closed) =
        send_then_stall(addr, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").await;
    assert!(closed, "the connection was not closed within 3 s");
}

#[tokio::test]
async fn a_body_that_never_arrives_gets_408_at_the_request_timeout() {
    let (addr, _stop) = start(&["--request-timeout", "1s", "--header-read-timeout", "5s"]).await;
    let request = b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nx";
    let (answer, closed) = send_then_stall(addr, request).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "got {answer:?}");
    assert!(closed, "the connection was not closed within 3 s");
}

#[tokio::test]
async fn a_client_that_leaves_a_body_unread_does_not_keep_the_connection() {
    // /health does not read bodies: the answer comes at once, and the
    // connection must not then wait for the 999 bytes that never come.
    let (addr, _stop) = start(&["--request-timeout", "1s", "--header-read-timeout", "1s"]).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nx")
        .await
        .unwrap();
    let (answer, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "got {answer:?}");
    assert!(closed, "the connection is still open after 5 s");
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_until_a_slot_frees() {
    let (addr, _stop) = start(&["--max-connections", "2", "--header-read-timeout", "30s"]).await;
    // Two idle connections take both slots.
    let idle_a = TcpStream::connect(addr).await.unwrap();
    let _idle_b = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut third = TcpStream::connect(addr).await.unwrap(); // the kernel queues it
    third
        .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (answer, _) = read_until_closed(&mut third, Duration::from_millis(700)).await;
    assert!(answer.is_empty(), "served beyond the limit: {answer:?}");
    drop(idle_a);
    let (answer, _) = read_until_closed(&mut third, Duration::from_secs(5)).await;
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "not served once a slot freed: {answer:?}"
    );
}

#[tokio::test]
async fn a_normal_client_is_unaffected() {
    let (addr, _stop) = start(&[]).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
        .await
        .unwrap();
    let (answer, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("hello"),
        "{answer:?}"
    );
    assert!(closed);
}
