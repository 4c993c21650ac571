#!/usr/bin/env python3
"""The dashboard's learning curves through HTTP only: /api/curves and the
curves chart against the ledger (trial_steps, trials) read with sqlite3,
while a run goes on and after it.

One trial is held after its third report until the test creates a file,
so the test can see its curve grow while it runs: every wait is on a
thing (a count reached, a process ended), each with a deadline.
"""
import json
import os
import re
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_test as st   # noqa: E402 - its helpers (it reads the same argv)

BIN, SCRATCH, check = st.BIN, st.SCRATCH, st.check

# Trials with x < 0.35 stall at step 2, below the threshold (0.3) that
# their pruner stops them at; the first trial (its curve lifted above the
# threshold) waits for the file "go" after step 3, so that it is seen
# running; the others run to step 6.
EVAL = r'''#!/usr/bin/env python3
import json, os, sys, time
x, tid = float(sys.argv[1]), int(os.environ["BUDGETOPT_TRIAL_ID"])
if tid == 1:
    x = max(x, 0.9)
go = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), "go")
for k in range(1, 7):
    print(json.dumps({"step": k, "metrics": {"acc": round(x * (1 - 0.5 ** k), 6)}, "usage": {"tokens": 100 * k}}),
          flush=True)
    if k == 2 and x < 0.35:
        while True:
            time.sleep(3600)
    if k == 3 and tid == 1:
        while not os.path.exists(go):
            time.sleep(0.02)
print(json.dumps({"metrics": {"acc": round(x * (1 - 0.5 ** 6), 6)}, "usage": {"tokens": 600}}))
'''

STUDY = '''name: curves
seed: 11
space:
  x: {float: [0, 1]}
prices:
  tokens: 0.001
metrics:
  acc: {maximize: true}
objectives: [acc]
budget: {trials: 10}
pruner: {threshold: {lower: 0.3, warmup_steps: 1}}
evaluator:
  command: [./eval.py, "{x}"]
  parallel: 2
sampler: random
'''


def ledger_curves(db):
    """What /api/curves must say, from the ledger alone."""
    con = sqlite3.connect(db)
    try:
        trials = {r[0]: (r[1], r[2]) for r in con.execute("SELECT id, state, reason FROM trials")}
        rows = con.execute("SELECT trial_id, step, value FROM trial_steps WHERE name = 'acc' "
                           "ORDER BY trial_id, step").fetchall()
    finally:
        con.close()
    out = {}
    for tid, step, value in rows:
        out.setdefault(tid, []).append([step, value])
    want = []
    for tid, pts in sorted(out.items()):
        state, reason = trials[tid]
        m = re.match(r"pruned at step (\d+) by the ", reason or "") if state == "pruned" else None
        want.append({"id": tid, "state": state, "steps": pts,
                     "pruned_step": int(m.group(1)) if m else None})
    return want


def shown(api):
    return [{"id": t["id"], "state": t["state"], "steps": t["steps"], "pruned_step": t["pruned_step"]}
            for t in api["trials"]]


def svg_curves(svg_text):
    """(state, id) of each curve and the ids marked as pruned, from an XML parse."""
    root = ET.fromstring(svg_text)
    curves, marks = [], []
    for e in root.iter():
        cls = (e.get("class") or "").split()
        if "curve" in cls:
            curves.append((cls[1] if len(cls) > 1 else "", int(e.get("data-id"))))
        if "prune-mark" in cls:
            marks.append(int(e.get("data-id")))
    return root.get("id"), sorted(curves, key=lambda c: c[1]), sorted(marks)


def test_live_curves():
    folder = os.path.join(SCRATCH, "live")
    os.makedirs(folder)
    with open(os.path.join(folder, "eval.py"), "w") as f:
        f.write(EVAL)
    os.chmod(os.path.join(folder, "eval.py"), 0o755)
    with open(os.path.join(folder, "study.yaml"), "w") as f:
        f.write(STUDY)
    db = os.path.join(folder, "curves.db")
    sv = st.Server(folder)
    run = None
    try:
        port = sv.port
        empty = st.get_json(port, "/api/curves")
        check(empty == {"metric": "acc", "goal": "maximize", "trials": []},
              "before any run: the pruner's metric, no curves (%s)" % empty)
        run = subprocess.Popen([BIN, "run", "--quiet", "study.yaml"], cwd=folder,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # trial 1 waits after its third report: its curve must show it running with 3 points
        first = st.wait_until("trial 1's three reports on /api/curves", lambda: next(
            (t for t in st.get_json(port, "/api/curves")["trials"]
             if t["id"] == 1 and len(t["steps"]) == 3), None))
        check(first["state"] == "running" and first["pruned_step"] is None,
              "trial 1 shows as running while it runs (%s)" % first)
        live = [t for t in ledger_curves(db) if t["id"] == 1]
        check(live and live[0]["steps"] == first["steps"],
              "its three points are the ledger's (%s, %s)" % (first["steps"], live))
        _, curves, _ = svg_curves(st.request(port, "/api/charts/curves.svg")[2].decode())
        check(("running", 1) in curves, "the curves chart draws trial 1 as running (%s)" % curves[:4])
        with open(os.path.join(folder, "go"), "w"):
            pass
        out, err = run.communicate(timeout=st.DEADLINE)
        check(run.returncode == 0, "the run ends (exit %d %s)" % (run.returncode, err.strip()))
        run = None
        want = ledger_curves(db)
        got = st.wait_until("the server to show the whole run",
                            lambda: (lambda a: a if shown(a) == want else None)(st.get_json(port, "/api/curves")))
        check(shown(got) == want, "/api/curves after the run: the ledger's reports of acc, by trial and step")
        check(got["trials"][0]["id"] == 1 and len(got["trials"][0]["steps"]) == 6
              and got["trials"][0]["state"] == "complete", "trial 1 grew to 6 points and completed")
        pruned = [t["id"] for t in want if t["state"] == "pruned"]
        check(len(pruned) >= 1 and all(t["pruned_step"] is not None for t in want if t["state"] == "pruned"),
              "pruned trials carry their decision step (%d pruned)" % len(pruned))
        check(all(t["fidelity"] is None for t in got["trials"]), "no fidelity: null")
        charts = st.get_json(port, "/api/charts")
        check("curves" in charts, "/api/charts has the curves of a study with a pruner")
        root_id, curves, marks = svg_curves(charts["curves"])
        check(root_id == "chart-curves" and [c[1] for c in curves] == [t["id"] for t in want],
              "the curves chart has one curve per trial with reports (%d)" % len(curves))
        check([c[0] for c in curves] == [t["state"] for t in want], "each curve drawn in its trial's state")
        check(marks == pruned, "the pruned trials, and only they, are marked (%s, %s)" % (marks, pruned))
        check(st.request(port, "/api/charts/curves.svg")[2].decode() == charts["curves"],
              "/api/charts/curves.svg is /api/charts' curves")
    finally:
        if run:
            run.kill()
            run.wait()
        code = sv.stop()
    check(code == 0, "serve stops (exit %r)" % code)


def test_fidelity_and_plain():
    """A study with a fidelity gets curves with each trial's fidelity value;
    one with neither fidelity nor pruner none in /api/charts (the report's rule)."""
    folder = os.path.join(SCRATCH, "fid")
    os.makedirs(folder)
    with open(os.path.join(folder, "eval.sh"), "w") as f:
        f.write('#!/bin/sh\nawk -v x="$1" -v e="$2" \'BEGIN { for (k = 1; k <= e; k++) '
                'printf "{\\"step\\": %d, \\"metrics\\": {\\"acc\\": %.6f}}\\n", k, x * k / e; '
                'printf "{\\"metrics\\": {\\"acc\\": %.6f}, \\"usage\\": {\\"epochs\\": %d}}\\n", x, e }\'\n')
    os.chmod(os.path.join(folder, "eval.sh"), 0o755)
    study = STUDY.replace("name: curves", "name: fid").replace("pruner: {threshold: {lower: 0.3, warmup_steps: 1}}\n",
                                                               "fidelity: {param: epochs, min: 1, max: 9, eta: 3}\n")
    study = study.replace('[./eval.py, "{x}"]', '[./eval.sh, "{x}", "{epochs}"]').replace("tokens: 0.001", "epochs: 0.01")
    study = study.replace("  x: {float: [0, 1]}\n", "  x: {float: [0, 1]}\n  epochs: {int: [1, 9]}\n")
    with open(os.path.join(folder, "study.yaml"), "w") as f:
        f.write(study)
    st.cli("run", "--quiet", "study.yaml", cwd=folder)
    con = sqlite3.connect(os.path.join(folder, "fid.db"))
    fid = dict(con.execute("SELECT trial_id, value FROM trial_params WHERE name = 'epochs'").fetchall())
    con.close()
    sv = st.Server(folder)
    try:
        got = st.get_json(sv.port, "/api/curves")
        want = ledger_curves(os.path.join(folder, "fid.db"))
        check(shown(got) == want and len(want) == 10, "fidelity: /api/curves is the ledger's (%d trials)" % len(want))
        check(all(t["fidelity"] == fid[t["id"]] and len(t["steps"]) == fid[t["id"]] for t in got["trials"]),
              "fidelity: each curve carries its trial's epochs, one point per epoch")
    finally:
        sv.stop()
    plain = os.path.join(SCRATCH, "plain")
    st.make_study(plain, "plain", 3)
    st.cli("run", "--quiet", "study.yaml", cwd=plain)
    sv = st.Server(plain)
    try:
        check("curves" not in st.get_json(sv.port, "/api/charts"),
              "no fidelity nor pruner: /api/charts has no curves")
        got = st.get_json(sv.port, "/api/curves")
        check(got["trials"] == [] and got["metric"] == "y", "no fidelity nor pruner: /api/curves is empty (%s)" % got)
        status, hdr, body = st.request(sv.port, "/api/charts/curves.svg")
        check(status == 200 and ET.fromstring(body.decode()).get("id") == "chart-curves",
              "/api/charts/curves.svg answers a valid, empty chart")
    finally:
        sv.stop()


def main():
    test_live_curves()
    test_fidelity_and_plain()
    if st.failures:
        print("%d check(s) failed" % len(st.failures))
        sys.exit(1)
    print("all curves checks passed")


if __name__ == "__main__":
    main()
