"""A real agenthost process for the browser tests, as tests/support/HostProcess starts one: an
ini in a temp dir, the built binary on a free loopback port, /api/health polled until it
answers, SIGTERM at the end expecting a clean exit (a sanitizer's report makes it non-zero);
and a TCP proxy in front of it that can drop every connection it carries."""

import os
import select
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

KEY = "test-key-0123456789"
OTHER_KEY = "other-key-0123456789"  # may open the echo route only


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Host:
    def __init__(self, binary, plugins, workdir, sections, slowdown=1):
        binary, plugins = os.path.abspath(binary), os.path.abspath(plugins)
        self.port = free_port()
        self.dir = workdir
        self.plugins = plugins
        self.config = os.path.join(workdir, "agenthost.ini")
        self.log = os.path.join(workdir, "agenthost.log")
        self.write_config(sections)
        self.process = subprocess.Popen(
            [binary, f"--config={self.config}"], stdin=subprocess.DEVNULL,
            stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20 * slowdown
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("agenthost exited during startup:\n" + self.output())
            try:
                with urllib.request.urlopen(self.url("/api/health"), timeout=2) as r:
                    if r.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.02)
        raise RuntimeError("agenthost did not answer /api/health:\n" + self.output())

    def write_config(self, sections):
        """The ini: the harness's [server], [plugins] and keys, then `sections`."""
        with open(self.config + ".next", "w") as f:
            f.write(
                f"[server]\nhost = 127.0.0.1\nport = {self.port}\n"
                f"state_dir = {os.path.join(self.dir, 'state')}\n\n"
                f"[plugins]\ndirectory = {self.plugins}\n\n"
                f"[key.test]\nsecret = {KEY}\n\n"
                f"[key.other]\nsecret = {OTHER_KEY}\nplugins = echo\n\n{sections}\n")
        os.rename(self.config + ".next", self.config)

    def reload(self, sections, generation, timeout):
        """Rewrites the ini, sends SIGHUP and waits until `generation` is live."""
        self.write_config(sections)
        self.process.send_signal(signal.SIGHUP)
        line = f"reload: generation {generation} with"
        deadline = time.monotonic() + timeout
        while line not in self.output():
            if time.monotonic() > deadline:
                raise RuntimeError(f"no '{line}' in the log:\n" + self.output())
            time.sleep(0.02)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def output(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


class Proxy:
    """Forwards 127.0.0.1:<port> to the host. drop_all() closes every connection it carries
    (a network that went away mid-stream); while refusing, new connections are closed at once
    (the network is still gone)."""

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.sockets = []
        self.refusing = False
        self.dropped = 0
        self.running = True
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while self.running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            threading.Thread(target=self.pump, args=(client, upstream), daemon=True).start()

    def pump(self, a, b):
        peers = {a: b, b: a}
        try:
            while True:
                readable, _, _ = select.select([a, b], [], [], 0.5)
                for s in readable:
                    data = s.recv(65536)
                    if not data:
                        return
                    peers[s].sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass

    def drop_all(self):
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.dropped += len(sockets) // 2

    def close(self):
        self.running = False
        self.listener.close()
        self.drop_all()
