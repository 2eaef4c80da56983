// MCP Inspector's web UI, driven in a real headless Chromium (Debian's, via playwright-core): what a
// learner clicks through against step 10. scripts/test_browser.sh starts everything and runs this.
//
//   node browser_flow.mjs --inspector URL --user NAME --password PW --shots DIR
//                         [--expect-step-up SCOPE | --step-up SCOPE]
//
// Connect → the provider's login page → consent → back in Inspector, connected → Tools → echo.
// With --expect-step-up, the call must be refused and Inspector must ask to authorize SCOPE.
// With --step-up, the same, and then Authorize → consent to SCOPE → the call succeeds.
// One line per check ("ok - …" / "not ok - …"), a screenshot per stage in DIR; exits 1 on failure.
import { chromium } from "playwright-core";

const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const inspector = option("--inspector");
const user = option("--user");
const password = option("--password");
const shots = option("--shots");
const stepUp = option("--expect-step-up") ?? option("--step-up");
// --step-up SCOPE: expect the step-up dialog, authorize, and then the call must succeed.
const completeStepUp = option("--step-up") !== undefined;
const chromiumPath = option("--chromium") ?? "/usr/bin/chromium";
const mcp = option("--mcp");
if (!inspector || !user || !password || !shots) {
  console.error("usage: node browser_flow.mjs --inspector URL --user NAME --password PW --shots DIR [--expect-step-up SCOPE]");
  process.exit(2);
}

let failed = 0;
function check(ok, what, detail) {
  console.log(ok ? `  ok - ${what}` : `  not ok - ${what}${detail ? `: ${detail}` : ""}`);
  if (!ok) failed++;
  return ok;
}

const browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
page.setDefaultTimeout(20_000);
// Which requests the browser itself sends to the MCP server (Inspector 2.x proxies through its backend).
const toServer = [];
page.on("request", (r) => {
  if (mcp && new URL(r.url()).origin === new URL(mcp).origin) toServer.push(`${r.method()} ${r.url()}`);
});
let shot = 0;
const snap = async (name) => page.screenshot({ path: `${shots}/${user}-${String(++shot).padStart(2, "0")}-${name}.png` });

try {
  await page.goto(inspector, { waitUntil: "load" });
  await page.getByText("Disconnected").waitFor();
  await snap("inspector");
  check(await page.getByText("Disconnected").isVisible(), "Inspector shows the server, disconnected");

  // Connect: the 401 sends Inspector through discovery and registration to the provider's login page.
  await page.locator('[role="switch"], input[type="checkbox"]').first().click({ force: true });
  await page.getByLabel("Username").waitFor();
  const login = new URL(page.url());
  check(login.pathname.includes("/realms/mcp-realm/"), "Connect leads to the provider's sign-in page", page.url());
  await snap("login");
  await page.getByLabel("Username").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: /sign in/i }).click();

  // Consent, for a client that registered itself a moment ago.
  await page.getByRole("button", { name: "Yes" }).waitFor();
  await snap("consent");
  check(new URL(page.url()).pathname.includes("/realms/mcp-realm/") && await page.getByRole("button", { name: "Yes" }).isVisible(),
    "the provider asks for consent", page.url());
  await page.getByRole("button", { name: "Yes" }).click();

  // Back in Inspector, with a token.
  await page.getByText("Connected", { exact: true }).waitFor();
  check(new URL(page.url()).origin === new URL(inspector).origin, "redirected back to Inspector", page.url());
  check(await page.getByText("Authentication succeeded").isVisible(), "Inspector says the authorization succeeded");
  await snap("connected");

  await page.getByText("Tools", { exact: true }).first().click();
  await page.getByRole("button", { name: /Echo/ }).first().waitFor();
  check(await page.getByRole("button", { name: /Echo/ }).first().isVisible(), "tools/list shows echo");
  await page.getByRole("button", { name: /Echo/ }).first().click();
  await page.getByLabel("message").first().fill("hello from the browser");
  await page.getByLabel("repeat_count").first().fill("2");
  await snap("tool");
  await page.getByRole("button", { name: "Execute Tool" }).click();

  if (stepUp) {
    const dialog = page.getByText("Additional permissions required");
    await dialog.waitFor();
    await page.waitForTimeout(500); // let the dialog's fade-in settle before the screenshot
    const text = await page.locator('[role="dialog"]').innerText();
    check(text.includes(stepUp), `the call is refused and Inspector asks to authorize ${stepUp} (step-up)`, text.slice(0, 300));
    await snap("step-up");
  }
  if (stepUp && completeStepUp) {
    // Authorize: back to the provider, which asks only for the consent to the new scope
    // (the sign-in session is still there), then back to Inspector with a wider token.
    await page.getByRole("button", { name: "Authorize" }).click();
    await page.waitForURL((url) => url.pathname.includes("/realms/mcp-realm/"));
    if (await page.getByLabel("Username").isVisible().catch(() => false)) {
      await page.getByLabel("Username").fill(user);
      await page.getByLabel("Password").fill(password);
      await page.getByRole("button", { name: /sign in/i }).click();
    }
    await page.getByRole("button", { name: "Yes" }).waitFor();
    const consent = await page.locator("body").innerText();
    check(consent.includes(stepUp), `the provider asks to consent to ${stepUp}`, consent.slice(0, 200));
    await snap("step-up-consent");
    await page.getByRole("button", { name: "Yes" }).click();
    await page.getByText("Connected", { exact: true }).waitFor();
    check(new URL(page.url()).origin === new URL(inspector).origin, "back in Inspector after the step-up", page.url());
    await page.getByText("Tools", { exact: true }).first().click();
    await page.getByRole("button", { name: /Echo/ }).first().click();
    await page.getByLabel("message").first().fill("hello from the browser");
    await page.getByLabel("repeat_count").first().fill("2");
    await page.getByRole("button", { name: "Execute Tool" }).click();
  }
  if (!stepUp || completeStepUp) {
    await page.getByText("Structured Output").waitFor();
    const body = await page.locator("body").innerText();
    check(body.includes("hello from the browserhello from the browser"), "tools/call echo answers, repeated twice");
    await snap("result");
  }
  if (mcp) {
    check(toServer.length === 0, "the browser itself sent nothing to the MCP server (Inspector's backend did)", toServer.slice(0, 3).join(", "));
  }
} catch (err) {
  check(false, "the flow completed", String(err?.message ?? err).split("\n")[0]);
  await snap("failure").catch(() => {});
} finally {
  await browser.close();
}
console.log(`${user}: ${failed === 0 ? "all checks passed" : `${failed} failed`}`);
process.exit(failed === 0 ? 0 : 1);
