#!/usr/bin/env python3
"""`budgetopt serve` under abuse and faults (python3 standard library).

- A flood of connections that send their request one byte at a time, or
  nothing, from the client's own address and from eight others: a normal
  client is still answered, and at most the per-address limit of slow
  connections stays open.
- Every slot answering a request (change streams): the next request gets
  503 with Retry-After; the server answers again once they close.
- The token from --token-file or $BUDGETOPT_TOKEN, never in argv.
- No Host header, or two: 400.
- A ledger whose latest state cannot be shown: /api/status carries an
  "error" beside the last good state, never an empty study.

Waits are on things (a socket closed, a status seen), each with a deadline;
nothing asserts a duration.
"""
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_test as st  # noqa: E402  (reads the same argv: BIN SCRATCH)

from serve_test import check, request, raw, status_code, wait_until, DEADLINE  # noqa: E402

BIN, SCRATCH = st.BIN, st.SCRATCH
PER_ADDRESS = 32   # BO_SERVE_MAX_PER_ADDRESS, the documented default


class Serve:
    """A server started with extra arguments and environment."""

    def __init__(self, folder, args=(), env=None):
        e = dict(os.environ)
        e.pop("BUDGETOPT_TOKEN", None)
        e.update(env or {})
        self.p = subprocess.Popen([BIN, "serve", "--port", "0"] + list(args) + ["study.yaml"], cwd=folder,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e)
        line = self.p.stdout.readline()
        if not line.startswith("serving http://127.0.0.1:"):
            raise RuntimeError("serve printed %r, stderr %r" % (line, self.p.stderr.read()))
        self.port = int(line.strip().rsplit(":", 1)[1].rstrip("/"))

    def argv(self):
        with open("/proc/%d/cmdline" % self.p.pid, "rb") as f:
            return f.read()

    def stop(self):
        self.p.terminate()
        try:
            return self.p.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return self.p.wait()


def study(name):
    folder = os.path.join(SCRATCH, name)
    st.make_study(folder, name, 12)
    st.cli("run", "--quiet", "study.yaml", cwd=folder)
    return folder


# ---- slow-connection flood ------------------------------------------------

class Flood:
    """n sockets from the given source addresses; half send nothing, half
    send a request one byte at a time. Sockets the server closes stay
    closed (counted in .cut)."""

    def __init__(self, port, n, sources):
        self.socks = []
        for i in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((sources[i % len(sources)], 0))
            s.settimeout(DEADLINE)
            s.connect(("127.0.0.1", port))
            self.socks.append([s, i % 2 == 1, 0])   # socket, drips, bytes sent
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.cut = 0
        self.t = threading.Thread(target=self.drip)
        self.t.start()

    PAYLOAD = b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100000

    def drip(self):
        while not self.stop.wait(0.05):
            with self.lock:
                for rec in self.socks:
                    s, drips, k = rec
                    if s is None or not drips:
                        continue
                    try:
                        s.send(self.PAYLOAD[k:k + 1])
                        rec[2] = k + 1
                    except OSError:
                        pass

    def open_count(self):
        """Closes and counts the sockets the server has closed; returns how
        many are still open."""
        with self.lock:
            for rec in self.socks:
                s = rec[0]
                if s is None:
                    continue
                s.setblocking(False)
                try:
                    gone = s.recv(4096) == b""   # EOF, or an answer then EOF later
                except BlockingIOError:
                    gone = False
                except OSError:
                    gone = True
                s.setblocking(True)
                if gone:
                    s.close()
                    rec[0] = None
                    self.cut += 1
            return sum(1 for rec in self.socks if rec[0] is not None)

    def close(self):
        self.stop.set()
        self.t.join()
        for rec in self.socks:
            if rec[0] is not None:
                rec[0].close()


def test_flood(folder):
    sv = Serve(folder)
    try:
        for what, sources in (("from the client's own address", ["127.0.0.1"]),
                              ("from eight other addresses", ["127.0.0.%d" % k for k in range(2, 10)])):
            fl = Flood(sv.port, 200, sources)
            try:
                # The server frees the slots the flood holds beyond the limit.
                wait_until("the server to cut the flood down to its limit",
                           lambda: fl.open_count() <= min(len(sources) * PER_ADDRESS, 64))
                codes = [request(sv.port, "/api/status")[0] for _ in range(5)]
                check(codes == [200] * 5, "/api/status answered during a slow flood %s (%s)" % (what, codes))
                ok, _, body = request(sv.port, "/")
                check(ok == 200 and b"<!DOCTYPE html>" in body, "the page is served during the flood %s" % what)
                check(fl.cut >= 200 - 64, "the server closed the slow connections beyond its limits (%d)" % fl.cut)
            finally:
                fl.close()
        code, _, _ = request(sv.port, "/api/status")
        check(code == 200 and sv.p.poll() is None, "the server answers after the floods")
    finally:
        code = sv.stop()
    check(code == 0, "the server stops cleanly after the floods (exit %r)" % code)


def read_stream_start(s):
    got = b""
    while b"data:" not in got:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    return got


def test_limit_503(folder):
    sv = Serve(folder, ["--max-connections", "3"])
    streams = []
    try:
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", sv.port), timeout=DEADLINE)
            s.sendall(b"GET /api/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            check(b"data:" in read_stream_start(s), "a change stream is open")
            streams.append(s)
        code, hdr, body = request(sv.port, "/api/status")
        check(code == 503 and hdr.get("retry-after", "").isdigit() and b"limit" in body,
              "beyond the connection limit: 503 with Retry-After (%s %s)" % (code, hdr.get("retry-after")))
        for s in streams:
            s.close()
        wait_until("the server to answer once the streams closed",
                   lambda: request(sv.port, "/api/status")[0] == 200)
        check(True, "the server answers 200 again once the streams closed")
    finally:
        for s in streams:
            s.close()
        sv.stop()
    r = subprocess.run([BIN, "serve", "--max-connections", "0", "study.yaml"], cwd=folder,
                       capture_output=True, text=True, timeout=DEADLINE)
    check(r.returncode == 2 and "--max-connections" in r.stderr, "--max-connections 0 is refused")


# ---- token and Host -------------------------------------------------------

def test_token_sources(folder):
    tok = "file-Token_7.x"
    path = os.path.join(SCRATCH, "token")
    with open(path, "w") as f:
        f.write(tok + "\n")
    os.chmod(path, 0o600)
    for what, args, env, secret in (("--token-file", ["--token-file", path], {}, tok),
                                    ("$BUDGETOPT_TOKEN", [], {"BUDGETOPT_TOKEN": "env-Token_8"}, "env-Token_8")):
        sv = Serve(folder, args, env)
        try:
            check(request(sv.port, "/api/status")[0] == 401, "token from %s: 401 without it" % what)
            code, _, body = request(sv.port, "/api/status", headers={"Authorization": "Bearer " + secret})
            check(code == 200 and b'"spent"' in body, "token from %s: 200 with it" % what)
            check(request(sv.port, "/api/status?token=" + secret + "x")[0] == 401,
                  "token from %s: the token and more is refused" % what)
            check(secret.encode() not in sv.argv(), "token from %s: not in the process's arguments" % what)
        finally:
            sv.stop()
    os.chmod(path, 0o644)
    r = subprocess.run([BIN, "serve", "--port", "0", "--token-file", path, "study.yaml"], cwd=folder,
                       capture_output=True, text=True, timeout=DEADLINE)
    check(r.returncode == 2 and "readable by other users" in r.stderr, "a token file others can read is refused")
    os.chmod(path, 0o600)
    r = subprocess.run([BIN, "serve", "--port", "0", "--token", "a", "--token-file", path, "study.yaml"],
                       cwd=folder, capture_output=True, text=True, timeout=DEADLINE)
    check(r.returncode == 2, "--token with --token-file is refused")
    r = subprocess.run([BIN, "serve", "--port", "0", "--token-file", path + ".missing", "study.yaml"],
                       cwd=folder, capture_output=True, text=True, timeout=DEADLINE)
    check(r.returncode == 2 and ".missing" in r.stderr, "a missing token file is named")


def test_host(folder):
    for args in ([], ["--token", "tokH"]):
        sv = Serve(folder, args)
        auth = b"Authorization: Bearer tokH\r\n" if args else b""
        try:
            for what, req in (
                    ("HTTP/1.0 without Host", b"GET /api/status HTTP/1.0\r\n" + auth + b"\r\n"),
                    ("HTTP/1.1 without Host", b"GET /api/status HTTP/1.1\r\nConnection: close\r\n" + auth + b"\r\n"),
                    ("two Host headers", b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: 127.0.0.1\r\n"
                     b"Connection: close\r\n" + auth + b"\r\n"),
                    ("two Host headers, one foreign", b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"host: evil.example\r\nConnection: close\r\n" + auth + b"\r\n")):
                resp = raw(sv.port, req)
                check(status_code(resp) == 400 and b'"spent"' not in resp,
                      "%s is refused with 400%s (%s)" % (what, " (token set)" if args else "", status_code(resp)))
            resp = raw(sv.port, b"GET /api/status HTTP/1.0\r\nHost: 127.0.0.1\r\n" + auth + b"\r\n")
            check(status_code(resp) == 200, "HTTP/1.0 with one Host is served")
        finally:
            sv.stop()


# ---- a ledger whose latest state cannot be shown --------------------------

def status_of(port):
    code, _, body = request(port, "/api/status")
    return json.loads(body) if code == 200 else None


def plant_trial(db, reason):
    """A copy of trial 1 as a new failed trial whose reason is the given
    bytes (stored as TEXT, unchecked, as a damaged ledger could hold)."""
    c = sqlite3.connect(db)
    cols = [r[1] for r in c.execute("PRAGMA table_info(trials)") if r[1] not in ("id", "state", "reason")]
    c.execute("INSERT INTO trials(state, reason, %s) SELECT 'failed', CAST(? AS TEXT), %s FROM trials WHERE id = 1"
              % (", ".join(cols), ", ".join(cols)), (reason,))
    c.commit()
    c.close()


def test_bad_ledger(src):
    folder = os.path.join(SCRATCH, "bad")
    shutil.copytree(src, folder)
    db = os.path.join(folder, "guard.db")
    good = len(json.loads(st.cli("export", "--format", "json", "study.yaml", cwd=folder)))
    sv = Serve(folder)
    try:
        check(status_of(sv.port)["trials"] == good, "the good ledger is served (%d trials)" % good)
        # An invalid UTF-8 byte in a reason: either the text is served
        # made valid, or the last good state with an error; never nothing.
        plant_trial(db, b"bad \xff byte")
        s = wait_until("the server to take in the planted trial",
                       lambda: (lambda v: v if v and (v.get("error") or v["trials"] == good + 1) else None)(
                           status_of(sv.port)))
        if s.get("error"):
            check(s["trials"] == good and len(st.get_json(sv.port, "/api/trials")) == good,
                  "an invalid byte: the last good state is kept (%s)" % s["error"])
        else:
            t = st.get_json(sv.port, "/api/trials")
            check(len(t) == good + 1 and isinstance(t[-1]["reason"], str), "an invalid byte: served made valid")
        # The trial was planted behind the spend journal's back: a new
        # server may refuse the ledger, naming doctor; it never shows an
        # empty study.
        try:
            fresh = Serve(folder)
        except RuntimeError as e:
            fresh = None
            check("budgetopt doctor" in str(e) and "spend journal" in str(e),
                  "a server started on a ledger changed behind its journal refuses, naming doctor (%s)" % e)
        if fresh:
            try:
                v = status_of(fresh.port)
                check(v is not None and (v.get("error") or v["trials"] == good + 1),
                      "a server started on that ledger shows an error or the whole study, not an empty one (%s)" % v)
            finally:
                fresh.stop()

        # A ledger that cannot be read any more stays an error.
        c = sqlite3.connect(db)
        c.execute("ALTER TABLE trial_params RENAME TO trial_params_gone")
        c.commit()
        c.close()
        plant_trial(db, b"another")
        before = s["trials"]
        s = wait_until("the server to report the unreadable ledger",
                       lambda: (lambda v: v if v and "trial_params" in v.get("error", "") else None)(
                           status_of(sv.port)))
        check("trial_params" in s["error"] and s["trials"] == before,
              "an unreadable ledger: the error names it and the last good state stays (%s)" % s["error"])
        check(len(st.get_json(sv.port, "/api/trials")) == before, "the trials of the last good state are served")
        # Repaired: the error goes away.
        c = sqlite3.connect(db)
        c.execute("ALTER TABLE trial_params_gone RENAME TO trial_params")
        c.execute("UPDATE trials SET reason = 'repaired' WHERE id = ?", (good + 1,))
        c.commit()
        c.close()
        plant_trial(db, b"after the repair")
        s = wait_until("the error to clear", lambda: (lambda v: v if v and not v.get("error") else None)(
            status_of(sv.port)))
        check(s["trials"] == good + 3, "repaired: the whole study is served without an error (%d)" % s["trials"])
    finally:
        code = sv.stop()
    check(code == 0, "the server stops cleanly after the errors (exit %r)" % code)


def main():
    folder = study("guard")
    test_host(folder)
    test_token_sources(folder)
    test_limit_503(folder)
    test_bad_ledger(folder)
    test_flood(folder)
    if st.failures:
        print("%d check(s) failed" % len(st.failures))
        sys.exit(1)
    print("all serve guard checks passed")


if __name__ == "__main__":
    main()
