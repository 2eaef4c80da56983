#!/usr/bin/env python3
"""storm.py URL TOKEN N — N concurrent POSTs of tools/list to URL with a bearer token.

Opens all N connections first, then sends every request at once (asyncio, raw HTTP/1.1),
and prints the count of each status code as JSON, e.g. {"200": 1000}. Loopback only;
bounded by N and a 60 s deadline. The connections come from 200 loopback addresses
(127.0.1.0 … 127.0.1.199), as N clients would: the server gives each address only a share
of its connections (--max-connections-per-client).
"""
import asyncio
import json
import sys
from urllib.parse import urlsplit

BODY = b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}'


async def one(host, port, path, token, go, n):
    try:
        reader, writer = await asyncio.open_connection(host, port, local_addr=(f"127.0.1.{n % 200}", 0))
    except OSError:
        return "connect-error"
    await go.wait()
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {len(BODY)}\r\nConnection: close\r\n\r\n"
    ).encode() + BODY
    writer.write(request)
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    parts = status_line.split()
    return parts[1].decode() if len(parts) > 1 else "no-answer"


async def main(url, token, n):
    split = urlsplit(url)
    go = asyncio.Event()
    tasks = [asyncio.create_task(one(split.hostname, split.port, split.path, token, go, i)) for i in range(n)]
    await asyncio.sleep(0.5)  # let the connections open
    go.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    counts = {}
    for status in results:
        counts[status] = counts.get(status, 0) + 1
    print(json.dumps(counts, sort_keys=True))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
