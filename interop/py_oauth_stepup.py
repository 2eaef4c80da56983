"""The official MCP Python SDK's own OAuth machinery against step 10 and the identity provider: the
least-privilege path of MCP 2025-11-25 (Authorization › Scope Selection Strategy, Scope Challenge
Handling), with no pre-minted token.

    python py_oauth_stepup.py URL --user NAME --password PW --expect allowed|refused [--mode auto|2026-07-28]

The SDK meets the 401 of its first request (the discover probe, initialize, or tools/list), discovers
the provider, registers itself (RFC 7591), and signs in for the scope that 401 names (mcp:read);
prompts/get then gets 403 insufficient_scope naming mcp:prompts,
and the SDK signs in again for the union. "allowed": the second token carries mcp:prompts and the
call succeeds; "refused" (a user whose roles do not allow it): the call ends with the 403 after
that one retry. The "browser" is scripts/browser_login.sh, which signs in and consents like a
person and hands back the redirect (no listener needed). One line per check, then the counts.
"""

import argparse
import asyncio
import os
import subprocess
import urllib.parse
from pathlib import Path

import httpx2
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.client.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

ROOT = Path(__file__).resolve().parent.parent
REDIRECT = "http://127.0.0.1:48123/callback"  # never listened on: the "browser" hands the redirect back
results = {"passed": 0, "failed": 0}


def check(ok: bool, what: str, detail: object = "") -> None:
    results["passed" if ok else "failed"] += 1
    print(f"  {'ok' if ok else 'not ok'} - {what}{'' if ok or not detail else f': {detail}'}")


class Memory:
    """TokenStorage: tokens and the registered client, for this run only."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


async def run(args: argparse.Namespace) -> None:
    asked: list[str] = []  # the scope of each authorization request
    redirects: list[str] = []

    async def redirect_handler(url: str) -> None:
        asked.append(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)).get("scope", ""))
        env = dict(os.environ, BROWSER_USER=args.user, BROWSER_PASSWORD=args.password, BROWSER_DELIVER="0")
        done = await asyncio.to_thread(
            subprocess.run, [str(ROOT / "scripts/browser_login.sh"), url], env=env, capture_output=True, text=True
        )
        redirects.append(done.stdout.strip())

    async def callback_handler() -> AuthorizationCodeResult:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(redirects[-1]).query))
        return AuthorizationCodeResult(code=query.get("code", ""), state=query.get("state"), iss=query.get("iss"))

    provider = OAuthClientProvider(
        server_url=args.url,
        client_metadata=OAuthClientMetadata(
            client_name="Python SDK step-up test",
            redirect_uris=[REDIRECT],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=Memory(),
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )
    statuses: list[int] = []

    async def record(response: httpx2.Response) -> None:
        if response.url.path.endswith("/mcp"):
            statuses.append(response.status_code)

    http = httpx2.AsyncClient(auth=provider, event_hooks={"response": [record]}, timeout=60)
    label = f"Python SDK OAuth ({args.mode}, {args.user})"
    outcome = None
    try:
        async with Client(streamable_http_client(args.url, http_client=http), mode=args.mode) as client:
            # A client pinned to 2026-07-28 sends nothing before its first call: list the tools
            # first (mcp:read), as an application starting up would.
            await client.list_tools()
            first = [scope for scope in (asked[0].split() if asked else []) if scope.startswith("mcp:")]
            # (The SDK adds offline_access when the provider offers it: a refresh token, not a permission.)
            check(first == ["mcp:read"], f"{label}: the first sign-in asks only for the scope the 401 named, mcp:read", asked)
            try:
                outcome = await client.get_prompt("echo_prompt", {"message": "x"})
            except Exception as err:  # the SDK's error for a 403 it could not step past
                outcome = err
    except Exception as err:
        check(False, f"{label}: connected", f"{type(err).__name__}: {err}")
        return
    check(403 in statuses, f"{label}: prompts/get met 403 insufficient_scope", statuses)
    check(len(asked) == 2, f"{label}: exactly one step-up sign-in, no loop", asked)
    check(len(asked) == 2 and "mcp:prompts" in asked[1].split() and "mcp:read" in asked[1].split(),
          f"{label}: the step-up asks for the union, mcp:read and mcp:prompts", asked)
    if args.expect == "allowed":
        check(not isinstance(outcome, Exception) and outcome is not None and len(outcome.messages) == 1,
              f"{label}: prompts/get succeeds after the step-up", outcome)
    else:
        check(isinstance(outcome, Exception) and statuses.count(403) == 2,
              f"{label}: a user the roles do not allow ends with the 403 after one retry", (outcome, statuses))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--expect", choices=["allowed", "refused"], required=True)
    parser.add_argument("--mode", default="auto")
    args = parser.parse_args()
    asyncio.run(run(args))
    print(f"Python SDK OAuth step-up ({args.mode}, {args.user}): {results['passed']} passed, {results['failed']} failed")
    raise SystemExit(1 if results["failed"] else 0)


if __name__ == "__main__":
    main()
