#!/usr/bin/env python3
"""Damage a study's ledger the ways an outside tester did (issue 8, item 1)
and check that nothing is lost or spent twice:

- the runner is killed (kill -9, through the test hook) after TRIALS_BEFORE
  trials were committed, so their record lives in the write-ahead log;
- then one damage: delete the -wal, zero it, cut it to half, truncate the
  .db to 0 bytes, or delete the spend journal;
- `status` and `run` refuse with exit 2 and a message naming doctor; no
  evaluator runs again and no trial folder changes;
- `doctor` exits 1 and explains; `doctor --repair` exits 0 and leaves a
  ledger whose spend equals what the evaluators reported before the damage
  (cost = tokens * price, computed here from the evaluator's own log);
- `run` then resumes: only new trials run, each once, and the spend is the
  sum of every trial's tokens * price.
Also checks the files are private: ledger, journal 0600, trial folders 0700.
"""
import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time

TRIALS_BEFORE = 3   # the kill falls inside a configuration (its second scenario)
TRIALS = 6
PRICE = 0.01

EVAL = r'''#!/usr/bin/env python3
import json, os, sys
x = float(sys.argv[1])
tokens = 100 + int(x * 1000)
with open("starts.log", "a") as f:
    f.write("%s %d\n" % (os.environ["BUDGETOPT_TRIAL_ID"], tokens))
with open("units.log", "a") as f:
    f.write("%s %s %s %s\n" % (os.environ["BUDGETOPT_TRIAL_ID"], os.environ["BUDGETOPT_SCENARIO"],
                              os.environ["BUDGETOPT_REPEAT"], sys.argv[1]))
print(json.dumps({"metrics": {"y": (x - 0.3) ** 2}, "usage": {"tokens": tokens}}))
'''

STUDY = '''name: dmg
seed: 5
space:
  x: {float: [0, 1]}
prices:
  tokens: %r
metrics:
  y: {minimize: true}
score: "-y"
budget:
  trials: %d
evaluator:
  command: [./eval.py, "{x}"]
  parallel: 1
sampler: random
# two scenarios: a configuration is two trials, and the repair must keep
# which scenario each trial ran under, or the resumed run replays them wrong
scenarios:
  clean: {weight: 3}
  shifted: {}
''' % (PRICE, TRIALS)

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(bin_, d, *args, crash=None):
    env = dict(os.environ)
    env.pop("BUDGETOPT_TEST_CRASH_AT", None)
    if crash:
        env["BUDGETOPT_TEST_CRASH_AT"] = crash
    p = subprocess.run([bin_] + list(args), cwd=d, env=env, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def starts(d):
    try:
        with open(os.path.join(d, "starts.log")) as f:
            return [tuple(int(v) for v in line.split()) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def folders_digest(d):
    out = {}
    root = os.path.join(d, "dmg-trials")
    for dirpath, _, files in os.walk(root):
        for fn in files:
            p = os.path.join(dirpath, fn)
            with open(p, "rb") as f:
                out[os.path.relpath(p, root)] = hashlib.sha256(f.read()).hexdigest()
    return out


def units_log(d):
    try:
        with open(os.path.join(d, "units.log")) as f:
            return [(int(a), s, int(r), x) for a, s, r, x in (line.split() for line in f if line.strip())]
    except FileNotFoundError:
        return []


def ledger_rows(d, columns):
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(d, "dmg.db"), uri=True)
    try:
        rows = con.execute("SELECT %s FROM trials ORDER BY id" % columns).fetchall()
    finally:
        con.close()
    return rows


def ledger_units(d):
    return ledger_rows(d, "id, scenario, repeat_index")


def ledger_spend(d):
    return ledger_rows(d, "id, state, cost")


def damage(kind, d):
    db = os.path.join(d, "dmg.db")
    wal = db + "-wal"
    if kind == "delete the -wal":
        os.unlink(wal)
    elif kind == "zero the -wal":
        n = os.path.getsize(wal)
        with open(wal, "r+b") as f:
            f.write(b"\0" * n)
    elif kind == "cut the -wal to half":
        os.truncate(wal, os.path.getsize(wal) // 2)
    elif kind == "truncate the .db to 0 bytes":
        os.truncate(db, 0)
    elif kind == "delete the spend journal":
        os.unlink(db + ".spend")
    else:
        raise ValueError(kind)


def scenario(bin_, base, kind):
    d = os.path.join(base, kind.replace(" ", "_").replace(".", ""))
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, "study.yaml"), "w") as f:
        f.write(STUDY)
    with open(os.path.join(d, "eval.py"), "w") as f:
        f.write(EVAL)
    os.chmod(os.path.join(d, "eval.py"), 0o755)

    rc, _, err = run(bin_, d, "run", "study.yaml", crash="committed:%d" % TRIALS_BEFORE)
    check(rc == -9, "%s: the runner was killed by the test hook (rc %d: %s)" % (kind, rc, err))
    before = starts(d)
    if [t for t, _ in before] != list(range(1, TRIALS_BEFORE + 1)):
        # Say why, from the ledger before it is damaged.
        con = sqlite3.connect(os.path.join(d, "dmg.db"))
        why = con.execute("SELECT id, state, reason FROM trials WHERE state != 'complete'").fetchall()
        con.close()
        check(False, "%s: %d trials ran before the kill: %r; not complete: %r" %
              (kind, TRIALS_BEFORE, before, why))
    charged = sum(tok for _, tok in before) * PRICE
    db = os.path.join(d, "dmg.db")
    check(os.path.exists(db + "-wal") and os.path.getsize(db + "-wal") > 0,
          "%s: the trials live in the write-ahead log after the kill" % kind)
    for p in (db, db + "-wal", db + ".spend"):
        check(os.path.exists(p) and stat.S_IMODE(os.stat(p).st_mode) == 0o600,
              "%s: %s exists and is 0600" % (kind, p))
    tdir = os.path.join(d, "dmg-trials", "000001")
    check(stat.S_IMODE(os.stat(tdir).st_mode) == 0o700, "%s: trial folders are 0700" % kind)
    folders = folders_digest(d)

    damage(kind, d)

    for cmd in (["status", "study.yaml"], ["run", "study.yaml"], ["trials", "study.yaml"]):
        rc, out, err = run(bin_, d, *cmd)
        check(rc == 2, "%s: `%s` exits 2, not %d (%s)" % (kind, cmd[0], rc, (out + err).strip()))
        check("budgetopt doctor" in err, "%s: `%s` names doctor: %s" % (kind, cmd[0], err.strip()))
    check(starts(d) == before, "%s: no evaluator ran again after the damage" % kind)
    check(folders_digest(d) == folders, "%s: no trial folder changed" % kind)

    rc, out, err = run(bin_, d, "doctor", "study.yaml")
    check(rc == 1, "%s: doctor finds the problem (exit %d): %s" % (kind, rc, out + err))
    check("problem" in out, "%s: doctor explains: %s" % (kind, out))

    rc, out, err = run(bin_, d, "doctor", "--repair", "study.yaml")
    check(rc == 0, "%s: doctor --repair succeeds (exit %d): %s" % (kind, rc, out + err))
    rows = ledger_spend(d)
    got = sum(c for _, _, c in rows if c is not None)
    check(abs(got - charged) <= 1e-9 * max(1, charged),
          "%s: repaired spend %.17g equals the charges before the damage %.17g (%r)"
          % (kind, got, charged, rows))
    check([r[0] for r in rows] == list(range(1, TRIALS_BEFORE + 1)),
          "%s: the repaired ledger holds trials 1..%d: %r" % (kind, TRIALS_BEFORE, rows))
    ran = [(i, s, r) for i, s, r, _ in units_log(d)]
    check(ledger_units(d) == ran,
          "%s: the repaired ledger keeps each trial's scenario and repeat: %r, the evaluators were %r"
          % (kind, ledger_units(d), ran))
    rc, out, err = run(bin_, d, "doctor", "study.yaml")
    check(rc == 0, "%s: doctor finds the repaired ledger healthy (exit %d): %s" % (kind, rc, out))

    rc, out, err = run(bin_, d, "run", "study.yaml")
    check(rc == 0, "%s: run resumes after the repair (exit %d): %s" % (kind, rc, err))
    after = starts(d)
    ids = [t for t, _ in after]
    check(ids == list(range(1, TRIALS + 1)),
          "%s: each trial ran once, only the new ones after the repair: %r" % (kind, ids))
    rows = ledger_spend(d)
    got = sum(c for _, _, c in rows if c is not None)
    want = sum(tok for _, tok in after) * PRICE
    check(abs(got - want) <= 1e-9 * max(1, want),
          "%s: final spend %.17g equals every trial's charge %.17g" % (kind, got, want))
    ran = units_log(d)
    check(ledger_units(d) == [(i, s, r) for i, s, r, _ in ran],
          "%s: every trial's scenario and repeat in the ledger: %r" % (kind, ledger_units(d)))
    pairs = sorted((x, s) for _, s, _, x in ran)
    check(len(set(pairs)) == len(pairs) and len(pairs) == 2 * len({x for x, _ in pairs}),
          "%s: each configuration ran once under each scenario after the repair: %r" % (kind, ran))
    now = folders_digest(d)
    check(all(now.get(k) == v for k, v in folders.items()),
          "%s: the earlier trial folders were never overwritten" % kind)


WAIT_EVAL = r'''#!/usr/bin/env python3
import json, os, time
open("started", "w").close()
while not os.path.exists("go"):
    time.sleep(0.01)
print(json.dumps({"metrics": {"y": 1.0}, "usage": {"tokens": 10}}))
'''


def repair_under_runner(bin_, base):
    """doctor --repair refuses while a runner holds the ledger, and a
    runner is not held up by a plain doctor."""
    d = os.path.join(base, "repair_under_runner")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, "study.yaml"), "w") as f:
        f.write(STUDY.replace("trials: %d" % TRIALS, "trials: 1"))
    with open(os.path.join(d, "eval.py"), "w") as f:
        f.write(WAIT_EVAL)
    os.chmod(os.path.join(d, "eval.py"), 0o755)
    env = dict(os.environ)
    env.pop("BUDGETOPT_TEST_CRASH_AT", None)
    p = subprocess.Popen([bin_, "run", "study.yaml"], cwd=d, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        while not os.path.exists(os.path.join(d, "started")) and p.poll() is None:
            time.sleep(0.01)
        rc, out, err = run(bin_, d, "doctor", "study.yaml")
        check(rc == 0, "doctor (no repair) beside a live runner: exit %d: %s" % (rc, err))
        rc, out, err = run(bin_, d, "doctor", "--repair", "study.yaml")
        check(rc != 0 and "in use by a running" in err,
              "doctor --repair beside a live runner refuses: exit %d: %s" % (rc, err.strip()))
    finally:
        open(os.path.join(d, "go"), "w").close()
        _, err = p.communicate()
    check(p.returncode == 0, "the runner finished: exit %d: %s" % (p.returncode, err))
    rc, out, err = run(bin_, d, "doctor", "--repair", "study.yaml")
    check(rc == 0, "doctor --repair once the runner ended: exit %d: %s" % (rc, err.strip()))


def main():
    bin_, _src, scratch = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(scratch, exist_ok=True)
    for kind in ("delete the -wal", "zero the -wal", "cut the -wal to half",
                 "truncate the .db to 0 bytes", "delete the spend journal"):
        scenario(bin_, scratch, kind)
    repair_under_runner(bin_, scratch)
    if failures:
        print("%d failures" % len(failures))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
