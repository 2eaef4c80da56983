//! What this server offers: one tool and one prompt.
//!
//! A tool definition is a name, human-facing text, and two JSON Schemas: what
//! the arguments must look like (`inputSchema`) and what the structured result
//! will look like (`outputSchema`, since 2025-06-18). A client reads them from
//! `tools/list`:
//!
//! ```text
//! {"jsonrpc":"2.0","id":2,"method":"tools/list"}
//! {"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"echo","title":"Echo", ...}]}}
//! ```
//!
//! Optional fields are *omitted* when absent, never sent as `null`: the
//! official TypeScript client validates results strictly and rejects
//! `"annotations": null` or `"title": null`.

use serde::Serialize;
use serde_json::{Value, json};

/// The name of the one tool.
pub const ECHO_TOOL: &str = "echo";
/// The name of the one prompt.
pub const ECHO_PROMPT: &str = "echo_prompt";
/// Bounds of the echo tool's `repeat_count` argument.
pub const REPEAT_RANGE: std::ops::RangeInclusive<i64> = 1..=10;

/// A tool as listed by `tools/list` (MCP Server › Tools › Tool).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool {
    pub name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'static str>,
    pub input_schema: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Value>,
}

/// A prompt as listed by `prompts/list` (MCP Server › Prompts › Prompt).
#[derive(Debug, Clone, Serialize)]
pub struct Prompt {
    pub name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'static str>,
    pub arguments: Vec<PromptArgument>,
}

/// One argument of a prompt.
#[derive(Debug, Clone, Serialize)]
pub struct PromptArgument {
    pub name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'static str>,
    pub required: bool,
}

/// The `echo` tool: returns its message, repeated.
pub fn echo_tool() -> Tool {
    Tool {
        name: ECHO_TOOL,
        title: Some("Echo"),
        description: Some(
            "Echoes the message back, repeated repeat_count times with nothing in between (\"hi\" twice is \"hihi\").",
        ),
        input_schema: json!({
            "type": "object",
            "properties": {
                "message": {"type": "string", "description": "The text to echo back"},
                "repeat_count": {
                    "type": "integer",
                    "minimum": REPEAT_RANGE.start(),
                    "maximum": REPEAT_RANGE.end(),
                    "default": 1,
                    "description": "How many times to repeat the message"
                }
            },
            "required": ["message"],
            "additionalProperties": false
        }),
        output_schema: Some(json!({
            "type": "object",
            "properties": {
                "echo": {"type": "string"},
                "repeat_count": {"type": "integer"}
            },
            "required": ["echo", "repeat_count"]
        })),
        // Hints for clients deciding whether to ask the user first
        // (MCP Server › Tools › annotations).
        annotations: Some(json!({
            "readOnlyHint": true,
            "idempotentHint": true,
            "openWorldHint": false
        })),
    }
}

/// The `echo_prompt` prompt: asks the model to process a message.
pub fn echo_prompt() -> Prompt {
    Prompt {
        name: ECHO_PROMPT,
        title: Some("Echo prompt"),
        description: Some("Asks the model to process a message."),
        arguments: vec![PromptArgument {
            name: "message",
            description: Some("The message to process"),
            required: true,
        }],
    }
}

/// Every tool, in listing order.
pub fn tools() -> Vec<Tool> {
    vec![echo_tool()]
}

/// Every prompt, in listing order.
pub fn prompts() -> Vec<Prompt> {
    vec![echo_prompt()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_null(value: &Value) -> bool {
        match value {
            Value::Null => true,
            Value::Array(items) => items.iter().any(has_null),
            Value::Object(map) => map.values().any(has_null),
            _ => false,
        }
    }

    #[test]
    fn definitions_never_contain_null() {
        for tool in tools() {
            assert!(!has_null(&serde_json::to_value(tool).unwrap()));
        }
        for prompt in prompts() {
            assert!(!has_null(&serde_json::to_value(prompt).unwrap()));
        }
    }

    #[test]
    fn tool_fields_use_the_wire_names() {
        let tool = serde_json::to_value(echo_tool()).unwrap();
        assert_eq!(tool["inputSchema"]["required"], json!(["message"]));
        assert_eq!(tool["outputSchema"]["type"], "object");
        assert!(tool.get("input_schema").is_none());
    }
}
