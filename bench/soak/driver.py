#!/usr/bin/python3
"""The soak's load: many WebSocket sessions chatting with agenthost for a long time
(bench/soak.sh starts it; python3 asyncio with Debian's python3-websockets).

Each session is protocol 1 or protocol 2, on the echo route or the claude route (a mock of the
Messages API), and sends one message at a time, a few seconds apart. Every answer is checked
byte for byte; protocol 2 sessions also check that their seqs run 1, 2, 3, ... with no gap and
no repeat across random disconnects and resumes (by URL or by a resume frame). Protocol 1
sessions reconnect, sometimes in the middle of an answer (which the host then cancels).
Every 10 s the driver sends the host a SIGHUP, every 60 s it first replaces the echo library
in the plugin folder by a new copy (atomically, by rename), and it writes a row of the host's
RSS, fds, threads, CPU and the sessions' latency and error counts to the CSV.

At the end it writes a JSON summary (counts and every failure seen); bench/soak/report.py
judges it together with the CSV.
"""
import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import signal
import sys
import time

import websockets

TICK_S = 10
TURN_TIMEOUT_S = 30
ECHO_REPEAT = 3  # [plugin.echo] repeat in the soak's ini: the answer is the message 3 times

CSV_COLUMNS = ("t_s,rss_kb,fds,threads,host_cpu_s,host_cpu_pct,driver_cpu_pct,mock_cpu_pct,"
               "connected,messages_done,messages_per_s,p50_ms,p99_ms,errors,lost,duplicated,"
               "reconnects,resumes,reloads,swaps,rss_anon_kb,rss_file_kb,rss_shmem_kb")


class Failure(Exception):
    """A broken promise of the host: the session records it and starts over."""


class Stats:
    def __init__(self):
        self.done = 0
        self.latencies = []  # ms, of turns answered on the connection that sent them
        self.errors = 0      # unexpected error frames, closes, failed connects, failed reloads
        self.lost = 0
        self.duplicated = 0
        self.reconnects = 0
        self.resumes = 0
        self.abandoned = 0   # protocol 1 answers the client left on purpose (the host cancels)
        self.reloads = 0
        self.swaps = 0
        self.connected = 0
        self.failures = []   # the first lines describing what went wrong

    def fail(self, kind, what):
        setattr(self, kind, getattr(self, kind) + 1)
        if len(self.failures) < 50:
            self.failures.append(f"{time.strftime('%H:%M:%S')} {kind}: {what}")
        print(f"soak: {kind}: {what}", file=sys.stderr, flush=True)


class Session:
    """One simulated user: a protocol, a route, and (protocol 2) its conversation and last seq."""

    def __init__(self, number, args, stats, stop):
        self.number = number
        self.args = args
        self.stats = stats
        self.stop = stop
        rng = random.Random(args.seed * 100003 + number)
        self.rng = rng
        self.protocol = 2 if rng.random() < args.p2_share else 1
        self.route = "claude" if rng.random() < args.claude_share else "echo"
        self.conversation = None
        self.last_seq = 0
        self.turns_in_conversation = 0
        self.sent = 0
        self.pending = None  # the turn waiting for its terminal frame: dict
        self.ws = None

    def expected(self, text):
        return "claude: " + text if self.route == "claude" else text * ECHO_REPEAT

    def url(self):
        base = f"ws://127.0.0.1:{self.args.port}/api/{self.route}/ws"
        if self.protocol == 1:
            return base
        if self.conversation and self.resume_by_url:
            return f"{base}?protocol=2&conversation={self.conversation}&after_seq={self.last_seq}"
        return base + "?protocol=2"

    async def run(self):
        await asyncio.sleep(self.rng.uniform(0, self.args.ramp_s))
        first = True
        while not self.stop.is_set():
            if not first:
                self.stats.reconnects += 1
            first = False
            try:
                await self.connection()
            except Failure:
                pass
            except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as e:
                if not self.stop.is_set():
                    self.stats.fail("errors", f"session {self.number}: connection: {e!r}")
            finally:
                if self.ws is not None:
                    self.stats.connected -= 1
                    self.ws = None
            if not self.stop.is_set():
                await asyncio.sleep(self.rng.uniform(0.1, 1.0))

    async def connection(self):
        self.resume_by_url = self.rng.random() < 0.5
        if self.last_seq == 0:
            self.conversation = None  # stored only once it has a turn: nothing to resume
        resuming = self.protocol == 2 and self.conversation is not None
        ws = await asyncio.wait_for(websockets.connect(
            self.url(), extra_headers={"Authorization": f"Bearer {self.args.key}"},
            ping_interval=None, max_size=2**22, close_timeout=2, open_timeout=20), 30)
        self.ws = ws
        self.stats.connected += 1
        try:
            first = await self.recv(ws)
            if first != "authenticated":
                raise self.broken("errors", f"first frame {first[:200]!r}")
            ready = self.decode(await self.recv(ws))
            if ready.get("type") != "ready":
                raise self.broken("errors", f"expected ready, got {ready}")
            if resuming:
                self.stats.resumes += 1
                if self.resume_by_url:
                    self.check_resumed(ready, "ready")
                else:
                    await ws.send(json.dumps({"type": "resume", "conversation_id": self.conversation,
                                              "after_seq": self.last_seq}))
                    self.check_resumed(self.decode(await self.recv(ws)), "resumed")
            elif self.protocol == 2:
                self.conversation, self.last_seq = ready["conversation_id"], 0
                self.turns_in_conversation = 0
            else:
                self.pending = None  # a protocol 1 turn never outlives its connection
                self.turns_in_conversation = 0  # and each connection is a new conversation
            await self.chat(ws)
        finally:
            await ws.close()

    def check_resumed(self, frame, kind):
        if frame.get("type") != kind or frame.get("conversation_id") != self.conversation:
            raise self.broken("errors", f"resume of {self.conversation}: got {frame}")
        if frame.get("last_seq", -1) < self.last_seq:
            raise self.broken("lost", f"resume of {self.conversation}: last_seq "
                              f"{frame.get('last_seq')} below the {self.last_seq} already seen")

    async def chat(self, ws):
        while not self.stop.is_set():
            if self.pending is None:
                if self.turns_in_conversation >= self.args.turns_per_conversation:
                    # A new conversation now and then, as people do: the host holds a live
                    # conversation's history (up to history_max_turns), so conversations that
                    # grew forever would be growth the soak cannot tell from a leak.
                    self.conversation, self.last_seq = None, 0
                    return
                try:
                    await asyncio.wait_for(self.stop.wait(), self.rng.uniform(
                        0.5 * self.args.interval_s, 1.5 * self.args.interval_s))
                    return
                except asyncio.TimeoutError:
                    pass
                if self.rng.random() < self.args.idle_disconnect:
                    return
                await self.send(ws)
            disconnect_after = None
            if self.pending["fresh"] and self.rng.random() < self.args.mid_disconnect:
                disconnect_after = self.rng.uniform(0, 0.15)
            if await self.await_terminal(ws, disconnect_after):
                return

    async def send(self, ws):
        self.sent += 1
        text = f"s{self.number} m{self.sent} " + "x" * self.rng.randrange(0, 200)
        self.pending = {"text": text, "got": "", "t0": time.monotonic(), "fresh": True,
                        "user": self.protocol == 1}
        await ws.send(json.dumps({"content": text}))

    async def await_terminal(self, ws, disconnect_after):
        """Reads frames until the pending turn ends; True when the client left on purpose."""
        deadline = time.monotonic() + TURN_TIMEOUT_S
        leave_at = None
        while self.pending is not None:
            if leave_at is None and disconnect_after is not None and self.pending["user"]:
                leave_at = time.monotonic() + disconnect_after  # only once the turn is accepted
            until = min(deadline, leave_at) if leave_at else deadline
            try:
                raw = await asyncio.wait_for(ws.recv(), max(0.0, until - time.monotonic()))
            except asyncio.TimeoutError:
                if leave_at and time.monotonic() >= leave_at:
                    self.leave()
                    return True
                raise self.broken("lost", f"no terminal frame for {self.pending['text'][:20]!r} "
                                  f"within {TURN_TIMEOUT_S} s")
            self.on_frame(raw)
            if self.args.inject == "dup" and self.injectable():
                self.on_frame(raw)  # as if the host had sent it twice
        return False

    def leave(self):
        self.pending["fresh"] = False
        if self.protocol == 1:
            self.stats.abandoned += 1
            self.pending = None

    def injectable(self):
        if self.args.injected[0] or time.monotonic() - self.args.started < 20:
            return False
        if self.protocol != 2:
            return False
        self.args.injected[0] = True
        print(f"soak: injecting a fault ({self.args.inject}) into session {self.number}",
              file=sys.stderr, flush=True)
        return True

    def on_frame(self, raw):
        frame = self.decode(raw)
        kind = frame.get("type")
        if self.args.inject == "drop" and kind == "message" and self.injectable():
            return  # as if the host had never sent it
        if self.protocol == 2 and kind in ("user", "message", "complete", "error", "event"):
            self.check_seq(frame)
        if kind == "error":
            raise self.broken("errors", f"error frame {frame}")
        pending = self.pending
        if pending is None:
            raise self.broken("duplicated", f"a {kind} frame with no turn running: {frame}")
        if kind == "user":
            if frame.get("content") != pending["text"] or pending["user"]:
                raise self.broken("duplicated" if pending["user"] else "lost",
                                  f"user frame {frame.get('content', '')[:30]!r} for "
                                  f"{pending['text'][:30]!r}")
            pending["user"] = True
        elif kind == "message":
            pending["got"] += frame["content"]
        elif kind == "complete":
            expected = self.expected(pending["text"])
            if pending["got"] != expected:
                kind_of = "duplicated" if len(pending["got"]) > len(expected) else "lost"
                raise self.broken(kind_of, f"answer {pending['got'][:60]!r}... "
                                  f"({len(pending['got'])} chars), expected {len(expected)} chars")
            self.stats.done += 1
            if pending["fresh"]:
                self.stats.latencies.append((time.monotonic() - pending["t0"]) * 1000)
            self.turns_in_conversation += 1
            self.pending = None
        elif kind != "pong":
            raise self.broken("errors", f"unexpected frame {frame}")

    def check_seq(self, frame):
        seq = frame.get("seq")
        if not isinstance(seq, int):
            raise self.broken("errors", f"a frame without seq: {frame}")
        if seq <= self.last_seq:
            raise self.broken("duplicated", f"seq {seq} again (last {self.last_seq}) in "
                              f"{self.conversation}: {frame}")
        if seq != self.last_seq + 1:
            gap = seq - self.last_seq - 1
            self.last_seq = seq
            raise self.broken("lost", f"{gap} frames missing before seq {seq} in {self.conversation}")
        self.last_seq = seq

    def broken(self, kind, what):
        self.stats.fail(kind, f"session {self.number} (protocol {self.protocol}, {self.route}): {what}")
        # Start clean: a new conversation, no turn pending.
        self.conversation, self.last_seq, self.pending = None, 0, None
        return Failure(what)

    def decode(self, raw):
        try:
            frame = json.loads(raw)
        except (TypeError, ValueError):
            raise self.broken("errors", f"not JSON: {raw[:200]!r}")
        if not isinstance(frame, dict):
            raise self.broken("errors", f"not an object: {raw[:200]!r}")
        return frame

    async def recv(self, ws):
        return await asyncio.wait_for(ws.recv(), TURN_TIMEOUT_S)


# ---- the host's vital signs

def proc_cpu_s(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def proc_status(pid):
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            values[name] = value.split()[0] if value.split() else ""
    return (int(values["VmRSS"]), int(values["Threads"]),
            [int(values.get(k, 0)) for k in ("RssAnon", "RssFile", "RssShmem")])


def driver_cpu_s():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values, q):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def sampler(args, stats, stop, csv):
    last = {"t": time.monotonic(), "host": proc_cpu_s(args.host_pid), "driver": driver_cpu_s(),
            "mock": proc_cpu_s(args.mock_pid), "done": 0}
    leaked = []
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), TICK_S)
            break  # the run is over: sessions are leaving, no more samples
        except asyncio.TimeoutError:
            pass
        if args.inject == "fdleak" and time.monotonic() - args.started > 20:
            for _ in range(20):  # idle sessions never closed: the host's fds must grow
                leaked.append(await websockets.connect(
                    f"ws://127.0.0.1:{args.port}/api/echo/ws", ping_interval=None,
                    extra_headers={"Authorization": f"Bearer {args.key}"}))
        now = time.monotonic()
        rss, threads, rss_parts = proc_status(args.host_pid)
        fds = len(os.listdir(f"/proc/{args.host_pid}/fd"))
        host, driver, mock = proc_cpu_s(args.host_pid), driver_cpu_s(), proc_cpu_s(args.mock_pid)
        span = now - last["t"]
        latencies, stats.latencies = stats.latencies, []
        row = [round(now - args.started), rss, fds, threads, round(host, 2),
               round(100 * (host - last["host"]) / span, 1),
               round(100 * (driver - last["driver"]) / span, 1),
               round(100 * (mock - last["mock"]) / span, 1),
               stats.connected, stats.done, round((stats.done - last["done"]) / span, 1),
               round(percentile(latencies, 0.5), 1), round(percentile(latencies, 0.99), 1),
               stats.errors, stats.lost, stats.duplicated, stats.reconnects, stats.resumes,
               stats.reloads, stats.swaps] + rss_parts
        csv.write(",".join(map(str, row)) + "\n")
        csv.flush()
        print("soak: " + " ".join(f"{k}={v}" for k, v in zip(CSV_COLUMNS.split(","), row)),
              file=sys.stderr, flush=True)
        last = {"t": now, "host": host, "driver": driver, "mock": mock, "done": stats.done}
    for ws in leaked:
        await ws.close()


# ---- reloads and library swaps

async def http_get(port, path):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    data = await reader.read()
    writer.close()
    return json.loads(data.split(b"\r\n\r\n", 1)[1])


def swap_echo_library(args, generation):
    """A new echo library, the way an operator installs one: a copy next to the old file,
    then a rename over it. A few bytes appended after the ELF image make its content new, so
    the reload really loads it (the host loads libraries by content)."""
    target = os.path.join(args.plugin_dir, "echo.so")
    staging = os.path.join(args.plugin_dir, ".echo.so.new")
    shutil.copyfile(args.echo_library, staging)
    with open(staging, "ab") as f:
        f.write(f"\0soak-swap-{generation}\0".encode())
    os.chmod(staging, 0o755)
    os.rename(staging, target)


async def reloader(args, stats, stop):
    tick = 0
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), TICK_S)
            return
        except asyncio.TimeoutError:
            pass
        tick += 1
        if tick % 6 == 0:
            swap_echo_library(args, tick // 6)
            stats.swaps += 1
        before = (await http_get(args.port, "/api/status"))["reload"]
        os.kill(args.host_pid, signal.SIGHUP)
        for _ in range(100):  # the reload is done when the generation moves
            await asyncio.sleep(0.1)
            status = (await http_get(args.port, "/api/status"))["reload"]
            if status.get("generation") != before.get("generation"):
                break
        if status.get("generation") == before.get("generation") or not status.get("ok"):
            stats.fail("errors", f"reload {tick}: {status}")
        else:
            stats.reloads += 1


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host-pid", type=int, required=True)
    parser.add_argument("--mock-pid", type=int, required=True)
    parser.add_argument("--plugin-dir", required=True)
    parser.add_argument("--echo-library", required=True, help="the built echo.so to copy")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--interval-s", type=float, default=5.0, help="mean pause between messages")
    parser.add_argument("--p2-share", type=float, default=0.5)
    parser.add_argument("--claude-share", type=float, default=0.3)
    parser.add_argument("--mid-disconnect", type=float, default=0.03)
    parser.add_argument("--idle-disconnect", type=float, default=0.02)
    parser.add_argument("--turns-per-conversation", type=int, default=20)
    parser.add_argument("--ramp-s", type=float, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--inject", choices=("none", "drop", "dup", "fdleak"), default="none")
    parser.add_argument("--csv", required=True)
    parser.add_argument("--summary", required=True)
    args = parser.parse_args()
    args.key = os.environ["AGENTHOST_BENCH_KEY"]
    args.started = time.monotonic()
    args.injected = [False]

    stats = Stats()
    stop = asyncio.Event()
    sessions = [Session(n, args, stats, stop) for n in range(args.sessions)]

    with open(args.csv, "w") as csv:
        csv.write(CSV_COLUMNS + "\n")
        tasks = [asyncio.create_task(s.run()) for s in sessions]
        tasks += [asyncio.create_task(sampler(args, stats, stop, csv)),
                  asyncio.create_task(reloader(args, stats, stop))]
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        try:
            await asyncio.wait_for(stop.wait(), args.seconds)
        except asyncio.TimeoutError:
            stop.set()
        # Let every turn still running end: a session leaves only after its terminal frame.
        done, still = await asyncio.wait(tasks, timeout=TURN_TIMEOUT_S + 15)
        for task in still:
            task.cancel()
        for task in done:
            if task.exception() is not None:
                stats.fail("errors", f"a driver task failed: {task.exception()!r}")

    summary = {k: getattr(stats, k) for k in ("done", "errors", "lost", "duplicated", "reconnects",
                                              "resumes", "abandoned", "reloads", "swaps",
                                              "failures")}
    summary.update(sessions=args.sessions, protocol2=sum(s.protocol == 2 for s in sessions),
                   claude=sum(s.route == "claude" for s in sessions), seconds=args.seconds,
                   interval_s=args.interval_s, inject=args.inject,
                   driver_cpu_s=round(driver_cpu_s(), 1))
    with open(args.summary, "w") as f:
        json.dump(summary, f, indent=1)
    print("soak: driver done: " + json.dumps({k: v for k, v in summary.items() if k != "failures"}),
          file=sys.stderr, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
