#!/usr/bin/env bash
# Step 3: the echo tool and echo_prompt are described by tools/list and prompts/list.
source "$(dirname "$0")/lib.sh"
parse_args "$@"
build_and_start step3

scenario "tools/list" "A client learns what it may call, and the JSON Schema of the arguments and the result."
mcp_post '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
expect_status 200 "tools/list is answered"
expect_jq '.result.tools | length == 1' "one tool"
expect_jq '.result.tools[0].name == "echo"' "named echo"
expect_jq '.result.tools[0].inputSchema.required == ["message"]' "message is a required argument"
expect_jq '.result.tools[0].inputSchema.properties.repeat_count | .minimum == 1 and .maximum == 10 and .default == 1' "repeat_count is an integer 1–10, default 1"
expect_jq '.result.tools[0].outputSchema.properties.echo.type == "string"' "an outputSchema describes the structured result"
expect_jq '[.. | select(. == null)] | length == 0' "no field is null (the TypeScript client rejects null optionals)"

scenario "prompts/list" "Prompts are templates the user picks; echo_prompt takes one required argument."
mcp_post '{"jsonrpc":"2.0","id":2,"method":"prompts/list","params":{}}'
expect_jq '.result.prompts[0].name == "echo_prompt"' "echo_prompt is listed"
expect_jq '.result.prompts[0].arguments == [{"name":"message","description":"The message to process","required":true}]' "with its required message argument"

scenario "Not yet callable" "Describing is not executing: the calls arrive in step 4."
mcp_post '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}'
expect_jq '.error.code == -32601 and .id == 3' "tools/call is still -32601"
mcp_post '{"jsonrpc":"2.0","id":4,"method":"prompts/get","params":{"name":"echo_prompt"}}'
expect_jq '.error.code == -32601' "prompts/get is still -32601"

scenario "Step 2 still works" "Step 3's dispatch hands everything else to step 2's."
mcp_post '{"jsonrpc":"2.0","id":5,"method":"ping"}'
expect_jq '.result == {}' "ping"

finish
