//! The whole client against an in-process MCP server and authorization
//! server that play by the rules unless a test tells them otherwise. The
//! "browser" is `curl -L`: the fake `/authorize` redirects straight back to
//! the client's loopback listener, as a user who is already signed in.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    Json, Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde_json::{Value, json};
use step11::{
    error::ClientError,
    flow::{self, Options},
};

/// How the fake misbehaves (all off: a correct server).
#[derive(Clone, Default)]
struct Knobs {
    /// The 401's resource_metadata URL instead of our own.
    resource_metadata: Option<String>,
    /// The authorization endpoint to advertise instead of ours.
    authorization_endpoint: Option<String>,
    /// Advertise RFC 9207 `authorization_response_iss_parameter_supported`.
    advertise_iss: bool,
    /// Leave `iss` off the redirect.
    omit_iss: bool,
    /// Leave S256 out of code_challenge_methods_supported.
    no_s256: bool,
    /// Publish no protected-resource metadata.
    no_resource_metadata: bool,
    /// Speak MCP 2026-07-28 only: answer server/discover, refuse initialize,
    /// and refuse any request whose headers do not mirror its body.
    modern_only: bool,
}

#[derive(Default)]
struct Seen {
    registrations: AtomicU64,
    token_requests: AtomicU64,
    /// Every authorized MCP method, with the MCP-Protocol-Version it came with.
    calls: std::sync::Mutex<Vec<(String, String)>>,
}

#[derive(Clone)]
struct Fake {
    base: String,
    knobs: Knobs,
    seen: Arc<Seen>,
}

async fn mcp(State(fake): State<Fake>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some("Bearer good-token")
    {
        let metadata =
            fake.knobs.resource_metadata.clone().unwrap_or_else(|| {
                format!("{}/.well-known/oauth-protected-resource/mcp", fake.base)
            });
        let challenge = format!(r#"Bearer resource_metadata="{metadata}", scope="mcp:read""#);
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, challenge)],
        )
            .into_response();
    }
    let Some(id) = body.get("id").cloned() else {
        return StatusCode::ACCEPTED.into_response();
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let method = body["method"].as_str().unwrap_or("").to_string();
    fake.seen
        .calls
        .lock()
        .unwrap()
        .push((method.clone(), header("mcp-protocol-version")));
    let claimed = body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"].as_str();
    if fake.knobs.modern_only {
        let name_ok = match method.as_str() {
            "tools/call" => header("mcp-name") == body["params"]["name"].as_str().unwrap_or(""),
            _ => true,
        };
        if claimed != Some("2026-07-28")
            || header("mcp-protocol-version") != "2026-07-28"
            || header("mcp-method") != method
            || !name_ok
        {
            let error = json!({"code": -32020, "message": "Header mismatch"});
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"jsonrpc": "2.0", "id": id, "error": error})),
            )
                .into_response();
        }
        if method == "initialize" {
            let error = json!({"code": -32601, "message": "Method not found: initialize"});
            return (
                StatusCode::NOT_FOUND,
                Json(json!({"jsonrpc": "2.0", "id": id, "error": error})),
            )
                .into_response();
        }
    } else if claimed.is_some() || method == "server/discover" {
        // A 2025 server: it knows neither the envelope nor server/discover.
        let error = json!({"code": -32601, "message": "Method not found"});
        return Json(json!({"jsonrpc": "2.0", "id": id, "error": error})).into_response();
    }
    let result = match method.as_str() {
        "server/discover" => {
            json!({"supportedVersions": ["2026-07-28"], "capabilities": {"tools": {}}, "resultType": "complete",
                   "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "fake", "version": "1"}},
                   "ttlMs": 0, "cacheScope": "private"})
        }
        "initialize" => {
            json!({"protocolVersion": "2025-11-25", "capabilities": {}, "serverInfo": {"name": "fake", "version": "1"}})
        }
        "tools/list" => {
            json!({"tools": [{"name": "echo", "inputSchema": {"type": "object"}}]})
        }
        "tools/call" => {
            json!({"content": [{"type": "text", "text": body["params"]["arguments"]["message"]}]})
        }
        _ => json!({}),
    };
    Json(json!({"jsonrpc": "2.0", "id": id, "result": result})).into_response()
}

async fn resource_metadata(State(fake): State<Fake>) -> Response {
    if fake.knobs.no_resource_metadata {
        return StatusCode::NOT_FOUND.into_response();
    }
    Json(json!({"resource": format!("{}/mcp", fake.base), "authorization_servers": [fake.base]}))
        .into_response()
}

async fn server_metadata(State(fake): State<Fake>) -> Json<Value> {
    let base = &fake.base;
    let authorize =
        (fake.knobs.authorization_endpoint.clone()).unwrap_or_else(|| format!("{base}/authorize"));
    Json(json!({
        "issuer": base,
        "authorization_endpoint": authorize,
        "token_endpoint": format!("{base}/token"),
        "registration_endpoint": format!("{base}/register"),
        "code_challenge_methods_supported": if fake.knobs.no_s256 { json!(["plain"]) } else { json!(["S256"]) },
        "authorization_response_iss_parameter_supported": fake.knobs.advertise_iss,
    }))
}

async fn register(State(fake): State<Fake>) -> Response {
    fake.seen.registrations.fetch_add(1, Ordering::SeqCst);
    (
        StatusCode::CREATED,
        Json(json!({"client_id": "fake-client", "token_endpoint_auth_method": "none"})),
    )
        .into_response()
}

async fn authorize(State(fake): State<Fake>, Query(q): Query<HashMap<String, String>>) -> Redirect {
    let mut back = format!("{}?code=c0de&state={}", q["redirect_uri"], q["state"]);
    if !fake.knobs.omit_iss {
        back.push_str(&format!(
            "&iss={}",
            fake.base.replace(':', "%3A").replace('/', "%2F")
        ));
    }
    Redirect::to(&back)
}

async fn token(State(fake): State<Fake>) -> Json<Value> {
    fake.seen.token_requests.fetch_add(1, Ordering::SeqCst);
    Json(json!({"access_token": "good-token", "token_type": "Bearer", "expires_in": 300}))
}

/// Start the fake on a free port; returns its base URL and its counters.
async fn start(knobs: Knobs) -> (String, Arc<Seen>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let seen = Arc::new(Seen::default());
    let fake = Fake {
        base: base.clone(),
        knobs,
        seen: seen.clone(),
    };
    let app = Router::new()
        .route("/mcp", post(mcp))
        .route(
            "/.well-known/oauth-protected-resource/mcp",
            get(resource_metadata),
        )
        .route(
            "/.well-known/oauth-protected-resource",
            get(resource_metadata),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(server_metadata),
        )
        .route("/register", post(register))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .with_state(fake);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

/// A service elsewhere on the user's machine that counts every request it gets.
async fn bystander() -> (String, Arc<AtomicU64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let hits = Arc::new(AtomicU64::new(0));
    let counted = hits.clone();
    let app = Router::new().fallback(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async { "deleted everything" }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, hits)
}

fn options(base: &str, name: &str) -> Options {
    let credentials: PathBuf = std::env::temp_dir()
        .join(format!("step11-flow-{}-{name}", std::process::id()))
        .join("credentials.json");
    Options {
        server_url: url::Url::parse(&format!("{base}/mcp")).unwrap(),
        scopes: None,
        redirect_port: 0,
        credentials,
        reset: false,
        no_browser: false,
        browser_cmd: Some("curl -s -L --max-redirs 5 -o /dev/null".into()),
        client_id: None,
        client_secret: None,
        login_timeout: Duration::from_secs(10),
        message: "hello".into(),
        allow_insecure_http: false,
        legacy_2025_03_26: false,
        protocol: step11::era::Protocol::Auto,
        client_metadata_url: None,
    }
}

#[tokio::test]
async fn from_a_401_to_a_tool_call() {
    let (base, seen) = start(Knobs {
        advertise_iss: true,
        ..Knobs::default()
    })
    .await;
    flow::run(options(&base, "happy")).await.unwrap();
    assert_eq!(seen.registrations.load(Ordering::SeqCst), 1);
    assert_eq!(seen.token_requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_off_origin_resource_metadata_url_is_never_requested() {
    let (elsewhere, hits) = bystander().await;
    let knobs = Knobs {
        resource_metadata: Some(format!("{elsewhere}/admin/delete-everything")),
        ..Knobs::default()
    };
    let (base, _) = start(knobs).await;
    // The client uses the well-known URL on the server's origin instead, and succeeds.
    flow::run(options(&base, "ssrf")).await.unwrap();
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the client requested the other service"
    );
}

#[tokio::test]
async fn a_redirect_without_iss_is_refused_when_iss_is_advertised() {
    let knobs = Knobs {
        advertise_iss: true,
        omit_iss: true,
        ..Knobs::default()
    };
    let (base, seen) = start(knobs).await;
    let error = flow::run(options(&base, "iss")).await.unwrap_err();
    assert!(
        matches!(error, ClientError::RedirectIssuerMismatch { .. }),
        "{error}"
    );
    assert_eq!(
        seen.token_requests.load(Ordering::SeqCst),
        0,
        "the code was redeemed anyway"
    );
}

#[tokio::test]
async fn without_s256_nothing_is_registered() {
    let (base, seen) = start(Knobs {
        no_s256: true,
        ..Knobs::default()
    })
    .await;
    let error = flow::run(options(&base, "s256")).await.unwrap_err();
    assert!(matches!(error, ClientError::NoS256 { .. }), "{error}");
    assert_eq!(seen.registrations.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_non_http_authorization_endpoint_never_reaches_the_browser() {
    let knobs = Knobs {
        authorization_endpoint: Some("smb://localhost/share".into()),
        ..Knobs::default()
    };
    let (base, seen) = start(knobs).await;
    let error = flow::run(options(&base, "smb")).await.unwrap_err();
    assert!(matches!(error, ClientError::InsecureUrl(_)), "{error}");
    assert_eq!(seen.registrations.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn no_resource_metadata_is_refused_unless_the_legacy_flag_says_so() {
    let (base, _) = start(Knobs {
        no_resource_metadata: true,
        ..Knobs::default()
    })
    .await;
    let error = flow::run(options(&base, "legacy")).await.unwrap_err();
    assert!(matches!(error, ClientError::Discovery(_)), "{error}");
    // With the flag, the server's origin is the authorization server (2025-03-26 rules),
    // and this fake happens to serve its metadata there: the flow completes.
    let mut legacy = options(&base, "legacy-on");
    legacy.legacy_2025_03_26 = true;
    flow::run(legacy).await.unwrap();
}

#[tokio::test]
async fn a_2026_server_is_spoken_to_statelessly_a_2025_server_with_the_handshake() {
    let modern = Knobs {
        modern_only: true,
        ..Knobs::default()
    };
    let (base, seen) = start(modern).await;
    flow::run(options(&base, "modern")).await.unwrap();
    let calls = seen.calls.lock().unwrap().clone();
    let methods: Vec<&str> = calls.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(methods, ["server/discover", "tools/list", "tools/call"]);
    assert!(calls.iter().all(|(_, v)| v == "2026-07-28"), "{calls:?}");

    let (base, seen) = start(Knobs::default()).await;
    flow::run(options(&base, "legacy")).await.unwrap();
    let calls = seen.calls.lock().unwrap().clone();
    let methods: Vec<&str> = calls.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(
        methods,
        ["server/discover", "initialize", "tools/list", "tools/call"]
    );
    assert_eq!(
        calls[2].1, "2025-11-25",
        "after initialize, the negotiated version"
    );
}

#[tokio::test]
async fn pinned_to_2026_there_is_no_fallback() {
    let (base, seen) = start(Knobs::default()).await;
    let mut pinned = options(&base, "pinned");
    pinned.protocol = step11::era::Protocol::Modern;
    let error = flow::run(pinned).await.unwrap_err();
    assert!(
        error.to_string().contains("does not speak MCP 2026-07-28"),
        "{error}"
    );
    let methods: Vec<String> = seen
        .calls
        .lock()
        .unwrap()
        .iter()
        .map(|(m, _)| m.clone())
        .collect();
    assert_eq!(methods, ["server/discover"]);
}
