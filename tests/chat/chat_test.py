"""`agenthost chat` against a real agenthost with the echo plugin.

The host runs on port 0 (it prints the port it got); the client runs in pipe mode (stdout a
pipe) and through a pseudo-terminal (pexpect), as a person would use it. ResumeTest puts a TCP
proxy between them that cuts the connection in the middle of an answer.
"""

import io
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

import pexpect

BINARY = os.environ["AGENTHOST_BINARY"]
PLUGINS = os.environ["AGENTHOST_PLUGIN_DIR"]
SLOWDOWN = int(os.environ.get("AGENTHOST_SLOWDOWN", "1"))
KEY = "test-key-0123456789"
OTHER_KEY = "other-key-0123456789"
TIMEOUT = 20 * SLOWDOWN

ROUTES = """
[key.test]
secret = test-key-0123456789

[key.other]
secret = other-key-0123456789
plugins = echo

[plugin.echo]
library = echo

[plugin.events]
library = echo
events = true

[plugin.ask]
library = echo
ask_approval = true

[plugin.slow]
library = echo
repeat = 400
interval_ms = 20

[plugin.paced]
library = echo
repeat = 40
interval_ms = 15
"""


class Host:
    """agenthost on a loopback port of its choosing, stopped with SIGTERM."""

    def __init__(self, sections=ROUTES, port=0, server="", directory=None):
        self.dir = directory or tempfile.mkdtemp(prefix="agenthost-chat-")
        self.config = os.path.join(self.dir, "agenthost.ini")
        with open(self.config, "w") as ini:
            ini.write(
                f"[server]\nhost = 127.0.0.1\nport = {port}\n"
                f"state_dir = {self.dir}/state\n{server}\n"
                f"[plugins]\ndirectory = {PLUGINS}\n{sections}"
            )
        self.log = open(os.path.join(self.dir, "agenthost.log"), "w+")
        self.process = subprocess.Popen(
            [BINARY, f"--config={self.config}"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        self.port = self._wait_for_port()

    def _wait_for_port(self):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            with open(self.log.name) as log:
                found = re.search(r"listening on https?://127\.0\.0\.1:(\d+)", log.read())
            if found:
                return int(found.group(1))
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError("agenthost did not start:\n" + open(self.log.name).read())

    def url(self, route=None):
        return f"ws://127.0.0.1:{self.port}" + (f"/api/{route}/ws" if route else "")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=TIMEOUT)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return status


def environment(key=KEY):
    env = dict(os.environ)
    env.pop("AGENTHOST_KEY", None)
    if key is not None:
        env["AGENTHOST_KEY"] = key
    env["TERM"] = "xterm"
    env.pop("NO_COLOR", None)
    return env


def chat(args, text="", key=KEY):
    """The client in pipe mode: `text` on stdin; returns (status, stdout, stderr)."""
    done = subprocess.run([BINARY, "chat", *args], input=text, capture_output=True, text=True,
                          env=environment(key), timeout=TIMEOUT * 3)
    return done.returncode, done.stdout, done.stderr


def spawn(args, key=KEY):
    """The client on a pseudo-terminal, as a person runs it; everything it shows is kept in
    client.logfile_read."""
    client = pexpect.spawn(BINARY, ["chat", *args], env=environment(key), encoding="utf-8",
                           timeout=TIMEOUT, dimensions=(40, 200))
    client.logfile_read = io.StringIO()
    return client


def exit_status(client):
    """Waits for the client to end; its exit status."""
    client.expect(pexpect.EOF)
    client.close()
    return client.exitstatus


class HostTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.host = Host()

    @classmethod
    def tearDownClass(cls):
        # A clean stop exits 0: the server survived every client.
        assert cls.host.stop() == 0


class PipeTest(HostTest):
    def test_answer_on_stdout_and_exit_0_at_end_of_input(self):
        status, out, err = chat(["--route", "echo", self.host.url()], "hi\n")
        self.assertEqual((status, out, err), (0, "hi\n", ""))

    def test_each_line_is_a_message_answered_in_order(self):
        status, out, _ = chat([self.host.url("echo")], "one\ntwo\nthree")
        self.assertEqual((status, out), (0, "one\ntwo\nthree\n"))

    def test_events_go_to_stderr_and_the_answer_stays_plain(self):
        status, out, err = chat([self.host.url("events")], "hello\n")
        self.assertEqual((status, out), (0, "hello\n"))
        self.assertIn("[thinking] The user wrote 5 characters.", err)
        self.assertIn("[status] echoing", err)
        self.assertNotIn("\x1b[", out + err)

    def test_approval_answered_from_stdin(self):
        status, out, err = chat([self.host.url("ask")], "yes please\ny\n")
        self.assertEqual((status, out), (0, "yes please\n"))
        self.assertIn("approval: Echo `yes please`? (command) [y/n]", err)
        status, out, err = chat([self.host.url("ask")], "no thanks\nn\n")
        self.assertEqual((status, out), (1, ""))
        self.assertIn("declined", err)

    def test_approval_open_at_end_of_input_is_declined(self):
        status, out, err = chat([self.host.url("ask")], "unanswered\n")
        self.assertEqual((status, out), (1, ""))
        self.assertIn("declined", err)

    def test_wrong_key_exits_4_without_printing_the_key(self):
        status, out, err = chat([self.host.url("echo")], "hi\n", key="wrong-key-secret-123")
        self.assertEqual(status, 4)
        self.assertIn("invalid_api_key", err)
        self.assertNotIn("wrong-key-secret-123", out + err)

    def test_key_not_allowed_on_the_route_exits_4(self):
        status, _, err = chat([self.host.url("slow")], "hi\n", key=OTHER_KEY)
        self.assertEqual(status, 4)
        self.assertIn("forbidden", err)

    def test_unknown_route_exits_5(self):
        status, _, err = chat([self.host.url("nosuch")], "hi\n")
        self.assertEqual(status, 5)
        self.assertIn("no route nosuch", err)

    def test_server_down_exits_3(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed = s.getsockname()[1]
        status, _, err = chat([f"ws://127.0.0.1:{closed}", "--route", "echo"], "hi\n")
        self.assertEqual(status, 3)
        self.assertIn("cannot reach", err)

    def test_no_key_is_a_usage_error(self):
        status, _, err = chat([self.host.url("echo"), "--config", "/nonexistent.ini"], "hi\n",
                              key=None)
        self.assertEqual(status, 2)
        self.assertIn("AGENTHOST_KEY", err)

    def test_key_file(self):
        path = os.path.join(self.host.dir, "key")
        with open(path, "w") as f:
            f.write(KEY + "\n")
        status, out, _ = chat([self.host.url("echo"), "--key-file", path], "from file\n",
                              key=None)
        self.assertEqual((status, out), (0, "from file\n"))

    def test_bad_option_exits_2(self):
        status, _, err = chat(["--colour"], "")
        self.assertEqual(status, 2)
        self.assertIn("unknown option --colour", err)

    def test_help(self):
        status, out, _ = chat(["--help"])
        self.assertEqual(status, 0)
        for part in ("SYNOPSIS", "/open ID", "EXIT STATUS", "AGENTHOST_KEY"):
            self.assertIn(part, out)

    def start_slow_answer(self):
        """A client in pipe mode whose answer (400 pieces, 8 s) has begun streaming."""
        message = os.path.join(self.host.dir, "message")
        with open(message, "w") as f:
            f.write("tick ")  # no newline: the end of input ends the line
        with open(message) as stdin:
            client = subprocess.Popen([BINARY, "chat", self.host.url("slow")], stdin=stdin,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      env=environment())
        self.assertEqual(client.stdout.read(5), b"tick ")
        return client

    def test_ctrl_c_without_a_terminal_cancels_and_exits_130(self):
        client = self.start_slow_answer()
        client.send_signal(signal.SIGINT)
        out, err = client.communicate(timeout=TIMEOUT)
        self.assertEqual(client.returncode, 130)
        self.assertLess(out.count(b"tick "), 399)
        self.assertIn(b"(cancelled)", err)

    def test_sigterm_exits_143_and_cancels_nothing(self):
        client = self.start_slow_answer()
        client.send_signal(signal.SIGTERM)
        out, err = client.communicate(timeout=TIMEOUT)
        self.assertEqual((client.returncode, err), (143, b""))
        status, out, _ = chat([self.host.url("slow")], "/list\n")
        newest = out.splitlines()[0]
        self.assertRegex(newest, r"  1 turn   \S+  tick +\(running\)$")  # leaving cancels nothing


class InteractiveTest(HostTest):
    def test_prompt_streaming_and_quit(self):
        client = spawn([self.host.url("echo")])
        client.expect_exact("/help lists the commands")
        client.expect_exact("> ")
        client.sendline("hello there")
        client.expect_exact("hello there\r\n")  # the terminal's echo of the line
        client.expect_exact("hello there\r\n")  # the answer
        client.expect_exact("> ")
        client.sendline("/quit")
        self.assertEqual(exit_status(client), 0)

    def test_events_are_dim_lines(self):
        client = spawn([self.host.url("events")])
        client.expect_exact("> ")
        client.sendline("abc")
        client.expect_exact("\x1b[2mthinking: \x1b[22m\x1b[2mThe user wrote 3 characters.")
        client.expect_exact("\x1b[2mstatus: echoing\x1b[22m")
        client.expect_exact("abc\r\n")
        client.sendeof()
        self.assertEqual(exit_status(client), 0)

    def test_ctrl_c_cancels_the_answer_and_twice_at_the_prompt_exits(self):
        client = spawn([self.host.url("slow")])
        client.expect_exact("> ")
        client.sendline("tick")
        client.expect_exact("tick\r\n")  # the echo of the line
        client.expect_exact("ticktick")  # the answer is streaming
        client.sendintr()
        client.expect_exact("(cancelled)")
        client.expect_exact("> ")
        # The connection is still usable after the cancel.
        client.sendline("/help")
        client.expect_exact("/open ID")
        client.expect_exact("> ")
        client.sendintr()
        client.expect_exact("Ctrl-C again")
        client.sendintr()
        self.assertEqual(exit_status(client), 0)
        self.assertLess(client.logfile_read.getvalue().count("tick"), 100)  # of 400

    def test_approval_yes_and_no(self):
        client = spawn([self.host.url("ask")])
        client.expect_exact("> ")
        client.sendline("first")
        client.expect_exact("Echo `first`? (command) [y/n] ")
        client.sendline("maybe")
        client.expect_exact("please answer y or n")
        client.expect_exact("[y/n] ")
        client.sendline("y")
        client.expect_exact("Approved")
        client.expect_exact("first\r\n")
        client.expect_exact("> ")
        client.sendline("second")
        client.expect_exact("Echo `second`? (command) [y/n] ")
        client.sendline("n")
        client.expect_exact("declined")
        client.expect_exact("> ")
        client.sendline("/quit")
        self.assertEqual(exit_status(client), 0)

    def test_wrong_key_exits_4(self):
        client = spawn([self.host.url("echo")], key="not-the-key-42")
        self.assertEqual(exit_status(client), 4)
        self.assertNotIn("not-the-key-42", client.logfile_read.getvalue())


class ConversationsTest(HostTest):
    def conversation_of(self, text):
        """Runs one message in pipe mode and returns the id /list shows for it."""
        status, out, _ = chat([self.host.url("echo")], text + "\n")
        self.assertEqual(status, 0)
        status, out, _ = chat([self.host.url("echo")], "/list\n")
        self.assertEqual(status, 0)
        for line in out.splitlines():
            if line.endswith("  " + text):
                return line.split()[0]
        self.fail("not listed: " + out)

    def test_list_and_open_in_pipe_mode(self):
        conversation = self.conversation_of("remember this")
        status, out, _ = chat([self.host.url("echo")], f"/open {conversation}\nand this\n")
        self.assertEqual(status, 0)
        self.assertEqual(out, "> remember this\nremember this\nand this\n")
        status, out, _ = chat([self.host.url("echo"), "--conversation", conversation], "")
        self.assertEqual(
            (status, out), (0, "> remember this\nremember this\n> and this\nand this\n"))

    def test_unknown_conversation(self):
        status, _, err = chat([self.host.url("echo"), "--conversation", "A" * 24], "hi\n")
        self.assertEqual(status, 6)
        self.assertIn("no conversation", err)
        status, out, err = chat([self.host.url("echo")], "/open " + "B" * 24 + "\nstill here\n")
        self.assertEqual((status, out), (0, "still here\n"))
        self.assertIn("no conversation", err)

    def test_new_list_open_interactive(self):
        conversation = self.conversation_of("older one")
        client = spawn([self.host.url("echo")])
        client.expect_exact("> ")
        client.sendline("newer one")
        client.expect_exact("newer one\r\n")
        client.expect_exact("newer one\r\n")
        client.expect_exact("> ")
        client.sendline("/list")
        client.expect(r"\* ([A-Za-z0-9_-]{24})  1 turn   \S+  newer one")
        current = client.match.group(1)
        client.expect_exact(f"  {conversation}  1 turn ")
        client.expect_exact("> ")
        client.sendline(f"/open {conversation}")
        client.expect_exact("> older one\r\nolder one\r\n")
        client.expect_exact("> ")
        client.sendline("/new")
        client.expect(r"new conversation ([A-Za-z0-9_-]{24})")
        self.assertNotIn(client.match.group(1), (current, conversation))
        client.expect_exact("> ")
        client.sendline("/quit")
        self.assertEqual(exit_status(client), 0)

    def test_defaults_come_from_the_config_and_its_generated_key(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        host = Host("\n[plugin.echo]\nlibrary = echo\n", port=port)
        try:
            status, out, err = chat(["--config", host.config], "from defaults\n", key=None)
            self.assertEqual((status, out, err), (0, "from defaults\n", ""))
        finally:
            self.assertEqual(host.stop(), 0)


class TlsTest(unittest.TestCase):
    def test_wss_with_the_servers_certificate(self):
        directory = tempfile.mkdtemp(prefix="agenthost-chat-tls-")
        cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-days", "2", "-keyout", key, "-out", cert, "-subj", "/CN=localhost",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
            check=True, capture_output=True)
        host = Host(port=0, server=f"tls_cert = {cert}\ntls_key = {key}\n",
                    directory=directory)
        try:
            url = f"wss://127.0.0.1:{host.port}/api/echo/ws"
            status, out, err = chat([url, "--ca-file", cert], "over tls\n")
            self.assertEqual((status, out, err), (0, "over tls\n", ""))
            # Not trusted without it: refused, not asked about.
            status, out, err = chat([url], "over tls\n")
            self.assertEqual((status, out), (3, ""))
            self.assertIn("cannot reach", err)
        finally:
            self.assertEqual(host.stop(), 0)


class CuttingProxy:
    """A TCP proxy to the host that cuts its first connection; later connections pass
    untouched. It cuts once `cut_after` bytes came from the server, or when the client's
    `cut_at_send`-th write arrives (the upgrade request is the 1st, the key the 2nd, the
    first message the 3rd): before passing it on, or just after with `deliver`."""

    def __init__(self, target_port, cut_after=None, cut_at_send=None, deliver=False):
        self.target_port = target_port
        self.cut_after = cut_after
        self.cut_at_send = cut_at_send
        self.deliver = deliver
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._pipe, args=(client, self.connections == 1),
                             daemon=True).start()

    def _pipe(self, client, cutting):
        server = socket.create_connection(("127.0.0.1", self.target_port))
        received = 0
        writes = 0
        try:
            while True:
                readable, _, _ = select.select([client, server], [], [])
                if client in readable:
                    data = client.recv(65536)
                    if not data:
                        return
                    writes += 1
                    if cutting and writes == self.cut_at_send:
                        if self.deliver:
                            server.sendall(data)
                            time.sleep(0.05)  # the server has it before the cut
                        self.cut.set()
                        return
                    server.sendall(data)
                if server in readable:
                    data = server.recv(65536)
                    if not data:
                        return
                    if cutting and self.cut_after and received + len(data) >= self.cut_after:
                        client.sendall(data[: self.cut_after - received])
                        self.cut.set()
                        return
                    client.sendall(data)
                    received += len(data)
        except OSError:
            return
        finally:
            # A reset, as a dead network looks to the client.
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
            server.close()

    def close(self):
        self.listener.close()


class ResumeTest(HostTest):
    PIECE = "0123456789abcdefghij"

    def test_pipe_mode_resumes_and_prints_the_text_exactly_once(self):
        proxy = CuttingProxy(self.host.port, cut_after=1500)
        try:
            status, out, err = chat([f"ws://127.0.0.1:{proxy.port}/api/paced/ws"],
                                    self.PIECE + "\n")
        finally:
            proxy.close()
        self.assertTrue(proxy.cut.is_set())
        self.assertGreaterEqual(proxy.connections, 2)
        self.assertEqual(status, 0, err)
        self.assertEqual(out, self.PIECE * 40 + "\n")
        self.assertIn("connection lost; reconnecting", err)
        self.assertIn("reconnected", err)

    def test_a_message_lost_in_the_drop_is_sent_again(self):
        proxy = CuttingProxy(self.host.port, cut_at_send=3)
        try:
            status, out, err = chat([f"ws://127.0.0.1:{proxy.port}/api/echo/ws"], "lost once\n")
        finally:
            proxy.close()
        self.assertTrue(proxy.cut.is_set())
        self.assertEqual((status, out), (0, "lost once\n"), err)

    def test_a_message_that_arrived_before_the_drop_is_not_sent_twice(self):
        proxy = CuttingProxy(self.host.port, cut_at_send=3, deliver=True)
        try:
            status, out, err = chat([f"ws://127.0.0.1:{proxy.port}/api/echo/ws"],
                                    "arrived\nnext\n")
        finally:
            proxy.close()
        self.assertTrue(proxy.cut.is_set())
        self.assertEqual((status, out), (0, "arrived\nnext\n"), err)
        status, out, _ = chat([self.host.url("echo")], "/list\n")
        listed = [line for line in out.splitlines() if line.endswith("  arrived")]
        self.assertEqual(len(listed), 1, out)
        self.assertIn("  2 turns  ", listed[0])  # "arrived" and "next", nothing twice

    def test_interactive_resumes_and_prints_the_text_exactly_once(self):
        proxy = CuttingProxy(self.host.port, cut_after=1500)
        try:
            client = spawn([f"ws://127.0.0.1:{proxy.port}/api/paced/ws"])
            client.expect_exact("> ")
            client.sendline(self.PIECE)
            client.expect_exact(self.PIECE + "\r\n")  # the echo of the line
            client.expect_exact("connection lost; reconnecting")
            client.expect_exact("reconnected")
            client.expect_exact("\r\n> ")
            client.sendline("/quit")
            self.assertEqual(exit_status(client), 0)
        finally:
            proxy.close()
        answer = re.sub(r"\x1b\[\d+m", "", client.logfile_read.getvalue().split(self.PIECE + "\r\n", 1)[1])
        notes = ("connection lost; reconnecting", "reconnected")
        lines = [line for line in answer.split("\r\n")
                 if line and line not in notes and not line.startswith(">")]
        self.assertEqual("".join(lines), self.PIECE * 40)

if __name__ == "__main__":
    unittest.main()
