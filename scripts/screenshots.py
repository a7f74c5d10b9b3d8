#!/usr/bin/env python3
"""Screenshots of the election committee's console, for docs/CONSOLE.md.

Runs a real Teller (debug build) on a throw-away SQLite database with a real
SMTP sink on loopback, drives a whole election through the console over HTTP
(accounts, builder, roll, e-mailed codes, votes through the JSON API, seals,
close, count, two of three certifiers signing with `teller-audit sign`), and
photographs the main pages with headless Chromium.

    cargo build --workspace && python3 scripts/screenshots.py

Needs Python 3.9+ (standard library only) and `chromium` on PATH. Writes
docs/screenshots/console-*.png. Everything runs on 127.0.0.1 and stops by
itself.
"""

import html
import http.cookiejar
import http.server
import json
import os
import random
import re
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TELLER = os.path.join(ROOT, "target", "debug", "teller")
AUDIT = os.path.join(ROOT, "target", "debug", "teller-audit")
OUT = os.path.join(ROOT, "docs", "screenshots")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink(socketserver.ThreadingTCPServer):
    """A minimal SMTP server that keeps every message."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port):
        self.messages = []
        super().__init__(("127.0.0.1", port), SinkHandler)


class SinkHandler(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"220 sink ESMTP\r\n")
        data = None
        while True:
            line = self.rfile.readline()
            if not line:
                return
            if data is not None:
                if line in (b".\r\n", b".\n"):
                    self.server.messages.append(b"".join(data).decode("utf-8", "replace"))
                    data = None
                    self.wfile.write(b"250 OK\r\n")
                else:
                    data.append(line)
                continue
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                data = []
                self.wfile.write(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


class Browser:
    """A signed-in staff member: cookies, forms and their anti-forgery token."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=30) as r:
                return r.status, r.read().decode(), r.headers.get("Location", "")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), e.headers.get("Location", "")

    def sign_in(self, username, password):
        status, _, _ = self.request("/staff/login", [("username", username), ("password", password), ("code", "")])
        assert status == 303, f"sign-in failed for {username}: {status}"
        return self

    def cookie(self):
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def csrf(self, page):
        _, text, _ = self.request(page)
        return re.search(r'name="csrf" value="([^"]+)"', text).group(1)

    def post(self, page, path, fields):
        fields = [("csrf", self.csrf(page))] + list(fields)
        status, text, location = self.request(path, fields)
        assert status < 400, f"{path}: {status}\n{text[:2000]}"
        return text, location

    def act(self, election, **fields):
        page = f"/staff/elections/{election}"
        return self.post(page, page, fields.items())[0]


def teller(env, *args, stdin=None):
    out = subprocess.run([TELLER, *args], env=env, input=stdin, capture_output=True, text=True)
    assert out.returncode == 0, f"teller {' '.join(args)}: {out.stderr}"
    return out.stdout


class CookieProxy(http.server.ThreadingHTTPServer):
    """Forwards GETs to Teller with the chosen staff session, for Chromium."""

    daemon_threads = True

    def __init__(self, port, upstream):
        self.upstream = upstream
        self.cookie = ""
        super().__init__(("127.0.0.1", port), ProxyHandler)


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        req = urllib.request.Request(self.server.upstream + self.path, headers={"Cookie": self.server.cookie})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, body, ctype = r.status, r.read(), r.headers.get("Content-Type", "text/html")
        except urllib.error.HTTPError as e:
            status, body, ctype = e.code, e.read(), e.headers.get("Content-Type", "text/html")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def shoot(proxy, who, path, name, width=1280, height=1500):
    proxy.cookie = who.cookie()
    out = os.path.join(OUT, name)
    profile = tempfile.mkdtemp(prefix="teller-chromium-")
    try:
        subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={out}",
                f"http://127.0.0.1:{proxy.server_address[1]}{path}",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    print("wrote", os.path.relpath(out, ROOT))


def main():
    for binary in (TELLER, AUDIT):
        if not os.path.exists(binary):
            sys.exit(f"{binary} is missing: run `cargo build --workspace` first")
    os.makedirs(OUT, exist_ok=True)
    work = tempfile.mkdtemp(prefix="teller-shots-")
    server = None
    try:
        env = dict(os.environ, TELLER_DATABASE_URL=os.path.join(work, "teller.db"))
        key = os.path.join(work, "master.key")
        teller(env, "secret", "new", key)
        env["TELLER_MASTER_SECRET_FILE"] = key
        people = {
            "ada": ("administrator", "Ada Mensah"),
            "olga": ("officer", "Olga Petrov"),
            "cara": ("certifier", "Cara Lindqvist"),
            "cato": ("certifier", "Cato Rossi"),
            "cleo": ("certifier", "Cleo Sato"),
        }
        for user, (role, name) in people.items():
            teller(env, "staff", "add", user, "--role", role, "--name", name, "--password-stdin",
                   stdin="a long demo password\n")
        sink = Sink(free_port())
        threading.Thread(target=sink.serve_forever, daemon=True).start()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [TELLER, "serve", "--listen", f"127.0.0.1:{port}", "--scheduler-seconds", "3600",
             "--smtp-url", f"smtp://127.0.0.1:{sink.server_address[1]}",
             "--mail-from", "Election Office <vote@example.org>"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        staff = {u: Browser(base).sign_in(u, "a long demo password") for u in people}
        officer = staff["olga"]

        # An election from the example file, certified by two of three.
        with open(os.path.join(ROOT, "examples", "board-election.toml")) as f:
            text = f.read() + "\n[certification]\nquorum = 2\n"
        toml_path = os.path.join(work, "board.toml")
        with open(toml_path, "w") as f:
            f.write(text)
        election = teller(env, "election", "create", toml_path).strip().splitlines()[-1]
        roll = os.path.join(work, "roll.csv")
        rng = random.Random(7)
        first = ["Ada", "Bilal", "Carmen", "Dmitri", "Esther", "Farah", "Gabriel", "Hana", "Ibrahim", "Julia"]
        last = ["Abara", "Bianchi", "Costa", "Dubois", "Eriksen", "Fischer", "Gupta", "Haddad"]
        with open(roll, "w") as f:
            f.write("member_id,name,email\n")
            for i in range(60):
                f.write(f"PT-{1000 + i},{first[i % 10]} {last[i % 8]},member{i}@example.org\n")
        teller(env, "voters", "import", election, roll)
        keys = {}
        for c in ("cara", "cato", "cleo"):
            path = os.path.join(work, f"{c}.key")
            printed = subprocess.run([AUDIT, "keygen", "--out", path], capture_output=True, text=True, check=True)
            public = re.search(r"\b[0-9a-f]{64}\b", printed.stdout + printed.stderr).group(0)
            keys[c] = path
            staff[c].act(election, action="register-key", public_key=public)
        officer.act(election, action="open")
        officer.post(f"/staff/elections/{election}/delivery", f"/staff/elections/{election}/delivery",
                     [("action", "invite")])
        for _ in range(100):
            if len(sink.messages) >= 60:
                break
            time.sleep(0.1)
        codes = [re.search(r"/v/([0-9A-Z-]{28})", m).group(1) for m in sink.messages]
        directors = ["amara-okafor", "daniel-brooks", "mei-ling-chen", "rosa-delgado", "tomasz-nowak",
                     "priya-raman", "samuel-adeyemi"]
        voted = 0
        for wave in (14, 11, 9, 6):
            for code in codes[voted:voted + wave]:
                choices = {
                    "directors": rng.sample(directors[:5], 3),
                    "treasurer": [rng.choice(["grace-whitfield", "grace-whitfield", "omar-haddad"])],
                    "bylaw-amendment-7": [rng.choice(["yes", "yes", "yes", "no", "abstain"])],
                }
                body = json.dumps({"token": code, "choices": choices}).encode()
                req = urllib.request.Request(f"{base}/api/v1/elections/{election}/ballots", body,
                                             {"Content-Type": "application/json"})
                urllib.request.urlopen(req, timeout=30).read()
            voted += wave
            officer.act(election, action="seal")
            time.sleep(1.2)

        # A draft being built in the browser.
        draft_fields = [
            ("action", "save"), ("title", "Regional Council 2027"),
            ("description", "Members of the Northern Region elect their council."),
            ("opens_at", "2027-03-01T09:00"), ("closes_at", "2027-03-15T17:00"),
            ("seal_minutes", "10"), ("seal_min", "5"), ("quorum", "2"),
            ("c0.title", "Regional Council"), ("c0.description", "Rank as many candidates as you like."),
            ("c0.method", "stv-scottish"), ("c0.seats", "3"), ("c0.skipped", "close-up"),
            ("c0.k0.name", "Hana Gupta"), ("c0.k0.statement", "Ten years on the hospital wards; fair rotas."),
            ("c0.k1.name", "Marco Dubois"), ("c0.k1.statement", "Regional training fund for new technicians."),
            ("c0.k2.name", "Wen Costa"), ("c0.k2.statement", ""),
            ("c0.k3.name", "Yusuf Eriksen"), ("c0.k3.statement", "Better pay bands in community pharmacy."),
        ]
        _, location = officer.post("/staff/elections/new", "/staff/elections/new", draft_fields)
        draft = location.split("/")[3]

        proxy = CookieProxy(free_port(), base)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        shoot(proxy, officer, "/staff", "console-dashboard.png", height=700)
        shoot(proxy, officer, f"/staff/elections/{draft}/edit", "console-builder.png", height=2200)
        shoot(proxy, officer, f"/staff/elections/{draft}/edit", "console-builder-tablet.png", width=820, height=1600)
        shoot(proxy, officer, f"/staff/elections/{election}", "console-election-open.png", height=1500)
        shoot(proxy, officer, f"/staff/elections/{election}/delivery", "console-delivery.png", height=1300)
        shoot(proxy, staff["ada"], "/staff/accounts", "console-accounts.png", height=1100)

        officer.act(election, action="close", reason="The returning officer closed the ballot at 17:00.")
        officer.act(election, action="tally")
        record = os.path.join(work, "record.json")
        teller(env, "export", election, "--out", record)
        for c in ("cara", "cleo"):
            signed = subprocess.run([AUDIT, "sign", "--key", keys[c], record], capture_output=True, text=True,
                                    check=True).stdout
            staff[c].act(election, action="certify", signed=signed)
        shoot(proxy, officer, f"/staff/elections/{election}/report", "console-report.png", height=2700)
        proxy.shutdown()
        sink.shutdown()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
