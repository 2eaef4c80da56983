#!/usr/bin/env python3
"""slow_client.py PORT KIND — play a slow client against 127.0.0.1:PORT and report what the server did.

KIND half-headers: send a request line and half a header, then nothing.
KIND short-body:   announce Content-Length: 1000 on POST /mcp, send one byte, then nothing.
Prints one JSON line: {"closed": true|false, "seconds": how long until the server closed,
"status": the HTTP status it sent first, or null}. Gives up after 45 s (the issue's figure).
"""
import json
import socket
import sys
import time

PORT, KIND = int(sys.argv[1]), sys.argv[2]
REQUESTS = {
    "half-headers": b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ",
    "short-body": b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000\r\n\r\n{",
}
s = socket.create_connection(("127.0.0.1", PORT))
s.sendall(REQUESTS[KIND])
start = time.monotonic()
s.settimeout(45)
seen = b""
closed = False
try:
    while True:
        chunk = s.recv(4096)
        if not chunk:
            closed = True
            break
        seen += chunk
except (socket.timeout, TimeoutError):
    pass
except ConnectionResetError:
    closed = True
status = int(seen.split(b" ")[1]) if seen.startswith(b"HTTP/1.1 ") else None
print(json.dumps({"closed": closed, "seconds": round(time.monotonic() - start, 1), "status": status}))
