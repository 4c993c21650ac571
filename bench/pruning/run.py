#!/usr/bin/python3
"""bench/pruning: the money spent to reach a target validation accuracy, with
budgetopt's multi-fidelity schedules and cost pruner against no pruning and
against Optuna 3.1's TPE with its HyperbandPruner and SuccessiveHalvingPruner,
on the same learners, budgets and seeds, in one run.

Learners (real training, scikit-learn's bundled data, nothing downloaded):
  mlp  examples/digits/mlp_epochs.py: MLPClassifier.partial_fit on digits,
       fidelity = epochs 1..27 (eta 3), 0.001 USD an epoch
  hgb  bench/pruning/hgb_iters.py: HistGradientBoosting on breast cancer,
       fidelity = boosting iterations 1..81 (eta 3), 0.0002 USD an iteration

Money is the priced fidelity units each trial trained (epochs, iterations),
counted the same way on both sides (budgetopt: the trial's reported usage,
which a promoted trial that resumed from its checkpoint reports only for the
units it added; Optuna: the units each trial trained before it completed or
was pruned). "To target" is the money spent by all trials finished up to and
including the first that completed at full fidelity with val_acc >= target.
Runs with /usr/bin/python3 (Debian's, with optuna 3.1 and scikit-learn).

Usage: run.py BUDGETOPT_BINARY OUT_DIR [--seeds 1,2] [--learners mlp,hgb] [--full-trials 3]
"""
import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

LEARNERS = {
    "mlp": dict(script=os.path.join(ROOT, "examples/digits/mlp_epochs.py"), fid="epochs", unit="epochs",
                max=27, price=0.001, target=0.97,
                space="  hidden: {choice: [16, 32, 64, 128]}\n  lr: {float: [1.0e-4, 0.3], log: true}\n"
                      "  alpha: {float: [1.0e-6, 1.0e-1], log: true}\n",
                args='--hidden, "{hidden}", --lr, "{lr}", --alpha, "{alpha}", --epochs, "{epochs}"'),
    "hgb": dict(script=os.path.join(HERE, "hgb_iters.py"), fid="iters", unit="iters", max=81, price=0.0002,
                target=0.975,
                space="  lr: {float: [0.01, 0.5], log: true}\n  leaves: {int: [4, 63]}\n"
                      "  l2: {float: [1.0e-4, 10.0], log: true}\n",
                args='--lr, "{lr}", --leaves, "{leaves}", --l2, "{l2}", --iters, "{iters}"'),
}

METHODS = {   # name: (fidelity schedule or None, sampler, pruner)
    "none": (None, "tpe", None),
    "asha": ("asha", "random", None),
    "hyperband": ("hyperband", "random", None),
    "bohb": ("hyperband", "tpe", None),
    "cost": (None, "tpe", "cost"),
}


def study_text(name, L, method, seed, budget):
    sched, sampler, pruner = METHODS[method]
    lo = 1 if sched else L["max"]
    s = "name: %s\nseed: %d\nspace:\n%s  %s: {int: [%d, %d]}\n" % (name, seed, L["space"], L["fid"], lo, L["max"])
    if sched:
        s += "fidelity: {param: %s, min: 1, max: %d, eta: 3, schedule: %s}\n" % (L["fid"], L["max"], sched)
    if pruner:
        s += "pruner: {cost: {metric: val_acc, max_step: %d, max_value: 1}}\n" % L["max"]
    s += ("prices:\n  %s: %g\nmetrics:\n  val_acc: {maximize: true}\nobjectives: [val_acc]\n"
          "budget:\n  money: %g\n  per_trial: {money: %g}\n"
          "evaluator:\n  command: [/usr/bin/python3, %s, %s]\n  parallel: 2\n  timeout: 300s\n"
          "sampler: %s\n") % (L["unit"], L["price"], budget, L["max"] * L["price"] * 1.01, L["script"],
                              L["args"], sampler)
    return s


def budgetopt_side(binary, out, lname, L, method, seed, budget):
    d = os.path.join(out, "%s-%s-%d" % (lname, method, seed))
    os.makedirs(d, exist_ok=True)
    name = "b%s%s%d" % (lname, method, seed)
    with open(os.path.join(d, "study.yaml"), "w") as f:
        f.write(study_text(name, L, method, seed, budget))
    t0 = time.time()
    if REUSE and os.path.exists(os.path.join(d, name + ".db")):
        p = subprocess.CompletedProcess([], 0)   # --reuse: read the ledger of an earlier run
    else:
        p = subprocess.run([binary, "run", "study.yaml"], cwd=d, capture_output=True, text=True)
    wall = time.time() - t0
    if p.returncode != 0:
        print("budgetopt %s %s %d failed: %s" % (lname, method, seed, p.stderr[-500:]), file=sys.stderr)
    db = sqlite3.connect(os.path.join(d, name + ".db"))
    rows = db.execute(
        "SELECT t.id, t.state, t.ended_at, "
        "(SELECT value FROM trial_params p WHERE p.trial_id = t.id AND p.name = ?), "
        "(SELECT value FROM trial_metrics m WHERE m.trial_id = t.id AND m.name = 'val_acc'), "
        "COALESCE((SELECT amount FROM trial_usage u WHERE u.trial_id = t.id AND u.resource = ?), 0) "
        "FROM trials t ORDER BY t.ended_at", (L["fid"], L["unit"])).fetchall()
    trials = [dict(done=st == "complete" and fid == L["max"], any=st == "complete", acc=acc, units=units)
              for _, st, _, fid, acc, units in rows]
    return trials, wall


def optuna_side(lname, L, pruner_name, seed, budget):
    import numpy as np
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    import warnings
    from sklearn.exceptions import ConvergenceWarning
    warnings.simplefilter("ignore", ConvergenceWarning)
    from sklearn.model_selection import train_test_split
    if lname == "mlp":
        from sklearn.datasets import load_digits
        from sklearn.neural_network import MLPClassifier
        X, y = load_digits(return_X_y=True)
        X = X / 16.0
        Xt, Xv, yt, yv = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    else:
        from sklearn.datasets import load_breast_cancer
        from sklearn.ensemble import HistGradientBoostingClassifier
        X, y = load_breast_cancer(return_X_y=True)
        Xt, Xv, yt, yv = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    trials, spent = [], [0.0]

    def objective(trial):
        units, acc = 0, 0.0
        rec = dict(done=False, any=True, acc=None, units=0)
        trials.append(rec)
        if lname == "mlp":
            m = MLPClassifier(hidden_layer_sizes=(trial.suggest_categorical("hidden", [16, 32, 64, 128]),),
                              learning_rate_init=trial.suggest_float("lr", 1e-4, 0.3, log=True),
                              alpha=trial.suggest_float("alpha", 1e-6, 1e-1, log=True), batch_size=64, random_state=0)
            classes = np.unique(y)
            for epoch in range(1, L["max"] + 1):
                order = np.random.RandomState(epoch).permutation(len(Xt))
                m.partial_fit(Xt[order], yt[order], classes=classes)
                acc = float(m.score(Xv, yv))
                units = epoch
                rec.update(acc=acc, units=units)
                trial.report(acc, epoch)
                if trial.should_prune():
                    spent[0] += units * L["price"]
                    raise optuna.TrialPruned()
        else:
            m = HistGradientBoostingClassifier(learning_rate=trial.suggest_float("lr", 0.01, 0.5, log=True),
                                               max_leaf_nodes=trial.suggest_int("leaves", 4, 63),
                                               l2_regularization=trial.suggest_float("l2", 1e-4, 10.0, log=True),
                                               early_stopping=False, warm_start=True, random_state=0)
            done = 0
            while done < L["max"]:
                done = min(L["max"], done + 3)
                m.set_params(max_iter=done)
                m.fit(Xt, yt)
                acc = float(m.score(Xv, yv))
                units = done
                rec.update(acc=acc, units=units)
                trial.report(acc, done)
                if trial.should_prune():
                    spent[0] += units * L["price"]
                    raise optuna.TrialPruned()
        spent[0] += units * L["price"]
        rec["done"] = True
        return acc

    def stop(study, trial):
        if spent[0] + L["max"] * L["price"] > budget + 1e-12:
            study.stop()

    pr = (optuna.pruners.HyperbandPruner(min_resource=1, max_resource=L["max"], reduction_factor=3)
          if pruner_name == "hyperband" else optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3))
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed), pruner=pr)
    t0 = time.time()
    study.optimize(objective, callbacks=[stop], n_trials=10000)
    return trials, time.time() - t0


def to_target(trials, L, key="done"):
    """Money until the first trial that reached the target: at full fidelity
    (key "done"), or at any fidelity, its model trained that far (key "any")."""
    spent = 0.0
    for t in trials:
        spent += t["units"] * L["price"]
        if t[key] and t["acc"] is not None and t["acc"] >= L["target"]:
            return spent
    return None


REUSE = False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("out")
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--learners", default="mlp,hgb")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--full-trials", type=float, default=3)
    ap.add_argument("--reuse", action="store_true", help="read budgetopt's ledgers of an earlier run in OUT_DIR")
    a = ap.parse_args()
    global REUSE
    REUSE = a.reuse
    os.environ["PATH"] = "/usr/bin:" + os.environ.get("PATH", "")
    results = []
    for lname in a.learners.split(","):
        L = LEARNERS[lname]
        budget = a.full_trials * L["max"] * L["price"]
        for seed in [int(s) for s in a.seeds.split(",")]:
            for method in a.methods.split(","):
                tr, wall = budgetopt_side(os.path.abspath(a.binary), os.path.abspath(a.out), lname, L, method, seed, budget)
                results.append((lname, seed, "budgetopt " + method, to_target(tr, L), to_target(tr, L, "any"), sum(t["units"] for t in tr) * L["price"], len(tr), wall))
                print(json.dumps(results[-1]), flush=True)
            for pn in ("hyperband", "successive_halving"):
                tr, wall = optuna_side(lname, L, pn, seed, budget)
                results.append((lname, seed, "optuna tpe+" + pn, to_target(tr, L), to_target(tr, L, "any"), sum(t["units"] for t in tr) * L["price"], len(tr), wall))
                print(json.dumps(results[-1]), flush=True)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    fmt = lambda v: "%.4f" % v if v is not None else "not reached"
    print("\n| learner | seed | method | money to target, full fidelity | money to target, any fidelity | spent | trials | wall s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print("| %s | %d | %s | %s | %s | %.4f | %d | %.0f |" % (r[0], r[1], r[2], fmt(r[3]), fmt(r[4]), r[5], r[6], r[7]))


if __name__ == "__main__":
    main()
