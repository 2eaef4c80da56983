//! The server's limits against clients that are slow on purpose, over a real
//! TCP connection (a router-level test cannot see connections).

use std::time::{Duration, Instant};

use axum::{
    Router,
    body::Bytes,
    routing::{get, post},
};
use clap::Parser;
use plumbing::{cli::ServeArgs, server};
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
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/echo", post(|body: Bytes| async move { body }));
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
    // (From three addresses: one address may hold only an eighth of the slots.)
    let idle_a = connect_from("127.0.0.2", addr).await.unwrap();
    let _idle_b = connect_from("127.0.0.3", addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut third = connect_from("127.0.0.4", addr).await.unwrap(); // the kernel queues it
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

/// A connection from `from` (a loopback address such as 127.0.0.2) to `addr`.
async fn connect_from(from: &str, addr: std::net::SocketAddr) -> std::io::Result<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(format!("{from}:0").parse().unwrap())?;
    socket.connect(addr).await
}

/// `GET /health` from `from` on a new connection: the status line, if an
/// answer came within `limit`.
async fn health_from(from: &str, addr: std::net::SocketAddr, limit: Duration) -> Option<String> {
    let attempt = async {
        let mut stream = connect_from(from, addr).await.ok()?;
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let (answer, _) = read_until_closed(&mut stream, limit).await;
        answer.lines().next().map(str::to_string)
    };
    tokio::time::timeout(limit, attempt).await.ok().flatten()
}

/// Pipeline `GET /health` on `stream` for ever (until writing fails) and
/// never read an answer; resolves when the server has cut the connection.
async fn pipeline_without_reading(mut stream: TcpStream) {
    let burst = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".repeat(1000);
    while stream.write_all(&burst).await.is_ok() {}
}

#[tokio::test]
async fn one_address_cannot_lock_out_another() {
    // The global cap is 16, so each address may hold 2 (an eighth).
    let (addr, _stop) = start(&["--max-connections", "16", "--header-read-timeout", "30s"]).await;
    // The attacker (127.0.0.2) holds every connection it can, one of them
    // pipelining without reading, the others idle …
    let mut held = Vec::new();
    for _ in 0..40 {
        if let Ok(stream) = connect_from("127.0.0.2", addr).await {
            held.push(stream);
        }
    }
    let pipeliner = tokio::spawn(pipeline_without_reading(held.pop().unwrap()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    // … and another client (127.0.0.3) is served within 1 s, every time.
    for attempt in 1..=5 {
        let status = health_from("127.0.0.3", addr, Duration::from_secs(1)).await;
        assert_eq!(
            status.as_deref(),
            Some("HTTP/1.1 200 OK"),
            "attempt {attempt}: the other client was locked out"
        );
    }
    pipeliner.abort();
}

#[tokio::test]
async fn a_client_that_never_reads_its_answers_is_cut_off_at_the_write_timeout() {
    let (addr, _stop) = start(&[
        "--write-timeout",
        "1s",
        "--max-requests-per-connection",
        "100000000",
    ])
    .await;
    let stream = connect_from("127.0.0.2", addr).await.unwrap();
    let started = Instant::now();
    let cut = tokio::time::timeout(Duration::from_secs(6), pipeline_without_reading(stream)).await;
    assert!(cut.is_ok(), "the connection was still open after 6 s");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "cut off before the write timeout"
    );
}

/// Send `count` requests on one connection, reading each answer; the
/// `connection` header of each answer ("-" when absent).
async fn keep_alive_answers(stream: &mut TcpStream, count: usize) -> Vec<String> {
    let mut seen = Vec::new();
    for _ in 0..count {
        if stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .is_err()
        {
            break;
        }
        let mut buf = vec![0u8; 4096];
        let n = match tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => n,
            _ => break,
        };
        let head = String::from_utf8_lossy(&buf[..n]).to_lowercase();
        seen.push(
            head.lines()
                .find_map(|l| l.strip_prefix("connection: "))
                .unwrap_or("-")
                .trim()
                .to_string(),
        );
    }
    seen
}

#[tokio::test]
async fn a_connection_carries_at_most_max_requests() {
    let (addr, _stop) = start(&["--max-requests-per-connection", "3"]).await;
    let mut stream = connect_from("127.0.0.2", addr).await.unwrap();
    let seen = keep_alive_answers(&mut stream, 5).await;
    assert_eq!(seen, ["-", "-", "close"], "answers on one connection");
    let (_, closed) = read_until_closed(&mut stream, Duration::from_secs(2)).await;
    assert!(closed, "the connection stayed open after its last request");
}

#[tokio::test]
async fn keep_alive_is_no_longer_offered_near_the_cap() {
    // 8 slots, 7/8 = 7: with 7 held elsewhere, the 8th connection is told to close.
    let (addr, _stop) = start(&[
        "--max-connections",
        "8",
        "--max-connections-per-client",
        "8",
        "--header-read-timeout",
        "30s",
    ])
    .await;
    let mut first = connect_from("127.0.0.2", addr).await.unwrap();
    assert_eq!(
        keep_alive_answers(&mut first, 1).await,
        ["-"],
        "plenty of room"
    );
    let mut others = Vec::new();
    for _ in 0..6 {
        others.push(connect_from("127.0.0.3", addr).await.unwrap());
    }
    let mut last = connect_from("127.0.0.4", addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        keep_alive_answers(&mut last, 1).await,
        ["close"],
        "8 of 8 open"
    );
    drop(others);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(keep_alive_answers(&mut first, 1).await, ["-"], "room again");
}
