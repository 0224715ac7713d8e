#!/usr/bin/python3
"""Time to first text through agenthost with the real Codex CLI, mode = app-server versus
mode = exec, in the same run, against the scripted Responses API of tests/codex (loopback only).

    bench/codex/ttft.py [--messages N] [--build DIR] [--codex PATH] [--app-args ARGS]
                                                     (Debian's python3-websockets)

Starts the mock, an agenthost with two codex_bridgehub routes (codex_app: app-server, codex_exec:
exec) and sends N messages on one protocol 1 connection per route, one after another; prints
the time from sending a message to its first text frame: the first message (app-server: with
the app-server's start) and the median of the others. --app-args adds a third route,
codex_app_tuned: app-server mode with ARGS added to its args (say
"-c features.shell_snapshot=false"), to compare Codex settings in the same run.
"""
import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import websockets

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEY = "bench-key-0123456789"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def route(name, mode, codex, mock_port, home, project, extra=""):
    return f"""
[plugin.{name}]
library = codex_bridgehub
command = {codex}
mode = {mode}
args = {'--skip-git-repo-check ' if mode == 'exec' else ''}-c model_provider=mock -c model=gpt-5 -c 'model_providers.mock.name="mock"' -c 'model_providers.mock.base_url="http://127.0.0.1:{mock_port}/v1"' -c 'model_providers.mock.wire_api="responses"' -c 'model_providers.mock.env_key="MOCK_API_KEY"' {extra}
env.CODEX_HOME = {home}
env.MOCK_API_KEY = unused
workdir = {project}
"""


async def measure(port, name, messages):
    times = []
    async with websockets.connect(f"ws://127.0.0.1:{port}/api/{name}/ws") as ws:
        await ws.send(KEY)
        await ws.recv()  # authenticated
        await ws.recv()  # ready
        for i in range(messages):
            began = time.monotonic()
            await ws.send('{"content": "hello %d"}' % i)
            first = None
            while True:
                frame = await ws.recv()
                if first is None and '"type":"message"' in frame.replace(" ", ""):
                    first = time.monotonic() - began
                if '"type":"complete"' in frame.replace(" ", "") or '"type":"error"' in frame.replace(" ", ""):
                    break
            if first is None:
                raise SystemExit(f"{name}: no text for message {i}: {frame}")
            times.append(first * 1000)
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=6)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--codex", default=os.path.join(ROOT, ".tools/codex/node_modules/.bin/codex"))
    parser.add_argument("--app-args", default="")
    args = parser.parse_args()
    routes = [("codex_app", "app-server", ""), ("codex_exec", "exec", "")]
    if args.app_args:
        routes.insert(1, ("codex_app_tuned", "app-server", args.app_args))
    work = tempfile.mkdtemp(prefix="agenthost-codex-bench.")
    mock = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests/codex/mock_responses_api.py")],
                            stdout=subprocess.PIPE, text=True)
    host = None
    try:
        mock_port = int(mock.stdout.readline().split()[1])
        port = free_port()
        sections = ""
        for name, mode, extra in routes:
            home, project = os.path.join(work, name + "-home"), os.path.join(work, name + "-project")
            os.makedirs(home)
            os.makedirs(project)
            sections += route(name, mode, args.codex, mock_port, home, project, extra)
        ini = os.path.join(work, "agenthost.ini")
        with open(ini, "w") as f:
            f.write(f"[server]\nhost = 127.0.0.1\nport = {port}\nstate_dir = {work}/state\n\n"
                    f"[plugins]\ndirectory = {args.build}/plugins\n\n[key.bench]\nsecret = {KEY}\n"
                    + sections)
        host = subprocess.Popen([os.path.join(args.build, "bin/agenthost"), "--config=" + ini],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        print(f"time to first text through agenthost, real Codex CLI, {args.messages} messages each")
        for name, _, _ in routes:
            times = asyncio.run(measure(port, name, args.messages))
            print(f"{name:15s} first message {times[0]:7.0f} ms   later messages median "
                  f"{statistics.median(times[1:]):6.0f} ms  (min {min(times[1:]):.0f}, max {max(times[1:]):.0f})")
    finally:
        if host:
            host.send_signal(signal.SIGTERM)
            host.wait(timeout=30)
        mock.terminate()
        mock.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
