//! Step 6: every kind of bad token is a 401 (never a 5xx); the controls pass.

use std::{path::Path, sync::Arc, time::Duration};

use axum::Router;
use plumbing::testkit::{Reply, get, post_mcp, post_mcp_with, rpc, send};
use serde_json::json;
use step1::origin::OriginGuard;
use step5::public_key::PublicKey;
use step6::{
    auth::{Auth, Challenge},
    config::AuthArgs,
    keys::{BoxFuture, KeyError, KeySource, LocalKey, VerifyingKey},
    validate::Validator,
};
use tokengen::{
    claims::{DEFAULT_AUDIENCE, DEFAULT_ISSUER, TokenSpec},
    forge::{Forgery, forge, mint},
    keypair::SigningKey,
};

fn keys_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../keys"))
}

fn default_args() -> AuthArgs {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        auth: AuthArgs,
    }
    Cli::parse_from(["step6"]).auth
}

fn app() -> Router {
    let key = PublicKey::load(&keys_dir().join("mcp_public_key.pem")).unwrap();
    let auth = step6::auth(Arc::new(LocalKey::new(&key).unwrap()), &default_args());
    step6::app(
        &key,
        auth,
        OriginGuard::for_bind("127.0.0.1:9000".parse().unwrap()),
    )
}

fn signing_key() -> SigningKey {
    SigningKey::load(&keys_dir().join("mcp_private_key.pem")).unwrap()
}

fn spec(scopes: &[&str]) -> TokenSpec {
    TokenSpec {
        username: "alice".into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        roles: vec![],
        issuer: DEFAULT_ISSUER.into(),
        audience: DEFAULT_AUDIENCE.into(),
        lifetime: Duration::from_secs(600),
        extra: Default::default(),
    }
}

async fn ping_with(app: &Router, authorization: &str) -> Reply {
    let body = rpc("ping", json!({}));
    send(
        app,
        post_mcp_with(body, &[("authorization", authorization)]),
    )
    .await
}

fn assert_invalid_token(reply: &Reply, what: &str) {
    assert_eq!(reply.status, 401, "{what}: {:?}", reply.body);
    let challenge = reply.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with(r#"Bearer realm="mcp-server""#),
        "{what}: {challenge}"
    );
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{what}: {challenge}"
    );
    assert_eq!(reply.json()["error"], "invalid_token", "{what}");
}

#[tokio::test]
async fn every_forgery_is_401_invalid_token() {
    let app = app();
    let key = signing_key();
    let controls = [Forgery::AudienceListWithOurs];
    let mut rejected = 0;
    for kind in <Forgery as clap::ValueEnum>::value_variants() {
        let token = forge(*kind, &spec(&["mcp:read"]), &key).unwrap();
        let reply = ping_with(&app, &format!("Bearer {token}")).await;
        if controls.contains(kind) {
            assert_eq!(reply.status, 200, "control {kind:?} must pass");
        } else if *kind == Forgery::Empty {
            // "Bearer " with nothing after it: no token at all, refused as malformed.
            assert_eq!(reply.status, 401, "{kind:?}");
            rejected += 1;
        } else {
            assert_invalid_token(&reply, &format!("{kind:?}"));
            rejected += 1;
        }
    }
    assert!(
        rejected >= 20,
        "the table covers at least 20 bad kinds, got {rejected}"
    );
}

#[tokio::test]
async fn expired_tokens_say_so() {
    let token = forge(Forgery::Expired, &spec(&[]), &signing_key()).unwrap();
    let reply = ping_with(&app(), &format!("Bearer {token}")).await;
    assert_invalid_token(&reply, "expired");
    assert!(
        reply
            .header("www-authenticate")
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn missing_token_and_other_schemes_get_a_plain_challenge() {
    let app = app();
    let reply = send(&app, post_mcp(rpc("ping", json!({})))).await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(r#"Bearer realm="mcp-server""#)
    );
    assert_eq!(reply.json()["error"], "unauthorized");

    let basic = ping_with(&app, "Basic YWxpY2U6c2VjcmV0").await;
    assert_eq!(basic.status, 401);
    assert_eq!(
        basic.header("www-authenticate"),
        Some(r#"Bearer realm="mcp-server""#)
    );

    // A perfectly valid token, but in the query string: not read.
    let token = mint(&spec(&["mcp:read"]), &signing_key()).unwrap();
    let request = axum::http::Request::post(format!("/mcp?access_token={token}"))
        .header("host", "localhost:9000")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(rpc("ping", json!({}))))
        .unwrap();
    let reply = send(&app, request).await;
    assert_eq!(reply.status, 401);
    assert!(
        reply.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("URL")
    );
}

#[tokio::test]
async fn controls_pass_and_initialize_reports_the_identity() {
    let app = app();
    let token = mint(&spec(&["mcp:read", "mcp:tools"]), &signing_key()).unwrap();
    assert_eq!(
        ping_with(&app, &format!("Bearer {token}")).await.status,
        200
    );
    assert_eq!(
        ping_with(&app, &format!("bearer {token}")).await.status,
        200
    );

    let body = rpc(
        "initialize",
        json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}),
    );
    let reply = send(
        &app,
        post_mcp_with(body, &[("authorization", &format!("Bearer {token}"))]),
    )
    .await;
    let meta = &reply.json()["result"]["_meta"]["mcp-auth-step-by-step/identity"];
    assert_eq!(meta["sub"], "alice");
    assert_eq!(meta["scopes"], json!(["mcp:read", "mcp:tools"]));
}

#[tokio::test]
async fn open_paths_stay_open() {
    let app = app();
    assert_eq!(send(&app, get("/health")).await.status, 200);
    assert_eq!(send(&app, get("/.well-known/jwks.json")).await.status, 200);
}

#[tokio::test]
async fn auth_comes_before_the_body_is_read() {
    let big = "x".repeat(4 * 1024 * 1024);
    let reply = send(&app(), post_mcp(big)).await;
    assert_eq!(reply.status, 401);
}

/// A key source with no keys at all, as step 9's cache is while the provider is down.
struct NoKeys;

impl KeySource for NoKeys {
    fn key_for<'a>(&'a self, _kid: &'a str) -> BoxFuture<'a, Result<Arc<VerifyingKey>, KeyError>> {
        Box::pin(async { Err(KeyError::Unavailable("provider unreachable".into())) })
    }

    fn contains(&self, _kid: &str) -> bool {
        false
    }
}

/// The demo key, as a provider's key set that can drop it (key rotation
/// after a leak): step 9's cache behaves like this.
struct Droppable {
    key: LocalKey,
    dropped: std::sync::atomic::AtomicBool,
}

impl KeySource for Droppable {
    fn key_for<'a>(&'a self, kid: &'a str) -> BoxFuture<'a, Result<Arc<VerifyingKey>, KeyError>> {
        if self.dropped.load(std::sync::atomic::Ordering::SeqCst) {
            Box::pin(async move { Err(KeyError::UnknownKid(kid.to_string())) })
        } else {
            self.key.key_for(kid)
        }
    }

    fn contains(&self, kid: &str) -> bool {
        !self.dropped.load(std::sync::atomic::Ordering::SeqCst) && self.key.contains(kid)
    }
}

#[tokio::test]
async fn a_dropped_key_revokes_the_tokens_it_signed_even_cached_ones() {
    let public = PublicKey::load(&keys_dir().join("mcp_public_key.pem")).unwrap();
    let keys = Arc::new(Droppable {
        key: LocalKey::new(&public).unwrap(),
        dropped: false.into(),
    });
    let validator = Validator::new(
        keys.clone(),
        DEFAULT_ISSUER.into(),
        vec![DEFAULT_AUDIENCE.into()],
    );
    let token = mint(&spec(&["mcp:read"]), &signing_key()).unwrap();
    assert!(validator.validate(&token).await.is_ok());
    assert!(
        validator.validate(&token).await.is_ok(),
        "served from the cache"
    );
    keys.dropped
        .store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(
        validator.validate(&token).await.is_err(),
        "a cached token outlived the key that signed it"
    );
}

#[tokio::test]
async fn lifetime_and_type_rules() {
    use step6::validate::{TokenError, TokenType};
    let public = PublicKey::load(&keys_dir().join("mcp_public_key.pem")).unwrap();
    let validator = |max: u64, token_type| {
        Validator::new(
            Arc::new(LocalKey::new(&public).unwrap()),
            DEFAULT_ISSUER.into(),
            vec![DEFAULT_AUDIENCE.into()],
        )
        .with_max_lifetime(Duration::from_secs(max))
        .with_token_type(token_type)
    };
    let key = signing_key();
    let ten_minutes = mint(&spec(&[]), &key).unwrap(); // spec() lives 600 s
    assert!(
        validator(600, TokenType::AtJwt)
            .validate(&ten_minutes)
            .await
            .is_ok()
    );
    assert!(matches!(
        validator(599, TokenType::AtJwt)
            .validate(&ten_minutes)
            .await,
        Err(TokenError::LivesTooLong(600, 599))
    ));
    let future = forge(Forgery::IssuedInFuture, &spec(&[]), &key).unwrap();
    assert!(matches!(
        validator(u64::MAX / 2, TokenType::AtJwt)
            .validate(&future)
            .await,
        Err(TokenError::IssuedInFuture(_))
    ));
    // A tokengen token has no `typ` claim: under Keycloak's rule it is not an access token.
    assert!(matches!(
        validator(3600, TokenType::Keycloak)
            .validate(&ten_minutes)
            .await,
        Err(TokenError::WrongType(_))
    ));
    let mut claims = spec(&[]).claims();
    for (typ, ok) in [("Bearer", true), ("ID", false), ("Refresh", false)] {
        claims.insert("typ".into(), json!(typ));
        let token = tokengen::forge::sign(
            &claims,
            jsonwebtoken::Algorithm::RS256,
            &key.encoding,
            Some(&key.jwk.kid),
        )
        .unwrap();
        let result = validator(3600, TokenType::Keycloak).validate(&token).await;
        assert_eq!(result.is_ok(), ok, "claim typ {typ}: {result:?}");
    }
}

#[tokio::test]
async fn no_keys_at_all_is_503_not_401() {
    let key = PublicKey::load(&keys_dir().join("mcp_public_key.pem")).unwrap();
    let validator = Validator::new(
        Arc::new(NoKeys),
        DEFAULT_ISSUER.into(),
        vec![DEFAULT_AUDIENCE.into()],
    );
    let auth = Auth {
        validator: Arc::new(validator),
        challenge: Arc::new(Challenge::new("mcp-server")),
    };
    let app = step6::app(
        &key,
        auth,
        OriginGuard::for_bind("127.0.0.1:9000".parse().unwrap()),
    );
    let token = mint(&spec(&[]), &signing_key()).unwrap();
    let reply = ping_with(&app, &format!("Bearer {token}")).await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.header("retry-after"), Some("5"));
}

#[tokio::test]
async fn the_cache_never_accepts_a_tampered_copy() {
    let app = app();
    let key = signing_key();
    let token = mint(&spec(&["mcp:read"]), &key).unwrap();
    assert_eq!(
        ping_with(&app, &format!("Bearer {token}")).await.status,
        200
    );
    // Same header and signature, widened payload: must still fail after the original was cached.
    let tampered = forge(Forgery::TamperedPayload, &spec(&["mcp:read"]), &key).unwrap();
    assert_invalid_token(
        &ping_with(&app, &format!("Bearer {tampered}")).await,
        "tampered after caching",
    );
}

/// Each forgery breaks exactly one rule, and is refused *for that rule*: a
/// token refused for another reason would keep the suite green with its own
/// rule deleted (an `nbf` check removed, say, while the lifetime cap still
/// refused the "not yet valid" token).
#[tokio::test]
async fn each_forgery_is_refused_for_its_own_reason() {
    use jsonwebtoken::errors::ErrorKind as Jwt;
    use step6::validate::TokenError as E;
    let public = PublicKey::load(&keys_dir().join("mcp_public_key.pem")).unwrap();
    let validator = Validator::new(
        Arc::new(LocalKey::new(&public).unwrap()),
        DEFAULT_ISSUER.into(),
        vec![DEFAULT_AUDIENCE.into()],
    );
    let key = signing_key();
    let missing =
        |claim: &str, e: &E| matches!(e, E::Claims(Jwt::MissingRequiredClaim(c)) if c == claim);
    let mut wrong = Vec::new();
    for kind in <Forgery as clap::ValueEnum>::value_variants() {
        let token = forge(*kind, &spec(&["mcp:read"]), &key).unwrap();
        let verdict = validator.validate(&token).await;
        let Err(error) = &verdict else {
            if *kind != Forgery::AudienceListWithOurs {
                wrong.push(format!("{kind:?} was accepted"));
            }
            continue;
        };
        let expected = match kind {
            Forgery::Expired => matches!(error, E::Expired),
            Forgery::NotYetValid => matches!(error, E::NotYetValid),
            Forgery::WrongIssuer | Forgery::IssuerTrailingSlash => {
                matches!(error, E::Claims(Jwt::InvalidIssuer))
            }
            Forgery::WrongAudience | Forgery::AudienceListWithoutOurs => {
                matches!(error, E::Claims(Jwt::InvalidAudience))
            }
            Forgery::MissingExp => missing("exp", error),
            Forgery::MissingIss => missing("iss", error),
            Forgery::MissingAud => missing("aud", error),
            Forgery::MissingSub => missing("sub", error),
            Forgery::OtherKey | Forgery::TamperedPayload | Forgery::FlippedSignature => {
                matches!(error, E::Claims(Jwt::InvalidSignature))
            }
            // 16 characters cut off: a shorter signature, or no longer base64 at all
            // (which one depends on the signature's last characters).
            Forgery::TruncatedSignature => {
                matches!(error, E::Claims(Jwt::InvalidSignature | Jwt::Base64(_)))
            }
            Forgery::UnknownKid => matches!(error, E::Key(KeyError::UnknownKid(_))),
            Forgery::MissingKid => matches!(error, E::MissingKid),
            Forgery::Hs256PublicKey | Forgery::Ps256 => matches!(error, E::Algorithm { .. }),
            Forgery::AlgNone
            | Forgery::TwoSegments
            | Forgery::FourSegments
            | Forgery::FiveSegments
            | Forgery::Empty
            | Forgery::Garbage => matches!(error, E::Header(_)),
            Forgery::Oversized => matches!(error, E::TooLong),
            Forgery::NotAnAccessToken => matches!(error, E::WrongType(_)),
            Forgery::UnknownCrit => matches!(error, E::Critical(_)),
            Forgery::IssuedInFuture => matches!(error, E::IssuedInFuture(_)),
            Forgery::TenYearLifetime => matches!(error, E::LivesTooLong(..)),
            Forgery::DpopBound => matches!(error, E::Bound(kinds) if kinds.contains("cnf.jkt")),
            Forgery::MtlsBound => matches!(error, E::Bound(kinds) if kinds.contains("x5t#S256")),
            Forgery::AudienceListWithOurs => false,
        };
        if !expected {
            wrong.push(format!(
                "{kind:?} was refused for another reason: {error:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}
