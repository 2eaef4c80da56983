//! Property test: what `members::read` builds (the members the checks read)
//! gives the checks the same answers as step 2's whole parse — for any
//! message-like body without a member twice (which `read` refuses), and
//! whatever bytes it is given it never panics.

use axum::http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use step2::{
    era::{self, CLIENT_CAPABILITIES_KEY, CacheScope, PROTOCOL_VERSION_KEY},
    jsonrpc::{INVALID_REQUEST, Message, PARSE_ERROR, parse},
    testkit::any_json,
};
use step12::members::read;

/// Either one of `likely` or any JSON at all.
fn mostly(likely: &[Value]) -> BoxedStrategy<Value> {
    let likely: Vec<Value> = likely.to_vec();
    prop_oneof![3 => prop::sample::select(likely), 1 => any_json()].boxed()
}

/// An object with each of `members` present or not.
fn object(members: Vec<(&'static str, BoxedStrategy<Value>)>) -> BoxedStrategy<Value> {
    let (names, values): (Vec<_>, Vec<_>) = members
        .into_iter()
        .map(|(name, value)| (name, prop::option::of(value)))
        .unzip();
    values
        .prop_map(move |values| {
            let mut object = Map::new();
            for (name, value) in names.iter().zip(values) {
                if let Some(value) = value {
                    object.insert((*name).into(), value);
                }
            }
            Value::Object(object)
        })
        .boxed()
}

fn envelope() -> BoxedStrategy<Value> {
    object(vec![
        (
            PROTOCOL_VERSION_KEY,
            mostly(&[json!("2026-07-28"), json!("2025-11-25")]),
        ),
        (CLIENT_CAPABILITIES_KEY, mostly(&[json!({})])),
        ("other", any_json()),
    ])
}

fn message() -> BoxedStrategy<Value> {
    let params = object(vec![
        ("name", mostly(&[json!("echo"), json!("echo_prompt")])),
        ("uri", mostly(&[json!("file:///a")])),
        (
            "_meta",
            prop_oneof![3 => envelope(), 1 => any_json()].boxed(),
        ),
        ("arguments", any_json()),
    ]);
    object(vec![
        ("jsonrpc", mostly(&[json!("2.0")])),
        ("id", mostly(&[json!(7), json!("a"), Value::Null])),
        (
            "method",
            mostly(&[
                json!("tools/call"),
                json!("prompts/get"),
                json!("resources/read"),
                json!("ping"),
            ]),
        ),
        ("params", prop_oneof![4 => params, 1 => any_json()].boxed()),
        ("result", any_json()),
        ("error", any_json()),
    ])
}

/// The header sets the era check is asked with: none; and `Mcp-Method` with
/// `Mcp-Name` mirroring `params.name` or `params.uri`, on either wire.
fn header_sets(body: &Value) -> Vec<HeaderMap> {
    let mut sets = vec![HeaderMap::new()];
    for field in ["name", "uri"] {
        for version in [None, Some("2026-07-28")] {
            let mut headers = HeaderMap::new();
            if let Some(version) = version {
                headers.insert("mcp-protocol-version", HeaderValue::from_static(version));
            }
            for (header, value) in [
                ("mcp-method", &body["method"]),
                ("mcp-name", &body["params"][field]),
            ] {
                if let Some(value) = value.as_str().and_then(|v| HeaderValue::from_str(v).ok()) {
                    headers.insert(header, value);
                }
            }
            sets.push(headers);
        }
    }
    sets
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn the_checks_see_what_step_2_sees(body in message()) {
        let text = body.to_string();
        match (read(text.as_bytes()), parse(text.as_bytes())) {
            (Ok(Message::Request(ours)), Ok(Message::Request(whole))) => {
                prop_assert_eq!(&ours.id, &whole.id);
                prop_assert_eq!(&ours.method, &whole.method);
                for headers in header_sets(&body) {
                    prop_assert_eq!(
                        era::admit(&ours, &headers, CacheScope::Private),
                        era::admit(&whole, &headers, CacheScope::Private),
                        "{}", text
                    );
                }
                let name = |params: &Option<Value>| params.as_ref().and_then(|p| p.get("name")).cloned();
                prop_assert_eq!(name(&ours.params), name(&whole.params));
            }
            (Ok(ours), Ok(whole)) => prop_assert_eq!(
                std::mem::discriminant(&ours), std::mem::discriminant(&whole), "{}", text
            ),
            (Err(ours), Err(whole)) => {
                prop_assert_eq!(ours.error.code, whole.error.code, "{}", text);
                prop_assert_eq!(ours.id, whole.id, "{}", text);
            }
            (ours, whole) => prop_assert!(false, "{text}: read {ours:?}, step 2 {whole:?}"),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Err(rejected) = read(&bytes) {
            prop_assert!(rejected.error.code == PARSE_ERROR || rejected.error.code == INVALID_REQUEST);
        }
    }
}
