//! What the checks read of a body — and nothing else — so that rmcp can be
//! handed the body's own bytes.
//!
//! Step 2 reads a message into a whole [`Value`] tree. In front of rmcp that
//! tree is built for nothing: rmcp parses the body again into its own types,
//! and the checks ([`step2::era::admit`], step 8's policy, the tool scopes)
//! read six members. So this reads those into step 2's [`Members`] and skips
//! the rest (checked as JSON, never built):
//!
//! ```text
//! {"jsonrpc", "id", "method", "params": {"name", "uri", "_meta": {…}}}   read
//! "params": {"arguments": …}, "result", "error", anything else          skipped
//! ```
//!
//! One meaning for both readers: a member the checks read, sent twice
//! (`"method"` or `"_meta"."io.modelcontextprotocol/protocolVersion"`), is
//! refused — otherwise the policy could read the first and rmcp the last.
//! Everything else is serde_json's meaning on both sides.

use serde::{
    Deserialize, Deserializer,
    de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor},
};
use serde_json::{Map, Value, value::RawValue};
use step2::jsonrpc::{self, Members, Message, Rejected, RpcError};

/// Read `body` as step 2 would, building only what the checks read.
pub fn read(body: &[u8]) -> Result<Message, Rejected> {
    // JSON is UTF-8 (RFC 8259 §8.1) — all of it, the skipped parts too.
    let Ok(text) = std::str::from_utf8(body) else {
        return jsonrpc::parse(body); // step 2's -32700
    };
    if !is_object(body) {
        // An array (a batch), a string, not JSON at all: step 2 says which.
        return jsonrpc::parse(body);
    }
    // All of it JSON as serde_json reads JSON, built or not: rmcp reads the
    // skipped parts with it, and would refuse them with a plain-text 415, not JSON-RPC.
    serde_json::from_str::<Valid>(text).map_err(refusal)?;
    let top: Top = serde_json::from_str(text).map_err(refusal)?;
    let params = match top.params {
        Some(raw) if is_object(raw.get().as_bytes()) => {
            let params: Params = serde_json::from_str(raw.get()).map_err(refusal)?;
            Some(params.into_value()?)
        }
        // null, an array, a number…: step 2 decides what they mean.
        Some(raw) => Some(serde_json::from_str(raw.get()).map_err(refusal)?),
        None => None,
    };
    let members = Members {
        id: top.id,
        jsonrpc: top.jsonrpc,
        method: top.method,
        params,
        outcomes: usize::from(top.result.is_some()) + usize::from(top.error.is_some()),
    };
    members.into_message()
}

/// The message object. A derived struct refuses a field sent twice.
#[derive(Deserialize)]
struct Top<'a> {
    #[serde(default, deserialize_with = "present")]
    id: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    jsonrpc: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    method: Option<Value>,
    #[serde(borrow, default, deserialize_with = "present")]
    params: Option<&'a RawValue>,
    #[serde(default, deserialize_with = "present")]
    result: Option<IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    error: Option<IgnoredAny>,
}

/// The params object: the name `Mcp-Name` mirrors, and the 2026-07-28 envelope.
#[derive(Deserialize)]
struct Params<'a> {
    #[serde(default, deserialize_with = "present")]
    name: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    uri: Option<Value>,
    #[serde(rename = "_meta", borrow, default, deserialize_with = "present")]
    meta: Option<&'a RawValue>,
}

impl Params<'_> {
    fn into_value(self) -> Result<Value, Rejected> {
        let mut params = Map::new();
        if let Some(name) = self.name {
            params.insert("name".into(), name);
        }
        if let Some(uri) = self.uri {
            params.insert("uri".into(), uri);
        }
        if let Some(meta) = self.meta {
            let meta = if is_object(meta.get().as_bytes()) {
                serde_json::from_str::<UniqueKeys>(meta.get())
                    .map_err(refusal)?
                    .0
            } else {
                serde_json::from_str(meta.get()).map_err(refusal)?
            };
            params.insert("_meta".into(), meta);
        }
        Ok(Value::Object(params))
    }
}

/// A member that is there, even as `null`, is `Some` — `"id": null` is not
/// a notification (step 2 refuses it), as it would be for serde's `Option`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// Does the JSON text start an object? (JSON's whitespace is these four.)
fn is_object(text: &[u8]) -> bool {
    text.iter()
        .find(|byte| !matches!(byte, b' ' | b'\t' | b'\n' | b'\r'))
        .is_some_and(|byte| *byte == b'{')
}

/// Not JSON → step 2's parse error; JSON with a member twice → invalid request.
fn refusal(error: serde_json::Error) -> Rejected {
    let error = if error.is_data() {
        RpcError::invalid_request(&format!("{error}"))
    } else {
        RpcError::parse_error()
    };
    Rejected { id: None, error }
}

/// JSON that a `serde_json::Value` would accept — numbers in range, nesting
/// within serde_json's limit — walked, not built. (Skipping a part, serde_json
/// checks only its syntax.)
struct Valid;

impl<'de> Deserialize<'de> for Valid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValidVisitor)
    }
}

struct ValidVisitor;

impl<'de> Visitor<'de> for ValidVisitor {
    type Value = Valid;

    // Never called: every kind of JSON value is accepted (cargo-mutants'
    // `Ok(Default::default())` here is an equivalent mutant).
    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("JSON")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_str<E>(self, _: &str) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_unit<E>(self) -> Result<Valid, E> {
        Ok(Valid)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Valid, A::Error> {
        while items.next_element::<Valid>()?.is_some() {}
        Ok(Valid)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Valid, A::Error> {
        while members.next_key::<Valid>()?.is_some() {
            members.next_value::<Valid>()?;
        }
        Ok(Valid)
    }
}

/// An object whose keys are all different (`_meta`: the protocol version the
/// era check compares with the header is the one rmcp reads).
struct UniqueKeys(Value);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    // Never called: `read` hands this only an object (an equivalent mutant,
    // like `ValidVisitor`'s).
    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<UniqueKeys, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format_args!("_meta has {key:?} twice")));
            }
            let value = access.next_value()?;
            map.insert(key, value);
        }
        Ok(UniqueKeys(Value::Object(map)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use step2::jsonrpc::{Call, INVALID_REQUEST, PARSE_ERROR};

    fn request(body: &str) -> Call {
        match read(body.as_bytes()) {
            Ok(Message::Request(call)) => call,
            other => panic!("{body}: {other:?}"),
        }
    }

    fn refused(body: &[u8]) -> Rejected {
        read(body).expect_err(&String::from_utf8_lossy(body))
    }

    #[test]
    fn a_member_the_checks_read_is_refused_when_sent_twice() {
        let meta = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}"#;
        let twice = [
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"prompts/get"}"#,
                "method",
            ),
            (r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}"#, "id"),
            (
                r#"{"jsonrpc":"2.0","jsonrpc":"2.0","id":1,"method":"ping"}"#,
                "jsonrpc",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{},"params":{}}"#,
                "params",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","name":"x"}}"#,
                "name",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"a","uri":"b"}}"#,
                "uri",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{},"_meta":{}}}"#,
                "_meta",
            ),
            // The same name, escaped: serde_json (and so rmcp) reads "method".
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","m\u0065thod":"prompts/get"}"#,
                "method",
            ),
        ];
        for (body, member) in twice {
            let rejected = refused(body.as_bytes());
            assert_eq!(rejected.error.code, INVALID_REQUEST, "{body}");
            assert!(
                rejected.error.message.contains(member),
                "{body}: {}",
                rejected.error.message
            );
        }
        // Inside _meta: the version the era check compares is the one rmcp reads.
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{{{meta},"io.modelcontextprotocol/protocolVersion":"2025-11-25"}}}}}}"#
        );
        let rejected = refused(body.as_bytes());
        assert_eq!(rejected.error.code, INVALID_REQUEST, "{body}");
        assert!(
            rejected.error.message.contains("protocolVersion"),
            "{}",
            rejected.error.message
        );
        // Once each, the same envelope is read whole.
        let body =
            format!(r#"{{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{{{meta}}}}}}}"#);
        let params = request(&body).params.unwrap();
        assert_eq!(
            params["_meta"]["io.modelcontextprotocol/protocolVersion"],
            "2026-07-28"
        );
        assert_eq!(
            params["_meta"]["io.modelcontextprotocol/clientCapabilities"],
            json!({})
        );
    }

    #[test]
    fn what_the_checks_do_not_read_is_skipped_not_built() {
        let call = request(
            r#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"echo","arguments":{"message":"hi","message":"twice"}},"extra":1,"extra":2}"#,
        );
        assert_eq!(call.method, "tools/call");
        assert_eq!(call.params, Some(json!({"name": "echo"})));
    }

    #[test]
    fn the_kinds_of_message_are_step_2s() {
        assert!(matches!(
            read(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            Ok(Message::Notification { .. })
        ));
        for response in [
            br#"{"jsonrpc":"2.0","id":3,"result":{}}"#.as_slice(),
            br#"{"jsonrpc":"2.0","id":3,"error":{"code":1,"message":"no"}}"#,
        ] {
            assert!(matches!(read(response), Ok(Message::Response { .. })));
        }
        // A response has one outcome, not both.
        let both = refused(br#"{"jsonrpc":"2.0","id":3,"result":{},"error":{}}"#);
        assert_eq!(both.error.code, INVALID_REQUEST);
        // `"id": null` is not an absent id (a notification): MCP forbids it.
        let rejected = refused(br#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#);
        assert_eq!(rejected.error.code, INVALID_REQUEST);
        // Params that are not an object go to step 2 as they are.
        assert_eq!(
            request(r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}"#).params,
            Some(json!([1]))
        );
        let rejected = refused(br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":"x"}"#);
        assert_eq!(rejected.error.code, INVALID_REQUEST);
    }

    /// rmcp reads the skipped parts with serde_json: what it would refuse
    /// (answering 415 in plain text, not JSON-RPC) is refused here, as step 2 does.
    #[test]
    fn the_skipped_parts_are_json_as_serde_json_reads_it() {
        let call = |arguments: &str| {
            format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"echo","arguments":{arguments}}}}}"#
            )
        };
        // serde_json nests 127 deep and no deeper; the call itself is 2 of them.
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        for (arguments, accepted) in [
            (nested(125), true),
            (nested(126), false),
            (nested(100_000), false),
            ("1e400".into(), false),
            ("1e300".into(), true),
            (r#""\ud800""#.into(), false),
        ] {
            let body = call(&arguments);
            let step2 = jsonrpc::parse(body.as_bytes());
            assert_eq!(
                step2.is_ok(),
                accepted,
                "step 2: {}",
                &body[..90.min(body.len())]
            );
            match read(body.as_bytes()) {
                Ok(_) => assert!(accepted, "{}", &body[..90.min(body.len())]),
                Err(rejected) => {
                    assert!(!accepted, "{}: {rejected:?}", &body[..90.min(body.len())]);
                    assert_eq!(rejected.error.code, PARSE_ERROR);
                }
            }
        }
    }

    #[test]
    fn what_is_not_json_is_a_parse_error() {
        let not_json: [&[u8]; 5] = [
            br#"{"jsonrpc":"2.0","id":1,"method":"ping"} trailing"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"ping""#,
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{"a":tru}}}"#,
            // Not UTF-8, in a part the checks skip.
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"arguments\":\"\xff\"}}",
            b"\x0c{}", // a form feed is not JSON whitespace
        ];
        for body in not_json {
            assert_eq!(
                refused(body).error.code,
                PARSE_ERROR,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let rejected = refused(br#" [{"jsonrpc":"2.0","id":1,"method":"ping"}]"#);
        assert!(
            rejected.error.message.contains("batches"),
            "{}",
            rejected.error.message
        );
    }
}
