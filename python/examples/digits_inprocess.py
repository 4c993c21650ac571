#!/usr/bin/env python3
"""Trains scikit-learn digits classifiers in this process under a money
budget, with budgetopt choosing the configurations (python/README.md).

    python3 digits_inprocess.py [LEDGER] [N_TRIALS]
"""
import os
import sys
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

import budgetopt

warnings.filterwarnings("ignore", category=ConvergenceWarning)
HERE = os.path.dirname(os.path.abspath(__file__))
X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)


def train(p):
    """One trial: fit on a share of the training split, score on the test
    split, and say what it used (CPU time, which the price book prices)."""
    t0 = time.process_time()
    n = max(50, int(len(X_train) * p["data_fraction"]))
    if p["family"] == "logreg":
        model = LogisticRegression(C=p["C"], max_iter=300)
    else:
        model = RandomForestClassifier(n_estimators=p["n_estimators"], max_depth=p["max_depth"],
                                       random_state=0, n_jobs=1)
    model.fit(X_train[:n], y_train[:n])
    t1 = time.process_time()
    accuracy = model.score(X_test, y_test)
    latency_ms = (time.process_time() - t1) * 1000 / len(X_test)
    cpu_hours = (time.process_time() - t0) / 3600
    return {"accuracy": accuracy, "latency_ms": latency_ms}, {"cpu_hours": cpu_hours}


def main():
    ledger = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "digits-inprocess.db")
    n_trials = int(sys.argv[2]) if len(sys.argv) > 2 else None
    with budgetopt.Study.load(os.path.join(HERE, "digits.yaml"), storage=ledger) as study:
        told = budgetopt.optimize(study, train, n_trials=n_trials)
        number, accuracy = study.best()
        print(f"{told} trials, spent {study.spent:.4f} {study.currency}")
        print(f"best: trial {number}, accuracy {accuracy:.4f}")
        df = study.trials_dataframe()
        print(df[["number", "values_0", "values_1", "params_family", "user_attrs_cost", "state"]]
              .sort_values("values_0", ascending=False).head(5).to_string(index=False))
        front = study.frontier()
        print(f"frontier: {len(front['frontier'])} configurations")


if __name__ == "__main__":
    main()
