#!/usr/bin/env python3
"""Checks a ledger of a scenario_policy: promote run (tests/cli/cases/run-scenario-promote*.case).

Usage: promote_check.py LEDGER --scenarios a,b,c --base b --top K --every R --reserve S
                        [--money M] [--trials N] [--complete] [--bin BUDGETOPT --study FILE]

Recomputes from the ledger's base trials, independently of the runner, which
configurations each rung must promote (rung n: the first n*R configurations
in launch order; candidates: not yet promoted, complete under the base; the
best K by the objective, ties to the lower id; a final rung over all the
rest when exploration ended), and checks that the scenario_promote events
name exactly those, once each; that only they ran under other scenarios,
never one unit twice (--complete: every promoted one under every other
scenario); that spend stays within the money budget and base spend within
its exploration share; and that base trials stay within the trials share.
With --bin, `status --format json` and `frontier --format json` must count
the same configurations, promotions, base-only and complete ones.
"""
import argparse
import json
import math
import re
import sqlite3
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("ledger")
ap.add_argument("--scenarios", required=True)
ap.add_argument("--base", required=True)
ap.add_argument("--top", type=int, required=True)
ap.add_argument("--every", type=int, required=True)
ap.add_argument("--reserve", type=float, required=True)
ap.add_argument("--money", type=float)
ap.add_argument("--trials", type=int)
ap.add_argument("--complete", action="store_true")
ap.add_argument("--bin")
ap.add_argument("--study")
a = ap.parse_args()
scen = a.scenarios.split(",")

db = sqlite3.connect(a.ledger)
trials = db.execute("SELECT id, scenario, repeat_index, state, params_json, cost FROM trials ORDER BY id").fetchall()
acc = dict(db.execute("SELECT trial_id, value FROM trial_metrics WHERE name = 'acc'").fetchall())
events = db.execute("SELECT trial_id, kind, detail FROM events WHERE kind LIKE 'scenario_%' ORDER BY id").fetchall()

configs = []              # params_json in launch order (first base trial)
first = {}
value = {}
for tid, sc, rep, state, pj, cost in trials:
    assert state != "running", tid
    if sc != a.base:
        continue
    if pj not in first:
        first[pj] = tid
        configs.append(pj)
    value[pj] = acc.get(tid) if state == "complete" else None

want = {}                 # params_json -> (rung, rank)
def rung(upto, n):
    cand = [c for c in configs[:upto] if c not in want and value[c] is not None and math.isfinite(value[c])]
    for rank in range(1, a.top + 1):
        if not cand:
            return
        best = cand[0]
        for c in cand:
            if value[c] > value[best]:
                best = c
        want[best] = (n, rank)
        cand.remove(best)

nr = len(configs) // a.every
for n in range(1, nr + 1):
    rung(n * a.every, n)
explored = any(k == "scenario_explore_end" for _, k, _ in events)
if explored:
    rung(len(configs), nr + 1)

got = {}
for tid, kind, detail in events:
    if kind != "scenario_promote":
        continue
    pj = next(p for p, f in first.items() if f == tid)
    m = re.search(r"ranks (\d+) of \d+ .* rung (\d+)", detail)
    assert pj not in got, ("promoted twice", tid)
    got[pj] = (int(m.group(2)), int(m.group(1)))
assert got == want, ({first[p]: v for p, v in got.items()}, {first[p]: v for p, v in want.items()})

units = {}
for tid, sc, rep, state, pj, cost in trials:
    if sc == a.base:
        continue
    assert pj in want, ("ran under %s without a promotion" % sc, tid)
    assert (pj, sc, rep) not in units, ("run twice", tid, units[(pj, sc, rep)])
    units[(pj, sc, rep)] = tid
if a.complete:
    for pj in want:
        for sc in scen:
            if sc != a.base:
                assert (pj, sc, 0) in units, ("promoted but not run", first[pj], sc)

spent = sum(t[5] for t in trials if t[5] is not None)
base_spent = sum(t[5] for t in trials if t[5] is not None and t[1] == a.base)
if a.money is not None:
    assert spent <= a.money * (1 + 1e-9), (spent, a.money)
    assert base_spent <= (1 - a.reserve) * a.money * (1 + 1e-9), (base_spent, a.money)
if a.trials is not None:
    nbase = sum(1 for t in trials if t[1] == a.base)
    assert len(trials) <= a.trials
    assert nbase <= a.trials - math.ceil(a.reserve * a.trials), nbase
if a.bin:
    ran = {}
    for tid, sc, rep, state, pj, cost in trials:
        ran.setdefault(pj, set()).add(sc)
    every = sum(1 for s in ran.values() if s == set(scen))
    only = sum(1 for s in ran.values() if s == {a.base})
    st = json.loads(subprocess.run([a.bin, "status", a.study, "--format", "json"], check=True,
                                   capture_output=True).stdout)["promote"]
    assert st == {"base": a.base, "top": a.top, "configurations": len(configs), "promoted": len(want),
                  "every_scenario": every, "base_only": only, "explored": explored}, st
    fr = json.loads(subprocess.run([a.bin, "frontier", a.study, "--format", "json"], check=True,
                                   capture_output=True).stdout)["scenarios"]["promote"]
    assert fr == {"base": a.base, "every_scenario": every, "base_only": only,
                  "partial": len(ran) - every - only}, fr
print("promote ok: %d configurations, %d promoted over %d rungs%s" %
      (len(configs), len(want), len(set(r for r, _ in want.values())), ", exploration over" if explored else ""))
