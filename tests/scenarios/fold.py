#!/usr/bin/env python3
"""frontier and select on a study with scenarios (issue 10 item 4), against
brute force computed here from the ledger's tables with sqlite3:

- without --robust, a configuration's value is the weighted mean across
  scenarios of the mean of its repeats under each (the trials of different
  scenarios are not repeats), and a guardrail must hold under every
  scenario: select and frontier say so and pick what brute force picks;
- frontier --robust AGG (mean, worst, cvar:0.5, spread, regret) is the
  non-dominated set of the aggregated objectives, with the values brute
  force gives, and each row shows its per-scenario values.

The derived metric, the guardrail and the score are recomputed here from
the raw metrics and each scenario's inputs, not read from the ledger.
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections import defaultdict

EVAL = r'''#!/usr/bin/env python3
import json, sys
scen, rep, x = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
shift = {"clean": 0.0, "shifted": 0.3 * x, "heavy": 0.05}[scen]
acc = 1.0 - (x - 0.4) ** 2 - shift + 0.013 * rep
lat = 0.5 + 1.5 * x + (0.4 if scen == "shifted" else 0.0) + 0.07 * rep
print(json.dumps({"metrics": {"acc": acc, "lat": lat}, "usage": {"tokens": 10 + 20 * x + rep}}))
'''

STUDY = '''name: fold
seed: 11
space:
  x: {float: [0, 1]}
inputs:
  load: 1.0
prices:
  tokens: 0.01
metrics:
  acc: {maximize: true}
  lat: {}
derived:
  cost_m: "lat * load * 2.385"
objectives: [acc, cost_m]
guardrails:
  - "lat * load <= %(limit)s"
score: "acc - 0.1 * cost_m"
scenarios:
  clean: {weight: 3}
  shifted: {weight: 2}
  heavy: {inputs: {load: 1.6}}
scenario_policy: all
repeats: {n: 2, seeds: [1, 2]}
budget:
  trials: 48
evaluator:
  command: [./eval.py, "{scenario}", "{repeat}", "{x}"]
  parallel: 2
sampler: random
'''

SCEN = ["clean", "shifted", "heavy"]
WEIGHT = {"clean": 3 / 6, "shifted": 2 / 6, "heavy": 1 / 6}
LOAD = {"clean": 1.0, "shifted": 1.0, "heavy": 1.6}
LIMIT = 2.4
CVAR_LIMIT = 1.4
TOL = 1e-9


def close(a, b):
    return a is not None and b is not None and abs(a - b) <= TOL * max(1.0, abs(a), abs(b))


def run(prog, d, *args):
    return subprocess.run([prog] + list(args) + ["study.yaml"], cwd=d, capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=600)


def table(d):
    """{params_json: {scenario: {"acc", "lat", "cost_m", "score", "margin", "cost"}}} (means of the
    repeats), the lowest trial id, the mean search cost of each configuration."""
    con = sqlite3.connect(os.path.join(d, "fold.db"))
    trials = con.execute("SELECT id, params_json, scenario, state, cost FROM trials").fetchall()
    metrics = defaultdict(dict)
    for tid, name, value in con.execute("SELECT trial_id, name, value FROM trial_metrics"):
        metrics[tid][name] = value
    con.close()
    per, first, costs = defaultdict(lambda: defaultdict(list)), {}, defaultdict(list)
    for tid, pj, sc, state, cost in trials:
        first[pj] = min(first.get(pj, tid), tid)
        costs[pj].append(cost)
        assert state == "complete", (tid, state)
        m = metrics[tid]
        cost_m = m["lat"] * LOAD[sc] * 2.385
        per[pj][sc].append({"acc": m["acc"], "lat": m["lat"], "cost_m": cost_m,
                            "score": m["acc"] - 0.1 * cost_m, "margin": LIMIT - m["lat"] * LOAD[sc]})
    means = {}
    for pj, by in per.items():
        means[pj] = {sc: {k: sum(r[k] for r in rows) / len(rows) for k in rows[0]} for sc, rows in by.items()}
    return means, first, {pj: sum(c) / len(c) for pj, c in costs.items()}


def cvar(row, alpha):
    pairs = sorted(zip(row, [WEIGHT[s] for s in SCEN]))   # worst (lowest u) first
    need, got, acc = alpha, 0.0, 0.0
    for u, w in pairs:
        take = min(w, need - got)
        if take <= 0:
            break
        acc += take * u
        got += take
    return acc / got


def aggregate(name, vals, goal, cands):
    """vals: {pj: [v per scenario]}; returns {pj: aggregate} (regret over the candidates)."""
    out = {}
    for pj, row in vals.items():
        if name == "mean":
            out[pj] = sum(WEIGHT[s] * v for s, v in zip(SCEN, row))
        elif name == "worst":
            out[pj] = min(row) if goal > 0 else max(row)
        elif name.startswith("cvar:"):
            out[pj] = goal * cvar([goal * v for v in row], float(name[5:]))
        elif name == "spread":
            out[pj] = max(row) - min(row)
        elif name == "regret":
            if pj not in cands:
                continue
            best = [max(goal * vals[c][i] for c in cands) for i in range(len(SCEN))]
            out[pj] = max(b - goal * v for b, v in zip(best, row))
    return out


def nondominated(points):
    """points: {pj: (u1, u2)} to minimise; the set of non-dominated keys."""
    keep = set()
    for p, a in points.items():
        if not any(all(y <= x for x, y in zip(a, b)) and any(y < x for x, y in zip(a, b))
                   for q, b in points.items() if q != p):
            keep.add(p)
    return keep


def check(prog, d, fails):
    means, first, mcost = table(d)
    cfgs = sorted(means)
    if len(cfgs) < 4 or any(sorted(means[pj]) != sorted(SCEN) for pj in cfgs):
        fails.append("expected at least 4 configurations, each under every scenario: %r" %
                     {pj: sorted(means[pj]) for pj in cfgs})
        return
    feasible = {pj for pj in cfgs if all(means[pj][s]["margin"] >= 0 for s in SCEN)}
    if not (0 < len(feasible) < len(cfgs)):
        fails.append("the study should make some configurations infeasible under one scenario only: "
                     "%d of %d feasible" % (len(feasible), len(cfgs)))

    def col(k):
        return {pj: [means[pj][s][k] for s in SCEN] for pj in cfgs}

    # --- select without --robust: the weighted mean of the per-scenario scores
    score = aggregate("mean", col("score"), 1, feasible)
    want = sorted(feasible, key=lambda pj: (-score[pj], mcost[pj], first[pj]))[0]
    p = run(prog, d, "select", "--format", "json")
    if p.returncode != 0:
        fails.append("select: exit %d\n%s" % (p.returncode, p.stderr.decode()))
    else:
        out = json.loads(p.stdout.decode())
        sel = out["selected"]
        if sel["params"] != json.loads(want) or not close(sel["score"], score[want]):
            fails.append("select chose %r (score %r), brute force %s (%r)" %
                         (sel["params"], sel["score"], want, score[want]))
        if out["candidates"] != len(feasible):
            fails.append("select: %d candidates, brute force %d" % (out["candidates"], len(feasible)))
        if out.get("scenarios", {}).get("aggregate") != "weighted mean" or \
                any(not close(out["scenarios"]["weights"][s], WEIGHT[s]) for s in SCEN):
            fails.append("select json: scenarios %r" % out.get("scenarios"))
        for s in SCEN:
            ps = sel.get("per_scenario", {}).get(s, {})
            if not close(ps.get("score"), means[want][s]["score"]):
                fails.append("select json: per_scenario %s score %r, brute force %r" %
                             (s, ps.get("score"), means[want][s]["score"]))
        for g in sel["guardrails"]:
            wm = min(means[want][s]["margin"] for s in SCEN)
            if not close(g["margin"], wm):
                fails.append("select json: margin %r, brute force (the smallest across scenarios) %r" %
                             (g["margin"], wm))
    p = run(prog, d, "select")
    if b"over 3 scenarios, weighted mean" not in p.stdout:
        fails.append("select text does not say how it folded scenarios:\n%s" % p.stdout.decode())

    # --- frontier without --robust, and with each aggregate
    for agg in [None, "mean", "worst", "cvar:0.5", "spread", "regret"]:
        name = agg or "mean"
        goals = (1, -1) if name not in ("spread", "regret") else (-1, -1)
        a = aggregate(name, col("acc"), 1, feasible)
        c = aggregate(name, col("cost_m"), -1, feasible)
        pts = {pj: (-goals[0] * a[pj], -goals[1] * c[pj]) for pj in feasible if pj in a and pj in c}
        want = nondominated(pts)
        args = ["frontier", "--format", "json"] + (["--robust", agg] if agg else [])
        p = run(prog, d, *args)
        label = "frontier" + (" --robust " + agg if agg else "")
        if p.returncode != 0:
            fails.append("%s: exit %d\n%s" % (label, p.returncode, p.stderr.decode()))
            continue
        out = json.loads(p.stdout.decode())
        got = {json.dumps(r["params"]): r for r in out["frontier"]}
        # params_json in the ledger is compact JSON as budgetopt writes it: compare parsed
        gotset = {json.dumps(json.loads(k)) for k in got}
        wantset = {json.dumps(json.loads(k)) for k in want}
        if gotset != wantset:
            fails.append("%s: frontier %s, brute force %s" % (label, sorted(gotset), sorted(wantset)))
            continue
        axes = [x["name"] for x in out["axes"]]
        want_axes = ["acc", "cost_m"] if not agg else \
            ["%s(acc)" % name, "%s(cost_m)" % name] if not name.startswith("cvar") else \
            ["cvar(acc, 0.5)", "cvar(cost_m, 0.5)"]
        if axes != want_axes or [x["goal"] for x in out["axes"]] != \
                ["maximize" if g > 0 else "minimize" for g in goals]:
            fails.append("%s: axes %r" % (label, out["axes"]))
        for pj in want:
            r = got[json.dumps(json.loads(pj))]
            v = [r["values"][axes[0]], r["values"][axes[1]]]
            if not close(v[0], a[pj]) or not close(v[1], c[pj]):
                fails.append("%s: %s values %r, brute force %r" % (label, pj, v, [a[pj], c[pj]]))
            if not close(r["cost"], mcost[pj]):
                fails.append("%s: %s search cost %r, brute force mean %r" % (label, pj, r["cost"], mcost[pj]))
            for s in SCEN:
                ps = r.get("per_scenario", {}).get(s, {})
                if not close(ps.get("acc"), means[pj][s]["acc"]) or \
                        not close(ps.get("cost_m"), means[pj][s]["cost_m"]):
                    fails.append("%s: %s per_scenario %s %r, brute force %r" %
                                 (label, pj, s, ps, means[pj][s]))
        if out.get("scenarios", {}).get("aggregate") != ("weighted mean" if not agg else
                                                         name if not name.startswith("cvar") else "cvar(0.5)"):
            fails.append("%s: scenarios %r" % (label, out.get("scenarios")))
    p = run(prog, d, "frontier", "--robust", "worst")
    if b"over 3 scenarios, worst" not in p.stdout:
        fails.append("frontier --robust worst text:\n%s" % p.stdout.decode())
    for bad, msg in ((["frontier", "--robust", "cvar:2"], b"cvar needs a share in (0, 1]"),
                     (["frontier", "--robust", "median"], b"unknown robust aggregate")):
        p = run(prog, d, *bad)
        if p.returncode != 2 or msg not in p.stderr:
            fails.append("%s: exit %d, stderr %r" % (" ".join(bad), p.returncode, p.stderr))


FAILING = r'''#!/usr/bin/env python3
import json, sys
scen, rep, x = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
if scen == "shifted" and rep == 1:
    sys.exit(3)            # every second repeat under shifted fails
print(json.dumps({"metrics": {"acc": 1 - x, "lat": 1 + x}, "usage": {"tokens": 10 + 20 * x + rep}}))
'''


def status_check(prog, root, fails):
    """status --json counts the trials of each scenario by state, and their spend."""
    d = os.path.join(root, "status")
    os.makedirs(d)
    with open(os.path.join(d, "eval.py"), "w") as f:
        f.write(FAILING)
    os.chmod(os.path.join(d, "eval.py"), 0o755)
    with open(os.path.join(d, "study.yaml"), "w") as f:
        f.write((STUDY % {"limit": LIMIT}).replace("name: fold", "name: status").replace("trials: 48", "trials: 18"))
    p = run(prog, d, "run", "-q")
    con = sqlite3.connect(os.path.join(d, "status.db"))
    rows = con.execute("SELECT scenario, state, cost FROM trials").fetchall()
    con.close()
    if len(rows) != 18 or not any(st == "failed" for _, st, _ in rows):
        fails.append("status study: %d trials, states %r (exit %d)\n%s" %
                     (len(rows), sorted({st for _, st, _ in rows}), p.returncode, p.stderr.decode()))
    p = run(prog, d, "status", "--format", "json")
    if p.returncode != 0:
        fails.append("status --format json: exit %d\n%s" % (p.returncode, p.stderr.decode()))
        return
    got = json.loads(p.stdout.decode()).get("scenarios")
    if not isinstance(got, list) or [g.get("name") for g in got] != SCEN:
        fails.append("status json: scenarios %r" % got)
        return
    for g in got:
        s = g["name"]
        mine = [(st, c) for sc, st, c in rows if sc == s]
        want = {"trials": len(mine), "complete": sum(st == "complete" for st, _ in mine),
                "failed": sum(st == "failed" for st, _ in mine), "pruned": 0, "running": 0, "queued": 0}
        if any(g.get(k) != v for k, v in want.items()) or not close(g.get("weight"), WEIGHT[s]) or \
                not close(g.get("spent"), sum(c or 0 for _, c in mine)):
            fails.append("status json: scenario %s %r, ledger %r" % (s, g, want))
    if got[1]["failed"] == 0 or got[0]["failed"] != 0:
        fails.append("status json: the failures are under shifted only: %r" % got)
    # a study without scenarios has no "scenarios" member
    p = run(prog, os.path.join(root, "plain"), "status", "--format", "json")
    if p.returncode != 0 or "scenarios" in json.loads(p.stdout.decode()):
        fails.append("status json without scenarios: exit %d\n%s" % (p.returncode, p.stdout.decode()))


def robust_check(prog, root, fails):
    """Robust functions in the study's score and guardrails, judged once per
    configuration across its scenarios: select picks what brute force picks."""
    src = os.path.join(root, "fold")
    d = os.path.join(root, "robust")
    shutil.copytree(src, d)
    with open(os.path.join(d, "study.yaml")) as f:
        text = f.read()
    text = text.replace('cost_m: "lat * load * 2.385"', 'cost_m: {expr: "lat * load * 2.385", minimize: true}')
    text = text.replace('score: "acc - 0.1 * cost_m"', 'score: "worst(acc) - 0.1 * cvar(cost_m, 0.4)"')
    text = text.replace('objectives: [acc, cost_m]', 'objectives: ["worst(acc)", "cvar(cost_m, 0.5)"]')
    text = text.replace('  - "lat * load <= %s"' % LIMIT,
                        '  - "lat * load <= %s"\n  - "cvar(lat, 0.5) <= %s"' % (LIMIT, CVAR_LIMIT))
    with open(os.path.join(d, "study.yaml"), "w") as f:
        f.write(text)
    means, first, mcost = table(d)
    cfgs = sorted(means)
    # lat states no goal: in "cvar(lat, 0.5) <= L" the large values are the bad ones
    g2 = {pj: -cvar([-means[pj][s]["lat"] for s in SCEN], 0.5) for pj in cfgs}
    plain = {pj: min(means[pj][s]["margin"] for s in SCEN) for pj in cfgs}
    feasible = {pj for pj in cfgs if plain[pj] >= 0 and CVAR_LIMIT - g2[pj] >= 0}
    if not any(plain[pj] >= 0 and CVAR_LIMIT - g2[pj] < 0 for pj in cfgs):
        fails.append("robust: the cvar guardrail should rule out a configuration the plain one keeps: %r" %
                     {pj: (plain[pj], g2[pj]) for pj in cfgs})
    score = {pj: min(means[pj][s]["acc"] for s in SCEN) -
             0.1 * -cvar([-means[pj][s]["cost_m"] for s in SCEN], 0.4) for pj in cfgs}
    want = sorted(feasible, key=lambda pj: (-score[pj], mcost[pj], first[pj]))[0]
    p = run(prog, d, "select", "--format", "json")
    if p.returncode != 0:
        fails.append("robust select: exit %d\n%s" % (p.returncode, p.stderr.decode()))
        return
    out = json.loads(p.stdout.decode())
    sel = out["selected"]
    if sel["params"] != json.loads(want) or not close(sel["score"], score[want]):
        fails.append("robust select chose %r (%r), brute force %s (%r)" % (sel["params"], sel["score"], want,
                                                                           score[want]))
    if out["candidates"] != len(feasible):
        fails.append("robust select: %d candidates, brute force %d" % (out["candidates"], len(feasible)))
    margins = [g["margin"] for g in sel["guardrails"]]
    if len(margins) != 2 or not close(margins[0], plain[want]) or not close(margins[1], CVAR_LIMIT - g2[want]):
        fails.append("robust select: margins %r, brute force %r" % (margins, [plain[want], CVAR_LIMIT - g2[want]]))
    # the frontier of the robust objectives: worst accuracy, CVaR of cost_m
    wa = {pj: min(means[pj][s]["acc"] for s in SCEN) for pj in feasible}
    cc = {pj: -cvar([-means[pj][s]["cost_m"] for s in SCEN], 0.5) for pj in feasible}
    front = nondominated({pj: (-wa[pj], cc[pj]) for pj in feasible})
    p = run(prog, d, "frontier", "--format", "json")
    out = json.loads(p.stdout.decode()) if p.returncode == 0 else {"frontier": [], "axes": []}
    got = {json.dumps(r["params"]): r for r in out["frontier"]}
    if [a["name"] for a in out["axes"]] != ["worst(acc)", "cvar(cost_m, 0.5)"] or \
            set(got) != {json.dumps(json.loads(pj)) for pj in front}:
        fails.append("robust objectives: frontier %r over %r, brute force %r (exit %d)" %
                     (sorted(got), out["axes"], sorted(front), p.returncode))
    else:
        for pj in front:
            v = got[json.dumps(json.loads(pj))]["values"]
            if not close(v["worst(acc)"], wa[pj]) or not close(v["cvar(cost_m, 0.5)"], cc[pj]):
                fails.append("robust objectives: %s %r, brute force %r" % (pj, v, (wa[pj], cc[pj])))
    # select --robust worst ranks the per-scenario scores (a trial sees its own
    # scenario: worst(acc) is acc there) over the same candidates
    per = {pj: [means[pj][s]["acc"] - 0.1 * means[pj][s]["cost_m"] for s in SCEN] for pj in feasible}
    want = sorted(feasible, key=lambda pj: (-min(per[pj]), mcost[pj], first[pj]))[0]
    p = run(prog, d, "select", "--robust", "worst", "--format", "json")
    out = json.loads(p.stdout.decode()) if p.returncode == 0 else {}
    top = out.get("ranked", [{}])[0]
    if top.get("params") != json.loads(want) or not close(top.get("value"), min(per[want])) or \
            out.get("qualifying") != len(feasible):
        fails.append("robust select --robust worst: %r, brute force %s %r of %d (exit %d)" %
                     (top, want, min(per[want]), len(feasible), p.returncode))


def main():
    prog, src, root = sys.argv[1], sys.argv[2], sys.argv[3]
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    fails = []
    d = os.path.join(root, "fold")
    os.makedirs(d)
    with open(os.path.join(d, "eval.py"), "w") as f:
        f.write(EVAL)
    os.chmod(os.path.join(d, "eval.py"), 0o755)
    with open(os.path.join(d, "study.yaml"), "w") as f:
        f.write(STUDY % {"limit": LIMIT})
    p = run(prog, d, "run", "-q")
    if p.returncode != 0:
        fails.append("run: exit %d\n%s" % (p.returncode, p.stderr.decode()))
    else:
        check(prog, d, fails)
        robust_check(prog, root, fails)
        # the report says how the configurations were judged
        p = run(prog, d, "report", "--format", "md", "-o", "report.md")
        with open(os.path.join(d, "report.md")) if p.returncode == 0 else open(os.devnull) as f:
            md = f.read()
        if p.returncode != 0 or "Each configuration is judged over 3 scenarios" not in md:
            fails.append("report: exit %d, no note on the scenario fold in its selected section" % p.returncode)
    # a study without scenarios: --robust says what is missing
    with open(os.path.join(d, "study.yaml")) as f:
        text = f.read()
    plain = os.path.join(root, "plain")
    os.makedirs(plain)
    shutil.copy(os.path.join(d, "eval.py"), plain)
    text = text.split("scenarios:")[0] + "budget:" + text.split("budget:")[1]
    text = text.replace("./eval.py, \"{scenario}\"", "./eval.py, clean")
    with open(os.path.join(plain, "study.yaml"), "w") as f:
        f.write(text.replace("name: fold", "name: plain"))
    p = run(prog, plain, "run", "-q")
    p = run(prog, plain, "frontier", "--robust", "worst")
    if p.returncode != 2 or b"the study lists none" not in p.stderr:
        fails.append("frontier --robust without scenarios: exit %d, %r" % (p.returncode, p.stderr))
    p = run(prog, plain, "select")
    if p.returncode != 0 or b"scenario" in p.stdout:
        fails.append("select without scenarios: exit %d, says scenarios:\n%s" % (p.returncode, p.stdout.decode()))
    p = run(prog, plain, "report", "--format", "md", "-o", "report.md")
    with open(os.path.join(plain, "report.md")) if p.returncode == 0 else open(os.devnull) as f:
        if "judged over" in f.read():
            fails.append("report without scenarios: a note on scenarios")
    status_check(prog, root, fails)
    for f in fails:
        print("FAIL", f)
    print("%d problems" % len(fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
