"""A loopback HTTP proxy that adds `Authorization: Bearer TOKEN` to every request.

    python bearer_proxy.py LISTEN_PORT UPSTREAM_URL TOKEN_FILE

The conformance suite's server mode sends no credentials, so to run its scenarios against a
protected server (step 12) this stands in front and adds a token read from TOKEN_FILE, as an
MCP client with a token would. Request and answer bodies pass through unchanged (the server's
answers here are JSON, not streams). Test use only: it binds 127.0.0.1.
"""

import http.client
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
UPSTREAM = urllib.parse.urlsplit(sys.argv[2])
with open(sys.argv[3], encoding="utf-8") as f:
    TOKEN = f.read().strip()
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer"}


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | {"host", "authorization"}}
        headers["Host"] = UPSTREAM.netloc
        headers["Authorization"] = f"Bearer {TOKEN}"
        upstream = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=60)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
        except OSError as err:
            self.send_error(502, f"upstream: {err}")
            return
        finally:
            upstream.close()
        self.send_response(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in HOP_BY_HOP | {"content-length"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = do_OPTIONS = forward

    def log_message(self, *args) -> None:
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Proxy).serve_forever()
