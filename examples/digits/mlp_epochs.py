#!/usr/bin/env python3
"""Evaluator for the digits example's multi-fidelity family: a one-hidden-layer
MLP (scikit-learn's MLPClassifier) trained epoch by epoch with partial_fit on
the 8x8 digits bundled with scikit-learn (no download).

After each epoch it prints a step report (budgetopt's evaluator protocol):

    {"step": 3, "metrics": {"val_acc": 0.91}, "usage": {"epochs": 3}}

and at the end the final report {"metrics": {"val_acc": ...}, "usage":
{"epochs": N}}, where "epochs" counts the epochs this trial trained (priced
in the study). When $BUDGETOPT_CHECKPOINT_DIR is set (a study with
`fidelity:`), the model is pickled there after every epoch and loaded when
the script starts, so a promoted trial continues from the epochs its
configuration already trained and pays only for the new ones; pass
--no-resume to train every trial from scratch (charged for every epoch).

Run by hand:  python3 mlp_epochs.py --hidden 64 --lr 0.01 --alpha 1e-4 --epochs 9
It must never write anything but JSON reports to stdout.
"""

import argparse
import json
import os
import pickle
import sys
import warnings

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

SEED = 0
VAL_SHARE = 0.25
BATCH = 64


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, required=True)
    ap.add_argument("--lr", type=float, required=True)
    ap.add_argument("--alpha", type=float, required=True)
    ap.add_argument("--epochs", type=int, required=True)
    ap.add_argument("--no-resume", action="store_true")
    a = ap.parse_args()
    if a.hidden < 1 or a.epochs < 1 or not (a.lr > 0) or not (a.alpha >= 0):
        print("mlp_epochs.py: out of range: %r" % vars(a), file=sys.stderr)
        return 2
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    Xt, Xv, yt, yv = train_test_split(X, y, test_size=VAL_SHARE, random_state=SEED, stratify=y)
    ck = None if a.no_resume else os.environ.get("BUDGETOPT_CHECKPOINT_DIR")
    path = os.path.join(ck, "mlp.pkl") if ck else None
    start, model = 0, None
    if path and os.path.exists(path):
        with open(path, "rb") as f:
            saved = pickle.load(f)
        start, model = saved["epoch"], saved["model"]
    if model is None:
        model = MLPClassifier(hidden_layer_sizes=(a.hidden,), learning_rate_init=a.lr, alpha=a.alpha,
                              batch_size=BATCH, random_state=SEED)
    classes = np.unique(y)
    rng = np.random.RandomState(SEED)
    acc = model.score(Xv, yv) if start else 0.0
    for epoch in range(start + 1, a.epochs + 1):
        order = np.random.RandomState(SEED + epoch).permutation(len(Xt))
        model.partial_fit(Xt[order], yt[order], classes=classes)   # one pass over the data
        acc = float(model.score(Xv, yv))
        if path:
            with open(path + ".tmp", "wb") as f:
                pickle.dump({"epoch": epoch, "model": model}, f)
            os.replace(path + ".tmp", path)
        print(json.dumps({"step": epoch, "metrics": {"val_acc": acc}, "usage": {"epochs": epoch - start}}),
              flush=True)
    del rng
    print(json.dumps({"metrics": {"val_acc": acc}, "usage": {"epochs": max(0, a.epochs - start)}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
