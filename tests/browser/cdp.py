#!/usr/bin/env python3
"""The dashboard (and report.html) in headless Chromium, driven over the
DevTools protocol with python3-websocket.

While `budgetopt run` goes on (an evaluator that sleeps 0.3 s per trial),
the page must draw exactly one `#chart-frontier .pt` per finished trial as
/api/status counts them, and that number must grow as trials finish; the
page must log no error; screenshots are kept under the scratch folder.
Then a study with a pruner: its dashboard's pruning box and its report's
learning curves must show the pruned trials the ledger holds.
Waits are polling loops on the thing itself, each with a deadline.
"""
import base64
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

BIN = os.path.abspath(sys.argv[1])
CHROMIUM = sys.argv[2]
SCRATCH = os.path.abspath(sys.argv[3])
DEADLINE = 180.0
TRIALS = 24

EVAL = r'''#!/usr/bin/env python3
import json, sys, time
x, k = float(sys.argv[1]), sys.argv[2]
time.sleep(0.3)
if x > 0.95:
    sys.exit(3)
print(json.dumps({"metrics": {"y": (x - 0.3) ** 2 + (0.05 if k == "b" else 0.0), "lat": 1.0 + 4.0 * x},
                  "usage": {"tokens": 1000 * x}}))
'''

STUDY = '''name: live
seed: 11
space:
  x: {float: [0, 1]}
  k: {choice: [a, b]}
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
  parallel: 1
sampler: sobol
''' % TRIALS

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def deadline_loop(what):
    end = time.monotonic() + DEADLINE
    while True:
        yield
        if time.monotonic() > end:
            raise RuntimeError("gave up waiting for " + what)
        time.sleep(0.05)


class Browser:
    """Chromium with one page, attached through a flattened session."""

    def __init__(self, scratch):
        self.profile = tempfile.mkdtemp(prefix="chromium-", dir=scratch)
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", "--window-size=1400,1800",
             "--user-data-dir=" + self.profile, "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(scratch, "chromium.log"), "w"),
            start_new_session=True)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        for _ in deadline_loop("chromium's DevToolsActivePort"):
            if self.proc.poll() is not None:
                raise RuntimeError("chromium exited with %d (see chromium.log)" % self.proc.returncode)
            if os.path.exists(port_file):
                lines = open(port_file).read().split("\n")
                if len(lines) >= 2 and lines[0].strip() and lines[1].strip():
                    break
        port, path = lines[0].strip(), lines[1].strip()
        self.ws = websocket.create_connection("ws://127.0.0.1:%s%s" % (port, path), timeout=DEADLINE,
                                              suppress_origin=True)
        self.next_id = 0
        self.events = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            self.call(domain + ".enable", session=True)

    def call(self, method, params=None, session=False):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def eval(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True},
                      session=True)
        if "exceptionDetails" in r:
            raise RuntimeError("evaluating %s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def navigate(self, url):
        self.call("Page.navigate", {"url": url}, session=True)
        for _ in deadline_loop("the page to load"):
            if self.eval("document.readyState") == "complete" and self.eval("location.href") == url:
                break

    def errors(self):
        """Console errors, uncaught exceptions and log errors seen so far."""
        self.eval("1")   # drains pending events
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console.%s: %s" % (p["type"], [a.get("value", a.get("description")) for a in p.get("args", [])]))
            elif e["method"] == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append("exception: %s %s" % (d.get("text"), d.get("exception", {}).get("description")))
            elif e["method"] == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append("log: %s %s" % (p["entry"].get("text"), p["entry"].get("url")))
        return out

    def screenshot(self, path):
        r = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=True)
        data = base64.b64decode(r["data"])
        with open(path, "wb") as f:
            f.write(data)
        return data

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:   # noqa: BLE001 - it may be gone already
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def api(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=DEADLINE) as r:
        return json.loads(r.read())


def finished(status):
    s = status["by_state"]
    return s["complete"] + s["pruned"] + s["failed"]


DOM_POINTS = "document.querySelectorAll('#chart-frontier .pt').length"


def test_dashboard(br, folder):
    serve = subprocess.Popen([BIN, "serve", "--port", "0", "study.yaml"], cwd=folder, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    run = None
    try:
        line = serve.stdout.readline()
        check(line.startswith("serving http://127.0.0.1:"), "serve prints its URL first (%r)" % line)
        url = line.split()[1]
        port = int(url.rsplit(":", 1)[1].strip("/"))
        run = subprocess.Popen([BIN, "run", "--quiet", "study.yaml"], cwd=folder, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        br.navigate(url)
        # Observations where the page and two /api/status reads around it
        # agree; done once the run has ended and the page shows what the
        # ledger holds (`status --format json`, read after the runner exited).
        agreed = []
        truth = None
        for _ in deadline_loop("the run to finish and the page to catch up"):
            if truth is None and run.poll() is not None:
                truth = finished(json.loads(subprocess.run(
                    [BIN, "status", "--format", "json", "study.yaml"], cwd=folder,
                    capture_output=True, text=True, check=True).stdout))
            before = finished(api(port, "/api/status"))
            shown = br.eval(DOM_POINTS)
            after = finished(api(port, "/api/status"))
            if before == shown == after and (not agreed or agreed[-1] != shown):
                agreed.append(shown)
            if truth is not None and before == shown == after == truth:
                break
        check(run.returncode == 0, "the run finished (exit %s)" % run.returncode)
        final = finished(api(port, "/api/status"))
        check(final == TRIALS, "every trial finished (%d)" % final)
        check(agreed and agreed[-1] == final, "the page shows one point per finished trial at the end (%s)" % agreed[-1:])
        check(len(agreed) >= 3 and agreed == sorted(agreed) and agreed[0] < final,
              "the page's points grew with the finished trials while the run went on: %s" % agreed)

        # The table: sorted by a click on a header, filtered by state and text.
        export = json.loads(subprocess.run([BIN, "export", "--format", "json", "study.yaml"], cwd=folder,
                                           capture_output=True, text=True, check=True).stdout)
        rows = br.eval("document.querySelectorAll('#trials tbody tr').length")
        check(rows == len(export), "the table lists every trial (%d)" % rows)
        br.eval("[...document.querySelectorAll('#trials thead th')].find(t => t.dataset.key === 'cost').click()")
        ids = br.eval("[...document.querySelectorAll('#trials tbody tr')].map(r => +r.dataset.id)")
        want = [t["id"] for t in sorted(export, key=lambda t: (t["cost"], t["id"]))]
        check(ids == want, "a click on 'cost' sorts by cost")
        br.eval("[...document.querySelectorAll('#trials thead th')].find(t => t.dataset.key === 'cost').click()")
        ids = br.eval("[...document.querySelectorAll('#trials tbody tr')].map(r => +r.dataset.id)")
        want = [t["id"] for t in sorted(export, key=lambda t: (-t["cost"], t["id"]))]
        check(ids == want, "a second click sorts the other way")
        br.eval("(() => { const s = document.getElementById('state-filter'); s.value = 'failed';"
                " s.dispatchEvent(new Event('change')); })()")
        ids = br.eval("[...document.querySelectorAll('#trials tbody tr')].map(r => +r.dataset.id)")
        nfailed = sum(t["state"] == "failed" for t in export)
        check(nfailed > 0 and sorted(ids) == sorted(t["id"] for t in export if t["state"] == "failed"),
              "the state filter keeps the %d failed trials" % nfailed)
        br.eval("(() => { const s = document.getElementById('state-filter'); s.value = '';"
                " s.dispatchEvent(new Event('change')); const t = document.getElementById('text-filter');"
                " t.value = 'exit'; t.dispatchEvent(new Event('input')); })()")
        ids = br.eval("[...document.querySelectorAll('#trials tbody tr')].map(r => +r.dataset.id)")
        check(ids and sorted(ids) == sorted(t["id"] for t in export if "exit" in (t["reason"] or "")
                                            or "exit" in t["state"]),
              "the text filter keeps the rows that contain the text")

        check(br.eval("document.getElementById('st-rungs-box').hidden && "
                      "document.getElementById('st-pruning-box').hidden && "
                      "document.getElementById('fig-curves').hidden") is True,
              "without fidelity: or pruner: the rung and pruning boxes and the learning curves stay hidden")
        errors = br.errors()
        check(not errors, "the dashboard logged no errors %s" % errors[:5])
        png = br.screenshot(os.path.join(SCRATCH, "dashboard.png"))
        check(png[:8] == b"\x89PNG\r\n\x1a\n", "screenshot saved")
        print("screenshot: " + os.path.join(SCRATCH, "dashboard.png"), flush=True)
    finally:
        if run and run.poll() is None:
            run.terminate()
            run.wait()
        br.navigate("about:blank")   # closes the page's stream before the server goes
        serve.terminate()
        check(serve.wait(timeout=DEADLINE) == 0, "serve stops on SIGTERM")


def test_report(br, folder):
    helped = subprocess.run([BIN, "report", "--help"], cwd=folder, capture_output=True, text=True)
    if helped.returncode != 0:
        print("SKIP report.html: `budgetopt report --help` fails (exit %d): no report command yet"
              % helped.returncode, flush=True)
        return
    out = os.path.join(folder, "report.html")
    r = subprocess.run([BIN, "report", "study.yaml", "-o", out], cwd=folder, capture_output=True, text=True)
    check(r.returncode == 0, "budgetopt report writes report.html (%s)" % r.stderr.strip())
    if r.returncode != 0:
        return
    status = json.loads(subprocess.run([BIN, "status", "--format", "json", "study.yaml"], cwd=folder,
                                       capture_output=True, text=True, check=True).stdout)
    first = len(br.events)
    br.navigate("file://" + out)
    shown = br.eval(DOM_POINTS)
    check(shown == finished(status), "report.html draws one point per finished trial (%s of %d)"
          % (shown, finished(status)))
    errors = br.errors()
    del br.events[:first]
    check(not errors, "report.html logged no errors %s" % errors[:5])
    png = br.screenshot(os.path.join(SCRATCH, "report.png"))
    check(png[:8] == b"\x89PNG\r\n\x1a\n", "report screenshot saved")
    print("screenshot: " + os.path.join(SCRATCH, "report.png"), flush=True)


# The pruner's known learning curves, shared with tests/report/run-rungs.sh.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "evaluators",
                       "prune_curves.py")) as fh:
    PRUNE_EVAL = fh.read()

PRUNE_STUDY = '''name: pruned
seed: 5
space:
  x: {float: [0, 1]}
prices:
  tokens: 0.001
metrics:
  acc: {maximize: true}
objectives: [acc]
score: acc
budget: {trials: 8}
pruner: {threshold: {lower: 0.2, warmup_steps: 2}}
evaluator:
  command: [./eval.py, "{x}"]
  parallel: 2
sampler: random
'''


def test_pruning(br, folder):
    """A pruned study: the dashboard's pruning box shows the ledger's count,
    the dashboard and report.html draw the learning curves with the pruned
    ones marked."""
    os.makedirs(folder)
    with open(os.path.join(folder, "eval.py"), "w") as f:
        f.write(PRUNE_EVAL)
    os.chmod(os.path.join(folder, "eval.py"), 0o755)
    with open(os.path.join(folder, "study.yaml"), "w") as f:
        f.write(PRUNE_STUDY)
    subprocess.run([BIN, "run", "--quiet", "study.yaml"], cwd=folder, check=True)
    con = sqlite3.connect(os.path.join(folder, "pruned.db"))
    npruned = con.execute("SELECT COUNT(*) FROM trials WHERE state = 'pruned'").fetchone()[0]
    ncurves = con.execute("SELECT COUNT(DISTINCT trial_id) FROM trial_steps WHERE name = 'acc'").fetchone()[0]
    con.close()
    serve = subprocess.Popen([BIN, "serve", "--port", "0", "study.yaml"], cwd=folder, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        url = serve.stdout.readline().split()[1]
        br.navigate(url)
        for _ in deadline_loop("the pruning box"):
            if br.eval("!document.getElementById('st-pruning-box').hidden"):
                break
        text = br.eval("document.getElementById('st-pruning').textContent")
        check(text.startswith("threshold: %d pruned, " % npruned),
              "the pruning box shows the %d pruned trials (%r)" % (npruned, text))
        check(br.eval("document.getElementById('st-rungs-box').hidden") is True, "no rung box without fidelity:")
        # the learning curves, as the report draws them below, on the live page
        for _ in deadline_loop("the dashboard's learning curves"):
            if br.eval("document.querySelectorAll('#box-curves #chart-curves path.curve').length") == ncurves:
                break
        shown = br.eval("[document.getElementById('fig-curves').hidden,"
                        " document.querySelectorAll('#box-curves path.curve').length,"
                        " document.querySelectorAll('#box-curves path.curve.pruned').length,"
                        " document.querySelectorAll('#box-curves path.prune-mark').length]")
        check(shown == [False, ncurves, npruned, npruned],
              "the dashboard draws %d learning curves, %d pruned and marked (%s)" % (ncurves, npruned, shown))
        errors = br.errors()
        check(not errors, "the dashboard of a pruned study logged no errors %s" % errors[:5])
        br.screenshot(os.path.join(SCRATCH, "dashboard-pruned.png"))
    finally:
        br.navigate("about:blank")
        serve.terminate()
        serve.wait(timeout=DEADLINE)
    out = os.path.join(folder, "report.html")
    subprocess.run([BIN, "report", "study.yaml", "-o", out], cwd=folder, check=True, capture_output=True)
    br.events.clear()
    br.navigate("file://" + out)
    shown = br.eval("[document.querySelectorAll('#chart-curves path.curve').length,"
                    " document.querySelectorAll('#chart-curves path.curve.pruned').length,"
                    " document.querySelectorAll('#chart-curves path.prune-mark').length]")
    check(shown == [ncurves, npruned, npruned], "report.html draws %d curves, %d pruned and marked (%s)"
          % (ncurves, npruned, shown))
    errors = br.errors()
    check(not errors, "the pruned study's report logged no errors %s" % errors[:5])
    br.screenshot(os.path.join(SCRATCH, "report-pruned.png"))


# A study with scenarios and its scripted evaluator, shared with tests/serve.
SCEN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "serve", "scenario-study")


def test_scenarios(br, folder):
    """A study with scenarios: the scenarios table lists `status --format
    json`'s counts, and the best line names select's pick as it judged it."""
    shutil.copytree(SCEN_DIR, folder)
    os.chmod(os.path.join(folder, "eval.py"), 0o755)
    subprocess.run([BIN, "run", "--quiet", "study.yaml"], cwd=folder, check=True)
    st = json.loads(subprocess.run([BIN, "status", "--format", "json", "study.yaml"], cwd=folder,
                                   capture_output=True, text=True, check=True).stdout)
    serve = subprocess.Popen([BIN, "serve", "--port", "0", "study.yaml"], cwd=folder, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        url = serve.stdout.readline().split()[1]
        br.navigate(url)
        for _ in deadline_loop("the scenarios box"):
            if br.eval("!document.getElementById('st-scenarios-box').hidden"):
                break
        rows = br.eval("[...document.querySelectorAll('#st-scenarios tbody tr')].map(r =>"
                       " [r.dataset.scenario, +r.children[2].textContent, +r.children[3].textContent])")
        want = [[s["name"], s["trials"], s["complete"]] for s in st["scenarios"]]
        check(rows == want, "the scenarios table shows status's counts (%s, %s)" % (rows, want))
        best = br.eval("document.getElementById('st-best').textContent")
        check(best.startswith("trial %d," % st["best"]["id"]) and st["best"]["judged"] in best,
              "the best line names status's best, as select judged it (%r)" % best)
        check(br.eval("document.getElementById('st-confirm-box').hidden") is True,
              "no confirmation box without a confirmation phase")
        errors = br.errors()
        check(not errors, "the dashboard of a scenario study logged no errors %s" % errors[:5])
    finally:
        br.navigate("about:blank")
        serve.terminate()
        serve.wait(timeout=DEADLINE)


def main():
    folder = os.path.join(SCRATCH, "study")
    os.makedirs(folder)
    with open(os.path.join(folder, "eval.py"), "w") as f:
        f.write(EVAL)
    os.chmod(os.path.join(folder, "eval.py"), 0o755)
    with open(os.path.join(folder, "study.yaml"), "w") as f:
        f.write(STUDY)
    br = Browser(SCRATCH)
    try:
        test_dashboard(br, folder)
        br.events.clear()
        test_report(br, folder)
        br.events.clear()
        test_pruning(br, os.path.join(SCRATCH, "pruned"))
        br.events.clear()
        test_scenarios(br, os.path.join(SCRATCH, "scenarios"))
    finally:
        br.close()
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("all browser checks passed")


if __name__ == "__main__":
    main()
