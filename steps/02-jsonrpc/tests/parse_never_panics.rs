//! Property test: the JSON-RPC parser never panics, whatever it is given,
//! and whatever it accepts as a request really is one.

use proptest::prelude::*;
use serde_json::{Value, json};
use step2::{
    jsonrpc::{INVALID_REQUEST, Message, PARSE_ERROR, parse},
    testkit::any_json,
};

/// Objects that look like messages: the real keys, with arbitrary values.
fn message_like() -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop_oneof![Just(json!("2.0")), any_json()]),
        prop::option::of(any_json()),
        prop::option::of(prop_oneof![Just(json!("ping")), any_json()]),
        prop::option::of(any_json()),
        prop::option::of(any_json()),
    )
        .prop_map(|(jsonrpc, id, method, params, result)| {
            let mut object = serde_json::Map::new();
            for (key, value) in [
                ("jsonrpc", jsonrpc),
                ("id", id),
                ("method", method),
                ("params", params),
                ("result", result),
            ] {
                if let Some(value) = value {
                    object.insert(key.into(), value);
                }
            }
            Value::Object(object)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Err(rejected) = parse(&bytes) {
            prop_assert!(rejected.error.code == PARSE_ERROR || rejected.error.code == INVALID_REQUEST);
        }
    }

    #[test]
    fn message_like_objects_are_classified_soundly(value in message_like()) {
        let text = value.to_string();
        match parse(text.as_bytes()) {
            Ok(Message::Request(call)) => {
                prop_assert_eq!(&value["jsonrpc"], &json!("2.0"));
                prop_assert_eq!(&value["method"], &json!(call.method));
                prop_assert!(value["id"].is_string() || value["id"].is_i64() || value["id"].is_u64());
                if let Some(params) = call.params {
                    prop_assert!(params.is_object() || params.is_array());
                }
            }
            Ok(Message::Notification { .. }) => prop_assert!(value.get("id").is_none()),
            Ok(Message::Response { .. }) => prop_assert!(value.get("method").is_none()),
            Err(rejected) => prop_assert_eq!(rejected.error.code, INVALID_REQUEST),
        }
    }

    #[test]
    fn arbitrary_json_never_panics(value in any_json()) {
        let _ = parse(value.to_string().as_bytes());
    }
}
