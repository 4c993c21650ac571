#!/usr/bin/env python3
"""tests/select/bruteforce_select.py - `budgetopt select` and `frontier`
against a brute force written from docs/frontier-and-select.md, over small
random catalogs (ties and duplicate rows on purpose) written at test time.

Usage: bruteforce_select.py BUDGETOPT SCRATCH_DIR

Every answer here is computed with plain Python from the CSV rows: the
candidates each rule admits, the order (with its documented tie rules), the
lexicographic winner with tolerances (filter axis by axis, again for second
place), the nearest miss, and which axis put the runner-up second. Prints
ok/FAIL per query and exits 1 on any failure.
"""
import json
import os
import random
import subprocess
import sys

EXE, SCRATCH = sys.argv[1], sys.argv[2]
STUDY = """name: sel
space:
  family: {choice: [x, y]}
  width: {int: [1, 64]}
metrics:
  acc: {maximize: true}
  usd: {minimize: true}
  lat: {}
objectives: [acc, usd]
guardrails: ["lat <= 9"]
score: "acc / usd"
evaluator:
  command: ["true"]
"""
failures = 0
passed = 0


def check(name, ok, detail=""):
    global failures, passed
    if ok:
        passed += 1
    else:
        failures += 1
        print("FAIL %s %s" % (name, detail))


def run(args):
    p = subprocess.run([EXE] + args, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def table(seed, n):
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        if rows and rnd.random() < 0.15:
            r = dict(rows[rnd.randrange(len(rows))])      # a duplicate row
        else:
            r = {"family": rnd.choice("xy"), "width": rnd.randint(1, 64),
                 "acc": round(0.5 + 0.5 * rnd.random(), 2), "usd": round(1 + 20 * rnd.random(), 1),
                 "lat": round(12 * rnd.random(), 1)}
        r["id"] = i + 2                                   # the header is line 1
        rows.append(r)
    return rows


def write(d, rows):
    with open(os.path.join(d, "t.csv"), "w") as f:
        f.write("family,width,acc,usd,lat\n")
        for r in rows:
            f.write("%s,%d,%r,%r,%r\n" % (r["family"], r["width"], r["acc"], r["usd"], r["lat"]))
    with open(os.path.join(d, "study.yaml"), "w") as f:
        f.write(STUDY)


# ---- brute force -------------------------------------------------------------

def feasible(rows):
    return [r for r in rows if r["lat"] <= 9]


def order_by(cands, key):
    return sorted(cands, key=key)


def lex_order(cands, axes):
    """axes: [(name, sign, tol)], sign +1 maximise. Filtering per axis, again
    for each place; among those left the exact order, then the id."""
    def exact(r):
        return tuple(-s * r[a] for a, s, _ in axes) + (r["id"],)
    rest = sorted(cands, key=exact)
    out = []
    while rest:
        pool = rest
        for a, s, tol in axes:
            best = max(s * r[a] for r in pool)
            pool = [r for r in pool if s * r[a] >= best - tol]
        w = min(pool, key=exact)
        out.append(w)
        rest = [r for r in rest if r is not w]
    return out


def decider(a, b, axes):
    for name, s, tol in axes:
        if abs(s * a[name] - s * b[name]) > tol:
            return name
    for name, s, tol in axes:
        if a[name] != b[name]:
            return name
    return "id"


def nearest_miss(rows, max_cost, min_perf):
    best = None
    for r in feasible(rows):
        oc = max(0.0, r["usd"] - max_cost) if max_cost is not None else 0.0
        sp = max(0.0, min_perf - r["acc"]) if min_perf is not None else 0.0
        m = (oc / abs(max_cost) if max_cost else oc) + (sp / abs(min_perf) if min_perf else sp)
        if best is None or m < best[0] or (m == best[0] and r["id"] < best[1]["id"]):
            best = (m, r)
    return best[1] if best else None


# ---- queries -----------------------------------------------------------------

def query(d, rows, args, want, name):
    rc, out, err = run(["select", "--catalog", "t.csv", "--study", "study.yaml", "--format", "json"] + args)
    if not want:
        check(name + " exit", rc == 1, "rc %d %s" % (rc, err))
        return rc, out, err
    if rc != 0:
        check(name, False, "rc %d %s" % (rc, err))
        return rc, out, err
    j = json.loads(out)
    check(name + " selected", j["selected"]["id"] == want[0]["id"], "%s != %s" % (j["selected"]["id"], want[0]["id"]))
    check(name + " candidates", j["candidates"] == len(want), "%s != %s" % (j["candidates"], len(want)))
    ru = j["runner_up"]["id"] if j["runner_up"] else None
    check(name + " runner-up", ru == (want[1]["id"] if len(want) > 1 else None), "%s" % ru)
    return rc, out, err


def one_table(seed):
    d = os.path.join(SCRATCH, "t%d" % seed)
    os.makedirs(d, exist_ok=True)
    os.chdir(d)
    rows = table(seed, 6 + seed % 25)
    write(d, rows)
    f = feasible(rows)
    # default: the best score acc / usd, ties lower usd, then lower id
    query(d, rows, [], order_by(f, lambda r: (-(r["acc"] / r["usd"]), r["usd"], r["id"])), "score/%d" % seed)
    # --score EXPR, and minimised
    query(d, rows, ["--score", "acc - 0.01 * usd"],
          order_by(f, lambda r: (-(r["acc"] - 0.01 * r["usd"]), r["usd"], r["id"])), "score-expr/%d" % seed)
    query(d, rows, ["--score", "min: lat * usd"],
          order_by(f, lambda r: (r["lat"] * r["usd"], r["usd"], r["id"])), "score-min/%d" % seed)
    for x in (3.3, 9.85, 0.5):
        want = order_by([r for r in f if r["usd"] <= x], lambda r: (-r["acc"], r["usd"], r["id"]))
        rc, out, err = query(d, rows, ["--max-cost", repr(x)], want, "max-cost %g/%d" % (x, seed))
        if not want and f:
            nm = nearest_miss(rows, x, None)
            check("nearest miss max-cost/%d" % seed, ("row %d:" % nm["id"]) in err, err)
    for y in (0.71, 0.9, 1.5):
        want = order_by([r for r in f if r["acc"] >= y], lambda r: (r["usd"], -r["acc"], r["id"]))
        rc, out, err = query(d, rows, ["--min-perf", repr(y)], want, "min-perf %g/%d" % (y, seed))
        if not want and f:
            nm = nearest_miss(rows, None, y)
            check("nearest miss min-perf/%d" % seed, ("row %d:" % nm["id"]) in err, err)
            check("nearest miss json/%d" % seed, json.loads(out)["error"].find("row %d:" % nm["id"]) >= 0, out)
    for x, y in ((12.5, 0.8), (4.2, 0.95), (30, 0.6)):
        want = order_by([r for r in f if r["usd"] <= x and r["acc"] >= y], lambda r: (-r["acc"], r["usd"], r["id"]))
        rc, out, err = query(d, rows, ["--max-cost", repr(x), "--min-perf", repr(y)], want, "both/%d" % seed)
        if not want and f:
            nm = nearest_miss(rows, x, y)
            check("nearest miss both/%d" % seed, ("row %d:" % nm["id"]) in err, err)
    for spec, axes in (("+acc~0.05,-usd", [("acc", 1, 0.05), ("usd", -1, 0)]),
                       ("-usd~2.5,+acc~0.02,-lat", [("usd", -1, 2.5), ("acc", 1, 0.02), ("lat", -1, 0)]),
                       ("+acc,-width", [("acc", 1, 0), ("width", -1, 0)]),
                       ("+width~8,-usd", [("width", 1, 8), ("usd", -1, 0)])):
        want = lex_order(f, axes)
        rc, out, err = query(d, rows, ["--lexicographic", spec], want, "lex %s/%d" % (spec, seed))
        if rc == 0 and len(want) > 1:
            by = decider(want[0], want[1], axes)
            expl = " ".join(json.loads(out)["explanation"])
            if by == "id":
                check("lex decider/%d" % seed, "lower id wins" in expl, expl)
            else:
                check("lex decider %s/%d" % (spec, seed), ("%s decided" % by) in expl, expl)


def frontier_checks():
    d = os.path.join(SCRATCH, "front")
    os.makedirs(d, exist_ok=True)
    os.chdir(d)
    # a straight line (awkward slope), with a duplicate of its middle point
    rows = []
    for i, u in enumerate([1.3, 2.385, 4.1, 4.1, 7.77, 9.05]):
        rows.append({"id": i + 2, "family": "x", "width": 3, "acc": 0.5 + 0.04 * u, "usd": u, "lat": 1.0})
    write(d, rows)
    rc, out, err = run(["frontier", "--catalog", "t.csv", "--study", "study.yaml", "--format", "json"])
    j = json.loads(out)
    check("collinear: no knee", rc == 0 and j["knee"] is None, out[:200])
    m = {r["id"]: r["marginal"] for r in j["frontier"]}
    check("equal points: equal marginals", m[4] == m[5] and m[4] is not None, str(m))
    rc, out, err = run(["frontier", "--catalog", "t.csv", "--study", "study.yaml"])
    check("collinear: says no knee", "no knee" in out, out)
    # CSV: shortest numbers that read back, and the JSON's row order
    rc, out, err = run(["frontier", "--catalog", "t.csv", "--study", "study.yaml", "--format", "csv"])
    lines = out.strip().split("\n")
    ids = [int(l.split(",")[0]) for l in lines[1:]]
    check("csv order is the json order", ids == [r["id"] for r in j["frontier"]], str(ids))
    for l in lines[1:]:
        a = l.split(",")[2]
        check("csv shortest %s" % a, float(a) == next(r["acc"] for r in rows if r["id"] == int(l.split(",")[0]))
              and a == repr(float(a)), a)
    check("csv: no search cost column in a catalog", lines[0].split(",").count("cost") == 0, lines[0])
    # nothing feasible: exit 1 as select, no reference point, a JSON error
    for fmt in ("text", "csv", "json"):
        rc, out, err = run(["frontier", "--catalog", "t.csv", "--study", "study.yaml", "--guardrail", "lat < 0",
                            "--format", fmt])
        check("empty frontier exit 1 (%s)" % fmt, rc == 1, "rc %d" % rc)
        check("empty frontier: no reference point (%s)" % fmt, "reference" not in out, out)
        if fmt == "json":
            check("empty frontier: json error", "error" in json.loads(out), out)
    rc, out, err = run(["select", "--catalog", "t.csv", "--study", "study.yaml", "--guardrail", "lat < 0"])
    check("select agrees: exit 1", rc == 1, "rc %d" % rc)
    # --format json failures print a JSON error object, wherever --format json exists
    for args in (["status", "--format", "json", "study.yaml"], ["export", "--format", "json", "study.yaml"],
                 ["select", "--format", "json", "--catalog", "nosuch.csv", "--study", "study.yaml"]):
        rc, out, err = run(args)
        try:
            j = json.loads(out)
        except ValueError:
            j = {}
        check("json error object: %s" % args[0], rc != 0 and j.get("exit") == rc and "budgetopt: " + j.get("error", "?") in err,
              "rc %d out %r" % (rc, out))
    # a cost of 0 on the cost axis is worth a warning (a missing price?)
    rows.append({"id": 8, "family": "y", "width": 5, "acc": 0.51, "usd": 0.0, "lat": 2.0})
    write(d, rows)
    rc, out, err = run(["frontier", "--catalog", "t.csv", "--study", "study.yaml"])
    check("zero cost warns", rc == 0 and "warning" in err and "row 8" in err and "usd of 0" in err, err)


for seed in range(12):
    one_table(seed)
frontier_checks()
print("%d passed, %d failed" % (passed, failures))
sys.exit(1 if failures else 0)
