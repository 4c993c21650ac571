#!/usr/bin/env python3
"""tests/optuna/make_fixtures.py - Optuna studies for the import-optuna test,
made by Optuna itself at test time, and Optuna's own view of them.

usage: make_fixtures.py OUT_DIR

Writes OUT_DIR/optuna.db (SQLite storage) with the studies below, and for
each study S: OUT_DIR/S.json (its trials as Optuna reports them: number,
state, values, params in their external form, user attributes,
constraints, datetimes, intermediate values) and OUT_DIR/S.csv
(study.trials_dataframe().to_csv(index=False)).
"""
import json
import math
import os
import sys
import warnings

import optuna
from optuna.distributions import (CategoricalDistribution, DiscreteUniformDistribution,
                                  FloatDistribution, IntDistribution, IntLogUniformDistribution,
                                  IntUniformDistribution, LogUniformDistribution,
                                  UniformDistribution)

warnings.simplefilter("ignore")
optuna.logging.set_verbosity(optuna.logging.ERROR)
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
storage = "sqlite:///" + os.path.join(out, "optuna.db")


def every_dist(trial):
    """Single objective: every distribution, a define-by-run branch, attrs."""
    family = trial.suggest_categorical("family", ["svm", "forest", 7, None, True, 2.5])
    x = trial.suggest_float("x", -2.385, 3.25)
    lr = trial.suggest_float("lr", 1e-4, 0.3, log=True)
    q = trial.suggest_float("q", 0.0, 1.0, step=0.125)
    n = trial.suggest_int("n", 1, 9)
    m = trial.suggest_int("m", 2, 64, log=True)
    k = trial.suggest_int("k", 0, 12, step=3)
    w = trial.suggest_int("w", 0, 5 + trial.number % 3)   # a range that changes
    c = 0.0
    if family == "svm":
        c = trial.suggest_float("svm_c", 0.01, 100.0, log=True)
    trial.set_user_attr("cost", 0.125 + 0.01 * n)
    trial.set_user_attr("gpu_h", 0.25 * m / 64)
    trial.set_user_attr("note", "a string attribute")
    v = (x - 0.5) ** 2 + math.log(lr) ** 2 / 10 + q + n / 9 + k / 12 + c / 100 + w / 50
    for step in range(3):
        trial.report(v + 1.0 / (step + 1), step)
    if trial.number == 4:
        raise optuna.TrialPruned()
    if trial.number == 5:
        raise ValueError("boom in trial 5")
    if trial.number == 6:
        return float("inf")
    return v


def multi(trial):
    """Two objectives under constraints (NSGA-II's constraints_func)."""
    x = trial.suggest_float("x", 0.0, 5.0)
    y = trial.suggest_float("y", 0.0, 3.0)
    trial.set_user_attr("cost", 0.5 + x / 10)
    trial.set_user_attr("gpu_h", 0.75)
    trial.set_user_attr("c0", x + y - 5.0)
    trial.set_user_attr("c1", 1.5 - y)
    if trial.number == 3:
        raise ValueError("boom")
    if trial.number == 5:
        raise optuna.TrialPruned()
    return 4 * x * x + 4 * y * y, (x - 5) ** 2 + (y - 5) ** 2


def constraints(trial):
    return (trial.user_attrs["c0"], trial.user_attrs["c1"])


s1 = optuna.create_study(study_name="every-dist", storage=storage,
                         sampler=optuna.samplers.RandomSampler(seed=11))
s1.optimize(every_dist, n_trials=14, catch=(ValueError,))
# Legacy distribution classes, as older Optuna versions stored them.
s1.add_trial(optuna.trial.create_trial(
    params={"family": "forest", "x": 0.25, "lr": 0.01, "q": 0.5, "n": 3, "m": 8, "k": 6},
    distributions={"family": CategoricalDistribution(["svm", "forest", 7, None, True, 2.5]),
                   "x": UniformDistribution(-2.385, 3.25),
                   "lr": LogUniformDistribution(1e-4, 0.3),
                   "q": DiscreteUniformDistribution(0.0, 1.0, 0.125),
                   "n": IntUniformDistribution(1, 9),
                   "m": IntLogUniformDistribution(2, 64),
                   "k": IntUniformDistribution(0, 12, step=3)},
    value=1.75, user_attrs={"cost": 0.5}))
running = s1.ask()          # left RUNNING
running.suggest_float("x", -2.385, 3.25)
s1.enqueue_trial({"x": 1.0})   # WAITING

s2 = optuna.create_study(study_name="multi", storage=storage, directions=["minimize", "maximize"],
                         sampler=optuna.samplers.NSGAIISampler(seed=5, population_size=4,
                                                               constraints_func=constraints))
s2.optimize(multi, n_trials=12, catch=(ValueError,))

for st in (s1, s2):
    st = optuna.load_study(study_name=st.study_name, storage=storage)
    trials = []
    for t in st.get_trials(deepcopy=False):
        trials.append({
            "number": t.number,
            "state": t.state.name,
            "values": t.values,
            "params": t.params,
            "user_attrs": t.user_attrs,
            "constraints": t.system_attrs.get("constraints"),
            "datetime_start": str(t.datetime_start) if t.datetime_start else None,
            "datetime_complete": str(t.datetime_complete) if t.datetime_complete else None,
            "intermediate_values": {str(k): v for k, v in t.intermediate_values.items()},
        })
    with open(os.path.join(out, st.study_name + ".json"), "w") as f:
        json.dump({"directions": [d.name for d in st.directions], "trials": trials}, f,
                  indent=1, allow_nan=True)
    st.trials_dataframe().to_csv(os.path.join(out, st.study_name + ".csv"), index=False)
print("fixtures in", out)
