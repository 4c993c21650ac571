#!/usr/bin/env python3
"""Tests of `budgetopt serve` through HTTP only (python3 standard library).

Every expectation comes from somewhere else than the server: the command
line (`export`, `status`, `frontier --all` on the same ledger), the SQLite
file itself (events), or an XML parse of the charts. Waits are on things
(a line printed, a process ended, a count reached), each with a deadline.
"""
import csv
import http.client
import io
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

BIN = os.path.abspath(sys.argv[1])
SCRATCH = os.path.abspath(sys.argv[2])
DEADLINE = 120.0   # seconds any single wait may take before the test fails

EVAL = r'''#!/usr/bin/env python3
import json, sys
x, k = float(sys.argv[1]), sys.argv[2]
if x > 0.93:
    sys.exit(3)       # a failed trial
print(json.dumps({"metrics": {"y": (x - 0.3) ** 2 + (0.05 if k == "b" else 0.0),
                              "lat": 1.0 + 4.0 * x},
                  "usage": {"tokens": 1000 * x}}))
'''

STUDY = '''name: %s
seed: 5
space:
  x: {float: [0, 1]}
  k: {choice: [a, "b\\"<q>"]}
prices:
  version: p1
  tokens: 0.001
metrics:
  y: {minimize: true}
  lat: {}
objectives: [y]
guardrails: ["lat <= 4.2"]
score: "-y"
budget: {trials: %d}
evaluator:
  command: [./eval.py, "{x}", "{k}"]
  parallel: 2
sampler: sobol
'''

failures = []


def check(cond, what):
    if cond:
        print("ok   " + what)
    else:
        print("FAIL " + what)
        failures.append(what)


def cli(*args, cwd):
    r = subprocess.run([BIN] + list(args), cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("budgetopt %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr))
    return r.stdout


def make_study(folder, name, trials):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "eval.py"), "w") as f:
        f.write(EVAL)
    os.chmod(os.path.join(folder, "eval.py"), 0o755)
    with open(os.path.join(folder, "study.yaml"), "w") as f:
        f.write(STUDY % (name, trials))
    return os.path.join(folder, "study.yaml")


class Server:
    def __init__(self, folder, *args):
        self.p = subprocess.Popen([BIN, "serve", "--port", "0"] + list(args) + ["study.yaml"],
                                  cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()   # waits for the first line, or EOF if it died
        m = re.match(r"^serving http://127\.0\.0\.1:(\d+)/$", line.rstrip("\n"))
        if not m:
            raise RuntimeError("serve printed %r, stderr %r" % (line, self.p.stderr.read()))
        self.port = int(m.group(1))

    def stop(self, sig=signal.SIGTERM):
        self.p.send_signal(sig)
        try:
            return self.p.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return None

    def alive(self):
        return self.p.poll() is None


def request(port, path, method="GET", headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
    hdrs = headers or {}
    c.putrequest(method, path, skip_host="Host" in hdrs, skip_accept_encoding=True)
    for k, v in (headers or {}).items():
        c.putheader(k, v)
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), body


def get_json(port, path, **kw):
    status, _, body = request(port, path, **kw)
    if status != 200:
        raise RuntimeError("%s: HTTP %d %r" % (path, status, body[:200]))
    return json.loads(body)


def raw(port, data, read=True):
    """Sends bytes on a fresh socket; returns what came back until close."""
    s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    try:
        s.sendall(data)
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        out = b""
        while read:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            out += chunk
        return out
    except (BrokenPipeError, ConnectionResetError):
        return b""
    finally:
        s.close()


def status_code(resp):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", resp)
    return int(m.group(1)) if m else None


def wait_until(what, fn):
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    raise RuntimeError("gave up waiting for " + what)


def svg_points(svg_text):
    root = ET.fromstring(svg_text)
    pts = [e for e in root.iter() if "pt" in (e.get("class") or "").split()]
    return root, pts


def test_api_matches_cli():
    folder = os.path.join(SCRATCH, "done")
    make_study(folder, "served", 24)
    cli("run", "--quiet", "study.yaml", cwd=folder)
    export = json.loads(cli("export", "--format", "json", "study.yaml", cwd=folder))
    status = json.loads(cli("status", "--format", "json", "study.yaml", cwd=folder))
    frontier = json.loads(cli("frontier", "--format", "json", "--all", "study.yaml", cwd=folder))
    states = {t["state"] for t in export}
    check(states >= {"complete", "failed"}, "the study has complete and failed trials: %s" % sorted(states))
    sv = Server(folder)
    try:
        port = sv.port
        check(get_json(port, "/api/trials") == export, "/api/trials equals export --format json")
        check(get_json(port, "/api/status") == status, "/api/status equals status --format json")
        check(get_json(port, "/api/frontier") == frontier, "/api/frontier equals frontier --format json --all")
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(folder, "served.db"), uri=True)
        rows = db.execute("SELECT id, t, run_id, trial_id, kind, amount, detail FROM events ORDER BY id").fetchall()
        db.close()
        want = [{"id": r[0], "t": r[1], "run_id": r[2], "trial_id": r[3], "kind": r[4], "amount": r[5],
                 "detail": r[6]} for r in rows]
        got = get_json(port, "/api/events")
        check(len(want) > 0 and got == want, "/api/events equals the ledger's events table (%d events)" % len(want))

        charts = get_json(port, "/api/charts")
        check(sorted(charts) == ["best", "burndown", "frontier", "importance", "marginal"], "/api/charts has the five charts")
        for name, text in charts.items():
            try:
                root, _ = svg_points(text)
                ok = root.get("id") == "chart-" + name
            except ET.ParseError:
                ok = False
            check(ok, "chart %s is well-formed XML with id chart-%s" % (name, name))
        st, hdr, body = request(port, "/api/charts/frontier.svg")
        _, pts = svg_points(body)
        finished = [t["id"] for t in export if t["state"] in ("complete", "pruned", "failed")]
        check(st == 200 and hdr.get("content-type", "").startswith("image/svg+xml"), "frontier.svg is served as SVG")
        check(sorted(int(p.get("data-id")) for p in pts) == sorted(finished),
              "one .pt per finished trial in the frontier chart (%d)" % len(finished))

        st, hdr, body = request(port, "/")
        check(st == 200 and hdr.get("content-type", "").startswith("text/html") and b'src="app.js"' in body,
              "GET / is the page")
        check("default-src 'none'" in hdr.get("content-security-policy", ""), "the page has a content security policy")
        for path, ctype in (("/app.js", "text/javascript"), ("/style.css", "text/css"), ("/index.html", "text/html")):
            st, hdr, body = request(port, path)
            check(st == 200 and hdr.get("content-type", "").startswith(ctype) and body, "GET %s" % path)
        st, hdr, body = request(port, "/api/status", method="HEAD")
        check(st == 200 and body == b"", "HEAD answers without a body")

        # SSE: the first message tells the current generation.
        s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        s.sendall(b"GET /api/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        got = b""
        while b"\n\n" not in got.split(b"\r\n\r\n", 1)[-1] or b"data:" not in got:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
        s.close()
        check(b"text/event-stream" in got and re.search(rb'data: \{"generation": \d+, "trials": 24, "finished": 24\}', got),
              "the change stream starts with the current state")
    finally:
        code = sv.stop()
    check(code == 0, "SIGTERM stops the server with exit 0 (got %r)" % code)


def test_refusals():
    folder = os.path.join(SCRATCH, "done")
    sv = Server(folder)
    port = sv.port
    try:
        for m in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
            st, hdr, _ = request(port, "/api/status", method=m)
            check(st == 405 and "GET" in hdr.get("allow", ""), "%s is refused with 405" % m)
        for path in ("/../etc/passwd", "/%2e%2e/etc/passwd", "/%2E%2E%2Fetc%2Fpasswd", "//etc/passwd",
                     "/api/..%2fstatus", "/..%5c..%5cetc%5cpasswd", "/%252e%252e/etc/passwd",
                     "/app.js/../../../etc/passwd", "/api%2fstatus", "/.%2e/.%2e/etc/passwd",
                     "/..;/etc/passwd", "/etc/passwd", "/api/../index.html", "/%00/etc/passwd", "/api/charts/../../x"):
            resp = raw(port, b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            code = status_code(resp)
            check(code in (400, 404) and b"root:" not in resp, "%s refused (%s)" % (path, code))
        # A NUL ends the path where it stands: this asks for "/", the page.
        resp = raw(port, b"GET /\x00/../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        check(status_code(resp) in (400, 404) or (status_code(resp) == 200 and b"<!DOCTYPE html>" in resp
                                                  and b"root:" not in resp), "a NUL in the path serves no file")
        st, _, _ = request(port, "/api/status", headers={"Host": "attacker.example:80"})
        check(st == 403, "a foreign Host header is refused without a token (DNS rebinding)")

        probes = [
            ("garbage bytes", bytes(range(256)) * 8),
            ("a 100 KB header", b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n"),
            ("HTTP/0.9", b"GET /\r\n\r\n"),
            ("an absurd method", b"FROBNICATE /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
            ("a 10 KB method", b"X" * 10000 + b" / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
            ("no version", b"GET /api/status\r\nHost: 127.0.0.1\r\n\r\n"),
            ("HTTP/9.9", b"GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n"),
            ("a header without a colon", b"GET / HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n"),
            ("a negative content length", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n"),
            ("a half request then close", b"GET /api/sta"),
            ("5000 headers", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(5000)) + b"\r\n"),
        ]
        for what, data in probes:
            resp = raw(port, data)
            code = status_code(resp)
            check(code is None or code >= 400, "%s refused (%s)" % (what, code))
            st, _, _ = request(port, "/api/status")
            check(st == 200 and sv.alive(), "the server still answers after %s" % what)
    finally:
        code = sv.stop(signal.SIGINT)
    check(code == 0, "SIGINT stops the server with exit 0 (got %r)" % code)


def test_token():
    folder = os.path.join(SCRATCH, "done")
    r = subprocess.run([BIN, "serve", "--port", "0", "--bind", "0.0.0.0", "study.yaml"], cwd=folder,
                       capture_output=True, text=True, timeout=DEADLINE)
    check(r.returncode == 2 and "--token" in r.stderr, "--bind 0.0.0.0 without --token is refused (exit %d)" % r.returncode)
    r = subprocess.run([BIN, "serve", "--port", "0", "--token", "a b<c", "study.yaml"], cwd=folder,
                       capture_output=True, text=True, timeout=DEADLINE)
    check(r.returncode == 2, "a token with odd characters is refused")
    token = "s3cret-Token_42"
    sv = Server(folder, "--token", token)
    port = sv.port
    try:
        for what, path, hdrs in (
                ("no token", "/api/status", {}),
                ("no token, page", "/", {}),
                ("no token, script", "/app.js", {}),
                ("no token, stream", "/api/events/stream", {}),
                ("wrong bearer", "/api/status", {"Authorization": "Bearer nope"}),
                ("a prefix of the token", "/api/status", {"Authorization": "Bearer " + token[:-1]}),
                ("the token and more", "/api/status", {"Authorization": "Bearer " + token + "x"}),
                ("basic auth", "/api/status", {"Authorization": "Basic " + token}),
                ("wrong query token", "/api/status?token=nope", {}),
                ("empty query token", "/api/status?token=", {}),
                ("no token, traversal", "/../etc/passwd", {})):
            st, hdr, body = request(port, path, headers=hdrs)
            check(st == 401 and "bearer" in hdr.get("www-authenticate", "").lower() and b"spent" not in body,
                  "401 with %s" % what)
        st, _, body = request(port, "/api/status", headers={"Authorization": "Bearer " + token})
        check(st == 200 and b'"spent"' in body, "200 with the bearer token")
        st, _, body = request(port, "/api/status?token=" + token)
        check(st == 200 and b'"spent"' in body, "200 with ?token=")
        st, _, body = request(port, "/?token=" + token)
        check(st == 200 and ('src="app.js?token=%s"' % token).encode() in body, "the page carries the token to its assets")
        st, _, _ = request(port, "/app.js?token=" + token)
        check(st == 200, "the script with the token")
    finally:
        sv.stop()


def test_bind_all_with_token():
    folder = os.path.join(SCRATCH, "done")
    p = subprocess.Popen([BIN, "serve", "--port", "0", "--bind", "0.0.0.0", "--token", "tok123", "study.yaml"],
                         cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    m = re.match(r"^serving http://0\.0\.0\.0:(\d+)/$", line.strip())
    check(m is not None, "--bind 0.0.0.0 --token serves (%r)" % line)
    if m:
        port = int(m.group(1))
        st, _, _ = request(port, "/api/status")
        check(st == 401, "bound to every address, a request without the token is refused")
        st, _, _ = request(port, "/api/status", headers={"Authorization": "Bearer tok123"})
        check(st == 200, "bound to every address, a request with the token is served")
    p.terminate()
    check(p.wait(timeout=DEADLINE) == 0, "stops on SIGTERM")


def test_live_run_not_blocked():
    """The server watches a ledger that does not exist yet; a runner then
    creates and writes it while clients hammer the API and hold a stream."""
    folder = os.path.join(SCRATCH, "live")
    make_study(folder, "live", 30)
    sv = Server(folder)
    port = sv.port
    st0 = get_json(port, "/api/status")
    check(st0["trials"] == 0 and get_json(port, "/api/trials") == [], "before any run: no trials")
    stop = threading.Event()
    seen = []
    errors = []

    def hammer():
        while not stop.is_set():
            try:
                t = get_json(port, "/api/trials")
                seen.append(len(t))
            except Exception as e:   # noqa: BLE001 - recorded and failed below
                errors.append(repr(e))
                return

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    stream = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    stream.sendall(b"GET /api/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    r = subprocess.run([BIN, "run", "--quiet", "study.yaml"], cwd=folder, capture_output=True, text=True)
    check(r.returncode == 0, "the runner finishes while the server reads (exit %d %s)" % (r.returncode, r.stderr.strip()))
    export = json.loads(cli("export", "--format", "json", "study.yaml", cwd=folder))
    wait_until("the server to see the whole run", lambda: get_json(port, "/api/trials") == export)
    stop.set()
    for t in threads:
        t.join()
    check(not errors, "every API request during the run succeeded %s" % errors[:3])
    check(len(set(seen)) > 1, "the clients saw the trials grow (%d distinct counts)" % len(set(seen)))
    # Several updates came down the stream while the run went on.
    stream.settimeout(DEADLINE)
    buf = b""
    while buf.count(b"event: update") < 3:
        chunk = stream.recv(65536)
        if not chunk:
            break
        buf += chunk
    check(buf.count(b"event: update") >= 3, "the stream sent updates during the run")
    code = sv.stop()   # with the stream still open
    stream.close()
    check(code == 0, "stops with a stream open (exit %r)" % code)


def test_selection_under_uncertainty():
    """/api/selection states, for the selection and its two runners-up, the
    chance of staying within each guardrail: the same numbers as `select
    --format json` on the same ledger (the same draws and seed)."""
    folder = os.path.join(SCRATCH, "uncertain")
    path = make_study(folder, "unc", 16)
    with open(path) as f:
        text = f.read()
    text = text.replace("prices:\n", "inputs:\n  qps: {lognormal: {median: 100, p95: 180}}\nprices:\n")
    text = text.replace("  lat: {}\n", "  lat: {}\nderived:\n  monthly: \"lat * qps\"\n")
    text = text.replace('guardrails: ["lat <= 4.2"]',
                        'guardrails: ["lat <= 4.2", "monthly <= 450 with probability >= 0.8"]')
    with open(path, "w") as f:
        f.write(text)
    cli("run", "--quiet", "study.yaml", cwd=folder)
    sel = json.loads(cli("select", "--format", "json", "study.yaml", cwd=folder))
    sv = Server(folder)
    try:
        got = get_json(sv.port, "/api/selection")
        check(got["draws"] == 10000 and got["seed"] == 20261205, "/api/selection: draws and seed")
        want = [sel["selected"]] + sel["runners_up"]
        have = [got["selected"]] + got["runners_up"]
        check([c["id"] for c in have] == [c["id"] for c in want],
              "/api/selection: the selection and runners-up of select (%s, %s)" %
              ([c["id"] for c in have], [c["id"] for c in want]))
        check(all(len(h["within"]) == 1 and h["within"] == w["within"] for h, w in zip(have, want)),
              "/api/selection: the chances select states")
        check(all(h["within"][0]["probability"] >= 0.8 for h in have),
              "/api/selection: every one meets the chance constraint")
    finally:
        sv.stop()
    # an observation of the demand: select and the dashboard both update
    cli("observe", "study.yaml", "input", "qps=60", cwd=folder)
    sel2 = json.loads(cli("select", "--format", "json", "study.yaml", cwd=folder))
    check(sel2["selected"]["within"] != sel["selected"]["within"], "the observation moved select's chances")
    sv = Server(folder)
    try:
        got = get_json(sv.port, "/api/selection")
        want = [sel2["selected"]] + sel2["runners_up"]
        have = [got["selected"]] + got["runners_up"]
        check([c["id"] for c in have] == [c["id"] for c in want] and
              all(h["within"] == w["within"] for h, w in zip(have, want)),
              "/api/selection after an observation: select's selection and chances")
    finally:
        sv.stop()


# A study with scenarios and its scripted evaluator, shared with tests/browser.
SCEN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenario-study")


def test_scenarios():
    """A study with scenarios: family a is best under "easy" and breaks the
    latency guardrail under "hard". /api/selection names what `select
    --format json` names (folded across scenarios), /api/status's best and
    per-scenario counts are `status --format json`'s, and the frontier
    holds one entry per configuration, as `frontier --all` does."""
    folder = os.path.join(SCRATCH, "scenarios")
    shutil.copytree(SCEN_DIR, folder)
    os.chmod(os.path.join(folder, "eval.py"), 0o755)
    cli("run", "--quiet", "study.yaml", cwd=folder)
    rows = list(csv.DictReader(io.StringIO(cli("export", "study.yaml", cwd=folder))))
    own = max((r for r in rows if r["state"] == "complete" and r["feasible"] == "true"),
              key=lambda r: float(r["score"]))
    check(own["param.family"] == "a", "scenarios: a trial's own best is family a (under easy)")
    sel = json.loads(cli("select", "--format", "json", "study.yaml", cwd=folder))
    st = json.loads(cli("status", "--format", "json", "study.yaml", cwd=folder))
    fr = json.loads(cli("frontier", "--all", "--format", "json", "study.yaml", cwd=folder))
    sv = Server(folder)
    try:
        got = get_json(sv.port, "/api/selection")
        want = [sel["selected"]] + sel["runners_up"]
        have = [got["selected"]] + got["runners_up"]
        check(sel["selected"]["params"] != {"family": "a"}, "scenarios: select does not pick family a")
        check([c["id"] for c in have] == [c["id"] for c in want],
              "scenarios: /api/selection is select's (%s, %s)" %
              ([c["id"] for c in have], [c["id"] for c in want]))
        ast = get_json(sv.port, "/api/status")
        check(ast["best"] == st["best"], "scenarios: /api/status best is status's (%s, %s)" %
              (ast["best"], st["best"]))
        check(ast["best"]["id"] == sel["selected"]["id"], "scenarios: /api/status best is select's pick")
        check(ast.get("scenarios") == st["scenarios"] and len(st["scenarios"]) == 2,
              "scenarios: /api/status scenarios are status's (%s)" % ast.get("scenarios"))
        byscen = {}
        for r in rows:
            byscen[r["scenario"]] = byscen.get(r["scenario"], 0) + 1
        check({s["name"]: s["trials"] for s in ast.get("scenarios") or []} == byscen,
              "scenarios: the per-scenario trial counts are the export's")
        afr = get_json(sv.port, "/api/frontier")
        ids = lambda o: sorted(e["id"] for e in o["frontier"] + o.get("others", []))
        check(ids(afr) == ids(fr) and len(ids(afr)) == len({r["param.family"] for r in rows}),
              "scenarios: /api/frontier has frontier --all's configurations, one per family")
    finally:
        sv.stop()
    # export --by-config against a brute force over the per-trial export
    weights = {"easy": 3 / 4, "hard": 1 / 4}
    mean = lambda v: sum(v) / len(v)
    want = {}
    for fam in sorted({r["param.family"] for r in rows}):
        mine = [r for r in rows if r["param.family"] == fam]
        per = {}
        for sc in weights:
            rs = [r for r in mine if r["scenario"] == sc]
            per[sc] = {k: mean([float(r[c]) for r in rs]) for k, c in
                       (("score", "score"), ("cost", "cost"), ("acc", "metric.acc"),
                        ("latency_ms", "metric.latency_ms"))}
        want[fam] = {"trials": len(mine), "cost": mean([float(r["cost"]) for r in mine]),
                     "feasible": all(per[sc]["latency_ms"] <= 10 for sc in weights), "per": per,
                     "fold": {k: sum(weights[sc] * per[sc][k] for sc in weights) for k in ("score", "acc", "latency_ms")}}
    close = lambda a, b: abs(a - b) <= 1e-9 * max(1.0, abs(b))
    bc = list(csv.DictReader(io.StringIO(cli("export", "--by-config", "study.yaml", cwd=folder))))
    check(sorted(r["param.family"] for r in bc) == sorted(want), "export --by-config: one row per configuration")
    for r in bc:
        w = want[r["param.family"]]
        ok = (int(r["trials"]) == w["trials"] and close(float(r["cost"]), w["cost"]) and
              (r["feasible"] == "true") == w["feasible"] and
              close(float(r["score"]), w["fold"]["score"]) and close(float(r["metric.acc"]), w["fold"]["acc"]) and
              close(float(r["metric.latency_ms"]), w["fold"]["latency_ms"]) and
              all(close(float(r["score." + sc]), w["per"][sc]["score"]) and
                  close(float(r["cost." + sc]), w["per"][sc]["cost"]) and
                  close(float(r["metric.acc." + sc]), w["per"][sc]["acc"]) and
                  close(float(r["metric.latency_ms." + sc]), w["per"][sc]["latency_ms"]) for sc in weights))
        check(ok, "export --by-config: family %s's folded and per-scenario values (%s, %s)" %
              (r["param.family"], r, w))
    bj = json.loads(cli("export", "--by-config", "--format", "json", "study.yaml", cwd=folder))
    check(sorted((o["id"], o["params"]["family"], o["score"]) for o in bj) ==
          sorted((int(r["id"]), r["param.family"], float(r["score"])) for r in bc) and
          all(set(o["scenarios"]) == set(weights) for o in bj),
          "export --by-config --format json: the CSV's rows")
    # the report's Scenarios section: select's pick and runners-up under each
    # scenario, with the by-config export's per-scenario values
    cli("report", "--format", "md", "-o", "r.md", "study.yaml", cwd=folder)
    with open(os.path.join(folder, "r.md")) as f:
        md = [l.split(" | ") for l in f.read().splitlines() if l.startswith(("| selected |", "| runner-up"))]
    byfam = {r["param.family"]: r for r in bc}
    order = [sel["selected"]["params"]["family"]] + [c["params"]["family"] for c in sel["runners_up"]]
    got = [(json.loads(l[1])["family"], l[2]) for l in md]
    check(got == [(fam, sc) for fam in order[:3] for sc in ("easy", "hard")],
          "report: select's pick and runners-up under each scenario (%s)" % got)
    check(all(abs(float(l[3]) - float(byfam[json.loads(l[1])["family"]]["score." + l[2]])) <= 1e-5 and
              abs(float(l[5]) - float(byfam[json.loads(l[1])["family"]]["metric.latency_ms." + l[2]])) <= 1e-5
              for l in md) and md,
          "report: their per-scenario score and latency are the by-config export's")


def test_confirmation():
    """A study with a confirmation phase (budget: confirm; a scripted noisy
    evaluator): /api/status's "confirmation" and "best" (repeats averaged,
    as select names it) are `status --format json`'s on the same ledger,
    and /api/selection's pick is select's."""
    folder = os.path.join(SCRATCH, "confirm")
    shutil.copytree(os.path.join(os.path.dirname(os.path.abspath(__file__)), "confirm-study"), folder)
    os.chmod(os.path.join(folder, "eval.py"), 0o755)
    subprocess.run([BIN, "run", "--quiet", "study.yaml"], cwd=folder, capture_output=True, check=True)
    st = json.loads(cli("status", "--format", "json", "study.yaml", cwd=folder))
    sel = json.loads(cli("select", "--format", "json", "study.yaml", cwd=folder))
    check(st.get("confirmation") and st["confirmation"]["trials"] >= 2 and st["best"]["repeats"] >= 2,
          "confirmation: status has the phase and names a repeated configuration")
    sv = Server(folder)
    try:
        ast = get_json(sv.port, "/api/status")
        check(ast.get("confirmation") == st["confirmation"],
              "confirmation: /api/status's is status's (%s)" % ast.get("confirmation"))
        check(ast["best"] == st["best"], "confirmation: /api/status best is status's (%s, %s)" %
              (ast["best"], st["best"]))
        got = get_json(sv.port, "/api/selection")
        check(got["selected"]["id"] == sel["selected"]["id"],
              "confirmation: /api/selection picks select's (%s, %s)" % (got["selected"]["id"], sel["selected"]["id"]))
    finally:
        sv.stop()


def test_promote():
    """scenario_policy promote: /api/status's "promote" counts, "scenarios"
    and "best" (judged over the configurations run under every scenario,
    the others left out) are `status --format json`'s on the same ledger."""
    folder = os.path.join(SCRATCH, "promote")
    shutil.copytree(os.path.join(os.path.dirname(os.path.abspath(__file__)), "promote-study"), folder)
    os.chmod(os.path.join(folder, "eval.py"), 0o755)
    subprocess.run([BIN, "run", "--quiet", "study.yaml"], cwd=folder, capture_output=True, check=True)
    st = json.loads(cli("status", "--format", "json", "study.yaml", cwd=folder))
    check(st.get("promote") and st["promote"]["base_only"] > 0 and "left out" in st["best"]["judged"],
          "promote: status has the counts and names a best judged with some left out")
    sv = Server(folder)
    try:
        ast = get_json(sv.port, "/api/status")
        for key in ("promote", "scenarios", "best"):
            check(ast.get(key) == st[key], "promote: /api/status %s is status's (%s, %s)" % (key, ast.get(key), st[key]))
    finally:
        sv.stop()


def main():
    test_api_matches_cli()
    test_selection_under_uncertainty()
    test_scenarios()
    test_confirmation()
    test_promote()
    test_refusals()
    test_token()
    test_bind_all_with_token()
    test_live_run_not_blocked()
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("all serve checks passed")


if __name__ == "__main__":
    main()
