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
use futures_util::StreamExt;
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
    /// Answer tools/call with an endless chunked stream (a hostile MCP server).
    endless_answer: bool,
    /// The token endpoint says the token lives u64::MAX seconds.
    absurd_expires_in: bool,
    /// The token endpoint knows only clients in `Seen::known_clients` (a provider
    /// that can forget its registrations, as one does when restarted).
    forgetful: bool,
    /// The authorization server the resource metadata names, instead of ourselves.
    authorization_server: Option<String>,
    /// Speak MCP 2026-07-28 only: answer server/discover, refuse initialize,
    /// and refuse any request whose headers do not mirror its body.
    modern_only: bool,
}

#[derive(Default)]
struct Seen {
    registrations: AtomicU64,
    token_requests: AtomicU64,
    /// Bytes of the endless answer sent before the client hung up.
    bytes_streamed: AtomicU64,
    /// Client ids the provider knows (see `Knobs::forgetful`).
    known_clients: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Token requests that carried client credentials (Basic auth).
    basic_auth: AtomicU64,
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
    if fake.knobs.endless_answer && body["method"] == "tools/call" {
        // 64 KiB chunks for ever, counted, until the client hangs up.
        let seen = fake.seen.clone();
        let chunk = axum::body::Bytes::from(vec![b' '; 64 * 1024]);
        let stream = futures_util::stream::repeat(chunk).map(move |chunk| {
            seen.bytes_streamed
                .fetch_add(chunk.len() as u64, Ordering::SeqCst);
            Ok::<_, std::convert::Infallible>(chunk)
        });
        return (
            [(header::CONTENT_TYPE, "application/json")],
            axum::body::Body::from_stream(stream),
        )
            .into_response();
    }
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
    let authorization_server = fake
        .knobs
        .authorization_server
        .as_ref()
        .unwrap_or(&fake.base);
    Json(json!({"resource": format!("{}/mcp", fake.base), "authorization_servers": [authorization_server]}))
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
    let n = fake.seen.registrations.fetch_add(1, Ordering::SeqCst) + 1;
    let client_id = format!("fake-client-{n}");
    fake.seen
        .known_clients
        .lock()
        .unwrap()
        .insert(client_id.clone());
    (
        StatusCode::CREATED,
        Json(json!({"client_id": client_id, "token_endpoint_auth_method": "none"})),
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

async fn token(State(fake): State<Fake>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let client = form.get("client_id").cloned().unwrap_or_default();
    if fake.knobs.forgetful && !fake.seen.known_clients.lock().unwrap().contains(&client) {
        let error = json!({"error": "invalid_client", "error_description": "Invalid client"});
        return (StatusCode::UNAUTHORIZED, Json(error)).into_response();
    }
    fake.seen.token_requests.fetch_add(1, Ordering::SeqCst);
    if headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| v.as_bytes().starts_with(b"Basic "))
    {
        fake.seen.basic_auth.fetch_add(1, Ordering::SeqCst);
    }
    let expires_in = if fake.knobs.absurd_expires_in {
        json!(u64::MAX)
    } else {
        json!(300)
    };
    Json(json!({"access_token": "good-token", "token_type": "Bearer", "expires_in": expires_in}))
        .into_response()
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
        client_issuer: None,
        register_elsewhere: false,
        login_timeout: Duration::from_secs(10),
        message: "hello".into(),
        allow_insecure_http: false,
        legacy_2025_03_26: false,
        protocol: step11::era::Protocol::Auto,
        client_metadata_url: None,
        grant: step11::machine::Grant::AuthorizationCode,
        client_key: None,
        dpop: false,
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

#[tokio::test]
async fn a_pre_registered_secret_goes_to_its_own_issuer_only() {
    // First use: the server names its own authorization server; the client
    // id and secret are used there, and the binding is recorded.
    let (home, home_seen) = start(Knobs::default()).await;
    let mut first = options(&home, "bound");
    first.client_id = Some("pre-registered".into());
    first.client_secret = Some(step11::secret::Secret::new("s3cret"));
    flow::run(first.clone()).await.unwrap();
    assert_eq!(home_seen.basic_auth.load(Ordering::SeqCst), 1);

    // Then the server's metadata names a hostile authorization server.
    let (hostile, hostile_seen) = start(Knobs::default()).await;
    let (moved, _) = start(Knobs {
        authorization_server: Some(hostile.clone()),
        ..Knobs::default()
    })
    .await;
    let mut second = first.clone();
    second.server_url = url::Url::parse(&format!("{moved}/mcp")).unwrap();
    let error = flow::run(second.clone()).await.unwrap_err();
    assert!(
        matches!(&error, ClientError::ForeignIssuer { asked, .. } if *asked == hostile),
        "{error}"
    );
    assert_eq!(
        hostile_seen.token_requests.load(Ordering::SeqCst),
        0,
        "the hostile issuer got a token request"
    );
    assert_eq!(hostile_seen.registrations.load(Ordering::SeqCst), 0);

    // --register-elsewhere: a new client there, still without the secret.
    second.register_elsewhere = true;
    flow::run(second).await.unwrap();
    assert_eq!(hostile_seen.registrations.load(Ordering::SeqCst), 1);
    assert_eq!(hostile_seen.basic_auth.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn client_issuer_binds_before_the_first_use() {
    let (home, _) = start(Knobs::default()).await;
    let (elsewhere, seen) = start(Knobs::default()).await;
    let mut options = options(&elsewhere, "client-issuer");
    options.client_id = Some("pre-registered".into());
    options.client_secret = Some(step11::secret::Secret::new("s3cret"));
    options.client_issuer = Some(url::Url::parse(&home).unwrap());
    let error = flow::run(options).await.unwrap_err();
    assert!(
        matches!(error, ClientError::ForeignIssuer { .. }),
        "{error}"
    );
    assert_eq!(seen.token_requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_endless_answer_is_cut_off_at_the_cap_and_named() {
    let (base, seen) = start(Knobs {
        endless_answer: true,
        ..Knobs::default()
    })
    .await;
    let run = tokio::time::timeout(
        Duration::from_secs(20),
        flow::run(options(&base, "endless")),
    );
    let error = run.await.expect("the client kept reading").unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains(&format!("{base}/mcp")),
        "names who sent too much: {text}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let streamed = seen.bytes_streamed.load(Ordering::SeqCst);
    assert!(
        streamed < 16 * 1024 * 1024,
        "{streamed} bytes were read from an endless answer"
    );
}

#[tokio::test]
async fn an_absurd_expires_in_is_survived() {
    let (base, _) = start(Knobs {
        absurd_expires_in: true,
        ..Knobs::default()
    })
    .await;
    flow::run(options(&base, "expires")).await.unwrap();
}

#[tokio::test]
async fn a_client_the_provider_forgot_is_registered_anew_before_the_browser_opens() {
    let (base, seen) = start(Knobs {
        forgetful: true,
        ..Knobs::default()
    })
    .await;
    let options = options(&base, "forgotten");
    flow::run(options.clone()).await.unwrap();
    assert_eq!(seen.registrations.load(Ordering::SeqCst), 1);
    // The provider restarts and forgets every registration.
    seen.known_clients.lock().unwrap().clear();
    let run = tokio::time::timeout(Duration::from_secs(20), flow::run(options.clone()));
    run.await
        .expect("the client waited for a login that could not happen")
        .unwrap();
    assert_eq!(
        seen.registrations.load(Ordering::SeqCst),
        2,
        "registered anew"
    );
    let stored = std::fs::read_to_string(&options.credentials).unwrap();
    assert!(stored.contains("fake-client-2"), "{stored}");
    // A client the provider still knows is reused: no third registration.
    flow::run(options).await.unwrap();
    assert_eq!(seen.registrations.load(Ordering::SeqCst), 2);
}
