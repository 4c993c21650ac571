#!/usr/bin/env python3
"""bench/pruning's second learner: scikit-learn's HistGradientBoostingClassifier
on the breast-cancer data bundled with scikit-learn (no download), with the
number of boosting iterations as its fidelity. Trained in chunks with
warm_start, it reports {"step": iterations, "metrics": {"val_acc": ...},
"usage": {"iters": ...}} after each chunk, and pickles the model into
$BUDGETOPT_CHECKPOINT_DIR so that a promoted trial adds iterations instead
of starting again.

Usage: hgb_iters.py --lr X --leaves N --l2 X --iters N
"""
import argparse
import json
import os
import pickle
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

SEED = 0
CHUNK = 3   # iterations between step reports


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lr", type=float, required=True)
    ap.add_argument("--leaves", type=int, required=True)
    ap.add_argument("--l2", type=float, required=True)
    ap.add_argument("--iters", type=int, required=True)
    a = ap.parse_args()
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import train_test_split
    X, y = load_breast_cancer(return_X_y=True)
    Xt, Xv, yt, yv = train_test_split(X, y, test_size=0.3, random_state=SEED, stratify=y)
    ck = os.environ.get("BUDGETOPT_CHECKPOINT_DIR")
    path = os.path.join(ck, "hgb.pkl") if ck else None
    start, model = 0, None
    if path and os.path.exists(path):
        with open(path, "rb") as f:
            saved = pickle.load(f)
        start, model = saved["iters"], saved["model"]
    if model is None:
        model = HistGradientBoostingClassifier(learning_rate=a.lr, max_leaf_nodes=a.leaves, l2_regularization=a.l2,
                                               early_stopping=False, warm_start=True, random_state=SEED)
    acc = float(model.score(Xv, yv)) if start else 0.0
    done = start
    while done < a.iters:
        done = min(a.iters, done + CHUNK)
        model.set_params(max_iter=done)
        model.fit(Xt, yt)
        acc = float(model.score(Xv, yv))
        if path:
            with open(path + ".tmp", "wb") as f:
                pickle.dump({"iters": done, "model": model}, f)
            os.replace(path + ".tmp", path)
        print(json.dumps({"step": done, "metrics": {"val_acc": acc}, "usage": {"iters": done - start}}), flush=True)
    print(json.dumps({"metrics": {"val_acc": acc}, "usage": {"iters": max(0, a.iters - start)}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
