#!/usr/bin/env python3
"""The chat page (web/) in headless Chromium against a real agenthost with the echo plugin.

HTTP: the page's headers (CSP, nosniff, ETag/304, HEAD), no path traversal, /api/routes, and
[web] enabled = false. In the browser, through a TCP proxy that can drop the connection: the
key, routes with health, sending with Enter and Shift+Enter, Markdown, an XSS payload that
stays text, Stop and Esc, a drop mid-stream resumed with every piece of text exactly once,
the conversation list (open, delete), thinking, event cards and approvals, a phone-width
screen and dark mode. Screenshots of the main states go to --screenshots.

  chat_page_test.py --binary build/bin/agenthost --plugins build/plugins --screenshots DIR
"""

import argparse
import json
import os
import shutil
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from host import KEY, OTHER_KEY, Host, Proxy  # noqa: E402

ROUTES = """
[plugin.echo]
library = echo

[plugin.slow]
library = echo
repeat = 40
interval_ms = 40

[plugin.agent]
library = echo
events = true
ask_approval = true
"""
SLOW_REPEAT = 40

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print(f"FAIL: {what}", flush=True)
    return condition


def http(host, method, path, headers=None):
    """(status, headers as a lower-case dict, body) of one request, path sent as is."""
    with socket.create_connection(("127.0.0.1", host.port), timeout=10) as s:
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *fields = head.decode().split("\r\n")
    found = {}
    for field in fields:
        name, _, value = field.partition(":")
        found[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), found, body


def check_http(host):
    status, headers, body = http(host, "GET", "/")
    check(status == 200, f"GET / is 200 (got {status})")
    check(headers.get("content-type", "").startswith("text/html"), "GET / is text/html")
    csp = headers.get("content-security-policy", "")
    for part in ("default-src 'none'", "script-src 'self'", "connect-src 'self'"):
        check(part in csp, f"the CSP has {part}: {csp!r}")
    check("unsafe-inline" not in csp, "the CSP allows no inline script")
    check(headers.get("x-content-type-options") == "nosniff", "X-Content-Type-Options: nosniff")
    check(headers.get("cache-control") == "no-cache", "Cache-Control: no-cache")
    etag = headers.get("etag", "")
    check(etag.startswith('"'), f"an ETag: {etag!r}")
    check(b'type="module"' in body and b"<script>" not in body, "index.html has no inline script")

    status, headers, body = http(host, "GET", "/", {"If-None-Match": etag})
    check(status == 304 and body == b"", f"If-None-Match: the ETag gives 304 (got {status})")
    status, headers, body = http(host, "HEAD", "/app/main.js")
    check(status == 200 and body == b"", "HEAD /app/main.js: 200 without a body")
    check(headers.get("content-type", "").startswith("text/javascript"), "main.js is JavaScript")
    check(int(headers.get("content-length", "0")) > 1000, "HEAD tells main.js's length")
    status, headers, _ = http(host, "GET", "/app/style.css")
    check(status == 200 and headers.get("content-type", "").startswith("text/css"), "style.css")
    check(http(host, "POST", "/")[0] == 405, "POST / is 405")

    # Only the folder's own files: nothing above it, no hidden file, however the path is spelt.
    for path in ("/app/../README.md", "/app/%2e%2e/README.md", "/app/..%2fREADME.md",
                 "/app/%2e%2e%2f%2e%2e%2fetc/passwd", "/app/../../../../etc/passwd",
                 "/app//etc/passwd", "/app/./index.html", "/app/.git/config",
                 "/app/index.html%00.js", "/README.md", "/../README.md", "/index.html/.."):
        status, _, body = http(host, "GET", path)
        check(status in (400, 404) and b"root:" not in body and b"agenthost" not in body[:20],
              f"GET {path} is refused (got {status})")

    status, _, _ = http(host, "GET", "/api/routes")
    check(status == 401, f"/api/routes without a key is 401 (got {status})")
    status, _, body = http(host, "GET", "/api/routes", {"Authorization": f"Bearer {OTHER_KEY}"})
    routes = [r["route"] for r in json.loads(body)["routes"]] if status == 200 else []
    check(routes == ["echo"], f"/api/routes lists only the key's routes (got {routes})")


def conversation_status(host, conversation_id):
    request = urllib.request.Request(host.url(f"/api/conversations/{conversation_id}"),
                                     headers={"Authorization": f"Bearer {KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


class Page:
    def __init__(self, base_url, screenshots, slowdown):
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1100,760", "--disable-extensions", "--no-first-run"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.base = base_url
        self.screenshots = screenshots
        self.timeout = 10 * slowdown

    def wait(self, condition, what, timeout=None):
        try:
            return WebDriverWait(self.driver, timeout or self.timeout, 0.05).until(
                lambda d: condition())
        except TimeoutException:
            check(False, f"timed out waiting for {what}")
            return None

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def shot(self, name):
        os.makedirs(self.screenshots, exist_ok=True)
        self.driver.save_screenshot(os.path.join(self.screenshots, name + ".png"))

    def text(self, css):
        return self.js("const e = document.querySelector(arguments[0]);"
                       "return e ? e.textContent : null;", css)

    def visible(self, css):
        return self.js("const e = document.querySelector(arguments[0]);"
                       "return !!e && e.getClientRects().length > 0;", css)

    def on_screen(self, css):
        return self.js("const e = document.querySelector(arguments[0]);"
                       "if (!e) return false; const r = e.getBoundingClientRect();"
                       "return r.width > 0 && r.right > 0 && r.left < window.innerWidth;", css)

    def turns(self):
        return self.all("#messages .turn")

    def last_turn_text(self):
        return self.js("const t = [...document.querySelectorAll('#messages .turn')].pop();"
                       "const a = t && t.querySelector('.assistant');"
                       "return a ? a.textContent : '';")

    def last_turn_ended(self, css=".end"):
        return self.js("const t = [...document.querySelectorAll('#messages .turn')].pop();"
                       "return !!t && !!t.querySelector(arguments[0]);", css)

    def type_and_send(self, message):
        """Types `message` as a person would (Shift+Enter for its line breaks), then Enter."""
        keys = []
        for n, line in enumerate(message.split("\n")):
            if n:
                keys += [Keys.SHIFT, Keys.ENTER, Keys.NULL]
            keys.append(line)
        box = self.find("#input")
        box.send_keys(*keys)
        box.send_keys(Keys.ENTER)

    def open_route(self, route):
        self.find(f'.route[data-route="{route}"]').click()
        self.wait(lambda: self.js("return !document.querySelector('#send').disabled"),
                  f"the {route} route to connect")

    def send(self, message, turns_before=None):
        before = len(self.turns()) if turns_before is None else turns_before
        self.type_and_send(message)
        self.wait(lambda: len(self.turns()) == before + 1, f"the user frame of {message!r}")

    def quit(self):
        self.driver.quit()


def check_login(page):
    page.driver.get(page.base + "/")
    page.wait(lambda: page.visible("#key"), "the key form")
    page.shot("01-key")
    page.find("#key").send_keys("wrong-key")
    page.find("#connect").click()
    page.wait(lambda: "not valid" in (page.text("#login-error") or ""), "a wrong key refused")
    page.find("#key").clear()
    page.find("#key").send_keys(KEY)
    page.find("#connect").click()
    page.wait(lambda: len(page.all(".route")) == 3, "the three routes")
    names = [r.get_attribute("data-route") for r in page.all(".route")]
    check(names == ["agent", "echo", "slow"], f"routes listed: {names}")
    check(len(page.all(".route .health.ok")) == 3, "each route shows its health (ok)")
    stored = page.js("return [localStorage.getItem('agenthost.key'),"
                     " sessionStorage.getItem('agenthost.key')]")
    check(stored == [None, KEY], f"without 'remember' the key is in sessionStorage only: {stored}")
    page.wait(lambda: page.text("#status") == "online", "the connection to be online")


def check_chat(page):
    page.open_route("echo")
    page.send("Hello **world** with `code`")
    page.wait(page.last_turn_ended, "the answer's end")
    check(page.last_turn_text() == "Hello world with code", f"the answer: {page.last_turn_text()!r}")
    check(page.text(".turn:last-child .assistant strong") == "world", "**world** is bold")
    check(page.text(".turn:last-child .assistant code") == "code", "`code` is code")

    box = page.find("#input")
    box.send_keys("line one", Keys.SHIFT, Keys.ENTER, Keys.NULL, "line two", Keys.ENTER)
    page.wait(lambda: page.last_turn_ended() and len(page.turns()) == 2, "the two-line message")
    check(page.text(".turn:last-child .user") == "line one\nline two",
          f"Shift+Enter is a new line: {page.text('.turn:last-child .user')!r}")

    payload = '<img src=x onerror="window.xssFired=1"><script>window.xssFired=2</script> & <b>bold</b>'
    page.send(payload)
    page.wait(page.last_turn_ended, "the XSS answer")
    check(page.last_turn_text() == payload, f"the payload shows as text: {page.last_turn_text()!r}")
    check(page.text(".turn:last-child .user") == payload, "the user's copy shows as text")
    check(not page.all("#messages img, #messages script, #messages b"),
          "no element came from the payload")
    check(page.js("return window.xssFired === undefined"), "no script of the payload ran")

    page.send("```\nint main() { return 0; }\n```\n- one\n- two\n\n"
              "[docs](https://example.com/x) [bad](javascript:alert(1))")
    page.wait(page.last_turn_ended, "the Markdown answer")
    check(page.text(".turn:last-child pre code") == "int main() { return 0; }", "a code block")
    check(len(page.all(".turn:last-child .assistant li")) == 2, "a list of two")
    links = [a.get_attribute("href") for a in page.all(".turn:last-child .assistant a")]
    check(links == ["https://example.com/x"], f"only the http link is a link: {links}")
    page.shot("02-chat")


def ticks(page, word):
    return page.last_turn_text().count(word)


def check_stop(page):
    page.open_route("slow")
    page.send("tick ")
    page.wait(lambda: ticks(page, "tick") >= 2, "the slow answer to stream")
    check(page.visible("#stop"), "the Stop button shows while an answer runs")
    page.find("#stop").click()
    page.wait(lambda: page.last_turn_ended(".end.stopped"), "Stop to end the answer")
    check(ticks(page, "tick") < SLOW_REPEAT, "Stop cut the answer short")
    page.wait(lambda: not page.visible("#stop"), "the Stop button to go")

    page.send("tack ")
    page.wait(lambda: ticks(page, "tack") >= 2, "the second slow answer to stream")
    page.find("#input").send_keys(Keys.ESCAPE)
    page.wait(lambda: page.last_turn_ended(".end.stopped"), "Esc to stop the answer")
    check(ticks(page, "tack") < SLOW_REPEAT, "Esc cut the answer short")


def check_resume(page, proxy):
    page.send("tock ")
    page.wait(lambda: ticks(page, "tock") >= 3, "the answer to stream before the drop")
    proxy.refusing = True
    proxy.drop_all()
    page.wait(lambda: page.visible("#offline"), "the offline banner")
    before = ticks(page, "tock")
    check(before < SLOW_REPEAT, f"the drop came mid-stream ({before} of {SLOW_REPEAT})")
    page.shot("03-offline")
    time.sleep(0.5)  # the network stays away a moment; the page's retries are refused
    proxy.refusing = False
    page.wait(lambda: page.last_turn_ended(), "the answer to complete after the resume",
              3 * page.timeout)
    text = page.last_turn_text()
    check(text == "tock " * SLOW_REPEAT,
          f"every piece exactly once after the resume: {text.count('tock')} x tock")
    check(not page.visible("#offline"), "the banner is gone once online")
    check(len(page.all("#messages .user")) == 3, "no turn was shown twice")


def conversation_items(page):
    return page.js("return [...document.querySelectorAll('#conversations .conversation')]"
                   ".map(c => [c.dataset.id, c.querySelector('.title').textContent])")


def check_conversations(page, host):
    page.wait(lambda: len(conversation_items(page)) == 2, "two conversations listed")
    items = conversation_items(page)
    titles = [title for _, title in items]
    check(titles == ["tick ", "Hello **world** with `code`"], f"newest first: {titles}")
    slow_id, echo_id = items[0][0], items[1][0]
    page.shot("04-conversations")

    # Deleting the open conversation moves the page to a new one.
    button = page.find(f'.conversation[data-id="{slow_id}"] .delete')
    button.click()
    check(button.text == "Sure?", "a first click asks again")
    button.click()
    page.wait(lambda: slow_id not in [i for i, _ in conversation_items(page)], "the deletion")
    check(conversation_status(host, slow_id) == 404, "the deleted conversation is gone (404)")
    page.wait(lambda: not page.turns(), "the deleted conversation to leave the screen")
    page.wait(lambda: "was deleted" in (page.text("#messages .notice") or ""),
              "a notice that the conversation was deleted")

    page.find(f'.conversation[data-id="{echo_id}"] .open').click()
    page.wait(lambda: len(page.turns()) == 4 and page.last_turn_ended(), "the replayed turns")
    check(page.text(".turn:first-child .assistant strong") == "world", "the replay renders")
    check(page.text("#title") == "echo", "opening it switched to its route")


def check_agent(page):
    page.open_route("agent")
    page.send("make test")
    page.wait(lambda: page.all(".turn:last-child .approval .accept"), "the approval request")
    check(page.text(".turn:last-child .thinking summary") == "Thinking", "thinking is shown")
    check(page.js("return !document.querySelector('.turn:last-child .thinking').open"),
          "thinking is folded")
    check("9 characters" in page.text(".turn:last-child .thinking-text"), "the thinking text")
    check("echoing" in (page.text(".turn:last-child .card.status") or ""), "the status card")
    check("make test" in page.text(".turn:last-child .approval"), "the approval's question")
    page.shot("05-approval")
    page.find(".turn:last-child .approval .accept").click()
    page.wait(page.last_turn_ended, "the accepted answer")
    check(page.last_turn_text() == "make test", "accepted: the echo came")
    check("Approved" in page.text(".turn:last-child .approval .badge"), "the card says Approved")

    page.send("rm -rf /")
    page.wait(lambda: page.all(".turn:last-child .approval .decline"), "the second request")
    page.find(".turn:last-child .approval .decline").click()
    page.wait(lambda: page.last_turn_ended(".end.error"), "the declined turn's end")
    check(page.last_turn_text() == "", "declined: nothing was echoed")
    check("Declined" in page.text(".turn:last-child .approval .badge"), "the card says Declined")
    page.shot("06-agent")


def check_phone_and_dark(page):
    page.driver.set_window_size(390, 844)
    page.driver.refresh()  # the key is in sessionStorage: straight back in, same conversation
    page.wait(lambda: len(page.turns()) == 2 and page.text("#status") == "online",
              "the page to come back after a reload")
    check(page.visible("#menu") and not page.on_screen(".route"), "a phone gets the menu button")
    check(page.js("return document.documentElement.scrollWidth <= window.innerWidth"),
          "nothing is wider than a phone")
    page.shot("07-phone")
    page.find("#menu").click()
    page.wait(lambda: page.js("return document.querySelector('#sidebar')"
                              ".getBoundingClientRect().left >= 0"), "the drawer to slide in")
    page.shot("08-phone-menu")
    ActionChains(page.driver).send_keys(Keys.ESCAPE).perform()
    page.wait(lambda: not page.on_screen(".route"), "Esc to close the drawer")

    page.driver.set_window_size(1100, 760)
    page.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    dark = page.js("return getComputedStyle(document.body).backgroundColor")
    check(dark == "rgb(23, 24, 26)", f"dark mode: {dark}")
    page.shot("09-dark")


def check_remember(page):
    page.find("#forget-key").click()
    page.wait(lambda: page.visible("#key"), "the key form after Forget key")
    stored = page.js("return [localStorage.length, sessionStorage.length]")
    check(stored == [0, 0], f"Forget key leaves nothing stored: {stored}")
    page.find("#key").send_keys(KEY)
    page.find("#remember").click()
    page.find("#connect").click()
    page.wait(lambda: page.text("#status") == "online" and page.js(
        "return !!localStorage.getItem('agenthost.key')"), "logging in again with 'remember'")
    stored = page.js("return [localStorage.getItem('agenthost.key'),"
                     " sessionStorage.getItem('agenthost.key')]")
    check(stored == [KEY, None], f"with 'remember' the key is in localStorage: {stored}")


# Frames of kinds the echo plugin does not send (commands, file changes, tools), rendered by
# the page's own module into a scratch element.
CARDS_SCRIPT = """
const done = arguments[arguments.length - 1];
import('/app/transcript.js').then(({ Transcript }) => {
  const box = document.createElement('div');
  document.body.append(box);
  const t = new Transcript(box, { answer: () => true });
  const f = (seq, frame) => t.frame({ turn: 1, seq, timestamp: 'T', ...frame });
  f(1, { type: 'user', content: 'build it' });
  f(2, { type: 'event', kind: 'command', content: 'make -j2', data: { exit_code: 0 } });
  f(3, { type: 'event', kind: 'command', content: 'make test', data: { exit_code: 2 } });
  f(4, { type: 'event', kind: 'file_change', content: '2 files',
         data: { changes: [{ path: 'a.c', kind: 'update' }, { path: '<b>.h', kind: 'add' }] } });
  f(5, { type: 'event', kind: 'tool_call', content: 'read_file <x>', data: {} });
  f(6, { type: 'message', content: 'Done.' });
  f(7, { type: 'complete', content: 'Response complete', usage: { input_tokens: 3,
         output_tokens: 5 } });
  const text = (css) => [...box.querySelectorAll(css)].map((e) => e.textContent);
  done({ commands: text('.card.command'), files: text('.card.file_change li'),
         tools: text('.card.tool_call'), end: text('.end'), answer: text('.assistant'),
         elements: box.querySelectorAll('b').length });
  box.remove();
}, (error) => done({ error: String(error) }));
"""


def check_cards(page):
    result = page.driver.execute_async_script(CARDS_SCRIPT)
    check(result.get("commands") == ["make -j2exit 0", "make testexit 2"],
          f"command cards with their exit codes: {result}")
    check(result.get("files") == ["update  a.c", "add  <b>.h"], f"file change cards: {result}")
    check(result.get("tools") == ["tool callread_file <x>"], f"a tool card: {result}")
    check(result.get("end") == ["3 in · 5 out"], f"the usage at the end: {result}")
    check(result.get("answer") == ["Done."] and result.get("elements") == 0,
          f"text stays text: {result}")


def check_directory_and_reload(args, workdir, slowdown):
    """[web] directory, files read again on SIGHUP, and [web] enabled = false."""
    site = os.path.join(workdir, "site")
    os.makedirs(os.path.join(site, ".hidden"))

    def write(name, text):
        with open(os.path.join(site, name), "w") as f:
            f.write(text)

    write("index.html", "<!doctype html><title>one</title>")
    write(".secret", "not served")
    write(os.path.join(".hidden", "x.js"), "not served")
    routes = "[plugin.echo]\nlibrary = echo\n"
    host = Host(args.binary, args.plugins, workdir, f"[web]\ndirectory = site\n\n{routes}",
                slowdown)
    try:
        status, headers, body = http(host, "GET", "/")
        check(status == 200 and b"one" in body, f"[web] directory is served (got {status})")
        first_etag = headers.get("etag")
        for path in ("/app/.secret", "/app/.hidden/x.js"):
            check(http(host, "GET", path)[0] == 404, f"GET {path}: a hidden file is 404")
        write("index.html", "<!doctype html><title>two</title>")
        host.reload(f"[web]\ndirectory = site\n\n{routes}", 2, 20 * slowdown)
        status, headers, body = http(host, "GET", "/", {"If-None-Match": first_etag})
        check(status == 200 and b"two" in body, f"SIGHUP reads the files again (got {status})")
        check(headers.get("etag") != first_etag, "a changed file has a new ETag")
        host.reload(f"[web]\ndirectory = nowhere\n\n{routes}", 3, 20 * slowdown)
        status, _, body = http(host, "GET", "/")
        check(status == 404 and b"nowhere" not in body,
              f"a folder that cannot be read: 404 without its path (got {status}, {body!r})")
        check("nowhere is not a folder" in host.output(), "the log says which folder")
        host.reload(f"[web]\nenabled = false\n\n{routes}", 4, 20 * slowdown)
        for path in ("/", "/app/index.html"):
            status, _, _ = http(host, "GET", path)
            check(status == 404, f"[web] enabled = false: GET {path} is 404 (got {status})")
        check(http(host, "GET", "/api/health")[0] == 200, "the API is still there")
    finally:
        check(host.stop() == 0, "the second host stopped cleanly")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--plugins", required=True)
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--slowdown", type=int, default=1, help="sanitizer builds: 5")
    args = parser.parse_args()

    started = time.monotonic()
    shutil.rmtree(args.screenshots, ignore_errors=True)  # no picture of an earlier run stays
    with tempfile.TemporaryDirectory(prefix="agenthost-web-") as workdir:
        host = Host(args.binary, args.plugins, workdir, ROUTES, args.slowdown)
        proxy = Proxy(host.port)
        page = None
        try:
            check_http(host)
            browser_started = time.monotonic()
            page = Page(f"http://127.0.0.1:{proxy.port}", args.screenshots, args.slowdown)
            print(f"browser start: {time.monotonic() - browser_started:.1f} s", flush=True)
            steps = [("login", lambda: check_login(page)), ("chat", lambda: check_chat(page)),
                     ("stop", lambda: check_stop(page)),
                     ("resume", lambda: check_resume(page, proxy)),
                     ("conversations", lambda: check_conversations(page, host)),
                     ("agent", lambda: check_agent(page)),
                     ("phone and dark", lambda: check_phone_and_dark(page)),
                     ("remember", lambda: check_remember(page)),
                     ("cards", lambda: check_cards(page))]
            for name, step in steps:
                if failures:
                    break
                step_started = time.monotonic()
                step()
                print(f"{name}: {time.monotonic() - step_started:.1f} s", flush=True)
            # Expected: the wrong key's 401, and the reconnects refused while the proxy was.
            errors = [e for e in page.driver.get_log("browser") if e["level"] == "SEVERE"
                      and "401" not in e["message"]
                      and not ("WebSocket connection to" in e["message"]
                               and "failed" in e["message"])]
            check(not errors, f"no errors in the browser console: {errors}")
        finally:
            if page:
                if failures:
                    page.shot("failure")
                page.quit()
            proxy.close()
            status = host.stop()
            check(status == 0, f"agenthost stopped cleanly (exit {status})")
            if failures:
                print(host.output()[-4000:])
        os.makedirs(os.path.join(workdir, "second"))
        check_directory_and_reload(args, os.path.join(workdir, "second"), args.slowdown)

    print(f"chat page: {len(failures)} failure(s) in {time.monotonic() - started:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
