#!/usr/bin/env python3
"""SIGINT to a running `budgetopt run`, as Ctrl-C on a terminal sends it:

- once: no new trial is launched, the running ones finish and are
  committed as complete, the program exits 130 and says how to resume;
- twice: the running trials are stopped, recorded as failed with reason
  "interrupted" and charged; the program exits 130;
- then `budgetopt run` resumes and finishes the study;
- while a runner lives, a second `budgetopt run` of the study is refused.
"""
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

EVAL = r'''#!/usr/bin/env python3
import json, os, sys, time
open("started-%s" % os.environ["BUDGETOPT_TRIAL_ID"], "w").close()
while not os.path.exists("release"):
    time.sleep(0.01)
print(json.dumps({"metrics": {"y": 1.0}}))
'''

STUDY = '''name: intr
space:
  x: {float: [0, 1]}
prices:
  wall_hours: 3.6
metrics:
  y: {}
budget: {trials: 10}
evaluator:
  command: [./eval.py]
  parallel: 2
'''


def setup(root, name):
    d = os.path.join(root, name)
    os.makedirs(d)
    with open(os.path.join(d, "eval.py"), "w") as f:
        f.write(EVAL)
    os.chmod(os.path.join(d, "eval.py"), 0o755)
    with open(os.path.join(d, "study.yaml"), "w") as f:
        f.write(STUDY)
    return d


def wait_for(path, proc):
    while not os.path.exists(path):
        if proc.poll() is not None:
            raise SystemExit("runner exited early: %s" % proc.stderr.read().decode())
        time.sleep(0.01)


def rows(d, sql):
    con = sqlite3.connect(os.path.join(d, "intr.db"))
    r = con.execute(sql).fetchall()
    con.close()
    return r


def start(prog, d):
    return subprocess.Popen([prog, "run", "study.yaml"], cwd=d, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


def once(prog, root):
    fails = []
    d = setup(root, "once")
    p = start(prog, d)
    wait_for(os.path.join(d, "started-1"), p)
    wait_for(os.path.join(d, "started-2"), p)
    # A second runner on the same study is refused while this one lives.
    q = subprocess.run([prog, "run", "study.yaml"], cwd=d, capture_output=True, timeout=600)
    if q.returncode != 2 or b"being run by pid %d" % p.pid not in q.stderr:
        fails.append("second runner: exit %d\n%s" % (q.returncode, q.stderr.decode()))
    p.send_signal(signal.SIGINT)
    # The runner must keep waiting for its two trials: give it the release
    # only once it has said it stops launching.
    err = b""
    while b"interrupted: no new trials" not in err:
        line = p.stderr.readline()
        if not line:
            break
        err += line
    open(os.path.join(d, "release"), "w").close()
    out, rest = p.communicate(timeout=600)
    err += rest
    if p.returncode != 130:
        fails.append("exit %d, expected 130\n%s" % (p.returncode, err.decode()))
    if b"run the same command again to resume" not in err:
        fails.append("no resume hint:\n%s" % err.decode())
    got = rows(d, "SELECT id, state FROM trials ORDER BY id")
    if got != [(1, "complete"), (2, "complete")]:
        fails.append("trials after one interrupt: %r" % got)
    if os.path.exists(os.path.join(d, "started-3")):
        fails.append("a trial was launched after the interrupt")
    p = subprocess.run([prog, "run", "study.yaml"], cwd=d, capture_output=True, timeout=600)
    got = rows(d, "SELECT COUNT(*), SUM(state = 'complete') FROM trials")
    if p.returncode != 0 or got != [(10, 10)]:
        fails.append("resume: exit %d, trials %r\n%s" % (p.returncode, got, p.stderr.decode()))
    return fails


def twice(prog, root):
    fails = []
    d = setup(root, "twice")
    p = start(prog, d)
    wait_for(os.path.join(d, "started-1"), p)
    wait_for(os.path.join(d, "started-2"), p)
    p.send_signal(signal.SIGINT)
    err = b""
    while b"interrupted: no new trials" not in err:
        line = p.stderr.readline()
        if not line:
            break
        err += line
    p.send_signal(signal.SIGINT)
    out, rest = p.communicate(timeout=600)
    err += rest
    if p.returncode != 130:
        fails.append("exit %d, expected 130\n%s" % (p.returncode, err.decode()))
    got = rows(d, "SELECT id, state, reason, cost > 0 FROM trials ORDER BY id")
    if got != [(1, "failed", "interrupted", 1), (2, "failed", "interrupted", 1)]:
        fails.append("trials after two interrupts: %r" % got)
    charged = rows(d, "SELECT COUNT(*) FROM events WHERE kind = 'charge'")
    if charged != [(2,)]:
        fails.append("charge events: %r" % charged)
    open(os.path.join(d, "release"), "w").close()
    p = subprocess.run([prog, "run", "study.yaml"], cwd=d, capture_output=True, timeout=600)
    got = rows(d, "SELECT COUNT(*), SUM(state = 'complete') FROM trials")
    if p.returncode != 0 or got != [(10, 8)]:
        fails.append("resume: exit %d, trials %r\n%s" % (p.returncode, got, p.stderr.decode()))
    return fails


def main():
    prog, src, root = (os.path.abspath(a) for a in sys.argv[1:4])
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    passed = failed = 0
    for label, fn in (("one interrupt lets running trials finish", once),
                      ("a second interrupt stops them, charged", twice)):
        fails = fn(prog, root)
        if fails:
            failed += 1
            print("FAIL " + label)
            for f in fails:
                print("  " + f.replace("\n", "\n  "))
        else:
            passed += 1
            print("ok   " + label)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
