//! Step 7: the metadata documents, and the 401 challenge that points to them.

use std::{path::Path, sync::Arc};

use axum::{Router, body::Body, http::Request};
use clap::Parser;
use plumbing::testkit::{get, post_mcp, rpc, send};
use serde_json::json;
use step5::public_key::PublicKey;
use step6::{config::AuthArgs, keys::LocalKey};
use step7::metadata::Metadata;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    auth: AuthArgs,
}

fn app(flags: &[&str]) -> Router {
    let mut argv = vec!["step7"];
    argv.extend_from_slice(flags);
    let args = Cli::parse_from(argv).auth;
    let key_path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../keys/mcp_public_key.pem"
    ));
    let key = PublicKey::load(key_path).unwrap();
    let metadata = Metadata::from_args(&args);
    let auth = step7::auth(Arc::new(LocalKey::new(&key).unwrap()), &args, &metadata);
    step7::app(
        &key,
        &metadata,
        auth,
        step7::guard("127.0.0.1:9000".parse().unwrap(), &args),
    )
}

#[tokio::test]
async fn protected_resource_metadata_at_both_locations() {
    let app = app(&[]);
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let reply = send(&app, get(path)).await;
        assert_eq!(reply.status, 200, "{path}");
        let doc = reply.json();
        assert_eq!(doc["resource"], "http://localhost:9000/mcp");
        assert_eq!(
            doc["authorization_servers"],
            json!(["http://localhost:9000"])
        );
        assert_eq!(
            doc["scopes_supported"],
            json!(["mcp:read", "mcp:tools", "mcp:prompts"])
        );
        assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
    }
}

#[tokio::test]
async fn issuer_metadata_lists_only_what_exists() {
    let app = app(&[]);
    let doc = send(&app, get("/.well-known/oauth-authorization-server"))
        .await
        .json();
    assert_eq!(doc["issuer"], "http://localhost:9000");
    assert_eq!(
        doc["jwks_uri"],
        "http://localhost:9000/.well-known/jwks.json"
    );
    assert!(doc.get("token_endpoint").is_none());
    assert!(doc.get("authorization_endpoint").is_none());
    // Every URL it lists answers.
    assert_eq!(send(&app, get("/.well-known/jwks.json")).await.status, 200);
}

#[tokio::test]
async fn every_401_points_to_the_metadata() {
    let app = app(&[]);
    let reply = send(&app, post_mcp(rpc("ping", json!({})))).await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.header("www-authenticate").unwrap(),
        r#"Bearer realm="mcp-server", resource_metadata="http://localhost:9000/.well-known/oauth-protected-resource/mcp", scope="mcp:read""#
    );
    let bad = send(
        &app,
        plumbing::testkit::post_mcp_with(
            rpc("ping", json!({})),
            &[("authorization", "Bearer x.y.z")],
        ),
    )
    .await;
    let challenge = bad.header("www-authenticate").unwrap();
    assert!(
        challenge.contains(r#"error="invalid_token""#) && challenge.contains("resource_metadata="),
        "{challenge}"
    );
}

#[tokio::test]
async fn urls_follow_the_server_url() {
    let app = app(&[
        "--server-url",
        "https://mcp.example.com:8443",
        "--issuer",
        "https://auth.example.com/realms/x",
    ]);
    let request = Request::get("/.well-known/oauth-protected-resource/mcp")
        .header("host", "mcp.example.com:8443")
        .body(Body::empty())
        .unwrap();
    let doc = send(&app, request).await.json();
    assert_eq!(doc["resource"], "https://mcp.example.com:8443/mcp");
    assert_eq!(
        doc["authorization_servers"],
        json!(["https://auth.example.com/realms/x"])
    );
    // A foreign issuer's metadata is not ours to publish.
    assert_eq!(
        send(&app, get("/.well-known/oauth-authorization-server"))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn well_known_is_readable_from_any_origin_but_mcp_is_not() {
    let app = app(&[]);
    let request = Request::get("/.well-known/oauth-protected-resource/mcp")
        .header("host", "localhost:9000")
        .header("origin", "https://client.example")
        .body(Body::empty())
        .unwrap();
    let reply = send(&app, request).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));

    let preflight = Request::options("/.well-known/oauth-protected-resource")
        .header("host", "localhost:9000")
        .header("origin", "https://client.example")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "mcp-protocol-version")
        .body(Body::empty())
        .unwrap();
    let reply = send(&app, preflight).await;
    assert!(reply.status.is_success(), "{}", reply.status);

    let mcp = plumbing::testkit::post_mcp_with(
        rpc("ping", json!({})),
        &[("origin", "https://client.example")],
    );
    assert_eq!(send(&app, mcp).await.status, 403);
}
