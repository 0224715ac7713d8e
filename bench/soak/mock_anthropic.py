#!/usr/bin/python3
"""A local stand-in for the Anthropic Messages API, for the soak (bench/soak.sh).

POST /v1/messages with "stream": true answers with a server-sent event stream whose text is
"claude: " followed by the last user message, in three deltas a few milliseconds apart, so a
client can check every byte of the answer. HTTP/1.1 keep-alive, chunked responses; python3
standard library only.

    mock_anthropic.py --port PORT [--delta-ms 20]
"""
import argparse
import asyncio
import json
import signal


def sse(event_type, payload):
    return f"event: {event_type}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n".encode()


def last_user_text(body):
    """The text of the last user message (a string or a list of content blocks)."""
    for message in reversed(body.get("messages", [])):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        return "".join(b.get("text", "") for b in content if b.get("type") == "text")
    return ""


def answer_pieces(text):
    """What the answer is made of: three pieces whose concatenation is 'claude: ' + text."""
    answer = "claude: " + text
    third = max(1, len(answer) // 3)
    return [answer[:third], answer[third:2 * third], answer[2 * third:]]


def chunk(data):
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def stream_answer(writer, text, delta_s):
    start = {"type": "message_start",
             "message": {"id": "msg_soak", "type": "message", "role": "assistant", "content": [],
                         "model": "mock", "stop_reason": None, "stop_sequence": None,
                         "usage": {"input_tokens": len(text) // 4 + 1, "output_tokens": 1}}}
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                 b"transfer-encoding: chunked\r\ncache-control: no-cache\r\n\r\n")
    writer.write(chunk(sse("message_start", start) + sse(
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})))
    for piece in answer_pieces(text):
        await asyncio.sleep(delta_s)
        writer.write(chunk(sse("content_block_delta", {
            "type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": piece}})))
        await writer.drain()
    end = (sse("content_block_stop", {"type": "content_block_stop", "index": 0}) +
           sse("message_delta", {"type": "message_delta",
                                 "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                 "usage": {"output_tokens": len(text) // 4 + 3}}) +
           sse("message_stop", {"type": "message_stop"}))
    writer.write(chunk(end) + b"0\r\n\r\n")
    await writer.drain()


def plain(writer, status, body):
    data = json.dumps(body).encode()
    writer.write(f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
                 f"content-length: {len(data)}\r\n\r\n".encode() + data)


async def serve_connection(reader, writer, delta_s):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            if method != "POST" or not path.startswith("/v1/messages"):
                plain(writer, "404 Not Found", {"type": "error", "error": {"type": "not_found_error"}})
                await writer.drain()
                continue
            await stream_answer(writer, last_user_text(json.loads(body)), delta_s)
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delta-ms", type=float, default=20)
    args = parser.parse_args()
    server = await asyncio.start_server(
        lambda r, w: serve_connection(r, w, args.delta_ms / 1000), "127.0.0.1", args.port,
        limit=16 * 1024 * 1024, backlog=1024)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
