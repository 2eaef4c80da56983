#!/usr/bin/env python3
"""forward.py LISTEN_PORT TARGET_PORT — a loopback TCP forwarder (a stand-in for a reverse proxy).

Accepts on 127.0.0.1:LISTEN_PORT and pipes each connection to 127.0.0.1:TARGET_PORT, bytes
unchanged (so the Host header still names the proxy, as behind a real proxy).
"""
import asyncio
import sys


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def handle(client_reader, client_writer, target_port):
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target_port)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))


async def main(listen_port, target_port):
    server = await asyncio.start_server(lambda r, w: handle(r, w, target_port), "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
