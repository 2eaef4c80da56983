// The official MCP TypeScript SDK clients against one of our servers.
//
//   node sdk_client.mjs URL [options]
//
//   --sdk v1|v2            v1: @modelcontextprotocol/sdk 1.x (2025 handshake only; the default)
//                          v2: @modelcontextprotocol/client 2.x
//   --negotiation MODE     v2 only: legacy (initialize), auto (probe server/discover, fall back),
//                          or a version to pin, e.g. 2026-07-28 (no fallback)
//   --token T              send "Authorization: Bearer T"
//   --narrow               the token lacks mcp:prompts: prompts/list is allowed, but prompts/get
//                          must be refused with 403 naming the scope to step up to
//   --expect-unauthorized  connecting (no token) must fail with 401
//   --server-name NAME     the serverInfo name to expect (default mcp-auth-step-by-step)
//   --tools A,B            the tool names to expect, sorted (default echo; step 12 has three)
//
// Checks: connect (and the era it chose), listTools, callTool echo (structuredContent validated
// by the SDK), listPrompts, getPrompt. Prints one line per check and "N passed, N failed";
// exits 1 on any failure.

const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const valued = new Set(["--sdk", "--negotiation", "--token", "--server-name", "--tools"]);
const url = args.find((a, i) => !a.startsWith("--") && !valued.has(args[i - 1]));
const sdk = option("--sdk") ?? "v1";
const negotiation = option("--negotiation");
const token = option("--token");
const narrow = args.includes("--narrow");
const expectUnauthorized = args.includes("--expect-unauthorized");
const serverName = option("--server-name") ?? "mcp-auth-step-by-step";
const toolNames = (option("--tools") ?? "echo").split(",");
if (!url || !["v1", "v2"].includes(sdk) || (negotiation && sdk !== "v2")) {
  console.error("usage: node sdk_client.mjs URL [--sdk v1|v2] [--negotiation legacy|auto|VERSION] [--token T] [--narrow] [--expect-unauthorized]");
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

// Everything an SDK error may carry, as one string: message, status, body text.
function describe(err) {
  return [err?.message, err?.code, err?.status, err?.data?.status, err?.data?.text, err?.cause?.message]
    .filter((x) => x !== undefined)
    .join(" | ");
}

async function makeClient() {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const info = { name: "sdk-interop-check", version: "1.0.0" };
  if (sdk === "v1") {
    const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
    const { StreamableHTTPClientTransport } = await import("@modelcontextprotocol/sdk/client/streamableHttp.js");
    return { client: new Client(info), transport: new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }) };
  }
  const { Client, StreamableHTTPClientTransport } = await import("@modelcontextprotocol/client");
  const mode = negotiation === undefined || negotiation === "legacy" || negotiation === "auto" ? negotiation : { pin: negotiation };
  const options = mode === undefined ? {} : { versionNegotiation: { mode } };
  return { client: new Client(info, options), transport: new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }) };
}

const { client, transport } = await makeClient();
const label = sdk === "v1" ? "SDK 1.x" : `SDK v2 (${negotiation ?? "default"})`;
try {
  if (expectUnauthorized) {
    try {
      await client.connect(transport);
      check(false, "connecting without a token is refused", "connect succeeded");
    } catch (err) {
      check(/401|unauthori[sz]ed|requires authorization/i.test(describe(err)), "connecting without a token is refused with 401", describe(err));
    }
  } else {
    await client.connect(transport);
    if (sdk === "v2") {
      const era = client.getProtocolEra();
      const expected = negotiation === undefined || negotiation === "legacy" ? "legacy" : "modern";
      check(era === expected, `${label}: connected in the ${expected} era (${client.getNegotiatedProtocolVersion?.() ?? "?"})`, `era ${era}`);
    }
    const version = client.getServerVersion();
    check(version?.name === serverName, `serverInfo.name is ${serverName}`, JSON.stringify(version));

    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort();
    check(JSON.stringify(names) === JSON.stringify(toolNames), `listTools returns ${toolNames.join(", ")}`, JSON.stringify(tools));

    const result = await client.callTool({ name: "echo", arguments: { message: "hello sdk", repeat_count: 2 } });
    // The text block is the echo (steps 4-10), or the structured result serialized, as the spec
    // suggests for structured content and rmcp does (step 12).
    const text = result.content?.[0]?.text;
    const textual = text === "hello sdkhello sdk" || (() => { try { return JSON.parse(text).echo === "hello sdkhello sdk"; } catch { return false; } })();
    check(textual, "callTool echo returns the repeated text", JSON.stringify(result));
    check(result.structuredContent?.echo === "hello sdkhello sdk", "callTool echo returns structuredContent (validated by the SDK against outputSchema)");

    const { prompts } = await client.listPrompts();
    check(prompts.length === 1 && prompts[0].name === "echo_prompt", "listPrompts returns echo_prompt", JSON.stringify(prompts));
    if (narrow) {
      try {
        await client.getPrompt({ name: "echo_prompt", arguments: { message: "hi" } });
        check(false, "getPrompt without mcp:prompts is refused", "it succeeded");
      } catch (err) {
        const text = describe(err);
        // SDK 1.x reports the HTTP 403 with its body; v2 turns the insufficient_scope challenge
        // into a typed InsufficientScopeError naming the scope.
        const refused = /403|forbidden/i.test(text) || err?.name === "InsufficientScopeError";
        check(refused && text.includes("mcp:prompts"), "getPrompt without mcp:prompts is refused: 403 naming mcp:prompts", `${err?.name}: ${text}`);
      }
    } else {
      const prompt = await client.getPrompt({ name: "echo_prompt", arguments: { message: "hi" } });
      check(prompt.messages?.[0]?.content?.text === "Please process this message: hi", "getPrompt fills the template", JSON.stringify(prompt));
    }
  }
} catch (err) {
  check(false, "the SDK client completed its calls", String(err?.stack ?? err));
} finally {
  await client.close().catch(() => {});
}

console.log(`${label}: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
