#!/usr/bin/env python3
"""tests/catalog/bruteforce.py - checks `budgetopt frontier` and `budgetopt select`
in catalog mode against an independent brute-force computation over the same CSV.

Usage: bruteforce.py BUDGETOPT SOURCE_DIR SCRATCH_DIR DATA_DIR
       bruteforce.py BUDGETOPT SOURCE_DIR SCRATCH_DIR --synthetic

With --synthetic it writes small tables of its own instead (missing values
in --where, numeric cells, labels, choice: from_catalog, bad cells at once).

For every query (NAS-Bench-201: every device x 3 latency bounds, frontiers per
device; FrugalGPT: every data set x 3 accuracy targets, one of them out of
reach, frontiers and the other selection rules; MLPerf: every model x scenario
pair with at least 2 usable rows) it runs budgetopt with --format json and
recomputes the answer here with the csv module only: rows filtered by hand-
written Python predicates (never by parsing the tool's expressions), the
selection rule and tie rule of the specification, the exact Pareto set by
O(n^2) dominance checks (compared as sets of CSV line numbers), and the 2-D
hypervolume with the reference point the tool reports (relative tolerance
1e-9). Prints "ok"/"FAIL" per query and "N passed, M failed"; exits 1 on any
failure. It must never copy the data anywhere: it only reads DATA_DIR.
"""
import csv
import json
import math
import os
import statistics
import subprocess
import sys

REL = 1e-9


# ---- reading a catalog ------------------------------------------------------

def num(cell):
    """A metric cell: a finite number, or None (missing / not a number)."""
    v = strict_num(cell)   # a decimal number with spaces around (below)
    return None if v == "bad" else v


def read_rows(path, params, metrics, optional=()):
    """Rows as dicts: id (line number where the record starts; header is line 1),
    p (parameter cells, None when empty), m (metric values, None when missing),
    failed (a non-optional metric is missing)."""
    rows = []
    with open(path, newline="") as f:
        rd = csv.reader(f)
        header = next(rd)
        col = {name: i for i, name in enumerate(header)}
        start = rd.line_num + 1
        for rec in rd:
            r = {"id": start, "p": {}, "m": {}}
            for name in params:
                cell = rec[col[name]]
                r["p"][name] = cell if cell != "" else None
            for name in metrics:
                r["m"][name] = num(rec[col[name]])
            r["failed"] = any(r["m"][n] is None for n in metrics if n not in optional)
            rows.append(r)
            start = rd.line_num + 1
    return rows


# ---- brute-force answers ----------------------------------------------------

def dominates(a, b):
    """a, b: tuples already turned to minimisation."""
    return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))


def to_min(vals, goals):
    return tuple(-v if g == "maximize" else v for v, g in zip(vals, goals))


def pareto_ids(points):
    """points: {id: minimisation tuple}; the exact non-dominated set, O(n^2)."""
    front = set()
    items = list(points.items())
    for i, a in items:
        if not any(dominates(b, a) for j, b in items if j != i):
            front.add(i)
    return front


def hypervolume_2d(points, ref):
    """Area dominated by points (minimisation) and bounded by ref."""
    pts = sorted(p for p in points if p[0] < ref[0] and p[1] < ref[1])
    area, ymin = 0.0, ref[1]
    for x, y in pts:
        if y < ymin:
            area += (ref[0] - x) * (ymin - y)
            ymin = y
    return area


def default_ref(front_vals, goals):
    """For each axis: the worst frontier value plus 10% of the frontier's range
    (plus 1 when the range is 0), in the axis' own orientation."""
    ref = []
    for k, g in enumerate(goals):
        vs = [v[k] for v in front_vals]
        rng = max(vs) - min(vs)
        step = 0.1 * rng if rng > 0 else 1.0
        ref.append(min(vs) - step if g == "maximize" else max(vs) + step)
    return ref


def close(a, b, rel=REL):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=1e-300)


# ---- running the tool -------------------------------------------------------

class Checker:
    def __init__(self, exe):
        self.exe = exe
        self.passed = 0
        self.failed = 0

    def run(self, args):
        p = subprocess.run([self.exe] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True)
        return p.returncode, p.stdout, p.stderr

    def report(self, label, problems):
        if problems:
            self.failed += 1
            print("FAIL %s" % label)
            for p in problems[:8]:
                print("     %s" % p)
        else:
            self.passed += 1
            print("ok   %s" % label)
        sys.stdout.flush()

    def json_of(self, args, problems, want_rc=0):
        rc, out, err = self.run(args)
        if rc != want_rc:
            problems.append("exit %d, expected %d; stderr: %s" % (rc, want_rc, err.strip()[:300]))
            return None
        if want_rc != 0:
            return None
        try:
            return json.loads(out)
        except ValueError as e:
            problems.append("output is not JSON (%s): %s" % (e, out[:200]))
            return None

    # frontier -------------------------------------------------------------
    def frontier(self, label, args, rows, keep, axes, ref=None, all_=False):
        """axes: list of (name, goal, value function row -> number or None).
        all_: also run with --all and check every other kept row's status."""
        problems = []
        cli = ["frontier", "--format", "json"] + args
        if all_:
            cli.append("--all")
        if ref is not None:
            cli += ["--ref", ",".join(repr(v) for v in ref)]
        j = self.json_of(cli, problems)
        goals = [g for _, g, _ in axes]
        vals = {}
        for r in rows:
            if r["failed"] or not keep(r):
                continue
            v = [fn(r) for _, _, fn in axes]
            if any(x is None for x in v):
                continue
            vals[r["id"]] = v
        want = pareto_ids({i: to_min(v, goals) for i, v in vals.items()})
        if j is not None:
            try:
                self._check_frontier(j, axes, goals, vals, want, ref, problems)
                if all_:
                    self._check_others(j, rows, keep, goals, vals, want, problems)
            except (KeyError, TypeError, ValueError, IndexError) as e:
                problems.append("unexpected JSON shape: %r" % (e,))
        self.report("%s (%d rows, %d on the frontier)" % (label, len(vals), len(want)), problems)

    def _check_frontier(self, j, axes, goals, vals, want, ref, problems):
        got_axes = [(a["name"], a["goal"]) for a in j["axes"]]
        if got_axes != [(n, g) for n, g, _ in axes]:
            problems.append("axes %s, expected %s" % (got_axes, [(n, g) for n, g, _ in axes]))
        got = [e["id"] for e in j["frontier"]]
        if len(set(got)) != len(got):
            problems.append("frontier lists an id twice")
        if set(got) != want:
            problems.append("frontier ids differ: missing %s, extra %s"
                            % (sorted(want - set(got))[:10], sorted(set(got) - want)[:10]))
        for e in j["frontier"]:
            if e["id"] in vals:
                for (n, _, _), v in zip(axes, vals[e["id"]]):
                    if not close(e["values"][n], v):
                        problems.append("id %d: %s = %r, CSV gives %r" % (e["id"], n, e["values"][n], v))
        # sorted by the first axis, best first
        first = [e["values"][axes[0][0]] for e in j["frontier"]]
        sign = -1 if goals[0] == "maximize" else 1
        if any(sign * a > sign * b for a, b in zip(first, first[1:])):
            problems.append("frontier not sorted by %s, best first" % axes[0][0])
        if not want:
            return
        front_vals = [vals[i] for i in want]
        exp_ref = ref if ref is not None else default_ref(front_vals, goals)
        got_ref = j["reference_point"]
        if len(got_ref) != len(exp_ref) or not all(close(a, b) for a, b in zip(got_ref, exp_ref)):
            problems.append("reference point %s, expected %s" % (got_ref, exp_ref))
        if len(axes) == 2:
            # with the reference point the tool reports, as the specification asks
            hv = hypervolume_2d([to_min(v, goals) for v in front_vals], to_min(got_ref, goals))
            if not close(j["hypervolume"], hv):
                problems.append("hypervolume %r, brute force %r" % (j["hypervolume"], hv))

    def _check_others(self, j, rows, keep, goals, vals, want, problems):
        """--all: every kept row not on the frontier is listed once: dominated
        (by a row that really dominates it), or failed / infeasible (a metric
        or axis value missing); rows the filters drop are not listed."""
        kept = {r["id"]: r for r in rows if keep(r)}
        others = {o["id"]: o for o in j["others"]}
        if len(others) != len(j["others"]):
            problems.append("--all lists an id twice")
        if set(others) != set(kept) - want:
            problems.append("--all: %d others, expected %d (kept rows off the frontier)"
                            % (len(others), len(set(kept) - want)))
        for i, o in sorted(others.items()):
            if i not in kept:
                continue
            if i in vals:
                if o["status"] != "dominated":
                    problems.append("id %d: status %r, expected dominated" % (i, o["status"]))
                    continue
                by = [int(t) for t in o["why"].split() if t.isdigit()]
                if not by or by[0] not in vals or \
                        not dominates(to_min(vals[by[0]], goals), to_min(vals[i], goals)):
                    problems.append("id %d: %r, but that row does not dominate it" % (i, o["why"]))
            elif o["status"] not in ("failed", "infeasible"):
                problems.append("id %d (a value missing): status %r" % (i, o["status"]))

    # select ---------------------------------------------------------------
    def select(self, label, args, rows, keep, feasible, key, perf=None, cost=None,
               qualifies=None, rule=None, score=None, guardrails=()):
        """key(row): sort key, smallest = best (includes the id as last tie-break).
        feasible(row): guardrails hold. qualifies(row): the rule's own bound
        (--max-cost / --min-perf). perf/cost/score: row -> value, checked in JSON.
        guardrails: (text, margin function) for the selected row."""
        problems = []
        cands = [r for r in rows if not r["failed"] and keep(r) and feasible(r)]
        ranked = sorted((r for r in cands if qualifies is None or qualifies(r)), key=key)
        want_rc = 0 if ranked else 1
        j = self.json_of(["select", "--format", "json"] + args, problems, want_rc)
        if j is not None:
            try:
                best = ranked[0]
                if rule is not None and j["rule"] != rule:
                    problems.append("rule %r, expected %r" % (j["rule"], rule))
                # candidates: the complete, feasible rows that qualify under
                # the rule (for --max-cost/--min-perf: within its bound)
                if j["candidates"] != len(ranked):
                    problems.append("candidates %r, expected %d (complete, feasible, qualifying rows)"
                                    % (j["candidates"], len(ranked)))
                s = j["selected"]
                if s["id"] != best["id"]:
                    problems.append("selected id %r, brute force %d" % (s["id"], best["id"]))
                else:
                    for name, fn in (("perf", perf), ("cost_axis", cost), ("score", score)):
                        if fn is not None and not close(s[name], fn(best)):
                            problems.append("selected %s %r, CSV gives %r" % (name, s[name], fn(best)))
                    for pname, cell in best["p"].items():
                        if cell is not None and str(s["params"].get(pname)) != cell \
                                and not close(s["params"].get(pname), num(cell) or float("nan")):
                            problems.append("selected param %s = %r, CSV has %r"
                                            % (pname, s["params"].get(pname), cell))
                    got_g = {g["text"]: g["margin"] for g in s.get("guardrails", [])}
                    for text, margin in guardrails:
                        if text not in got_g:
                            problems.append("guardrail %r not listed for the selection" % text)
                        elif not close(got_g[text], margin(best)):
                            problems.append("guardrail %r margin %r, expected %r"
                                            % (text, got_g[text], margin(best)))
                ru = j["runner_up"]
                if len(ranked) > 1:
                    if ru is None or ru["id"] != ranked[1]["id"]:
                        problems.append("runner_up %r, brute force %d"
                                        % (ru and ru["id"], ranked[1]["id"]))
                elif ru is not None:
                    problems.append("runner_up %r, but only one row qualifies" % ru["id"])
            except (KeyError, TypeError, ValueError) as e:
                problems.append("unexpected JSON shape: %r" % (e,))
        what = ("none qualifies, exit 1" if not ranked else
                "%d candidates, best id %d" % (len(ranked), ranked[0]["id"]))
        self.report("%s (%s)" % (label, what), problems)


# ---- the three catalogs ----------------------------------------------------

def rv(s):
    """A number as the command line gets it: the shortest text that reads back
    as the same double."""
    return repr(float(s))


def nb201(ck, src, data):
    csvf = os.path.join(data, "hwnas_nb201", "nb201_cifar10_hw.csv")
    study = os.path.join(src, "examples", "nb201-catalog", "study.yaml")
    devices = ["edgegpu", "raspi4", "edgetpu", "pixel3", "eyeriss", "fpga"]
    edges = ["edge_1_0", "edge_2_0", "edge_2_1", "edge_3_0", "edge_3_1", "edge_3_2"]
    metrics = ["val_acc"] + [d + "_latency" for d in devices] + \
        ["edgegpu_energy", "eyeriss_energy", "fpga_energy"]
    rows = read_rows(csvf, edges + ["in_nonredundant_subset"], metrics, optional=("edgetpu_latency",))
    base = ["--catalog", csvf, "--study", study]
    allrows = lambda r: True
    for d in devices:
        lat = d + "_latency"
        have = sorted(r["m"][lat] for r in rows if not r["failed"] and r["m"][lat] is not None)
        bounds = [have[0], have[len(have) // 10], statistics.median_low(have)]
        for b in bounds:
            g = "%s <= %s" % (lat, rv(b))
            feas = (lambda lat, b: lambda r: r["m"][lat] is not None and r["m"][lat] <= b)(lat, b)
            margin = (lambda lat, b: lambda r: b - r["m"][lat])(lat, b)
            # ties on val_acc: lower device latency (--cost), then lower id
            ck.select("nb201 select %s --cost %s" % (g, lat),
                      base + ["--guardrail", g, "--cost", lat], rows, allrows, feas,
                      (lambda lat: lambda r: (-r["m"]["val_acc"], r["m"][lat], r["id"]))(lat),
                      score=lambda r: r["m"]["val_acc"], cost=(lambda lat: lambda r: r["m"][lat])(lat),
                      rule="score", guardrails=[(g, margin)])
            # default cost axis: the study's second objective, edgegpu_latency
            ck.select("nb201 select %s" % g, base + ["--guardrail", g], rows, allrows, feas,
                      lambda r: (-r["m"]["val_acc"], r["m"]["edgegpu_latency"], r["id"]),
                      score=lambda r: r["m"]["val_acc"], rule="score", guardrails=[(g, margin)])
        ax = [("val_acc", "maximize", lambda r: r["m"]["val_acc"]),
              (lat, "minimize", (lambda lat: lambda r: r["m"][lat])(lat))]
        ck.frontier("nb201 frontier +val_acc,-%s" % lat,
                    base + ["--objectives", "+val_acc,-" + lat], rows, allrows, ax, all_=(d == "edgetpu"))
    # a bound nobody meets
    lo = min(r["m"]["edgegpu_latency"] for r in rows)
    ck.select("nb201 select edgegpu_latency < min", base + ["--guardrail", "edgegpu_latency < " + rv(lo)],
              rows, allrows, lambda r: r["m"]["edgegpu_latency"] < lo,
              lambda r: (-r["m"]["val_acc"], r["m"]["edgegpu_latency"], r["id"]))
    # the study's own objectives, the non-redundant subset, an explicit reference point
    ax = [("val_acc", "maximize", lambda r: r["m"]["val_acc"]),
          ("edgegpu_latency", "minimize", lambda r: r["m"]["edgegpu_latency"])]
    ck.frontier("nb201 frontier (study objectives)", base, rows, allrows, ax)
    sub = lambda r: r["p"]["in_nonredundant_subset"] == "1"
    ck.frontier("nb201 frontier --where in_nonredundant_subset == 1",
                base + ["--where", "in_nonredundant_subset == 1"], rows, sub, ax)
    ck.frontier("nb201 frontier --ref 80,6", base, rows, allrows, ax, ref=[80.0, 6.0])
    # edgetpu_latency is empty on some rows: three-valued --where over it
    tpu = sorted(r["m"]["edgetpu_latency"] for r in rows if r["m"]["edgetpu_latency"] is not None)
    t = rv(statistics.median_low(tpu))
    tl = lambda r: r["m"]["edgetpu_latency"]
    for text, fn in (("not (edgetpu_latency > %s)" % t, lambda r: k_not(k_cmp(tl(r), ">", float(t)))),
                     ("edgetpu_latency > %s or 1" % t, lambda r: True),
                     ("missing(edgetpu_latency)", lambda r: tl(r) is None),
                     ("present(edgetpu_latency) and not (edgetpu_latency < %s)" % t,
                      lambda r: k_and(tl(r) is not None, k_not(k_cmp(tl(r), "<", float(t)))))):
        ck.frontier("nb201 frontier --where %s" % text, base + ["--where", text], rows,
                    (lambda fn: lambda r: fn(r) is True)(fn), ax, all_=True)
    # three axes: the set only (no 2-D hypervolume)
    ax3 = ax + [("edgegpu_energy", "minimize", lambda r: r["m"]["edgegpu_energy"])]
    ck.frontier("nb201 frontier +val_acc,-edgegpu_latency,-edgegpu_energy",
                base + ["--objectives", "+val_acc,-edgegpu_latency,-edgegpu_energy"], rows, allrows, ax3)


def frugalgpt(ck, src, data):
    csvf = os.path.join(data, "frugalgpt_llm", "frugalgpt_2024_summary.csv")
    study = os.path.join(src, "examples", "frugalgpt", "study.yaml")
    rows = read_rows(csvf, ["dataset", "row_type", "model", "provider"],
                     ["test_acc", "test_cost_usd_per_query"])
    base = ["--catalog", csvf, "--study", study]
    acc = lambda r: r["m"]["test_acc"]
    usd = lambda r: r["m"]["test_cost_usd_per_query"]
    ok = lambda r: True
    for ds in sorted({r["p"]["dataset"] for r in rows}):
        keep = (lambda ds: lambda r: r["p"]["row_type"] == "single_model" and r["p"]["dataset"] == ds)(ds)
        where = ["--where", "dataset == '%s'" % ds]
        accs = sorted(acc(r) for r in rows if keep(r))
        costs = sorted(usd(r) for r in rows if keep(r))
        for t in (statistics.median_low(accs), accs[-1], accs[-1] + 0.01):
            ck.select("frugalgpt %s --min-perf %s" % (ds, rv(t)), base + where + ["--min-perf", rv(t)],
                      rows, keep, ok, lambda r: (usd(r), -acc(r), r["id"]),
                      perf=acc, cost=usd, qualifies=(lambda t: lambda r: acc(r) >= t)(t), rule="min-perf")
        c = statistics.median_low(costs)
        ck.select("frugalgpt %s --max-cost %s" % (ds, rv(c)), base + where + ["--max-cost", rv(c)],
                  rows, keep, ok, lambda r: (-acc(r), usd(r), r["id"]),
                  perf=acc, cost=usd, qualifies=(lambda c: lambda r: usd(r) <= c)(c), rule="max-cost")
        ck.select("frugalgpt %s (score)" % ds, base + where, rows, keep, ok,
                  lambda r: (-acc(r), usd(r), r["id"]), perf=acc, cost=usd, score=acc, rule="score")
        ck.select("frugalgpt %s --lexicographic -test_cost_usd_per_query,+test_acc" % ds,
                  base + where + ["--lexicographic", "-test_cost_usd_per_query,+test_acc"],
                  rows, keep, ok, lambda r: (usd(r), -acc(r), r["id"]), rule="lexicographic")
        ax = [("test_acc", "maximize", acc), ("test_cost_usd_per_query", "minimize", usd)]
        ck.frontier("frugalgpt %s frontier" % ds, base + where, rows, keep, ax, all_=True)
    # provider is empty on the cascade rows: not (...) over it
    keep = lambda r: r["p"]["row_type"] == "single_model" and \
        k_not(None if r["p"]["provider"] is None else r["p"]["provider"] == "google") is True
    ck.frontier("frugalgpt frontier --where not (provider == 'google')",
                base + ["--where", "not (provider == 'google')"], rows, keep,
                [("test_acc", "maximize", acc), ("test_cost_usd_per_query", "minimize", usd)], all_=True)
    # a guardrail on top of the study's filter, over every data set
    keep = lambda r: r["p"]["row_type"] == "single_model"
    ck.select("frugalgpt all --guardrail test_cost_usd_per_query <= 0.001 --min-perf 0.8",
              base + ["--guardrail", "test_cost_usd_per_query <= 0.001", "--min-perf", "0.8"],
              rows, keep, lambda r: usd(r) <= 0.001, lambda r: (usd(r), -acc(r), r["id"]),
              perf=acc, cost=usd, qualifies=lambda r: acc(r) >= 0.8, rule="min-perf",
              guardrails=[("test_cost_usd_per_query <= 0.001", lambda r: 0.001 - usd(r))])


def mlperf(ck, src, data):
    csvf = os.path.join(data, "mlperf_inference_v4_1", "mlperf_inference_v4_1_summary.csv")
    study = os.path.join(src, "examples", "mlperf", "study.yaml")
    rows = read_rows(csvf, ["model", "scenario", "division", "performance_units", "accelerator"],
                     ["performance_result", "accelerators_per_node", "nodes"],
                     optional=("accelerators_per_node",))
    base = ["--catalog", csvf, "--study", study]

    def total(r):
        a, n = r["m"]["accelerators_per_node"], r["m"]["nodes"]
        return None if a is None or n is None else a * n

    def per_acc(r):
        t = total(r)
        return None if t is None else r["m"]["performance_result"] / t

    # labels of choice: from_catalog, in the order they first appear
    problems = []
    rc, out, err = ck.run(["validate", "--catalog", csvf, study])
    for col in ("model", "submitter", "accelerator", "weight_data_types"):
        seen = []
        with open(csvf, newline="") as f:
            for rec in csv.DictReader(f):
                c = rec[col].strip(" \t")
                if c and c not in seen:
                    seen.append(c)
        want = '%s: labels of "%s" from column "%s": %s' % (csvf, col, col, ", ".join(seen))
        if want not in out.splitlines():
            problems.append("validate --catalog: no line %r" % want[:200])
    if rc != 0:
        problems.append("validate --catalog: exit %d: %s" % (rc, err[:300]))
    ck.report("mlperf validate --catalog: labels from the table", problems)
    thr = lambda r: r["m"]["performance_result"]
    through = lambda r: r["p"]["performance_units"] != "Latency (ms)"
    pairs = sorted({(r["p"]["model"], r["p"]["scenario"]) for r in rows})
    for m, s in pairs:
        keep = (lambda m, s: lambda r: through(r) and r["p"]["model"] == m and r["p"]["scenario"] == s)(m, s)
        usable = [r for r in rows if not r["failed"] and keep(r) and total(r) is not None]
        if len(usable) < 2:
            continue
        where = ["--where", "model == '%s' and scenario == '%s'" % (m, s)]
        ax = [("performance_result", "maximize", thr), ("total_accelerators", "minimize", total)]
        ck.frontier("mlperf %s %s frontier" % (m, s), base + where, rows, keep, ax)
        ax = [("throughput_per_accelerator", "maximize", per_acc), ("total_accelerators", "minimize", total)]
        ck.frontier("mlperf %s %s frontier +throughput_per_accelerator,-total_accelerators" % (m, s),
                    base + where + ["--objectives", "+throughput_per_accelerator,-total_accelerators"],
                    rows, keep, ax)
        # the score (throughput per accelerator); ties: fewer accelerators, then lower id
        ck.select("mlperf %s %s (score)" % (m, s), base + where, rows, keep,
                  lambda r: per_acc(r) is not None,
                  lambda r: (-per_acc(r), total(r), r["id"]), score=per_acc, rule="score")


# ---- missing values, numeric cells, labels: small tables written here ------
#
# These need no shared data. Every expectation is computed here: numbers by
# a regular expression for a decimal number (never by float(), which takes
# "inf", "nan" and "1_000"), filters by a three-valued evaluation written
# with None for a missing value (never by parsing the tool's expressions).

import random
import re

DECIMAL = re.compile(r"^[ \t]*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[ \t]*$")


def strict_num(cell):
    """A numeric cell: a finite float, None when blank, "bad" when not a
    decimal number (hex, inf, nan, 1_000, too large...)."""
    if cell.strip(" \t") == "":
        return None
    if not DECIMAL.match(cell):
        return "bad"
    v = float(cell.strip(" \t"))
    return v if math.isfinite(v) else "bad"


# Kleene's logic with None for missing.
def k_not(a):
    return None if a is None else not a


def k_and(*xs):
    if any(x is False for x in xs):
        return False
    return None if any(x is None for x in xs) else True


def k_or(*xs):
    if any(x is True for x in xs):
        return True
    return None if any(x is None for x in xs) else False


def k_cmp(a, op, b):
    if a is None or b is None:
        return None
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[op]


SPELLINGS = [  # (cell text, shown as)
    " 1.5", "2.25 ", "\t3\t", "  -0.5  ", "+.5", "5.", "1e2", "-2.5E-3", " 7 ",
    "0x1A", "0x1p3", "0X10", "inf", "-inf", "nan", "NaN", "infinity", "1e999", "1_000",
    "1e", ".", "--1", "1.2.3", "abc", "1,5", "", " ",
]


def synth_csv(path, rows, header):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow(r)


def frontier_csv(ck, args, problems, empty=False):
    """Runs frontier --all --format csv; {id: (status, [axis cells], why)}.
    empty: no row is expected to be kept, and frontier must say so (exit 1)."""
    rc, out, err = ck.run(["frontier", "--all", "--format", "csv"] + args)
    if empty:
        if rc != 1 or "no configuration is on the frontier" not in err:
            problems.append("nothing kept: exit %d (%s), expected 1 and 'no configuration is on the frontier'"
                            % (rc, err.strip()[:300]))
        return None
    if rc != 0:
        problems.append("exit %d: %s" % (rc, err.strip()[:300]))
        return None
    got = {}
    table = list(csv.reader(out.splitlines()))
    labelled = len(table) > 0 and len(table[0]) > 1 and table[0][1] == "label"
    for rec in table[1:]:
        if labelled:
            # the label column goes to the end, past why, so that the
            # other columns keep their places
            rec = [rec[0]] + rec[2:] + [rec[1]]
        got[int(rec[0])] = rec
    return got


def synthetic(ck, scratch):
    rnd = random.Random(20261205)
    os.makedirs(scratch, exist_ok=True)
    fams = ["mlp", "forest", "logreg", "gbm"]
    # A table: a label column, a categorical with labels from the table, a
    # float parameter with empty (inactive) cells, metrics with empty and
    # malformed cells, an optional metric that is often empty.
    rows, ref = [], []
    for i in range(60):
        fam = rnd.choice(fams)
        lr = "" if rnd.random() < 0.25 else "%.3f" % rnd.uniform(0.001, 0.9)
        if rnd.random() < 0.3:
            lr = rnd.choice([" %s" % lr, "%s\t" % lr, " %s " % lr]) if lr else lr
        acc = "%.4f" % rnd.uniform(0.5, 0.99)
        usd = "%.3f" % rnd.uniform(1, 50)
        if rnd.random() < 0.3:
            acc = rnd.choice(SPELLINGS)
        if rnd.random() < 0.15:
            usd = rnd.choice(SPELLINGS)
        opt = "" if rnd.random() < 0.4 else "%.2f" % rnd.uniform(0, 10)
        rows.append(["cfg-%02d-%s" % (i, fam), fam, lr, acc, usd, opt])
    csvf = os.path.join(scratch, "synth.csv")
    synth_csv(csvf, rows, ["name", "family", "lr", "acc", "cost", "opt"])
    study = os.path.join(scratch, "synth.yaml")
    with open(study, "w") as f:
        f.write("name: synth\nspace:\n  family: {choice: from_catalog}\n"
                "  lr: {float: [0.001, 1], when: \"family != 'forest'\"}\n"
                "metrics:\n  acc: {maximize: true}\n  usd: {minimize: true}\n"
                "  opt: {optional: true}\nobjectives: [acc, usd]\n"
                "catalog:\n  label: name\n  columns: {usd: cost}\n")
    recs = []
    for line, r in enumerate(rows, start=2):
        name, fam, lr, acc, usd, opt = r
        recs.append({"id": line, "name": name, "family": fam, "lr": strict_num(lr),
                     "acc": strict_num(acc), "usd": strict_num(usd), "opt": strict_num(opt)})
    for r in recs:
        for k in ("acc", "usd", "opt"):
            if r[k] == "bad":
                r[k + "_bad"] = True
                r[k] = None
        r["failed"] = r["acc"] is None or r["usd"] is None

    # labels from the table, in first-seen order, and validate --catalog
    problems = []
    first_seen = []
    for r in recs:
        if r["family"] not in first_seen:
            first_seen.append(r["family"])
    rc, out, err = ck.run(["validate", "--catalog", csvf, study])
    if rc != 0:
        problems.append("validate --catalog: exit %d: %s" % (rc, err.strip()[:300]))
    want = '%s: labels of "family" from column "family": %s' % (csvf, ", ".join(first_seen))
    if want not in out.splitlines():
        problems.append("validate --catalog does not say %r; it says %r" % (want, out[:400]))
    usable = sum(1 for r in recs if not r["failed"])
    if ("%d rows, %d usable, %d not usable" % (len(recs), usable, len(recs) - usable)) not in out:
        problems.append("validate --catalog counts: %r, expected %d usable of %d"
                        % (out[:300], usable, len(recs)))
    rc, out, err = ck.run(["validate", study])
    if rc != 0 or "validate --catalog" not in out:
        problems.append("validate without --catalog should pass and point at --catalog: %r %r" % (out, err))
    ck.report("synthetic: choice: from_catalog labels and validate --catalog", problems)

    # numeric cells: which rows are usable, and their values
    problems = []
    got = frontier_csv(ck, ["--catalog", csvf, "--study", study], problems)
    if got is not None:
        for r in recs:
            g = got.get(r["id"])
            if g is None:
                problems.append("row %d not listed by --all" % r["id"])
                continue
            if g[-1] != r["name"]:
                problems.append("row %d: label %r, the table names it %r" % (r["id"], g[-1], r["name"]))
            if r["failed"] != (g[1] == "failed"):
                problems.append("row %d (acc %r, usd %r): status %s" % (r["id"], rows[r["id"] - 2][3],
                                                                       rows[r["id"] - 2][4], g[1]))
            elif not r["failed"]:
                for k, cell in (("acc", g[2]), ("usd", g[3])):
                    if not close(float(cell), r[k]):
                        problems.append("row %d: %s %s, the cell reads %r" % (r["id"], k, cell, r[k]))
            else:
                for k, col in (("acc", "acc"), ("usd", "cost")):
                    if r.get(k + "_bad") and 'column "%s"' % col not in g[-2] and r[k] is None \
                            and not (k == "usd" and r["acc"] is None):
                        problems.append("row %d: why %r does not name column %s" % (r["id"], g[-2], col))
        if len(got) != len(recs):
            problems.append("--all lists %d rows, the table has %d" % (len(got), len(recs)))
    ck.report("synthetic: numeric cells (spaces around, no hex/inf/nan)", problems)

    # --where with missing values: kept exactly when true; the rest listed
    def v(r, k):
        x = r[k]
        return None if x is None or x == "bad" else x

    lr_active = lambda r: v(r, "lr") if r["family"] != "forest" else v(r, "lr")
    wheres = [
        ("not (acc > 0.8)", lambda r: k_not(k_cmp(v(r, "acc"), ">", 0.8))),
        ("acc > 0.8 or 1", lambda r: True),
        ("opt > 5 or 1", lambda r: True),
        ("opt > 5 and 0", lambda r: False),
        ("not (opt > 5)", lambda r: k_not(k_cmp(v(r, "opt"), ">", 5))),
        ("missing(opt)", lambda r: v(r, "opt") is None),
        ("present(opt) and opt < 4", lambda r: k_and(v(r, "opt") is not None, k_cmp(v(r, "opt"), "<", 4))),
        ("missing(lr) or lr < 0.5", lambda r: k_or(lr_active(r) is None, k_cmp(lr_active(r), "<", 0.5))),
        ("lr < 0.5 or family == 'forest'",
         lambda r: k_or(k_cmp(lr_active(r), "<", 0.5), r["family"] == "forest")),
        ("not (family == 'mlp' and lr > 0.3)",
         lambda r: k_not(k_and(r["family"] == "mlp", k_cmp(lr_active(r), ">", 0.3)))),
        ("if(opt > 2, acc, usd) > 0.9", lambda r: None if v(r, "opt") is None else
         k_cmp(v(r, "acc") if v(r, "opt") > 2 else v(r, "usd"), ">", 0.9)),
        ("opt + lr > 3 or usd < 10", lambda r: k_or(
            None if v(r, "opt") is None or lr_active(r) is None else v(r, "opt") + lr_active(r) > 3,
            k_cmp(v(r, "usd"), "<", 10))),
    ]
    for text, fn in wheres:
        problems = []
        kept = sum(1 for r in recs if fn(r) is True and not r["failed"])
        got = frontier_csv(ck, ["--catalog", csvf, "--study", study, "--where", text], problems,
                           empty=kept == 0)
        if got is not None:
            for r in recs:
                truth = fn(r)
                g = got.get(r["id"])
                if g is None:
                    problems.append("row %d not listed" % r["id"])
                elif (g[1] == "removed") != (truth is not True):
                    problems.append("row %d: %s, but the filter is %r" % (r["id"], g[1], truth))
                elif truth is None and "is missing" not in g[-2]:
                    problems.append("row %d: reason %r, expected a missing value named" % (r["id"], g[-2]))
                elif truth is False and "is missing" in g[-2]:
                    problems.append("row %d: reason %r for a false filter" % (r["id"], g[-2]))
        ck.report("synthetic: --where %s (%d kept)" % (text, sum(1 for r in recs if fn(r) is True)), problems)

    # the text listing names removed rows by their label
    problems = []
    rc, out, err = ck.run(["frontier", "--all", "--catalog", csvf, "--study", study, "--where", "missing(opt)"])
    for r in recs:
        if v(r, "opt") is not None:
            line = [l for l in out.splitlines() if re.match(r"^\s+%d\s+removed\s" % r["id"], l)]
            if not line or r["name"] + ": --where:" not in line[0]:
                problems.append("row %d: no removed line naming %s: %r" % (r["id"], r["name"], line))
    ck.report("synthetic: removed rows named by the label column", problems)

    # every bad parameter cell at once, bounded
    problems = []
    bad_rows = []
    for i in range(27):
        cell = rnd.choice(["0x1A", "inf", "1_0", " 0.5 ", "0.25", "2", "nan", "0x1p-3", "abc"])
        bad_rows.append(["n%d" % i, "mlp", cell, "0.9", "1", ""])
    bcsv = os.path.join(scratch, "bad.csv")
    synth_csv(bcsv, bad_rows, ["name", "family", "lr", "acc", "cost", "opt"])
    expected = []
    for line, r in enumerate(bad_rows, start=2):
        x = strict_num(r[2])
        if x == "bad" or x is None or not (0.001 <= x <= 1):
            expected.append(line)
    rc, out, err = ck.run(["validate", "--catalog", bcsv, study])
    lines = [l for l in err.splitlines() if re.match(r"^budgetopt: %s:\d+: column \"lr\"" % re.escape(bcsv), l)]
    listed = [int(re.match(r"^budgetopt: [^:]+:(\d+):", l).group(1)) for l in lines]
    if rc != 2:
        problems.append("exit %d, expected 2" % rc)
    if listed != expected[:20]:
        problems.append("listed lines %s, expected %s" % (listed, expected[:20]))
    if len(expected) > 20 and ("budgetopt: and %d more" % (len(expected) - 20)) not in err.splitlines():
        problems.append("no 'and %d more' line: %r" % (len(expected) - 20, err[-200:]))
    if ("%d problem" % len(expected)) not in err:
        problems.append("the count %d is not said: %r" % (len(expected), err[:200]))
    ck.report("synthetic: every bad cell at once (%d bad)" % len(expected), problems)


def main(argv):
    if len(argv) != 5:
        sys.stderr.write("usage: bruteforce.py BUDGETOPT SOURCE_DIR SCRATCH_DIR DATA_DIR\n")
        return 2
    exe, src, scratch, data = argv[1:]
    ck = Checker(exe)
    if data == "--synthetic":
        synthetic(ck, scratch)
    else:
        nb201(ck, src, data)
        frugalgpt(ck, src, data)
        mlperf(ck, src, data)
    print("%d passed, %d failed" % (ck.passed, ck.failed))
    return 1 if ck.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
