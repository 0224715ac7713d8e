#!/usr/bin/python3
"""Where a turn's time goes in the real `codex app-server`, without agenthost: one JSON-RPC
session over stdio (initialize, thread/start, N turns) against the scripted Responses API of
tests/codex, run in this process so that one clock stamps both sides.

    bench/codex/trace_app_server.py [--turns N] [--codex PATH] [--verbose] [-c key=value ...]

With --verbose, every line in and out for each turn, the turn's start in epoch seconds and
where Codex's stderr went (run with RUST_LOG=debug to see Codex's own spans there).

For each turn prints, in ms from sending turn/start: Codex's turn/start reply, the mock's
request (headers read), the mock's first text delta written, and Codex's first
item/agentMessage/delta; so the split: Codex before it calls the API, the API until its first
delta, Codex from that delta until it prints it. The -c options go to Codex as they are.
"""
import argparse
import http.server
import importlib.util
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = importlib.util.spec_from_file_location(
    "mock_responses_api", os.path.join(ROOT, "tests/codex/mock_responses_api.py"))
mock = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mock)

T0 = time.monotonic()
EVENTS = []  # (time, who, what)
VERBOSE = [False]
LOCK = threading.Lock()


def note(who, what):
    with LOCK:
        EVENTS.append((time.monotonic(), who, what))


class TracedApi(mock.ResponsesApi):
    def parse_request(self):
        ok = super().parse_request()
        note("api", f"request {self.command} {self.path}")
        return ok

    def send(self, event):
        super().send(event)
        if event["type"] == "response.output_text.delta":
            note("api", "first delta written" if not getattr(self, "_delta", False) else "delta")
            self._delta = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=4)
    parser.add_argument("--codex", default=os.path.join(ROOT, ".tools/codex/node_modules/.bin/codex"))
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("-c", action="append", default=[], dest="overrides")
    args = parser.parse_args()
    VERBOSE[0] = args.verbose

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), TracedApi)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_port
    work = tempfile.mkdtemp(prefix="codex-trace.")
    home, project = os.path.join(work, "home"), os.path.join(work, "project")
    os.makedirs(home)
    os.makedirs(project)
    argv = [args.codex, "app-server", "-c", "model_provider=mock", "-c", "model=gpt-5",
            "-c", 'model_providers.mock.name="mock"',
            "-c", f'model_providers.mock.base_url="http://127.0.0.1:{port}/v1"',
            "-c", 'model_providers.mock.wire_api="responses"',
            "-c", 'model_providers.mock.env_key="MOCK_API_KEY"']
    for o in args.overrides:
        argv += ["-c", o]
    env = dict(os.environ, CODEX_HOME=home, MOCK_API_KEY="unused")
    child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=open(os.path.join(work, "stderr"), "w"), cwd=project, env=env)
    lines = queue.Queue()

    def read():
        for raw in child.stdout:
            message = json.loads(raw)
            what = message.get("method") or f"reply {message.get('id')}"
            detail = json.dumps(message.get("params") or message.get("result"))[:160]
            note("codex", what + ("  " + detail if VERBOSE[0] else ""))
            lines.put(message)
    threading.Thread(target=read, daemon=True).start()

    next_id = [0]

    def send(method, params=None, notify=False):
        message = {"method": method, "params": params or {}}
        if not notify:
            next_id[0] += 1
            message["id"] = next_id[0]
        note("agent", method)
        child.stdin.write((json.dumps(message) + "\n").encode())
        child.stdin.flush()
        return message.get("id")

    def wait_for(pred):
        while True:
            message = lines.get(timeout=60)
            if pred(message):
                return message

    started = time.monotonic()
    rid = send("initialize", {"clientInfo": {"name": "trace", "title": "trace", "version": "1"}})
    wait_for(lambda m: m.get("id") == rid)
    send("initialized", notify=True)
    rid = send("thread/start", {"cwd": project})
    thread = wait_for(lambda m: m.get("id") == rid)["result"]["thread"]["id"]
    print(f"app-server ready with a thread after {1000 * (time.monotonic() - started):.0f} ms")

    rows = []
    for turn in range(args.turns):
        mark = len(EVENTS)
        began = time.monotonic()
        if args.verbose:  # to find the turn in Codex's log (RUST_LOG=debug)
            print(f"turn {turn} starts at {time.time():.6f} (epoch s)")
        send("turn/start", {"threadId": thread, "input": [{"type": "text", "text": f"hello {turn}"}]})
        wait_for(lambda m: m.get("method") == "turn/completed")
        time.sleep(0.3)  # let Codex's after-turn work settle before the next turn
        with LOCK:
            events = EVENTS[mark:]

        def first(who, what):
            for t, w, x in events:
                if w == who and x.startswith(what):
                    return 1000 * (t - began)
            return float("nan")
        row = (first("codex", "reply"), first("api", "request POST"),
               first("api", "first delta"), first("codex", "item/agentMessage/delta"),
               first("codex", "turn/completed"))
        rows.append(row)
        print(f"turn {turn}: reply {row[0]:6.1f}  api request {row[1]:6.1f}  api delta "
              f"{row[2]:6.1f}  codex delta {row[3]:6.1f}  completed {row[4]:6.1f}   split: codex "
              f"before {row[1]:6.1f}  api {row[2] - row[1]:5.1f}  codex after {row[3] - row[2]:5.1f}")
        if args.verbose:
            for t, who, what in events:
                print(f"    {1000 * (t - began):8.1f} {who:6s} {what}")
    child.stdin.close()
    child.wait(timeout=10)
    if args.verbose:
        print(f"Codex's stderr: {work}/stderr")
    else:
        shutil.rmtree(work, ignore_errors=True)
    server.shutdown()
    later = rows[1:] or rows

    def median(values):
        return sorted(values)[len(values) // 2]
    print(f"median of turns after the first: codex before the API {median([r[1] for r in later]):.1f}"
          f" ms, API to its first delta {median([r[2] - r[1] for r in later]):.1f} ms, codex from"
          f" that delta to its own {median([r[3] - r[2] for r in later]):.1f} ms; turn/start to"
          f" Codex's first delta {median([r[3] for r in later]):.1f} ms")

if __name__ == "__main__":
    sys.exit(main())
