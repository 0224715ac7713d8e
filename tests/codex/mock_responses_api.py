#!/usr/bin/env python3
"""A scripted stand-in for the OpenAI Responses API on loopback, for driving the real Codex CLI.

Prints "PORT <n>" on its first line of stdout, then serves until killed. What the "model" does
depends on words in the last user message of the conversation:

  slow   the answer "one two three" streams as three text deltas, 300 ms apart
  hang   one text delta ("thinking..."), then nothing until the client goes away
  shell  asks to run `echo approved > ran.txt` outside the sandbox (exec_command with
         sandbox_permissions = require_escalated, so that Codex asks for approval under
         approval_policy = on-request); after the tool's output comes
         back, answers "ran: <output>" or "no run: <output>"
  think  a reasoning summary before the answer
  (any)  the answer "echo: <message>"

Every response reports usage of 10 input and 5 output tokens. With --log FILE, each request body
is appended to FILE as one JSON line (tests read what Codex sent, e.g. earlier turns).
"""
import argparse
import http.server
import json
import sys
import threading
import time

LOG_LOCK = threading.Lock()


def sse(event):
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()


def message(text, n):
    return {"type": "message", "role": "assistant", "id": f"msg_{n}",
            "content": [{"type": "output_text", "text": text}]}


def text_of(item):
    parts = item.get("content")
    if isinstance(parts, str):
        return parts
    return "".join(p.get("text", "") for p in parts or [] if isinstance(p, dict))


def last_user_text(items):
    for item in reversed(items):
        if item.get("type") == "message" and item.get("role") == "user":
            text = text_of(item)
            # Codex adds its own context messages (<environment_context>, ...) as user items.
            if not text.lstrip().startswith("<"):
                return text
    return ""


class ResponsesApi(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    counter = 0
    log_path = None

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        if ResponsesApi.log_path:
            with LOG_LOCK, open(ResponsesApi.log_path, "a") as log:
                log.write(json.dumps(body) + "\n")
        ResponsesApi.counter += 1
        n = ResponsesApi.counter
        items = body.get("input", [])
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.end_headers()
        try:
            self.answer(n, items)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def send(self, event):
        self.wfile.write(sse(event))
        self.wfile.flush()

    def stream_text(self, n, pieces, pause):
        item_id = f"msg_{n}"
        self.send({"type": "response.output_item.added",
                   "item": {"type": "message", "role": "assistant", "id": item_id, "content": []}})
        for piece in pieces:
            self.send({"type": "response.output_text.delta", "item_id": item_id,
                       "output_index": 0, "content_index": 0, "delta": piece})
            time.sleep(pause)
        self.send({"type": "response.output_item.done", "item": message("".join(pieces), n)})

    def answer(self, n, items):
        self.send({"type": "response.created", "response": {"id": f"resp_{n}"}})
        last = items[-1] if items else {}
        prompt = last_user_text(items)
        if last.get("type") == "function_call_output":
            output = last.get("output")
            if not isinstance(output, str):
                output = json.dumps(output)
            verdict = "ran" if "approved" in output and "rejected" not in output else "no run"
            self.stream_text(n, [f"{verdict}: {output}"], 0)
        elif "hang" in prompt:
            self.send({"type": "response.output_item.added",
                       "item": {"type": "message", "role": "assistant", "id": f"msg_{n}",
                                "content": []}})
            self.send({"type": "response.output_text.delta", "item_id": f"msg_{n}",
                       "output_index": 0, "content_index": 0, "delta": "thinking..."})
            while True:  # until Codex hangs up
                time.sleep(0.2)
                self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
        elif "shell" in prompt:
            self.send({"type": "response.output_item.done",
                       "item": {"type": "function_call", "id": f"fc_{n}", "call_id": f"call_{n}",
                                "name": "exec_command",
                                "arguments": json.dumps({
                                    "cmd": "echo approved > ran.txt && cat ran.txt",
                                    "sandbox_permissions": "require_escalated",
                                    "justification": "write ran.txt"})}})
        else:
            if "think" in prompt:
                self.send({"type": "response.output_item.done",
                           "item": {"type": "reasoning", "id": f"rs_{n}", "content": None,
                                    "encrypted_content": None,
                                    "summary": [{"type": "summary_text",
                                                 "text": "**Pondering**\n\nI should answer."}]}})
            if "slow" in prompt:
                self.stream_text(n, ["one ", "two ", "three"], 0.3)
            else:
                self.stream_text(n, [f"echo: {prompt}"], 0)
        usage = {"input_tokens": 10, "input_tokens_details": None, "output_tokens": 5,
                 "output_tokens_details": None, "total_tokens": 15}
        self.send({"type": "response.completed",
                   "response": {"id": f"resp_{n}", "usage": usage}})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log")
    args = parser.parse_args()
    ResponsesApi.log_path = args.log
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ResponsesApi)
    server.daemon_threads = True
    print(f"PORT {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
