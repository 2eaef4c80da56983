//! Step 5: the key loads, the JWKS is right, and bad key files are clear errors.

use std::path::{Path, PathBuf};

use axum::Router;
use plumbing::testkit::{get, post_mcp, rpc, send};
use step1::origin::OriginGuard;
use step5::public_key::{KeyFileError, PublicKey};

fn demo_key_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../keys/mcp_public_key.pem")
}

fn app() -> (Router, PublicKey) {
    let key = PublicKey::load(&demo_key_path()).expect("the demo key loads");
    let app = step5::app(
        &key,
        OriginGuard::for_bind("127.0.0.1:9000".parse().unwrap()),
    );
    (app, key)
}

#[tokio::test]
async fn jwks_publishes_the_key_with_its_thumbprint() {
    let (app, key) = app();
    let reply = send(&app, get("/.well-known/jwks.json")).await;
    assert_eq!(reply.status, 200);
    let set = reply.json();
    let jwk = &set["keys"][0];
    assert_eq!(set["keys"].as_array().unwrap().len(), 1);
    assert_eq!(jwk["kty"], "RSA");
    assert_eq!(jwk["use"], "sig");
    assert_eq!(jwk["alg"], "RS256");
    assert_eq!(jwk["e"], "AQAB");
    assert_eq!(jwk["kid"], key.kid());
    // n is base64url without padding, 256 bytes for RSA-2048.
    let n = jwk["n"].as_str().unwrap();
    assert!(!n.contains('=') && !n.contains('+') && !n.contains('/'));
    assert_eq!(n.len(), 342);

    // jsonwebtoken computes the same RFC 7638 thumbprint from the published JWK.
    let parsed: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).unwrap();
    assert_eq!(
        parsed
            .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
            .unwrap(),
        key.kid()
    );
}

#[tokio::test]
async fn health_reports_the_key_and_mcp_still_works() {
    let (app, key) = app();
    let reply = send(&app, get("/health")).await;
    assert_eq!(reply.json()["key"]["kid"], key.kid());
    let reply = send(&app, post_mcp(rpc("tools/list", serde_json::json!({})))).await;
    assert_eq!(reply.json()["result"]["tools"][0]["name"], "echo");
}

#[test]
fn missing_file_names_the_path_and_the_fix() {
    let err = PublicKey::load(Path::new("/nonexistent/key.pem")).unwrap_err();
    assert!(matches!(err, KeyFileError::Unreadable { .. }));
    let text = err.to_string();
    assert!(
        text.contains("/nonexistent/key.pem") && text.contains("tokengen -- --generate-keys"),
        "{text}"
    );
}

#[test]
fn a_private_key_or_garbage_is_refused_with_a_reason() {
    let private =
        std::fs::read_to_string(demo_key_path().with_file_name("mcp_private_key.pem")).unwrap();
    let err = PublicKey::from_pem(Path::new("priv.pem"), &private).unwrap_err();
    assert!(err.to_string().contains("private key"), "{err}");
    let err = PublicKey::from_pem(Path::new("junk.pem"), "hello").unwrap_err();
    assert!(matches!(err, KeyFileError::NotAPublicKey { .. }));
}
