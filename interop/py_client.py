"""The official MCP Python SDK client (`mcp`, pinned in scripts/test_interop.sh) against one of our servers.

    python py_client.py URL [--mode auto|legacy|2026-07-28] [--token T] [--narrow] [--expect-unauthorized]

--mode        auto (the SDK's default: probe server/discover, fall back to initialize),
              legacy (initialize only), or a modern version to use without a probe
--token T     send "Authorization: Bearer T"
--narrow      the token lacks mcp:prompts: prompts/get must be refused with 403 naming it
--expect-unauthorized
              connecting (no token) must fail with 401
--server-name the serverInfo name to expect (default mcp-auth-step-by-step)
--tools A,B   the tool names to expect, sorted (default echo; step 12 has three)

Prints one line per check and "N passed, N failed"; exits 1 on any failure.
"""

import argparse
import asyncio
import json
import sys

import httpx2
from mcp.client.client import Client
from mcp.client.streamable_http import streamable_http_client

results = {"passed": 0, "failed": 0}


def check(ok: bool, what: str, detail: object = "") -> None:
    results["passed" if ok else "failed"] += 1
    print(f"  {'ok' if ok else 'not ok'} - {what}{'' if ok or not detail else f': {detail}'}")


def describe(err: BaseException) -> str:
    """The error and everything it wraps, as one line (the SDK nests HTTP errors in groups)."""
    parts = [f"{type(err).__name__}: {err}"]
    for attr in ("error", "response", "__cause__", "__context__"):
        inner = getattr(err, attr, None)
        if inner is not None and inner is not err:
            parts.append(str(getattr(inner, "text", "") or inner))
    for inner in getattr(err, "exceptions", ()):
        parts.append(describe(inner))
    return " | ".join(parts)


async def run(args: argparse.Namespace) -> None:
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    # Without an OAuth provider the SDK reports a 401 as a generic error (-32603), so the
    # statuses the server answered with are recorded here and checked directly.
    seen: list[tuple[int, str]] = []

    async def record(response: httpx2.Response) -> None:
        seen.append((response.status_code, response.headers.get("www-authenticate", "")))

    http = httpx2.AsyncClient(headers=headers, event_hooks={"response": [record]})
    transport = streamable_http_client(args.url, http_client=http)
    label = f"Python SDK ({args.mode})"
    if args.expect_unauthorized:
        try:
            # A pinned client sends nothing until its first call, so make one.
            async with Client(transport, mode=args.mode) as client:
                await client.list_tools()
                check(False, "a client without a token is refused", "list_tools succeeded")
        except BaseException:  # noqa: BLE001 - the SDK raises groups and its own errors
            challenged = [s for s, challenge in seen if s == 401 and challenge.startswith("Bearer ")]
            check(bool(challenged) and all(s == 401 for s, _ in seen),
                  "a client without a token is refused: 401 with a Bearer challenge", seen)
        return
    async with Client(transport, mode=args.mode) as client:
        modern = client.protocol_version == "2026-07-28"
        check(modern == (args.mode != "legacy"), f"{label}: connected at {client.protocol_version}")
        if args.mode in ("auto", "legacy"):
            info = client.server_info
            check(info is not None and info.name == args.server_name, f"serverInfo.name is {args.server_name}", info)
        else:
            # A pinned client does not probe (the SDK synthesizes its discover result), so ask.
            found = await client.session.send_discover(args.mode)
            server = found.get("_meta", {}).get("io.modelcontextprotocol/serverInfo", {})
            check(server.get("name") == args.server_name and "2026-07-28" in found.get("supportedVersions", []),
                  "server/discover names the server and lists 2026-07-28", found)

        tools = (await client.list_tools()).tools
        expected = args.tools.split(",")
        check(sorted(t.name for t in tools) == expected, f"list_tools returns {', '.join(expected)}", tools)

        result = await client.call_tool("echo", {"message": "hello py", "repeat_count": 2})
        text = result.content[0].text if result.content else None
        # The text block is the echo (steps 4-10), or the structured result serialized, as the
        # spec suggests for structured content and rmcp does (step 12).
        try:
            serialized = json.loads(text or "").get("echo") if (text or "").startswith("{") else None
        except ValueError:
            serialized = None
        check("hello pyhello py" in (text, serialized), "call_tool echo returns the repeated text", result)
        check((result.structured_content or {}).get("echo") == "hello pyhello py", "call_tool echo returns structuredContent")

        prompts = (await client.list_prompts()).prompts
        check([p.name for p in prompts] == ["echo_prompt"], "list_prompts returns echo_prompt", prompts)
        if args.narrow:
            try:
                await client.get_prompt("echo_prompt", {"message": "hi"})
                check(False, "get_prompt without mcp:prompts is refused", "it succeeded")
            except BaseException as err:  # noqa: BLE001
                text = describe(err)
                check(any(s == 403 and "insufficient_scope" in c and "mcp:prompts" in c for s, c in seen),
                      "get_prompt without mcp:prompts is refused: 403 naming mcp:prompts", text[:400])
        else:
            prompt = await client.get_prompt("echo_prompt", {"message": "hi"})
            check(prompt.messages[0].content.text == "Please process this message: hi", "get_prompt fills the template", prompt)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("--mode", default="auto")
    parser.add_argument("--token")
    parser.add_argument("--narrow", action="store_true")
    parser.add_argument("--expect-unauthorized", action="store_true")
    parser.add_argument("--server-name", default="mcp-auth-step-by-step")
    parser.add_argument("--tools", default="echo")
    args = parser.parse_args()
    try:
        asyncio.run(run(args))
    except BaseException as err:  # noqa: BLE001
        check(False, "the Python SDK client completed its calls", describe(err)[:800])
    print(f"Python SDK ({args.mode}): {results['passed']} passed, {results['failed']} failed")
    sys.exit(0 if results["failed"] == 0 else 1)


if __name__ == "__main__":
    main()
