//! `tools/call` and `prompts/get`: using what step 3 listed.
//!
//! Two kinds of failure, answered differently (Server › Tools › Error
//! Handling, 2025-11-25):
//!
//! - **protocol errors** — the request cannot be routed: an unknown tool, no
//!   `name`, `arguments` that are not an object → JSON-RPC `-32602`;
//! - **tool execution errors** — the tool ran and the arguments were wrong
//!   (missing `message`, `repeat_count` out of range) → a normal result with
//!   `"isError": true` and a message the *model* can read and correct.
//!
//! ```text
//! → {"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi","repeat_count":2}}}
//! ← {"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"hihi"}],
//!                                      "structuredContent":{"echo":"hihi","repeat_count":2}}}
//!
//! → {"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":{"repeat_count":11}}}
//! ← {"jsonrpc":"2.0","id":4,"result":{"content":[{"type":"text","text":"message is required and must be a string"}],"isError":true}}
//! ```
//!
//! The Python original ignored the tool name: any name ran echo.

use serde_json::{Map, Value, json};
use step2::jsonrpc::RpcError;
use step3::catalog::{ECHO_PROMPT, ECHO_TOOL, REPEAT_RANGE};

/// The most text `echo` returns. The output appears twice in the answer
/// (as text and as structuredContent), so without a cap a 1 MiB message
/// repeated 10 times became a 20 MiB response from a 1 MiB request — an
/// amplifier for anyone who can call the tool.
pub const MAX_ECHO_BYTES: usize = 64 * 1024;

/// Arguments of `echo`, once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EchoArgs {
    pub message: String,
    pub repeat_count: i64,
}

impl EchoArgs {
    /// Check the arguments against the tool's input schema. The error text
    /// goes back to the model, so it says what to change.
    pub fn from_arguments(arguments: &Map<String, Value>) -> Result<EchoArgs, String> {
        let message = match arguments.get("message") {
            Some(Value::String(message)) => message.clone(),
            _ => return Err("message is required and must be a string".into()),
        };
        let repeat_count = match arguments.get("repeat_count") {
            None => 1,
            Some(value) => match value.as_i64() {
                Some(n) if REPEAT_RANGE.contains(&n) => n,
                _ => {
                    return Err(format!(
                        "repeat_count must be an integer from {} to {}",
                        REPEAT_RANGE.start(),
                        REPEAT_RANGE.end()
                    ));
                }
            },
        };
        let output_len = message.len().saturating_mul(repeat_count as usize);
        if output_len > MAX_ECHO_BYTES {
            return Err(format!(
                "the echo would be {output_len} bytes; message × repeat_count may be at most {MAX_ECHO_BYTES} bytes"
            ));
        }
        if let Some(unknown) = arguments
            .keys()
            .find(|k| *k != "message" && *k != "repeat_count")
        {
            return Err(format!(
                "unknown argument {unknown:?}; expected message, repeat_count"
            ));
        }
        Ok(EchoArgs {
            message,
            repeat_count,
        })
    }

    /// The tool's output: the message, repeated back to back — `"hi"` twice is
    /// `"hihi"`, as the Python original's `message * repeat_count`.
    pub fn run(&self) -> String {
        self.message.repeat(self.repeat_count as usize)
    }
}

/// The `tools/call` result for these params.
pub fn call_tool(params: &Map<String, Value>) -> Result<Value, RpcError> {
    let name = match params.get("name") {
        Some(Value::String(name)) => name.as_str(),
        _ => return Err(RpcError::invalid_params("name (a string) is required")),
    };
    if name != ECHO_TOOL {
        return Err(RpcError::invalid_params(format!("unknown tool: {name}")));
    }
    let arguments = arguments_of(params)?;
    Ok(match EchoArgs::from_arguments(&arguments) {
        Ok(args) => {
            let echoed = args.run();
            json!({
                "content": [{"type": "text", "text": echoed}],
                "structuredContent": {"echo": echoed, "repeat_count": args.repeat_count}
            })
        }
        Err(problem) => json!({
            "content": [{"type": "text", "text": problem}],
            "isError": true
        }),
    })
}

/// The `prompts/get` result for these params.
///
/// Prompts have no "execution error" result, so a missing argument is
/// `-32602` (Server › Prompts › Error Handling).
pub fn get_prompt(params: &Map<String, Value>) -> Result<Value, RpcError> {
    let name = match params.get("name") {
        Some(Value::String(name)) => name.as_str(),
        _ => return Err(RpcError::invalid_params("name (a string) is required")),
    };
    if name != ECHO_PROMPT {
        return Err(RpcError::invalid_params(format!("unknown prompt: {name}")));
    }
    let arguments = arguments_of(params)?;
    let message = match arguments.get("message") {
        Some(Value::String(message)) => message,
        _ => {
            return Err(RpcError::invalid_params(
                "argument message (a string) is required",
            ));
        }
    };
    Ok(json!({
        "description": "Asks the model to process a message.",
        "messages": [{
            "role": "user",
            "content": {"type": "text", "text": format!("Please process this message: {message}")}
        }]
    }))
}

/// `params.arguments`: absent means none; anything but an object is an error.
fn arguments_of(params: &Map<String, Value>) -> Result<Map<String, Value>, RpcError> {
    match params.get("arguments") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(arguments)) => Ok(arguments.clone()),
        Some(_) => Err(RpcError::invalid_params("arguments must be an object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn echo_repeats_and_reports_structured_content() {
        let result = call_tool(&obj(
            json!({"name":"echo","arguments":{"message":"hi","repeat_count":3}}),
        ))
        .unwrap();
        assert_eq!(result["content"][0]["text"], "hihihi");
        assert_eq!(
            result["structuredContent"],
            json!({"echo":"hihihi","repeat_count":3})
        );
        assert!(result.get("isError").is_none());
        let default =
            call_tool(&obj(json!({"name":"echo","arguments":{"message":"once"}}))).unwrap();
        assert_eq!(default["structuredContent"]["repeat_count"], 1);
    }

    #[test]
    fn argument_problems_are_tool_errors() {
        for arguments in [
            json!({}),
            json!({"message": 5}),
            json!({"message": "x", "repeat_count": 0}),
            json!({"message": "x", "repeat_count": 11}),
            json!({"message": "x", "repeat_count": 2.5}),
            json!({"message": "x", "repeat_count": "2"}),
            json!({"message": "x".repeat(MAX_ECHO_BYTES / 2 + 1), "repeat_count": 2}),
            json!({"message": "x".repeat(MAX_ECHO_BYTES + 1)}),
            json!({"message": "x", "extra": true}),
        ] {
            let result = call_tool(&obj(json!({"name":"echo","arguments": arguments}))).unwrap();
            assert_eq!(result["isError"], true, "{arguments}");
        }
    }

    #[test]
    fn the_largest_allowed_echo_passes() {
        let arguments = json!({"message": "x".repeat(MAX_ECHO_BYTES / 2), "repeat_count": 2});
        let result = call_tool(&obj(json!({"name": "echo", "arguments": arguments}))).unwrap();
        assert!(result.get("isError").is_none());
    }

    #[test]
    fn routing_problems_are_invalid_params() {
        for params in [
            json!({}),
            json!({"name": 1}),
            json!({"name": "shout", "arguments": {"message": "x"}}),
            json!({"name": "echo", "arguments": "message=x"}),
        ] {
            assert_eq!(
                call_tool(&obj(params.clone())).unwrap_err().code,
                -32602,
                "{params}"
            );
        }
    }

    #[test]
    fn prompt_needs_its_argument() {
        let result = get_prompt(&obj(
            json!({"name":"echo_prompt","arguments":{"message":"hello"}}),
        ))
        .unwrap();
        assert_eq!(
            result["messages"][0]["content"]["text"],
            "Please process this message: hello"
        );
        assert_eq!(
            get_prompt(&obj(json!({"name":"echo_prompt"})))
                .unwrap_err()
                .code,
            -32602
        );
        assert_eq!(
            get_prompt(&obj(json!({"name":"other","arguments":{"message":"x"}})))
                .unwrap_err()
                .code,
            -32602
        );
    }
}
