#!/usr/bin/env python3
"""tests/optuna/check_import.py - an imported Optuna study against Optuna's
own view of it (make_fixtures.py).

usage: check_import.py OPTUNA.json OPTUNA.csv EXPORT.json EXPORT_OPTUNA.csv LEDGER.db

Compares trial by trial: numbers (budgetopt id = number + 1), states (the
mapping of docs/optuna.md), parameters (external values; categorical
labels as text), objective values, constraints (and feasibility), cost
and usage from user attributes, intermediate values (the ledger's
trial_steps); then budgetopt's `export --format optuna-csv` against
Optuna's trials_dataframe() CSV cell by cell (numbers as numbers).
Exits 1 listing every difference.
"""
import csv
import json
import math
import sqlite3
import sys

opt = json.load(open(sys.argv[1]))
ocsv = list(csv.DictReader(open(sys.argv[2], newline="")))
exp = json.load(open(sys.argv[3]))
bcsv = list(csv.DictReader(open(sys.argv[4], newline="")))
ledger = sqlite3.connect("file:" + sys.argv[5] + "?mode=ro", uri=True)
errors = []
STATE = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed",
         "RUNNING": "failed", "WAITING": "failed"}


def err(msg):
    errors.append(msg)


def label(v):
    """A categorical value as budgetopt's label text."""
    if v is None or isinstance(v, bool):
        return str(v)
    return v


def same(a, b):
    if isinstance(a, str) or isinstance(b, str):
        try:
            return float(a) == float(b)
        except (TypeError, ValueError):
            return str(a) == str(b)
    return a == b


ot = opt["trials"]
nobj = len(opt["directions"])
names = ["value"] if nobj == 1 else ["values_%d" % i for i in range(nobj)]
if len(ot) != len(exp):
    err("optuna has %d trials, budgetopt %d" % (len(ot), len(exp)))
for o, b in zip(ot, exp):
    n = o["number"]
    if b["id"] != n + 1:
        err("trial %d: budgetopt id %s" % (n, b["id"]))
    values = o["values"] or []
    want = STATE[o["state"]]
    if o["state"] == "COMPLETE" and not all(math.isfinite(v) for v in values):
        want = "failed"
    if b["state"] != want:
        err("trial %d: optuna %s, budgetopt %s (want %s)" % (n, o["state"], b["state"], want))
    if o["state"] in ("RUNNING", "WAITING") and o["state"] not in (b["reason"] or ""):
        err("trial %d: reason %r does not say %s" % (n, b["reason"], o["state"]))
    # parameters
    if set(o["params"]) != set(b["params"]):
        err("trial %d: params %s vs %s" % (n, sorted(o["params"]), sorted(b["params"])))
    for k, v in o["params"].items():
        if k in b["params"] and not same(label(v), b["params"][k]):
            err("trial %d: param %s: optuna %r, budgetopt %r" % (n, k, v, b["params"][k]))
    # objective values (finite ones become metrics)
    for i, v in enumerate(values):
        got = b["metrics"].get(names[i])
        if math.isfinite(v) and got != v:
            err("trial %d: %s: optuna %r, budgetopt %r" % (n, names[i], v, got))
        if not math.isfinite(v) and got is not None:
            err("trial %d: %s: optuna %r, budgetopt has %r" % (n, names[i], v, got))
    if not values and any(m in b["metrics"] for m in names):
        err("trial %d: no optuna value but budgetopt has %s" % (n, b["metrics"]))
    # constraints -> metrics and feasibility
    cons = o["constraints"]
    for i, c in enumerate(cons or []):
        if b["metrics"].get("constraint_%d" % i) != c:
            err("trial %d: constraint %d: optuna %r, budgetopt %r" % (n, i, c,
                b["metrics"].get("constraint_%d" % i)))
    if cons is not None and b["state"] == "complete":
        feas = all(c <= 0 for c in cons)
        if b["feasible"] != feas:
            err("trial %d: optuna feasible %s, budgetopt %s" % (n, feas, b["feasible"]))
    # cost and usage from user attributes
    ua = {k: v for k, v in o["user_attrs"].items()
          if isinstance(v, (int, float)) and not isinstance(v, bool)}
    if b["cost"] != ua.get("cost", 0):
        err("trial %d: cost %r, user attribute %r" % (n, b["cost"], ua.get("cost")))
    for k, v in ua.items():
        if b["usage"].get(k) != v:
            err("trial %d: usage %s: %r vs user attribute %r" % (n, k, b["usage"].get(k), v))
    # intermediate values
    steps = dict(ledger.execute("SELECT step, value FROM trial_steps WHERE trial_id = ?",
                                (n + 1,)).fetchall())
    iv = {int(k): v for k, v in o["intermediate_values"].items() if math.isfinite(v)}
    if steps != iv:
        err("trial %d: steps %r, optuna intermediate values %r" % (n, steps, iv))

# The CSV against trials_dataframe().
if len(ocsv) != len(bcsv):
    err("optuna csv has %d rows, budgetopt optuna-csv %d" % (len(ocsv), len(bcsv)))
skip = [c for c in ocsv[0] if c.startswith("system_attrs_")] if ocsv else []
ours = list(bcsv[0].keys()) if bcsv else []
theirs = [c for c in (ocsv[0].keys() if ocsv else []) if c not in skip]
common = [c for c in theirs if c in ours]
for c in theirs:
    if c not in ours:
        # user attributes that are not numbers are not imported (docs/optuna.md)
        vals = [r[c] for r in ocsv if r[c] != ""]
        numeric = all(same(v, v) and v.replace(".", "", 1).replace("-", "", 1).replace("e", "", 1).isdigit()
                      for v in vals)
        if not (c.startswith("user_attrs_") and not numeric):
            err("csv: optuna column %s missing from budgetopt's" % c)
if [c for c in ours if c in theirs] != common:
    err("csv: column order differs: optuna %s, budgetopt %s" % (theirs, ours))
nonfinite = {str(o["number"]): o["state"] == "COMPLETE" and
             not all(math.isfinite(v) for v in (o["values"] or [])) for o in ot}
for o_row, b_row in zip(ocsv, bcsv):
    n = o_row["number"]
    unfinished = o_row["state"] in ("RUNNING", "WAITING")
    for c in common:
        a, b = o_row[c], b_row[c]
        if unfinished and c in ("datetime_complete", "duration", "state"):
            continue
        if c.startswith("params_") and a == "" and b == "None":
            continue   # Optuna writes a None label as an empty cell
        if c == "user_attrs_cost" and a == "" and same(b, 0):
            continue   # no cost attribute: budgetopt's trial cost is 0
        if nonfinite.get(n) and c in (*names, "state"):
            # a complete trial with an infinite value is failed (docs/optuna.md)
            if b != ("FAIL" if c == "state" else ""):
                err("csv: trial %s column %s: %r, want it failed" % (n, c, b))
            continue
        if a == b or (a != "" and b != "" and same(a, b)):
            continue
        err("csv: trial %s column %s: optuna %r, budgetopt %r" % (n, c, a, b))
    if unfinished and b_row["state"] != "FAIL":
        err("csv: trial %s: state %s, want FAIL" % (n, b_row["state"]))

checked = len(ot)
if errors:
    print("\n".join(errors[:60]))
    print("%d differences" % len(errors))
    sys.exit(1)
print("ok: %d trials and %d csv columns agree with Optuna" % (checked, len(common)))
