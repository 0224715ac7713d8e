#!/usr/bin/env python3
"""A stand-in for `codex app-server` that misbehaves on purpose (fault injection for the
codex_bridgehub tests; the real CLI is tested against a mock Responses API instead).

Usage: fake_app_server.py app-server --state DIR --fault FAULT

Each start counts itself in DIR/starts and writes its pid to DIR/pid.N. Faults, applied on the
first start only (later starts behave), except `mute`:
  none            answers every turn with the text "fake answer N" (N: the start)
  mute            never answers initialize (every start)
  die-mid-turn    streams one delta of a turn, then exits with status 3
  garbage         prints lines that are not JSON-RPC between its messages
  overloaded      answers the first turn/start with error -32001 (retry later)
"""
import json
import os
import sys


def main():
    args = sys.argv[1:]
    state = args[args.index("--state") + 1]
    fault = args[args.index("--fault") + 1]
    starts = int(open(os.path.join(state, "starts")).read()) + 1 \
        if os.path.exists(os.path.join(state, "starts")) else 1
    with open(os.path.join(state, "starts"), "w") as f:
        f.write(str(starts))
    with open(os.path.join(state, f"pid.{starts}"), "w") as f:
        f.write(str(os.getpid()))
    if fault != "mute" and starts > 1:
        fault = "none"

    def send(message):
        if fault == "garbage":
            sys.stdout.write("not json at all\n{\"half\": \n\x00\xff garbage\n[1,2,3]\n")
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    turns = 0
    threads = 0
    overloaded_once = False
    for line in sys.stdin:
        message = json.loads(line)
        method, rid = message.get("method"), message.get("id")
        params = message.get("params") or {}
        if method == "initialize":
            if fault == "mute":
                continue
            send({"id": rid, "result": {"userAgent": "fake", "codexHome": state,
                                        "platformFamily": "unix", "platformOs": "linux"}})
        elif method in ("thread/start", "thread/resume"):
            threads += 1
            thread = params.get("threadId") or f"thread-{starts}-{threads}"
            send({"id": rid, "result": {"thread": {"id": thread}}})
        elif method == "turn/start":
            if fault == "overloaded" and not overloaded_once:
                overloaded_once = True
                send({"id": rid, "error": {"code": -32001, "message": "Server overloaded"}})
                continue
            turns += 1
            thread, turn = params["threadId"], f"turn-{starts}-{turns}"
            send({"id": rid, "result": {"turn": {"id": turn, "status": "inProgress",
                                                  "items": []}}})
            base = {"threadId": thread, "turnId": turn}
            send({"method": "item/agentMessage/delta",
                  "params": dict(base, itemId="msg", delta="fake answer ")})
            if fault == "die-mid-turn":
                sys.stderr.write("fake app-server: dying mid-turn\n")
                sys.stderr.flush()
                os._exit(3)
            send({"method": "some/future/notification", "params": base})
            send({"method": "item/agentMessage/delta",
                  "params": dict(base, itemId="msg", delta=str(starts))})
            usage = {"inputTokens": 10 * turns, "outputTokens": 5 * turns}
            send({"method": "thread/tokenUsage/updated",
                  "params": dict(base, tokenUsage={"total": usage, "last": {
                      "inputTokens": 10, "outputTokens": 5}})})
            send({"method": "turn/completed",
                  "params": {"threadId": thread, "turn": {"id": turn, "status": "completed",
                                                          "items": []}}})
        elif rid is not None:
            send({"id": rid, "result": {}})


if __name__ == "__main__":
    main()
