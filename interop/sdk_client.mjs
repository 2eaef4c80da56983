// The official MCP TypeScript SDK client against one of our servers.
//
//   node sdk_client.mjs URL                      initialize, listTools, callTool echo,
//                                                 listPrompts, getPrompt — all must succeed
//   node sdk_client.mjs URL --token T            the same, sending "Authorization: Bearer T"
//   node sdk_client.mjs URL --expect-unauthorized
//                                                 connecting must fail with 401 (no token)
//   add --no-prompts when the token's scopes do not cover prompts
//
// Prints one line per check and ends with "N passed, N failed"; exits 1 on any failure.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const args = process.argv.slice(2);
const url = args.find((a) => !a.startsWith("--") && args[args.indexOf(a) - 1] !== "--token");
const tokenAt = args.indexOf("--token");
const token = tokenAt >= 0 ? args[tokenAt + 1] : undefined;
const expectUnauthorized = args.includes("--expect-unauthorized");
const withPrompts = !args.includes("--no-prompts");
if (!url) {
  console.error("usage: node sdk_client.mjs URL [--token T] [--expect-unauthorized] [--no-prompts]");
  process.exit(2);
}

let passed = 0;
let failed = 0;
function check(ok, what, detail) {
  if (ok) {
    passed++;
    console.log(`  ok - ${what}`);
  } else {
    failed++;
    console.log(`  not ok - ${what}${detail ? `: ${detail}` : ""}`);
  }
}

const headers = token ? { Authorization: `Bearer ${token}` } : {};
const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
const client = new Client({ name: "sdk-interop-check", version: "1.0.0" });

try {
  if (expectUnauthorized) {
    try {
      await client.connect(transport);
      check(false, "connecting without a token is refused", "connect succeeded");
    } catch (err) {
      const text = String(err?.message ?? err);
      check(/401|unauthori[sz]ed/i.test(text) || err?.code === 401, "connecting without a token is refused with 401", text);
    }
  } else {
    await client.connect(transport);
    const version = client.getServerVersion();
    check(version?.name === "mcp-auth-step-by-step", "initialize: serverInfo.name", JSON.stringify(version));

    const { tools } = await client.listTools();
    check(tools.length === 1 && tools[0].name === "echo", "listTools returns the echo tool", JSON.stringify(tools));

    const result = await client.callTool({ name: "echo", arguments: { message: "hello sdk", repeat_count: 2 } });
    check(result.content?.[0]?.text === "hello sdk hello sdk", "callTool echo returns the repeated text", JSON.stringify(result));
    check(result.structuredContent?.echo === "hello sdk hello sdk", "callTool echo returns structuredContent (validated by the SDK against outputSchema)");

    if (withPrompts) {
      const { prompts } = await client.listPrompts();
      check(prompts.length === 1 && prompts[0].name === "echo_prompt", "listPrompts returns echo_prompt", JSON.stringify(prompts));
      const prompt = await client.getPrompt({ name: "echo_prompt", arguments: { message: "hi" } });
      check(prompt.messages?.[0]?.content?.text === "Please process this message: hi", "getPrompt fills the template", JSON.stringify(prompt));
    }
  }
} catch (err) {
  check(false, "the SDK client completed its calls", String(err?.stack ?? err));
} finally {
  await client.close().catch(() => {});
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
