#!/usr/bin/env python3
"""The run loop keeps its budgets while the sampler thinks (issue 11, item 5).

1. Cap during a slow ask: every ask is made 2 s slow (the test hook
   BUDGETOPT_TEST_ASK_DELAY_MS); trial 1 costs 1 EUR per second of wall time
   (wall_hours priced 3600) and never ends, under a per-trial cap of 0.6. Its
   cap is reached 0.6 s after it starts, while the ask for trial 2 is under
   way. From the ledger: the "cap" event's time minus (the trial's
   started_at + 0.6 s) is the lateness of the kill; it must be at most
   100 ms. started_at is taken before the process starts, so the lateness
   measured is never less than the real one. The same run with
   BUDGETOPT_ASK=sync (the loop blocked by the ask, as before the asker) is
   measured too and must be late by most of the ask, or the test could not
   tell the two apart.
2. Same sequence: with a seed and --parallel 1, a TPE study run with asks on
   the asker's thread (each 30 ms slow, so the loop really waits on passes)
   proposes exactly the configurations of the synchronous run.
"""
import os
import shutil
import sqlite3
import subprocess
import sys

CAP = 0.6
RATE = 1.0   # EUR per second: wall_hours at 3600

SLEEPER = r'''#!/usr/bin/env python3
import time
while True:
    time.sleep(3600)
'''

CAP_STUDY = '''name: slowask
space:
  x: {float: [0, 1]}
prices:
  currency: EUR
  wall_hours: 3600
metrics:
  y: {}
budget:
  trials: 2
  per_trial: {money: %g}
evaluator:
  command: [./eval.py]
  parallel: 2
sampler: random
''' % CAP

QUICK = r'''#!/usr/bin/env python3
import json, os
p = json.loads(os.environ["BUDGETOPT_PARAMS"]); x = p["x"]; k = p["k"]
print(json.dumps({"metrics": {"y": (x - 0.3) ** 2 + (0.1 if k == "a" else 0.0)}}))
'''

SEQ_STUDY = '''name: seq
space:
  x: {float: [0, 1]}
  k: {choice: [a, b, c]}
metrics:
  y: {minimize: true}
budget:
  trials: 14
evaluator:
  command: [./eval.py]
  parallel: 1
sampler: tpe
seed: 7
'''


def setup(root, name, study, evaluator):
    d = os.path.join(root, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, "eval.py"), "w") as f:
        f.write(evaluator)
    os.chmod(os.path.join(d, "eval.py"), 0o755)
    with open(os.path.join(d, "study.yaml"), "w") as f:
        f.write(study)
    return d


def rows(db, sql):
    con = sqlite3.connect(db)
    r = con.execute(sql).fetchall()
    con.close()
    return r


def run(prog, d, env_extra, args=()):
    env = dict(os.environ)
    env.update(env_extra)
    return subprocess.run([prog, "run", "study.yaml"] + list(args), cwd=d, env=env,
                          capture_output=True, timeout=600)


def cap_lateness(prog, root, mode):
    fails = []
    d = setup(root, "cap-" + mode, CAP_STUDY, SLEEPER)
    p = run(prog, d, {"BUDGETOPT_ASK": mode, "BUDGETOPT_TEST_ASK_DELAY_MS": "2000"})
    if p.returncode != 0:
        fails.append("%s: exit %d\n%s" % (mode, p.returncode, p.stderr.decode()))
        return fails, None
    db = os.path.join(d, "slowask.db")
    got = rows(db, "SELECT id, state, reason LIKE 'reached the per-trial money cap%', "
                   "cost <= " + repr(CAP) + " + 1e-12 FROM trials ORDER BY id")
    if got != [(1, "failed", 1, 1), (2, "failed", 1, 1)]:
        fails.append("%s: trials %r" % (mode, got))
    late = rows(db, "SELECT e.t - (t.started_at + %r / %r) FROM events e JOIN trials t ON t.id = e.trial_id "
                    "WHERE e.kind = 'cap' AND t.id = 1" % (CAP, RATE))
    charged = rows(db, "SELECT COUNT(*) FROM events WHERE kind = 'charge'")
    if charged != [(2,)]:
        fails.append("%s: charge events %r" % (mode, charged))
    if len(late) != 1:
        fails.append("%s: cap events of trial 1: %r" % (mode, late))
        return fails, None
    return fails, late[0][0]


def same_sequence(prog, root):
    fails = []
    seqs = {}
    for mode, delay in (("sync", "0"), ("thread", "30")):
        d = setup(root, "seq-" + mode, SEQ_STUDY, QUICK)
        p = run(prog, d, {"BUDGETOPT_ASK": mode, "BUDGETOPT_TEST_ASK_DELAY_MS": delay})
        if p.returncode != 0:
            fails.append("seq %s: exit %d\n%s" % (mode, p.returncode, p.stderr.decode()))
            continue
        seqs[mode] = rows(os.path.join(d, "seq.db"), "SELECT id, params_json FROM trials ORDER BY id")
        if len(seqs[mode]) != 14:
            fails.append("seq %s: %d trials" % (mode, len(seqs[mode])))
    if len(seqs) == 2 and seqs["sync"] != seqs["thread"]:
        fails.append("the threaded asks proposed another sequence:\nsync   %r\nthread %r"
                     % (seqs["sync"], seqs["thread"]))
    return fails


def main():
    prog, root = sys.argv[1], sys.argv[3]
    os.makedirs(root, exist_ok=True)
    fails = []
    f, late = cap_lateness(prog, root, "thread")
    fails += f
    f, late_sync = cap_lateness(prog, root, "sync")
    fails += f
    print("cap kill lateness during a 2 s ask: asker thread %s s, synchronous ask %s s"
          % ("%.3f" % late if late is not None else "?",
             "%.3f" % late_sync if late_sync is not None else "?"))
    if late is not None and late > 0.100:
        fails.append("the cap was enforced %.3f s after it was reached (at most 0.100 s)" % late)
    if late_sync is not None and late_sync < 1.0:
        fails.append("the synchronous ask was late by only %.3f s: the test cannot tell a "
                     "blocked loop from a free one" % late_sync)
    fails += same_sequence(prog, root)
    for m in fails:
        print("FAIL:", m)
    sys.exit(1 if fails else 0)


main()
