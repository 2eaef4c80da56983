// The official TypeScript SDK v2's own OAuth machinery (@modelcontextprotocol/client) against step 10
// and the identity provider — the least-privilege path, with no pre-minted token:
//
//   node sdk_oauth_stepup.mjs URL --user NAME --password PW --expect allowed|refused [--negotiation legacy|2026-07-28]
//
// The SDK meets the 401, registers itself (RFC 7591), signs in for the scope the 401 names
// (mcp:read) and lists the tools; getPrompt then meets 403 insufficient_scope naming mcp:prompts,
// and the SDK signs in again for the union. "allowed": the call then succeeds; "refused" (a user
// whose roles do not allow it): it ends refused after that one step-up — the SDK v2 stops with
// UnauthorizedError after each redirect, and this application does not call again with a token
// that still lacks mcp:prompts (calling again would only start another sign-in). The "browser" is
// scripts/browser_login.sh, which signs in and consents and hands back the redirect. An
// interactive SDK flow stops with UnauthorizedError after redirecting; this script then calls
// transport.finishAuth(code) and tries again, as an application does.
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from "@modelcontextprotocol/client";

const args = process.argv.slice(2);
const option = (name) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
const url = args[0];
const user = option("--user");
const password = option("--password");
const expect = option("--expect");
const negotiation = option("--negotiation") ?? "legacy";
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const label = `TypeScript SDK v2 OAuth (${negotiation}, ${user})`;

let passed = 0;
let failed = 0;
function check(ok, what, detail) {
  console.log(ok ? `  ok - ${label}: ${what}` : `  not ok - ${label}: ${what}${detail === undefined ? "" : `: ${JSON.stringify(detail)}`}`);
  if (ok) passed++; else failed++;
}

const asked = []; // the scope of each authorization request
let redirect = null; // where the "browser" ended: our redirect URI with ?code&state&iss
const provider = {
  redirectUrl: "http://127.0.0.1:48124/callback",
  clientMetadata: {
    client_name: "TypeScript SDK v2 step-up test",
    redirect_uris: ["http://127.0.0.1:48124/callback"],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
  },
  state: () => "s" + Math.random().toString(36).slice(2),
  clientInformation() { return this._client; },
  saveClientInformation(info) { this._client = info; },
  tokens() { return this._tokens; },
  saveTokens(tokens) { this._tokens = tokens; },
  saveCodeVerifier(verifier) { this._verifier = verifier; },
  codeVerifier() { return this._verifier; },
  redirectToAuthorization(authorizationUrl) {
    asked.push(authorizationUrl.searchParams.get("scope") ?? "");
    redirect = execFileSync(join(root, "scripts/browser_login.sh"), [authorizationUrl.toString()], {
      env: { ...process.env, BROWSER_USER: user, BROWSER_PASSWORD: password, BROWSER_DELIVER: "0" },
      encoding: "utf8",
    }).trim();
  },
};

const statuses = [];
const fetchRecording = async (input, init) => {
  const response = await fetch(input, init);
  if (String(input).endsWith("/mcp")) statuses.push(response.status);
  return response;
};
const newTransport = () => new StreamableHTTPClientTransport(new URL(url), { authProvider: provider, fetch: fetchRecording });
let transport = newTransport();
const mode = negotiation === "legacy" ? "legacy" : { pin: negotiation };
const client = new Client({ name: "step-up test", version: "1" }, { versionNegotiation: { mode } });

// Run fn; after the SDK redirected (UnauthorizedError), finish the authorization and run it again
// (a connect that failed needs a new transport: the old one counts as started).
// `needs`: a scope the call needs; when the step-up's token still lacks it (the user may not have
// it), the call is not retried — a retry would only meet the same 403 and start another sign-in.
async function authorized(fn, { connecting = false, needs } = {}) {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof UnauthorizedError) || !redirect) throw err;
      const back = new URL(redirect);
      redirect = null;
      await transport.finishAuth(back.searchParams.get("code"), back.searchParams.get("iss") ?? undefined);
      if (connecting) transport = newTransport();
      const granted = (provider.tokens()?.scope ?? "").split(" ");
      if (needs && !granted.includes(needs)) throw new Error(`the provider granted no ${needs}: refused`);
    }
  }
  throw new Error("still unauthorized after three sign-ins");
}

try {
  await authorized(() => client.connect(transport), { connecting: true });
  await authorized(() => client.listTools());
  const first = (asked[0] ?? "").split(" ").filter((s) => s.startsWith("mcp:"));
  check(first.length === 1 && first[0] === "mcp:read", "the first sign-in asks only for the scope the 401 named, mcp:read", asked);
  let outcome;
  try {
    outcome = await authorized(() => client.getPrompt({ name: "echo_prompt", arguments: { message: "x" } }), { needs: "mcp:prompts" });
  } catch (err) {
    outcome = err;
  }
  check(statuses.includes(403), "getPrompt met 403 insufficient_scope", statuses);
  check(asked.length === 2, "exactly one step-up sign-in, no loop", asked);
  const second = (asked[1] ?? "").split(" ");
  check(second.includes("mcp:read") && second.includes("mcp:prompts"), "the step-up asks for the union, mcp:read and mcp:prompts", asked);
  if (expect === "allowed") {
    check(!(outcome instanceof Error) && outcome?.messages?.length === 1, "getPrompt succeeds after the step-up", String(outcome));
  } else {
    check(outcome instanceof Error && statuses.filter((s) => s === 403).length === 1,
      "a user the roles do not allow ends refused after the one step-up (the wider token lacks mcp:prompts)", { outcome: String(outcome), statuses });
  }
} catch (err) {
  check(false, "the flow completed", String(err?.message ?? err));
} finally {
  await client.close().catch(() => {});
}
console.log(`${label}: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
