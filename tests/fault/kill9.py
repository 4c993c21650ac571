#!/usr/bin/env python3
"""kill -9 the runner at named points of a study (through the test hook
BUDGETOPT_TEST_CRASH_AT=point:n) and at a moment chosen from outside, then
resume, and check the ledger:

- no trial committed before the kill is lost or changed;
- no trial is charged twice: exactly one charge event per trial, and the
  study's spend equals the sum of its trials' costs and of the charge events;
- trials that were running when the runner died are failed as orphaned,
  their evaluators are stopped, and no trial's evaluator ran twice;
- the study still ends at its trial budget with nothing left running.
"""
import os
import signal
import sqlite3
import subprocess
import sys
import time

TRIALS = 12

EVAL = r'''#!/usr/bin/env python3
import json, os, sys, time
x = float(sys.argv[1])
with open("starts.log", "a") as f:
    f.write("%s %d\n" % (os.environ["BUDGETOPT_TRIAL_ID"], os.getpid()))
time.sleep(0.2 + x)
print(json.dumps({"metrics": {"y": (x - 0.3) ** 2}, "usage": {"tokens": 10}}))
'''

STUDY = '''name: kill9
seed: 11
space:
  x: {float: [0, 1]}
prices:
  tokens: 0.01
  wall_hours: 36
metrics:
  y: {minimize: true}
score: "-y"
budget:
  trials: %d
  money: 1000
  per_trial: {money: 5}
evaluator:
  command: [./eval.py, "{x}"]
  parallel: 3
sampler: random
''' % TRIALS

# (label, crash points for successive runs before the final clean resume)
SCENARIOS = [
    ("before the session starts", ["registered:1"]),
    ("after orphan recovery, before any launch", ["recovered:1"]),
    ("during the first ask", ["ask:1"]),
    ("after a reservation, before its launch", ["reserved:1"]),
    ("just after a launch, trials running", ["launched:2"]),
    ("at a heartbeat while trials run", ["heartbeat:1"]),
    ("between a trial's end and its commit", ["collected:3"]),
    ("just after a commit", ["committed:4"]),
    ("during the next ask, mid-study", ["ask:7"]),
    ("after a reservation, mid-study", ["reserved:9"]),
    ("twice: while running, then again right after recovering", ["launched:3", "recovered:1"]),
]


def ledger(d):
    return sqlite3.connect(os.path.join(d, "kill9.db"))


def snapshot(d):
    if not os.path.exists(os.path.join(d, "kill9.db")):
        return {}
    con = ledger(d)
    rows = con.execute("SELECT id, state, cost, reason FROM trials").fetchall()
    con.close()
    return {r[0]: r for r in rows}


def our_evaluators(d):
    """Pids of live evaluator processes started for this scenario's study."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                env = f.read().split(b"\0")
            with open("/proc/%s/stat" % pid) as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    continue
        except OSError:
            continue
        if b"BUDGETOPT_STUDY=kill9" in env and ("BUDGETOPT_TRIAL_DIR=" + d).encode() in b"\0".join(env):
            pids.append(int(pid))
    return pids


def run(prog, d, crash=None):
    env = dict(os.environ)
    env.pop("BUDGETOPT_TEST_CRASH_AT", None)
    if crash:
        env["BUDGETOPT_TEST_CRASH_AT"] = crash
    return subprocess.run([prog, "run", "study.yaml"], cwd=d, env=env, capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=600)


def check(d, before_runs, fails):
    con = ledger(d)
    q = lambda sql: con.execute(sql).fetchall()
    n, running = q("SELECT COUNT(*), SUM(state = 'running') FROM trials")[0]
    if n != TRIALS:
        fails.append("%d trials in the ledger, expected %d" % (n, TRIALS))
    if running:
        fails.append("%d trials left running" % running)
    for snap in before_runs:
        for tid, row in snap.items():
            now = q("SELECT id, state, cost, reason FROM trials WHERE id = %d" % tid)
            if row[1] == "running":
                if not now or now[0][1] != "failed" or not (now[0][3] or "").startswith("orphaned"):
                    fails.append("trial %d was running at the kill but is now %r" % (tid, now))
            elif not now or now[0] != row:
                fails.append("committed trial %d changed or was lost: %r -> %r" % (tid, row, now))
    twice = q("SELECT trial_id, COUNT(*) FROM events WHERE kind = 'charge' GROUP BY trial_id HAVING COUNT(*) != 1")
    if twice:
        fails.append("trials charged other than once: %r" % twice)
    uncharged = q("SELECT id FROM trials WHERE id NOT IN (SELECT trial_id FROM events WHERE kind = 'charge')")
    if uncharged:
        fails.append("trials never charged: %r" % uncharged)
    spent, charged = q("SELECT (SELECT SUM(cost) FROM trials), (SELECT SUM(amount) FROM events WHERE kind = 'charge')")[0]
    if abs(spent - charged) > 1e-9 * max(1.0, abs(spent)):
        fails.append("spend %r differs from the charges %r" % (spent, charged))
    bad_cost = q("SELECT id, cost FROM trials WHERE cost IS NULL OR cost < 0 OR cost > 5")
    if bad_cost:
        fails.append("costs outside [0, cap]: %r" % bad_cost)
    complete = q("SELECT COUNT(*) FROM trials WHERE state = 'complete' AND abs(cost - 0.1) < 0.1")[0][0]
    if complete == 0:
        fails.append("no complete trial at all")
    con.close()
    starts = {}
    with open(os.path.join(d, "starts.log")) as f:
        for line in f:
            tid = int(line.split()[0])
            starts[tid] = starts.get(tid, 0) + 1
    again = {t: c for t, c in starts.items() if c > 1}
    if again:
        fails.append("evaluators of these trials ran more than once: %r" % again)
    if any(t < 1 or t > TRIALS for t in starts):
        fails.append("evaluators ran for trials the ledger does not have: %r" % sorted(starts))
    left = our_evaluators(d)
    if left:
        fails.append("evaluators still alive after the study: %r" % left)
        for p in left:
            os.kill(p, signal.SIGKILL)


def scenario(prog, root, i, label, crashes):
    d = os.path.join(root, "s%02d" % i)
    os.makedirs(d)
    with open(os.path.join(d, "eval.py"), "w") as f:
        f.write(EVAL)
    os.chmod(os.path.join(d, "eval.py"), 0o755)
    with open(os.path.join(d, "study.yaml"), "w") as f:
        f.write(STUDY)
    open(os.path.join(d, "starts.log"), "w").close()
    fails, snaps = [], []
    for c in crashes:
        p = run(prog, d, c)
        if p.returncode != -signal.SIGKILL:
            fails.append("crash at %s: exit %d, expected SIGKILL\n%s" % (c, p.returncode, p.stderr.decode()))
        snaps.append(snapshot(d))
    p = run(prog, d)
    if p.returncode != 0:
        fails.append("resume: exit %d\n%s" % (p.returncode, p.stderr.decode()))
    check(d, snaps, fails)
    return fails


def external_kill(prog, root):
    """kill -9 from outside once four evaluators have started."""
    d = os.path.join(root, "external")
    os.makedirs(d)
    with open(os.path.join(d, "eval.py"), "w") as f:
        f.write(EVAL)
    os.chmod(os.path.join(d, "eval.py"), 0o755)
    with open(os.path.join(d, "study.yaml"), "w") as f:
        f.write(STUDY)
    open(os.path.join(d, "starts.log"), "w").close()
    env = dict(os.environ)
    env.pop("BUDGETOPT_TEST_CRASH_AT", None)
    p = subprocess.Popen([prog, "run", "study.yaml"], cwd=d, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    # Wait on the thing: the fourth evaluator start.
    while True:
        with open(os.path.join(d, "starts.log")) as f:
            if len(f.readlines()) >= 4:
                break
        if p.poll() is not None:
            return ["runner ended before the kill"]
        time.sleep(0.01)
    p.send_signal(signal.SIGKILL)
    p.wait()
    snaps = [snapshot(d)]
    fails = []
    r = run(prog, d)
    if r.returncode != 0:
        fails.append("resume: exit %d\n%s" % (r.returncode, r.stderr.decode()))
    check(d, snaps, fails)
    return fails


def main():
    prog, src, root = (os.path.abspath(a) for a in sys.argv[1:4])
    import shutil
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    passed = failed = 0
    cases = [(label, (lambda i=i, c=c: scenario(prog, root, i, label, c))) for i, (label, c) in enumerate(SCENARIOS)]
    cases.append(("kill -9 from outside while trials run", lambda: external_kill(prog, root)))
    for label, fn in cases:
        fails = fn()
        if fails:
            failed += 1
            print("FAIL kill -9 %s" % label)
            for f in fails:
                print("  " + f.replace("\n", "\n  "))
        else:
            passed += 1
            print("ok   kill -9 %s" % label)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
