#!/usr/bin/env bash
# Step 2: POST /mcp speaks JSON-RPC 2.0 — ping, and every way a message can be wrong.
source "$(dirname "$0")/lib.sh"
parse_args "$@"
build_and_start step2

scenario "Ping" "The one method step 2 knows: the answer is an empty object with the request's id."
mcp_post '{"jsonrpc":"2.0","id":1,"method":"ping"}'
expect_status 200 "ping is answered"
expect_jq '. == {"jsonrpc":"2.0","id":1,"result":{}}' "the response is exactly {jsonrpc, id: 1, result: {}}"
mcp_post '{"jsonrpc":"2.0","id":"req-7","method":"ping"}'
expect_jq '.id == "req-7"' "string ids are echoed verbatim"

scenario "Unknown method" "A well-formed request for a method we do not serve: -32601 with its id (the original's step 2 answered HTTP 400, its step 4 on HTTP 500)."
mcp_post '{"jsonrpc":"2.0","id":42,"method":"tools/list"}'
expect_status 200 "unknown methods are not a server error"
expect_jq '.error.code == -32601 and .id == 42' "error -32601 carries the request's id"

scenario "Not JSON" "The text cannot be read, so the id cannot be known: -32700 with id null."
mcp_post '{"jsonrpc": "2.0", "id": 1, "method": "ping"'
expect_status 400 "malformed JSON is a client error"
expect_jq '.error.code == -32700 and .id == null' "error -32700 with id null"
expect_header content-type '^application/json' "the error is JSON, not text/plain"

scenario "Not a request" "JSON, but not a JSON-RPC 2.0 request object: -32600."
for body in '[{"jsonrpc":"2.0","id":1,"method":"ping"}]' '{"jsonrpc":"1.0","id":1,"method":"ping"}' \
            '{"jsonrpc":"2.0","id":1}' '{"jsonrpc":"2.0","id":1,"method":42}' \
            '{"jsonrpc":"2.0","id":null,"method":"ping"}' '{"jsonrpc":"2.0","id":[1],"method":"ping"}' '"ping"'; do
  mcp_post "$body"
  expect_status 400 "refused: $body"
  expect_jq '.error.code == -32600' "  … with -32600"
done

scenario "Notifications and responses" "No id means nobody waits for an answer: 202 and an empty body (the original sent 'null')."
mcp_post '{"jsonrpc":"2.0","method":"notifications/initialized"}'
expect_status 202 "a notification is accepted"
expect_empty_body "with an empty body"
mcp_post '{"jsonrpc":"2.0","id":9,"result":{}}'
expect_status 202 "a client response is accepted"
expect_empty_body "with an empty body"

scenario "Transport rules" "Content-Type, body size and protocol version are checked before any method runs."
http POST /mcp -H 'Content-Type: text/plain' --data-binary '{"jsonrpc":"2.0","id":1,"method":"ping"}'
expect_status 415 "text/plain is Unsupported Media Type"
expect_jq '.id == 1' "  … and the error still carries the request's id"
head -c $((4 * 1024 * 1024)) /dev/zero | tr '\0' 'x' > "$WORK/big.json"
http POST /mcp -H 'Content-Type: application/json' --data-binary "@$WORK/big.json"
expect_status 413 "a 4 MiB body is Payload Too Large"
mcp_post '{"jsonrpc":"2.0","id":1,"method":"ping"}' -H 'MCP-Protocol-Version: 1999-01-01'
expect_status 400 "an unsupported MCP-Protocol-Version is refused"
expect_jq '.error.code == -32022 and .error.data.requested == "1999-01-01" and (.error.data.supported | index("2025-11-25"))' \
  "  … with -32022, naming what was asked and what we speak"
mcp_post '{"jsonrpc":"2.0","id":1,"method":"ping"}' -H 'MCP-Protocol-Version: 2025-06-18'
expect_status 200 "a supported MCP-Protocol-Version is fine"

scenario "The 2026-07-28 wire" \
  "A request that names its version in _meta is a 2026-07-28 request: no handshake, and its headers must mirror its body."
mcp_post_2026 ping '{}'
expect_status 404 "ping does not exist on the 2026 wire"
expect_jq '.error.code == -32601 and .id == 1' "  … -32601 with the request's id"
mcp_post_2026 tools/list '{}'
expect_status 404 "step 2 has no tools/list: on this wire an unknown method is 404"
V='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}'
mcp_post "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\",\"params\":{$V}}" -H 'Mcp-Method: tools/list'
expect_status 400 "_meta names 2026-07-28 but the MCP-Protocol-Version header is missing"
expect_jq '.error.code == -32020 and .id == 3' "  … -32020 HeaderMismatch, with the id"
mcp_post "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/list\",\"params\":{$V}}" -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: prompts/list'
expect_status 400 "Mcp-Method says prompts/list, the body says tools/list"
expect_jq '.error.code == -32020' "  … -32020: a gateway routing on the header would run something else"
mcp_post "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",$V}}" -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H 'Mcp-Name: delete_everything'
expect_status 400 "Mcp-Name names another tool than params.name"
expect_jq '.error.code == -32020' "  … -32020"
mcp_post '{"jsonrpc":"2.0","id":6,"method":"tools/list","params":{}}' -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/list'
expect_status 400 "the 2026 header without the _meta envelope"
expect_jq '.error.code == -32602' "  … -32602 Invalid params"
mcp_post "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\",\"params\":{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2099-01-01\",\"io.modelcontextprotocol/clientCapabilities\":{}}}}" -H 'MCP-Protocol-Version: 2099-01-01' -H 'Mcp-Method: tools/list'
expect_status 400 "a version from the future"
expect_jq '.error.code == -32022 and .error.data.supported == ["2026-07-28"] and .error.data.requested == "2099-01-01"' \
  "  … -32022 UnsupportedProtocolVersion: supported [2026-07-28], requested 2099-01-01 (what clients retry with)"

scenario "Methods other than POST" "A stateless server offers no SSE stream (GET) and no session to end (DELETE)."
http GET /mcp
expect_status 405 "GET /mcp"
expect_header allow '^POST$' "Allow: POST"
http DELETE /mcp
expect_status 405 "DELETE /mcp"

scenario "The guard still applies" "Step 1's Origin check wraps the new route too."
mcp_post '{"jsonrpc":"2.0","id":1,"method":"ping"}' -H 'Origin: http://localhost.evil.example'
expect_status 403 "a foreign Origin cannot POST /mcp"

scenario "Garbage never causes a 5xx" "Random bytes, odd encodings, deep nesting."
head -c 2048 /dev/urandom > "$WORK/noise"
http POST /mcp -H 'Content-Type: application/json' --data-binary "@$WORK/noise"
expect_not_5xx "2 KiB of random bytes"
python3 -c 'print("["*100000 + "]"*100000)' > "$WORK/deep.json"
http POST /mcp -H 'Content-Type: application/json' --data-binary "@$WORK/deep.json"
expect_not_5xx "100 000 nested arrays"
printf '\xff\xfe{"jsonrpc":"2.0"}' > "$WORK/bom.json"
http POST /mcp -H 'Content-Type: application/json' --data-binary "@$WORK/bom.json"
expect_not_5xx "a UTF-16 byte-order mark"
check "the server is still alive" kill -0 "$SERVER_PID"

scenario "A request cannot forge a log line" "A method name with a newline and an ANSI escape, logged at debug level: escaped, so it stays on its own line."
stop_server
RUST_LOG=debug start_server step2
mcp_post '{"jsonrpc":"2.0","method":"x\nFORGED-LINE admin logged in \u001b[31m"}'
expect_status 202 "the notification is accepted"
mcp_post '{"jsonrpc":"2.0","id":1,"method":"y\nFORGED-LINE again"}'
expect_status 200 "the unknown method is answered"
check "no log line starts with the forged text" bash -c "! grep -q '^FORGED-LINE' '$SERVER_LOG'"
check "no raw escape character reached the log" bash -c "! grep -q \$'\\e' '$SERVER_LOG'"
check "the method is in the log, escaped (\\n)" grep -qF 'x\nFORGED-LINE' "$SERVER_LOG"

scenario "A body that never arrives" "Content-Length: 1000 and one byte, then silence: step 1's --request-timeout answers 408 and closes."
stop_server
start_server step2 --request-timeout 2s
SLOW="$(python3 "$ROOT/scripts/slow_client.py" "$PORT" short-body)"
echo "  $SLOW"
check "408 Request Timeout, connection closed after $(jq .seconds <<<"$SLOW") s (--request-timeout 2s)" \
  test "$(jq '.closed and .status == 408 and .seconds < 5' <<<"$SLOW")" = true

finish
