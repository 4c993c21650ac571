#!/usr/bin/env python3
"""Trains scikit-learn MLPs on the digits epoch by epoch in this process,
reporting the validation accuracy after each epoch, and lets the study's
pruner stop the hopeless ones (python/README.md). Runs the same search
without pruning too, and prints what pruning saved.

    python3 digits_prune.py [LEDGER]
"""
import os
import re
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

import budgetopt

warnings.filterwarnings("ignore", category=ConvergenceWarning)
HERE = os.path.dirname(os.path.abspath(__file__))
STUDY = os.path.join(HERE, "digits_prune.yaml")
EPOCHS = 30
X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3, random_state=0)
CLASSES = np.unique(y)
epochs_trained = [0]    # epochs of the current search (the machine's load does not change it)


def train(trial):
    """One trial: an epoch at a time, report, stop when told to."""
    p = trial.params
    mlp = MLPClassifier(hidden_layer_sizes=(int(p["hidden"]),), learning_rate_init=p["lr"],
                        alpha=p["alpha"], batch_size=64, random_state=trial.number)
    t0 = time.process_time()
    acc = 0.0
    for epoch in range(1, EPOCHS + 1):
        mlp.partial_fit(X_train, y_train, classes=CLASSES)
        epochs_trained[0] += 1
        acc = mlp.score(X_val, y_val)
        trial.report(epoch, val_acc=acc, usage={"cpu_hours": (time.process_time() - t0) / 3600})
        if trial.should_prune():
            raise budgetopt.TrialPruned()
    return {"val_acc": acc}, {"cpu_hours": (time.process_time() - t0) / 3600}


def search(study):
    epochs_trained[0] = 0
    told = budgetopt.optimize(study, train, pass_trial=True)
    best = study.best()
    return told, study.spent, best[1] if best else float("nan"), epochs_trained[0]


def main():
    ledger = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "digits-prune.db")
    with budgetopt.Study.load(STUDY, storage=ledger) as study:
        told, spent, best, epochs = search(study)
        pruned = sum(1 for t in study.trials() if t.get("state") == "pruned")
        currency = study.currency
    with open(STUDY, encoding="utf-8") as f:
        text = re.sub(r"(?m)^pruner:.*$", "pruner: none", f.read())
    with budgetopt.Study.from_text(text, name="digits_prune.yaml") as plain:
        told0, spent0, best0, epochs0 = search(plain)
    print(f"with pruning:    {told} trials ({pruned} pruned), {epochs} epochs, spent {spent:.5f} "
          f"{currency}, best val_acc {best:.4f}")
    print(f"without pruning: {told0} trials, {epochs0} epochs, spent {spent0:.5f} {currency}, "
          f"best val_acc {best0:.4f}")
    # The money is CPU time, which the machine's load moves; the epochs are not.
    if spent > 0 and epochs > 0:
        print(f"pruning trained {epochs0 / epochs:.2f}x fewer epochs and spent {spent0 / spent:.2f}x less")


if __name__ == "__main__":
    main()
