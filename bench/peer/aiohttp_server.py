#!/usr/bin/python3
"""The benchmark's reference peer: the protocol subset agenthost serves, written the way the
Python prototype did it (aiohttp on asyncio, one coroutine per connection), with the echo
plugin's behaviour. The load client runs against this and against agenthost in the same run.

Subset of docs/wire-protocol.md: GET /api/<route>/ws (key as first text frame, "authenticated"
and a ready frame), {"content"} or {"type":"message"} answered by message frames of at most
CHUNK_CHARS code points and a complete frame, {"type":"ping"} -> pong, error frames for invalid
input, auth timeout, GET /api/health. Responses of one connection run one at a time, in order.

Run with Debian's interpreter (python3-aiohttp):
    AGENTHOST_BENCH_KEY=... /usr/bin/python3 aiohttp_server.py --port N
With --tls-cert and --tls-key (PEM files) it serves https:// and wss:// through Python's ssl
module (OpenSSL): TLS 1.2 and 1.3, ALPN http/1.1, as agenthost does with tls_cert/tls_key.
"""

import argparse
import asyncio
import json
import os
import ssl
import uuid
from datetime import datetime, timezone

from aiohttp import WSMsgType, web

VERSION = "1.0.0"
PLUGIN_VERSION = "1.0.0"
PROTOCOL = 1
CHUNK_CHARS = 100
AUTH_TIMEOUT_S = 10
HISTORY_MAX_TURNS = 200


def timestamp():
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def frame(kind, **fields):
    return json.dumps({"type": kind, **fields, "timestamp": timestamp()}, ensure_ascii=False)


def error_frame(code, content):
    return json.dumps({"type": "error", "content": content, "code": code,
                       "timestamp": timestamp()}, ensure_ascii=False)


def parse_client_frame(text):
    """("message", content) | ("ping", None) | ("invalid", reason)."""
    try:
        obj = json.loads(text)
    except ValueError:
        return "invalid", "frame is not valid JSON"
    if not isinstance(obj, dict):
        return "invalid", "frame must be a JSON object"
    kind = obj.get("type", "message")
    if not isinstance(kind, str):
        return "invalid", '"type" must be a string'
    if kind == "ping":
        return "ping", None
    if kind != "message":
        return "invalid", f'unknown type "{kind}"'
    content = obj.get("content")
    if not isinstance(content, str):
        return "invalid", 'a message needs a string "content"'
    return "message", content


class Server:
    def __init__(self, keys, routes):
        self.keys = keys
        self.connections = {route: 0 for route in routes}

    async def health(self, request):
        return web.json_response({
            "status": "ok", "version": VERSION, "timestamp": timestamp(),
            "connections": self.connections,
            "plugins": {r: {"status": "ok", "detail": ""} for r in self.connections},
        })

    async def websocket(self, request):
        route = request.match_info["route"]
        if route not in self.connections:
            return web.json_response({"error": "not_found", "message": f"no plugin at {route}"},
                                     status=404)
        ws = web.WebSocketResponse(heartbeat=request.app["ping_interval"])
        await ws.prepare(request)
        self.connections[route] += 1
        try:
            if await self.authenticate(ws):
                await self.serve(ws, route)
        finally:
            self.connections[route] -= 1
        return ws

    async def authenticate(self, ws):
        try:
            msg = await asyncio.wait_for(ws.receive(), AUTH_TIMEOUT_S)
        except asyncio.TimeoutError:
            await ws.send_str("error:auth_timeout")
            await ws.close(code=1008, message=b"authentication timeout")
            return False
        if msg.type != WSMsgType.TEXT or msg.data.strip() not in self.keys:
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                await ws.send_str("error:invalid_api_key")
                await ws.close(code=1008, message=b"invalid api key")
            return False
        return True

    async def serve(self, ws, route):
        await ws.send_str("authenticated")
        await ws.send_str(json.dumps({
            "type": "ready", "content": f"{route} ready", "timestamp": timestamp(),
            "session_id": str(uuid.uuid4()), "plugin": route, "version": PLUGIN_VERSION,
            "protocol": PROTOCOL}))
        history = []
        async for msg in ws:
            if msg.type == WSMsgType.BINARY:
                await ws.send_str(error_frame("unsupported_frame",
                                              "binary frames are not supported: send JSON text"))
                continue
            if msg.type != WSMsgType.TEXT:
                break
            kind, content = parse_client_frame(msg.data)
            if kind == "ping":
                await ws.send_str(frame("pong"))
            elif kind == "invalid":
                await ws.send_str(error_frame("invalid_message", content))
            else:
                await self.respond(ws, content, history)

    async def respond(self, ws, message, history):
        # The echo plugin answers with the message itself, streamed in chunks.
        for start in range(0, len(message), CHUNK_CHARS):
            await ws.send_str(frame("message", content=message[start:start + CHUNK_CHARS]))
        await ws.send_str(frame("complete", content="Response complete"))
        history.extend((("user", message), ("assistant", message)))
        del history[:-2 * HISTORY_MAX_TURNS]


def tls_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    context.set_alpn_protocols(["http/1.1"])
    return context


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", default=os.environ.get("AGENTHOST_BENCH_KEY"),
                        help="client key (default: $AGENTHOST_BENCH_KEY)")
    parser.add_argument("--route", action="append", default=None)
    parser.add_argument("--ping-interval", type=float, default=30.0)
    parser.add_argument("--backlog", type=int, default=1024)  # agenthost listens with 1024
    parser.add_argument("--tls-cert", help="PEM certificate (chain): serve TLS")
    parser.add_argument("--tls-key", help="PEM private key of --tls-cert")
    args = parser.parse_args()
    if not args.key:
        parser.error("no key: pass --key or set AGENTHOST_BENCH_KEY")
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")

    server = Server({args.key}, args.route or ["echo"])
    app = web.Application()
    app["ping_interval"] = args.ping_interval
    app.router.add_get("/api/health", server.health)
    app.router.add_get("/api/{route}/ws", server.websocket)
    web.run_app(app, host=args.host, port=args.port, backlog=args.backlog, access_log=None,
                print=lambda *_: None,
                ssl_context=tls_context(args.tls_cert, args.tls_key) if args.tls_cert else None)


if __name__ == "__main__":
    main()
