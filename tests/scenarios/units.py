#!/usr/bin/env python3
"""Scenarios x repeats through `budgetopt run` (issue 10 items 3 and 4).

An evaluator that records what it was given (BUDGETOPT_SCENARIO,
BUDGETOPT_REPEAT, BUDGETOPT_SEED and the {scenario} {repeat} {seed}
arguments) checks, against the study file as written here:

- every configuration runs exactly once under each scenario and repeat
  (2 x 2 = 4 trials per configuration), each its own ledger row with its
  scenario and repeat, and its evaluator got the matching environment and
  argv, the seed of its repeat;
- export (CSV and JSON) shows the scenario and repeat of every trial;
- with a money budget the recorded spend never passes it;
- a runner killed with SIGKILL in the middle of a configuration's units and
  resumed neither loses nor duplicates a unit.
"""
import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter, defaultdict

EVAL = r'''#!/usr/bin/env python3
import json, os, sys
scen, rep, seed = sys.argv[1], sys.argv[2], sys.argv[3]
x = float(sys.argv[4])
with open("units.log", "a") as f:
    f.write(json.dumps({"trial": int(os.environ["BUDGETOPT_TRIAL_ID"]),
                        "env": [os.environ.get("BUDGETOPT_SCENARIO"), os.environ.get("BUDGETOPT_REPEAT"),
                                os.environ.get("BUDGETOPT_SEED")],
                        "inherited": [os.environ.get("BUDGETOPT_DATA"), os.environ.get("BUDGETOPT_TRIAL_DIR_X")],
                        "argv": [scen, rep, seed], "x": x}) + "\n")
shift = 0.25 if scen == "shifted" else 0.0
print(json.dumps({"metrics": {"acc": 1.0 - (x - 0.4) ** 2 - shift + 0.001 * int(rep)},
                  "usage": {"tokens": 10 + 20 * x}}))
'''

STUDY = '''name: units
seed: 5
space:
  x: {float: [0, 1]}
inputs:
  drift: 0.0
prices:
  tokens: 0.01
metrics:
  acc: {maximize: true}
derived:
  acc_drift: "acc - drift"
score: "acc_drift"
scenarios:
  clean: {weight: 3}
  shifted: {inputs: {drift: 0.5}}
scenario_policy: all
repeats: {n: 2, seeds: [101, 202]}
budget:
  trials: %(trials)d
  money: %(money)s
evaluator:
  command: [./eval.py, "{scenario}", "{repeat}", "{seed}", "{x}"]
  parallel: %(parallel)d
sampler: random
'''

SCEN = ["clean", "shifted"]
SEEDS = ["101", "202"]


def setup(root, name, trials, money, parallel):
    d = os.path.join(root, name)
    os.makedirs(d)
    with open(os.path.join(d, "eval.py"), "w") as f:
        f.write(EVAL)
    os.chmod(os.path.join(d, "eval.py"), 0o755)
    with open(os.path.join(d, "study.yaml"), "w") as f:
        f.write(STUDY % {"trials": trials, "money": money, "parallel": parallel})
    return d


def run(prog, d, *args, crash=None):
    env = dict(os.environ)
    env.pop("BUDGETOPT_TEST_CRASH_AT", None)
    # the user's data folder reaches the evaluator; any other BUDGETOPT_*
    # variable of the runner's environment does not
    env["BUDGETOPT_DATA"] = "/data/for/the/evaluator"
    env["BUDGETOPT_TRIAL_DIR_X"] = "stale"
    if crash:
        env["BUDGETOPT_TEST_CRASH_AT"] = crash
    return subprocess.run([prog] + list(args) + ["study.yaml"], cwd=d, env=env, capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=600)


def rows(d):
    con = sqlite3.connect(os.path.join(d, "units.db"))
    r = con.execute("SELECT id, state, params_json, scenario, repeat_index, cost, score FROM trials "
                    "ORDER BY id").fetchall()
    con.close()
    return r


def check_units(d, fails, label, expect_configs):
    r = rows(d)
    by = defaultdict(list)
    for tid, state, pj, scen, rep, cost, score in r:
        by[pj].append((scen, rep))
        if state == "running":
            fails.append("%s: trial %d left running" % (label, tid))
    if expect_configs is not None and len(by) != expect_configs:
        fails.append("%s: %d configurations, expected %d" % (label, len(by), expect_configs))
    want = sorted((s, k) for s in SCEN for k in range(2))
    for pj, units in by.items():
        if sorted(units) != want:
            fails.append("%s: configuration %s ran as %r, expected each of %r once" % (label, pj, sorted(units), want))
    # the evaluator saw its unit: env and argv agree with the ledger row
    seen = {}
    with open(os.path.join(d, "units.log")) as f:
        for line in f:
            e = json.loads(line)
            if e["trial"] in seen:
                fails.append("%s: trial %d's evaluator ran twice" % (label, e["trial"]))
            seen[e["trial"]] = e
    for tid, state, pj, scen, rep, cost, score in r:
        e = seen.get(tid)
        if e is None:
            if state != "failed":
                fails.append("%s: trial %d (%s) has no evaluator record" % (label, tid, state))
            continue
        want = [scen, str(rep), SEEDS[rep]]
        if e["env"] != want or e["argv"] != want:
            fails.append("%s: trial %d: env %r argv %r, ledger says %r" % (label, tid, e["env"], e["argv"], want))
        if e["inherited"] != ["/data/for/the/evaluator", None]:
            fails.append("%s: trial %d inherited BUDGETOPT_DATA, BUDGETOPT_TRIAL_DIR_X = %r, expected "
                         "the data folder and nothing" % (label, tid, e["inherited"]))
        if abs(e["x"] - json.loads(pj)["x"]) > 1e-12:
            fails.append("%s: trial %d ran x=%r, ledger %s" % (label, tid, e["x"], pj))
        # the score reads the scenario's input: drift 0.5 under shifted
        if state == "complete" and score is not None:
            acc = 1.0 - (e["x"] - 0.4) ** 2 - (0.25 if scen == "shifted" else 0.0) + 0.001 * rep
            want_score = acc - (0.5 if scen == "shifted" else 0.0)
            if abs(score - want_score) > 1e-9:
                fails.append("%s: trial %d score %r, expected %r under %s" % (label, tid, score, want_score, scen))
    return r


def robust_select(prog, d, fails):
    """select --robust picks what brute force over the ledger picks."""
    con = sqlite3.connect(os.path.join(d, "robust-scenarios.db"))
    got = con.execute("SELECT params_json, scenario, score, feasible, state, cost, id FROM trials").fetchall()
    con.close()
    names, weights = ["clean", "shifted", "longtail"], [0.5, 0.25, 0.25]
    vals, ok, cost, first = defaultdict(lambda: defaultdict(list)), defaultdict(lambda: True), defaultdict(list), {}
    for pj, sc, score, feas, state, c, tid in got:
        first[pj] = min(first.get(pj, tid), tid)
        cost[pj].append(c)
        if state != "complete" or feas != 1:
            ok[pj] = False
            continue
        vals[pj][sc].append(score)
    table = {pj: [sum(vals[pj][s]) / len(vals[pj][s]) for s in names]
             for pj in first if ok[pj] and all(vals[pj][s] for s in names)}
    best = {s: max(row[i] for row in table.values()) for i, s in enumerate(names)}

    def cvar(row, alpha):
        pairs = sorted(zip(row, weights))       # worst (lowest score) first
        need, got_w, acc = alpha, 0.0, 0.0
        for v, w in pairs:
            take = min(w, need - got_w)
            if take <= 0:
                break
            acc += take * v
            got_w += take
        return acc / got_w

    aggs = {
        "worst": (lambda row: min(row), 1),
        "mean": (lambda row: sum(v * w for v, w in zip(row, weights)), 1),
        "cvar:0.5": (lambda row: cvar(row, 0.5), 1),
        "regret": (lambda row: max(best[s] - row[i] for i, s in enumerate(names)), -1),
        "spread": (lambda row: max(row) - min(row), -1),
    }
    for name, (f, goal) in aggs.items():
        mean_cost = {pj: sum(cost[pj]) / len(cost[pj]) for pj in table}
        want = sorted(table, key=lambda pj: (-goal * f(table[pj]), mean_cost[pj], first[pj]))[0]
        p = run(prog, d, "select", "--robust", name, "--format", "json")
        if p.returncode != 0:
            fails.append("select --robust %s: exit %d\n%s" % (name, p.returncode, p.stderr.decode()))
            continue
        out = json.loads(p.stdout.decode())
        top = out["ranked"][0]
        if json.loads(want) != top["params"] or abs(top["value"] - f(table[want])) > 1e-9:
            fails.append("select --robust %s chose %r (%r), brute force %s (%r)" %
                         (name, top["params"], top["value"], want, f(table[want])))
        if name == "mean":
            # the report's per-scenario table: its first row is the best weighted mean
            p = run(prog, d, "report", "--format", "md", "-o", "report.md")
            with open(os.path.join(d, "report.md")) as fh:
                md = fh.read()
            sec = md.split("## Scenarios", 1)[1] if "## Scenarios" in md else ""
            rows_md = [r for r in sec.splitlines() if r.startswith("| {")]
            if not rows_md:
                fails.append("report: no per-scenario table")
            else:
                cells = [c.strip() for c in rows_md[0].strip("|").split("|")]
                if json.loads(cells[0]) != json.loads(want) or abs(float(cells[1]) - f(table[want])) > 1e-5 \
                        or any(abs(float(cells[3 + i]) - table[want][i]) > 1e-5 for i in range(3)):
                    fails.append("report: first scenario row %r, brute force %s %r" % (cells, want, table[want]))
        if out["qualifying"] != len(table):
            fails.append("select --robust %s: %d qualify, brute force %d" % (name, out["qualifying"], len(table)))


def main():
    prog, src, root = sys.argv[1], sys.argv[2], sys.argv[3]
    import shutil
    shutil.rmtree(root, ignore_errors=True)   # a fresh scratch folder on every run
    os.makedirs(root)
    fails = []

    # 1. 3 configurations x 2 scenarios x 2 repeats, two at a time
    d = setup(root, "plain", 12, 1000, 2)
    p = run(prog, d, "run", "-q")
    if p.returncode != 0:
        fails.append("run: exit %d\n%s" % (p.returncode, p.stderr.decode()))
    r = check_units(d, fails, "plain", 3)
    if len(r) != 12:
        fails.append("plain: %d trials, expected 12" % len(r))
    p = run(prog, d, "export")
    table = list(csv.DictReader(io.StringIO(p.stdout.decode())))
    if [(int(t["id"]), t["scenario"], int(t["repeat"])) for t in table] != [(x[0], x[3], x[4]) for x in r]:
        fails.append("export csv: scenario/repeat columns differ from the ledger")
    p = run(prog, d, "export", "--format", "json")
    js = json.loads(p.stdout.decode())
    if [(t["id"], t["scenario"], t["repeat"]) for t in js] != [(x[0], x[3], x[4]) for x in r]:
        fails.append("export json: scenario/repeat differ from the ledger")
    p = run(prog, d, "status")
    if b"units    clean 6, shifted 6" not in p.stdout:
        fails.append("status: no per-scenario count in\n%s" % p.stdout.decode())

    # 2. --repeats overrides n: 1 configuration x 2 scenarios x 3 repeats
    d = setup(root, "override", 6, 1000, 1)
    p = run(prog, d, "run", "-q", "--repeats", "3")
    r = rows(d)
    units = sorted((x[3], x[4]) for x in r)
    if p.returncode != 0 or units != sorted((s, k) for s in SCEN for k in range(3)) or len({x[2] for x in r}) != 1:
        fails.append("--repeats 3: units %r (exit %d)\n%s" % (units, p.returncode, p.stderr.decode()))

    # 3. money: each unit reserves and is capped; spend never passes the budget
    for money in ("0.7", "1.3"):
        d = setup(root, "money" + money, 1000, money, 2)
        p = run(prog, d, "run", "-q")
        if p.returncode != 0:
            fails.append("money %s: exit %d\n%s" % (money, p.returncode, p.stderr.decode()))
        r = rows(d)
        spent = sum(x[5] or 0 for x in r)
        if spent > float(money) + 1e-9:
            fails.append("money %s: spent %r" % (money, spent))
        if len(r) < 4:
            fails.append("money %s: only %d trials ran" % (money, len(r)))

    # 4. kill -9 in the middle of a configuration's units, then resume
    for crash in ("launched:2", "committed:3", "reserved:6"):
        d = setup(root, "kill-" + crash.replace(":", "-"), 12, 1000, 2)
        p = run(prog, d, "run", "-q", crash=crash)
        if p.returncode != -signal.SIGKILL:
            fails.append("crash %s: exit %d, expected SIGKILL\n%s" % (crash, p.returncode, p.stderr.decode()))
        p = run(prog, d, "run", "-q")
        if p.returncode != 0:
            fails.append("resume after %s: exit %d\n%s" % (crash, p.returncode, p.stderr.decode()))
        r = rows(d)
        if len(r) != 12:
            fails.append("resume after %s: %d trials, expected 12" % (crash, len(r)))
        check_units(d, fails, "kill " + crash, 3)

    # 5. examples/robust-scenarios runs as it is: 8 configurations x 6 units
    import shutil
    d = os.path.join(root, "example")
    shutil.copytree(os.path.join(src, "examples", "robust-scenarios"), d)
    p = run(prog, d, "run", "-q")
    if p.returncode != 0:
        fails.append("example: exit %d\n%s" % (p.returncode, p.stderr.decode()))
    else:
        con = sqlite3.connect(os.path.join(d, "robust-scenarios.db"))
        per = Counter(pj for (pj,) in con.execute("SELECT params_json FROM trials"))
        units = Counter((s, k) for s, k in con.execute("SELECT scenario, repeat_index FROM trials"))
        con.close()
        if sorted(per.values()) != [6] * 8:
            fails.append("example: units per configuration %r, expected 8 x 6" % sorted(per.values()))
        if units != Counter({(s, k): 8 for s in ("clean", "shifted", "longtail") for k in (0, 1)}):
            fails.append("example: units %r" % units)
        robust_select(prog, d, fails)

    for f in fails:
        print("FAIL", f)
    print("%d problems" % len(fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
