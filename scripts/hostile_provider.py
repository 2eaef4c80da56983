#!/usr/bin/env python3
"""hostile_provider.py PORT MODE — an identity provider that misbehaves on purpose, for steps 9 and 10.

It answers OIDC discovery for the issuer http://127.0.0.1:PORT/realms/mcp-realm, and then:
  MODE huge-jwks        the key set is 400 MiB of chunked JSON, sent as fast as it is read
  MODE huge-discovery   the discovery document itself is 400 MiB, chunked
  MODE inactive         a counting introspection endpoint that says {"active": false} to everything
  MODE insecure-jwks    discovery names a jwks_uri on plain http off loopback (http://keys.invalid/…)
GET /stats → {"introspections": N, "discoveries": N, "jwks": N, "bytes_sent": N}
Serves 127.0.0.1 only; answers until killed. Every response it streams stops at 400 MiB.
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, MODE = int(sys.argv[1]), sys.argv[2]
ISSUER = f"http://127.0.0.1:{PORT}/realms/mcp-realm"
HUGE = 400 * 1024 * 1024
CHUNK = b" " * (256 * 1024)
stats = {"introspections": 0, "discoveries": 0, "jwks": 0, "bytes_sent": 0}
lock = threading.Lock()


def count(name, n=1):
    with lock:
        stats[name] += n


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send_json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_huge(self, prefix):
        """Chunked transfer, no Content-Length: the reader cannot know the size in advance."""
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        sent = 0
        try:
            for part in [prefix] + [CHUNK] * (HUGE // len(CHUNK)):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                sent += len(part)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the reader gave up: that is the point
        count("bytes_sent", sent)
        self.close_connection = True

    def do_GET(self):
        if self.path == "/stats":
            with lock:
                return self.send_json(200, dict(stats))
        if self.path == "/realms/mcp-realm/.well-known/openid-configuration":
            count("discoveries")
            if MODE == "huge-discovery":
                return self.send_huge(b'{"issuer": "' + ISSUER.encode() + b'", "padding": "')
            jwks = f"{ISSUER}/protocol/openid-connect/certs"
            if MODE == "insecure-jwks":
                jwks = "http://keys.invalid/certs"
            return self.send_json(200, {
                "issuer": ISSUER,
                "jwks_uri": jwks,
                "introspection_endpoint": f"{ISSUER}/protocol/openid-connect/token/introspect",
            })
        if self.path == "/realms/mcp-realm/protocol/openid-connect/certs":
            count("jwks")
            if MODE == "huge-jwks":
                return self.send_huge(b'{"keys": [')
            return self.send_json(200, {"keys": []})
        self.send_json(404, {"error": "not_found"})

    def do_POST(self):
        length = int(self.headers.get("content-length", 0))
        self.rfile.read(length)
        if self.path == "/realms/mcp-realm/protocol/openid-connect/token/introspect":
            count("introspections")
            return self.send_json(200, {"active": False})
        self.send_json(404, {"error": "not_found"})

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
