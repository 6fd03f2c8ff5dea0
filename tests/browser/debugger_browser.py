#!/usr/bin/env python3
"""The mock's Debugger page in a real headless Chromium or Firefox.

Starts `segbridge mock --ui`, opens /debugger in the browser, sends events
of every type and refused requests with `segbridge`, and reads the page's
DOM. Chromium is driven over the DevTools protocol (--remote-debugging-pipe:
JSON messages ending in NUL on file descriptors 3 and 4), Firefox over
Marionette (length-prefixed JSON on a local port); no websocket needed.

  debugger_browser.py --cli SEGBRIDGE --out DIR   the test (ctest
      mock.debugger_browser, and with --browser firefox
      mock.debugger_firefox): rows, refusal reasons, the JSON of a row,
      filters, search, clear, no write key anywhere, nothing wider than a
      400 px window; screenshots in DIR
  debugger_browser.py --cli SEGBRIDGE --docs PNG  docs/debugger.png: a
      representative session at 1280x800 (Chromium)

Without the browser it exits 77 (skipped), unless CI=true: CI installs both
(scripts/bootstrap.sh), so there an absence is a failure.
"""
import argparse
import base64
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SKIP = 77
KEY = "dbg-test-key-5f3a9c"
# Only a hang reaches these.
HANG_GUARD_S = 60


class Failure(Exception):
    pass


BINARIES = {
    "chromium": ("SEGB_CHROMIUM", "chromium", "chromium-browser", "google-chrome"),
    "firefox": ("SEGB_FIREFOX", "firefox-esr", "firefox"),
}
PACKAGES = {"chromium": "chromium", "firefox": "firefox-esr"}


def find_browser(kind):
    variable, *names = BINARIES[kind]
    for name in [os.environ.get(variable)] + names:
        if name and shutil.which(name):
            return shutil.which(name)
    return None


class Mock:
    """`segbridge mock --ui` on a free port, until stop()."""

    def __init__(self, cli):
        self.cli = cli
        self.proc = subprocess.Popen(
            [cli, "mock", "--ui", "--port", "0", "--write-key", KEY],
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if " on http://" not in line:
            raise Failure("segbridge mock did not start: %r" % line)
        self.url = line.split(" on ", 1)[1].split(" ", 1)[0]

    def send(self, command, *args, key=KEY, expect=0):
        rc = subprocess.run([self.cli, command, "--endpoint", self.url,
                             "--write-key", key] + list(args),
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL).returncode
        if rc != expect:
            raise Failure("segbridge %s %s: exit %d, not %d" %
                          (command, " ".join(args), rc, expect))

    def post(self, body):
        """POST @body to /v1/batch as is; the status."""
        request = urllib.request.Request(
            self.url + "/v1/batch", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json",
                     "Authorization": "Basic " +
                     base64.b64encode((KEY + ":").encode()).decode()})
        try:
            with urllib.request.urlopen(request, timeout=HANG_GUARD_S) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def stop(self):
        self.proc.terminate()
        self.proc.communicate(timeout=HANG_GUARD_S)


class Browser:
    """Headless Chromium with one page, over the DevTools pipe."""

    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="segb-chromium-")
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()

        def pipe_fds():  # the child's fds 3 (commands) and 4 (answers)
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--remote-debugging-pipe",
             "--user-data-dir=" + self.profile, "--no-first-run",
             "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--disable-sync",
             "--hide-scrollbars", "--mute-audio", "about:blank"],
            preexec_fn=pipe_fds, close_fds=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.next_id = 0
        self.buffer = b""
        target = self.call("Target.createTarget", url="about:blank")
        self.session = self.call("Target.attachToTarget", flatten=True,
                                 targetId=target["targetId"])["sessionId"]
        self.call("Page.enable", session=True)

    def call(self, method, session=False, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + HANG_GUARD_S
        while True:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") != self.next_id:
                    continue  # an event, or another session's
                if "error" in reply:
                    raise Failure("%s: %s" % (method, reply["error"]))
                return reply["result"]
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.from_browser], [], [], left)[0]:
                raise Failure("Chromium did not answer %s" % method)
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise Failure("Chromium closed the pipe during %s" % method)
            self.buffer += chunk

    def viewport(self, width, height):
        """The page's size; returns the width it got."""
        self.call("Emulation.setDeviceMetricsOverride", session=True,
                  width=width, height=height, deviceScaleFactor=1,
                  mobile=False)
        return width

    def open(self, url):
        self.call("Page.navigate", session=True, url=url)

    def eval(self, expression):
        result = self.call("Runtime.evaluate", session=True,
                           expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise Failure("%s: %s" % (expression, result["exceptionDetails"]))
        return result["result"].get("value")

    def wait_for(self, expression, what):
        """Poll until @expression is truthy (a hang guard, not a timing)."""
        deadline = time.monotonic() + HANG_GUARD_S
        while time.monotonic() < deadline:
            try:
                value = self.eval(expression)
            except Failure:
                value = None  # the page is still loading
            if value:
                return value
            time.sleep(0.1)
        raise Failure("the page never showed %s; its text:\n%s" %
                      (what, self.eval("document.body && document.body.innerText")))

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", session=True,
                         format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close")
        except Failure:
            pass
        try:
            self.proc.wait(timeout=HANG_GUARD_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_browser)
        os.close(self.from_browser)
        shutil.rmtree(self.profile, ignore_errors=True)


class Firefox(Browser):
    """Headless Firefox with one page, over Marionette: each message is its
    length, a colon and JSON; commands are [0, id, name, params], answers
    [1, id, error, result]. The profile asks for any free port and Firefox
    writes the one it took into MarionetteActivePort."""

    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="segb-firefox-")
        with open(os.path.join(self.profile, "user.js"), "w") as f:
            f.write('user_pref("marionette.port", 0);\n')
        self.proc = subprocess.Popen(
            [binary, "--headless", "--marionette", "--no-remote",
             "--profile", self.profile, "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "MarionetteActivePort")
        deadline = time.monotonic() + HANG_GUARD_S
        while not os.path.exists(port_file):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise Failure("Firefox did not start Marionette")
            time.sleep(0.1)
        with open(port_file) as f:
            port = int(f.read().strip() or 0)
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=HANG_GUARD_S)
        self.stream = self.sock.makefile("rb")
        self.next_id = 0
        self.read()  # its hello
        self.command("WebDriver:NewSession", {})

    def read(self):
        length = b""
        while not length.endswith(b":"):
            byte = self.stream.read(1)
            if not byte:
                raise Failure("Firefox closed Marionette")
            length += byte
        return json.loads(self.stream.read(int(length[:-1])))

    def command(self, name, params):
        self.next_id += 1
        data = json.dumps([0, self.next_id, name, params]).encode()
        self.sock.sendall(str(len(data)).encode() + b":" + data)
        while True:
            reply = self.read()
            if reply[1] == self.next_id:
                break
        if reply[2]:
            raise Failure("%s: %s" % (name, reply[2]))
        return reply[3]

    def viewport(self, width, height):
        """The window's size; returns the page's width. Headless Firefox
        keeps a window at least 500 px wide, and its height holds the
        browser's bar too."""
        self.command("WebDriver:SetWindowRect", {"width": width, "height": height})
        return self.eval("window.innerWidth")

    def open(self, url):
        self.command("WebDriver:Navigate", {"url": url})

    def eval(self, expression):
        return self.command("WebDriver:ExecuteScript",
                            {"script": "return (%s);" % expression,
                             "args": []})["value"]

    def screenshot(self, path):
        data = self.command("WebDriver:TakeScreenshot", {})["value"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.command("WebDriver:DeleteSession", {})
        except (Failure, OSError):
            pass
        self.sock.close()
        self.proc.terminate()  # Firefox ends on SIGTERM as on a quit
        try:
            self.proc.wait(timeout=HANG_GUARD_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


ROWS_TEXT = "document.getElementById('rows').innerText"


def rows_text(browser):
    return browser.eval(ROWS_TEXT) or ""


def send_every_type(mock, stamp=None):
    """The six types, then a 401 (a wrong key) and a 400 (no event name)."""
    def at(i):
        return ["--timestamp", "2026-01-15T10:00:%02d.000Z" % i,
                "--message-id", "msg-%04d" % (i + 1)] if stamp else []
    mock.send("identify", "--user-id", "u-42", "--traits",
              '{"email":"jane@example.com","plan":"pro"}', *at(1))
    mock.send("track", "--user-id", "u-42", "--event", "Checkout Started",
              "--properties", '{"cart_id":"c-7","total":42.5}', *at(2))
    mock.send("page", "--anonymous-id", "a-9", "--name", "Pricing",
              "--properties", '{"path":"/pricing","url":"https://example.com/'
              'pricing?utm_source=newsletter&utm_campaign=2026-01-spring-'
              'launch&utm_content=a-rather-long-unbroken-query-string"}',
              *at(3))
    mock.send("screen", "--user-id", "u-42", "--name", "Settings", *at(4))
    mock.send("group", "--user-id", "u-42", "--group-id", "acme-inc",
              "--traits", '{"employees":120}', *at(5))
    mock.send("alias", "--user-id", "u-42", "--previous-id", "a-9", *at(6))
    mock.send("track", "--user-id", "u-7", "--event", "Order Completed",
              *at(7), key="not-the-key", expect=3)
    event = {"type": "track", "userId": "u-8"}
    if stamp:
        event["timestamp"] = "2026-01-15T10:00:08.000Z"
    status = mock.post({"batch": [event], "writeKey": KEY})
    if status != 400:
        raise Failure("an event without its name got %d, not 400" % status)


def check(browser, mock, out):
    browser.viewport(1280, 800)
    browser.open(mock.url + "/debugger")
    browser.wait_for("document.getElementById('status').textContent === 'live'",
                     "the stream open")
    send_every_type(mock)
    wanted = ["identify", "track", "page", "screen", "group", "alias",
              "Checkout Started", "Pricing", "Settings", "acme-inc", "a-9",
              "u-42", "401", "invalid writeKey", "400",
              "track: 'event' is required"]
    browser.wait_for("(t => %s.every(w => t.includes(w)))(%s)" %
                     (json.dumps(wanted), ROWS_TEXT),
                     "a row of each type and both refusals")
    rows = browser.eval("document.querySelectorAll('#rows details').length")
    if rows != 8:
        raise Failure("%d rows, not 8:\n%s" % (rows, rows_text(browser)))
    # newest first: the 400 on top, the identify at the bottom
    order = browser.eval("[...document.querySelectorAll('#rows .type')]"
                         ".map(e => e.textContent)")
    if order[0] != "400" or order[-1] != "identify":
        raise Failure("rows not newest first: %s" % order)
    # a row opens to its JSON as received, indented
    browser.eval("[...document.querySelectorAll('#rows details')].find(d => "
                 "d.textContent.includes('Checkout Started'))"
                 ".querySelector('summary').click()")
    browser.wait_for("(p => p && p.textContent.includes('\"total\": 42.5') && "
                     "p.textContent.includes('\\n  \"event\": \"Checkout Started\"'))"
                     "(document.querySelector('#rows details[open] pre'))",
                     "the track's JSON")
    browser.wait_for("document.querySelector('#rows details[open] .meta')"
                     ".textContent.includes('auth: Basic (key redacted)')",
                     "the auth kind, redacted")
    counters = browser.wait_for(
        "(t => t.includes('Events accepted\\n6') && t.includes('401 auth\\n1') && "
        "t.includes('400 invalid\\n1') && t) "
        "(document.getElementById('counters').innerText)", "the counters")
    if "Requests\n8" not in counters:
        raise Failure("counters: %r" % counters)
    # no credential anywhere in the document
    if browser.eval("document.documentElement.outerHTML.includes(%s)" %
                    json.dumps(KEY)):
        raise Failure("the write key reached the page")
    browser.screenshot(os.path.join(out, "debugger-browser.png"))
    # filters: refused only, then a search
    browser.eval("(s => { s.value = 'refused'; s.dispatchEvent(new Event('change')); })"
                 "(document.getElementById('type'))")
    browser.wait_for("[...document.querySelectorAll('#rows .type')].map(e => "
                     "e.textContent).join() === '400,401'", "only the refusals")
    browser.eval("(s => { s.value = ''; s.dispatchEvent(new Event('change')); })"
                 "(document.getElementById('type'))")
    browser.eval("(s => { s.value = 'acme'; s.dispatchEvent(new Event('input')); })"
                 "(document.getElementById('search'))")
    browser.wait_for("[...document.querySelectorAll('#rows .type')].map(e => "
                     "e.textContent).join() === 'group'", "the search's one row")
    browser.eval("(s => { s.value = ''; s.dispatchEvent(new Event('input')); })"
                 "(document.getElementById('search'))")
    browser.wait_for("document.querySelectorAll('#rows details').length === 8",
                     "all rows again")
    # a narrow window, a row open: nothing wider than it
    browser.eval("[...document.querySelectorAll('#rows details')].find(d => "
                 "d.textContent.includes('Pricing'))"
                 ".querySelector('summary').click()")
    browser.wait_for("!!document.querySelector('#rows details[open] pre')",
                     "the page's JSON")
    narrow = browser.viewport(400, 800)
    browser.wait_for("window.innerWidth === %d" % narrow, "the narrow viewport")
    width = browser.eval("document.documentElement.scrollWidth")
    if width > narrow:
        raise Failure("at %d px the page is %d px wide" % (narrow, width))
    browser.screenshot(os.path.join(out, "debugger-browser-narrow.png"))
    browser.eval("document.getElementById('clear').click()")
    browser.wait_for("document.querySelectorAll('#rows details').length === 0",
                     "the rows cleared")
    burst(browser, mock, out)


BURST = 20000


def burst(browser, mock, out):
    """An import as fast as the mock takes it: the page samples the rows,
    keeps at most its few hundred, shows the newest, and counts exactly."""
    browser.viewport(1280, 800)
    path = os.path.join(out, "debugger-burst.ndjson")
    with open(path, "w") as f:
        for i in range(BURST):
            f.write(json.dumps({"type": "track", "userId": "u-%d" % (i % 50),
                                "event": "Bulk %d" % i}) + "\n")
    mock.send("import", path)
    os.unlink(path)
    browser.wait_for("document.getElementById('counters').innerText"
                     ".includes('Events accepted\\n%d')" % (BURST + 6),
                     "the exact count after the burst")
    browser.wait_for("(r => r && r.textContent.includes('Bulk %d'))"
                     "(document.querySelector('#rows details'))" % (BURST - 1),
                     "the newest row on top")
    shown = browser.eval("document.querySelectorAll('#rows details').length")
    if not 0 < shown <= 300:
        raise Failure("%d rows in the document after the burst" % shown)


def docs(browser, mock, png):
    for _ in range(2):  # a duplicate
        mock.send("track", "--user-id", "u-3", "--event", "Trial Started",
                  "--message-id", "msg-0001", "--timestamp",
                  "2026-01-15T09:59:59.000Z")
    send_every_type(mock, stamp=True)
    browser.viewport(1280, 800)
    browser.open(mock.url + "/debugger")
    browser.wait_for("document.querySelectorAll('#rows details').length === 10",
                     "the session's rows")
    browser.eval("[...document.querySelectorAll('#rows details')].find(d => "
                 "d.textContent.includes('Checkout Started'))"
                 ".querySelector('summary').click()")
    browser.wait_for("!!document.querySelector('#rows details[open] pre')",
                     "the open row")
    browser.screenshot(png)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cli", required=True, help="the segbridge binary")
    parser.add_argument("--out", help="directory for the test's screenshots")
    parser.add_argument("--docs", help="write the README's screenshot here")
    parser.add_argument("--browser", choices=sorted(BINARIES),
                        default="chromium")
    args = parser.parse_args()
    binary = find_browser(args.browser)
    if not binary:
        if os.environ.get("CI") == "true":
            print("debugger_browser: no %s, and CI installs it "
                  "(scripts/bootstrap.sh)" % args.browser)
            return 1
        print("debugger_browser: skipped, no %s (apt-get install %s, or set "
              "%s)" % (args.browser, PACKAGES[args.browser],
                       BINARIES[args.browser][0]))
        return SKIP
    mock = Mock(args.cli)
    browser = None
    try:
        browser = (Firefox if args.browser == "firefox" else Browser)(binary)
        if args.docs:
            docs(browser, mock, args.docs)
            print("debugger_browser: wrote %s" % args.docs)
        else:
            os.makedirs(args.out or ".", exist_ok=True)
            check(browser, mock, args.out or ".")
            print("debugger_browser: passed; screenshots in %s" % (args.out or "."))
        return 0
    except Failure as e:
        print("debugger_browser: FAILED: %s" % e)
        return 1
    finally:
        if browser:
            browser.close()
        mock.stop()


if __name__ == "__main__":
    sys.exit(main())
