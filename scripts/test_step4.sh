#!/usr/bin/env bash
# Step 4: initialize, tools/call, prompts/get — a working MCP server without authentication.
source "$(dirname "$0")/lib.sh"
parse_args "$@"
build_and_start step4

init() {
  mcp_post "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"$1\",\"capabilities\":{},\"clientInfo\":{\"name\":\"curl\",\"version\":\"1\"}}}"
}

scenario "initialize" "Client and server agree on a version: a supported one is echoed, anything else gets the latest."
for version in 2025-11-25 2025-06-18 2025-03-26 2024-11-05; do
  init "$version"
  expect_jq ".result.protocolVersion == \"$version\"" "asked $version, got $version"
done
init 2030-01-01
expect_jq '.result.protocolVersion == "2025-11-25"' "asked 2030-01-01, got the latest (2025-11-25)"
expect_jq '.result.capabilities == {"tools":{"listChanged":false},"prompts":{"listChanged":false}}' "capabilities: tools and prompts"
expect_jq '.result.serverInfo.name == "mcp-auth-step-by-step"' "serverInfo names the server"
expect_header mcp-session-id '^$' "no Mcp-Session-Id: the server is stateless"
mcp_post '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{}}'
expect_jq '.error.code == -32602' "initialize without protocolVersion is -32602"

scenario "notifications/initialized" "The client's second message; a notification, so 202 and no body."
mcp_post '{"jsonrpc":"2.0","method":"notifications/initialized"}'
expect_status 202 "accepted"
expect_empty_body "no body"

scenario "tools/call echo" "The tool runs: text content plus structuredContent matching the outputSchema."
mcp_post '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi","repeat_count":3}}}'
expect_jq '.result.content == [{"type":"text","text":"hihihi"}]' "text content is the message, three times"
expect_jq '.result.structuredContent == {"echo":"hihihi","repeat_count":3}' "structuredContent matches"
mcp_post '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"message":"once"}}}'
expect_jq '.result.structuredContent.repeat_count == 1' "repeat_count defaults to 1"

scenario "Tool argument errors" "2025-11-25: input errors are tool results with isError, so the model can correct itself."
for args in '{}' '{"message":7}' '{"message":"x","repeat_count":0}' '{"message":"x","repeat_count":11}' '{"message":"x","repeat_count":"3"}'; do
  mcp_post "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":$args}}"
  expect_jq '.result.isError == true' "arguments $args → isError"
done

scenario "Protocol errors in calls" "The call cannot be routed: -32602 (the original ran echo for any tool name)."
mcp_post '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"delete_everything","arguments":{}}}'
expect_jq '.error.code == -32602 and .id == 4' "unknown tool → -32602"
mcp_post '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"arguments":{"message":"x"}}}'
expect_jq '.error.code == -32602' "missing name → -32602"
mcp_post '{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"echo","arguments":"x"}}'
expect_jq '.error.code == -32602' "arguments not an object → -32602"

scenario "prompts/get" "The template, filled in; a missing argument or unknown prompt is -32602."
mcp_post '{"jsonrpc":"2.0","id":7,"method":"prompts/get","params":{"name":"echo_prompt","arguments":{"message":"hello"}}}'
expect_jq '.result.messages == [{"role":"user","content":{"type":"text","text":"Please process this message: hello"}}]' "one user message with the text filled in"
mcp_post '{"jsonrpc":"2.0","id":8,"method":"prompts/get","params":{"name":"echo_prompt"}}'
expect_jq '.error.code == -32602' "missing message → -32602"
mcp_post '{"jsonrpc":"2.0","id":9,"method":"prompts/get","params":{"name":"nope","arguments":{"message":"x"}}}'
expect_jq '.error.code == -32602' "unknown prompt → -32602"

scenario "405 for the stream and the session" "Stateless: no GET stream, no DELETE session."
http GET /mcp -H 'Accept: text/event-stream'
expect_status 405 "GET /mcp"
expect_header allow '^POST$' "Allow: POST"
http DELETE /mcp
expect_status 405 "DELETE /mcp"

scenario "Earlier steps unchanged" "ping, the lists, the envelope errors."
mcp_post '{"jsonrpc":"2.0","id":10,"method":"ping"}'
expect_jq '.result == {}' "ping"
mcp_post '{"jsonrpc":"2.0","id":11,"method":"tools/list"}'
expect_jq '.result.tools[0].name == "echo"' "tools/list"
mcp_post '{"jsonrpc":"2.0","id":12,"method":"resources/list"}'
expect_jq '.error.code == -32601' "resources/list is not offered: -32601"
mcp_post 'nonsense'
expect_jq '.error.code == -32700' "parse errors"

scenario "The same server on the 2026-07-28 wire" \
  "server/discover instead of initialize; every result says resultType complete; the lists say how long they stay fresh."
mcp_post_2026 server/discover '{}'
expect_status 200 "server/discover"
expect_jq '.result.supportedVersions == ["2026-07-28"]' "  … supportedVersions: [2026-07-28]"
expect_jq '.result.capabilities.tools and .result.capabilities.prompts' "  … the same capabilities as initialize"
expect_jq '.result._meta["io.modelcontextprotocol/serverInfo"].name == "mcp-auth-step-by-step"' "  … the server names itself in _meta"
expect_jq '.result.resultType == "complete" and .result.ttlMs == 60000 and .result.cacheScope == "public"' \
  "  … resultType complete, ttlMs 60000, cacheScope public (no token: everyone gets the same answer)"
mcp_post_2026 tools/list '{}'
expect_jq '.result.tools[0].name == "echo" and .result.resultType == "complete" and .result.cacheScope == "public"' "tools/list, with its cache hints"
mcp_post_2026 tools/call '{"name":"echo","arguments":{"message":"hi","repeat_count":2}}'
expect_jq '.result.structuredContent.echo == "hihi" and .result.resultType == "complete" and (.result | has("ttlMs") | not)' \
  "tools/call echo (Mcp-Name: echo); a call result has no cache hints"
mcp_post_2026 tools/call '{"name":"nope","arguments":{}}'
expect_status 200 "an unknown tool is still an answer on HTTP 200"
expect_jq '.error.code == -32602' "  … -32602, in-band"
mcp_post_2026 initialize '{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}'
expect_status 404 "initialize does not exist on this wire"
mcp_post_2026 prompts/get '{"name":"echo_prompt","arguments":{"message":"hi"}}'
expect_jq '.result.messages[0].content.text == "Please process this message: hi"' "prompts/get (Mcp-Name: echo_prompt)"

scenario "The echo is capped" "A 900 KB message × 10 would make a 18 MB answer from a 1 MB request; message × repeat_count may be at most 64 KiB."
python3 -c 'import json; print(json.dumps({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":{"message":"x"*900000,"repeat_count":10}}}))' > "$WORK/amplify.json"
http POST /mcp -H 'Content-Type: application/json' --data-binary "@$WORK/amplify.json"
expect_status 200 "answered in-band"
expect_jq '.result.isError == true' "as a tool error the model can read"
check "the answer is small ($(wc -c <"$BODY_FILE") bytes)" test "$(wc -c <"$BODY_FILE")" -lt 1000

finish
