#!/usr/bin/env python3
"""Records what a real Codex CLI prints with `codex exec --json`, for tests/codex/data.

The CLI talks to a scripted stand-in for the OpenAI Responses API on loopback (no account, no
network): the model "thinks", runs `ls -a`, adds a file with apply_patch, runs a failing command,
and answers. The JSON lines go to stdout, with the temporary project folder shown as
/home/me/project. Not run by the test suite; run it by hand for a new Codex version:

    npm install --prefix /tmp/codex @openai/codex@VERSION
    tests/codex/record_codex_exec.py /tmp/codex/node_modules/.bin/codex \
        > tests/codex/data/codex-exec-VERSION.jsonl
"""
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading

PATCH = "apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\nEOF\n"


def exec_command(n, cmd):
    return {"type": "function_call", "id": f"fc_{n}", "call_id": f"call_{n}",
            "name": "exec_command", "arguments": json.dumps({"cmd": cmd})}


# The model's output items, one list per request Codex makes.
TURNS = [
    [{"type": "reasoning", "id": "rs_1", "content": None, "encrypted_content": None,
      "summary": [{"type": "summary_text",
                   "text": "**Looking around**\n\nI will list the files."}]},
     exec_command(1, "ls -a")],
    [exec_command(2, PATCH)],
    [exec_command(3, "exit 3")],
    [{"type": "message", "role": "assistant", "id": "msg_1",
      "content": [{"type": "output_text", "text": "Added hello.txt."}]}],
]


def sse(event):
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"


class ResponsesApi(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    requests = 0

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        n = ResponsesApi.requests = ResponsesApi.requests + 1
        usage = {"input_tokens": 10, "input_tokens_details": None, "output_tokens": 5,
                 "output_tokens_details": None, "total_tokens": 15}
        body = sse({"type": "response.created", "response": {"id": f"resp_{n}"}})
        for item in TURNS[min(n, len(TURNS)) - 1]:
            body += sse({"type": "response.output_item.done", "item": item})
        body += sse({"type": "response.completed", "response": {"id": f"resp_{n}", "usage": usage}})
        data = body.encode()
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    codex = sys.argv[1]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ResponsesApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        return record(codex, server.server_port)
    finally:
        server.shutdown()


def record(codex, port):
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as project:
        with open(os.path.join(home, "config.toml"), "w") as config:
            config.write(f'model = "gpt-5"\nmodel_provider = "mock"\n[model_providers.mock]\n'
                         f'name = "mock"\nbase_url = "http://127.0.0.1:{port}/v1"\n'
                         f'wire_api = "responses"\nenv_key = "MOCK_API_KEY"\n')
        subprocess.run(["git", "init", "-q", project], check=True)
        env = dict(os.environ, CODEX_HOME=home, MOCK_API_KEY="unused")
        run = subprocess.run([codex, "exec", "--json", "--skip-git-repo-check", "--sandbox",
                              "danger-full-access", "-"], cwd=project, env=env,
                             input="add a hello file", capture_output=True, text=True, timeout=120)
        sys.stdout.write(run.stdout.replace(os.path.realpath(project), "/home/me/project")
                         .replace(project, "/home/me/project"))
        if run.returncode != 0:
            sys.stderr.write(run.stderr)
        return run.returncode


if __name__ == "__main__":
    sys.exit(main())
