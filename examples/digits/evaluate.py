#!/usr/bin/env python3
"""Evaluator for the digits example: trains one scikit-learn classifier on the
8x8 handwritten-digits set that ships with scikit-learn (no download) and
reports, as one JSON line on stdout (budgetopt's evaluator protocol,
docs: DESIGN.md section 3):

    {"metrics": {"accuracy": ..., "latency_ms": ..., "model_kb": ...}}

  accuracy    share of the fixed, seeded test split classified correctly
  latency_ms  prediction time per row in ms: predict() over the whole test set,
              repeated until more than 50 ms have been measured, divided by
              (repetitions x rows)
  model_kb    size of the pickled model in KiB

The runner measures the trial's CPU time, wall time and memory itself and
prices them, so this script reports no usage.

Parameters arrive as arguments (budgetopt fills "{name}" placeholders); an
empty value means "inactive" (the runner writes "" for a parameter whose
`when` condition is false) and the parameter's default is used. A value given
for a parameter that does not apply to the chosen family is an error, and so
is anything out of range: the script then exits 2 with a message on stderr,
which makes the trial fail with that reason.

Run by hand:  python3 evaluate.py --family forest --n-estimators 50 --max-depth 12
It must never write anything but JSON reports to stdout.
"""

import argparse
import os
import sys

# One thread per trial: the study runs two trials at once, and the runner
# charges CPU time, so hidden thread pools would only add contention.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

SEED = 0            # fixed: the split and every model are seeded with it
TEST_SHARE = 0.25   # of the 1797 digits, 450 are held out for testing
MIN_MEASURE_S = 0.05


def import_sklearn():
    """Imports scikit-learn. Debian's python3-sklearn lives in
    /usr/lib/python3/dist-packages, which a python3 from pyenv or a venv does
    not search; when the import fails there and the interpreter's minor
    version matches the system one, that folder is tried as a last resort."""
    try:
        import sklearn  # noqa: F401
        return
    except ImportError:
        pass
    import glob
    dist = "/usr/lib/python3/dist-packages"
    tag = "cpython-%d%d" % sys.version_info[:2]
    if glob.glob(os.path.join(dist, "sklearn", "__check_build", "*%s*.so" % tag)):
        sys.path.append(dist)
        try:
            import sklearn  # noqa: F401
            return
        except ImportError:
            sys.path.remove(dist)
    sys.stderr.write("evaluate.py: scikit-learn is not installed for %s "
                     "(Debian: apt-get install python3-sklearn)\n" % sys.executable)
    sys.exit(2)


def fail(msg):
    sys.stderr.write("evaluate.py: %s\n" % msg)
    sys.exit(2)


# name -> (families it applies to, parser, default, (lo, hi))
HYPER = {
    "C":             (("logreg",), float, 1.0, (1e-6, 1e6)),
    "n_estimators":  (("forest",), int, 50, (1, 200)),
    "max_depth":     (("forest",), int, 12, (1, 64)),
    "gb_iter":       (("gboost",), int, 50, (1, 150)),
    "learning_rate": (("gboost",), float, 0.1, (1e-4, 1.0)),
    "hidden":        (("mlp",), int, 64, (1, 256)),
    "alpha":         (("mlp",), float, 1e-4, (0.0, 10.0)),
}
FAMILIES = ("logreg", "forest", "gboost", "mlp")


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Train and measure one digits classifier.")
    ap.add_argument("--family", required=True, help="one of " + ", ".join(FAMILIES))
    ap.add_argument("--data-fraction", default="1.0",
                    help="share of the training split used, in (0, 1]")
    for name in HYPER:
        ap.add_argument("--" + name.replace("_", "-"), dest=name, default="",
                        help="applies to %s (default %s); empty = inactive"
                        % ("/".join(HYPER[name][0]), HYPER[name][2]))
    a = ap.parse_args(argv)
    if a.family not in FAMILIES:
        fail("unknown family %r (expected one of %s)" % (a.family, ", ".join(FAMILIES)))
    try:
        frac = float(a.data_fraction) if a.data_fraction != "" else 1.0
    except ValueError:
        fail("--data-fraction: not a number: %r" % a.data_fraction)
    if not (0.0 < frac <= 1.0):
        fail("--data-fraction must be in (0, 1], got %r" % a.data_fraction)
    hp = {}
    for name, (fams, conv, default, (lo, hi)) in HYPER.items():
        text = getattr(a, name)
        if text == "":
            if a.family in fams:
                hp[name] = default
            continue
        if a.family not in fams:
            fail("--%s applies to %s, not to family %s"
                 % (name.replace("_", "-"), "/".join(fams), a.family))
        try:
            # ints may arrive as "12" or "12.0"; refuse "12.5"
            v = float(text)
            if conv is int:
                if v != int(v):
                    raise ValueError
                v = int(v)
        except ValueError:
            fail("--%s: not a%s number: %r"
                 % (name.replace("_", "-"), "n integer" if conv is int else "", text))
        if not (lo <= v <= hi):
            fail("--%s must be in [%g, %g], got %r" % (name.replace("_", "-"), lo, hi, text))
        hp[name] = v
    return a.family, frac, hp


def make_model(family, hp):
    if family == "logreg":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        return make_pipeline(StandardScaler(),
                             LogisticRegression(C=hp["C"], max_iter=300, random_state=SEED))
    if family == "forest":
        from sklearn.ensemble import RandomForestClassifier
        return RandomForestClassifier(n_estimators=hp["n_estimators"], max_depth=hp["max_depth"],
                                      n_jobs=1, random_state=SEED)
    if family == "gboost":
        from sklearn.ensemble import HistGradientBoostingClassifier
        return HistGradientBoostingClassifier(max_iter=hp["gb_iter"],
                                              learning_rate=hp["learning_rate"],
                                              early_stopping=False, random_state=SEED)
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    return make_pipeline(StandardScaler(),
                         MLPClassifier(hidden_layer_sizes=(hp["hidden"],), alpha=hp["alpha"],
                                       max_iter=150, random_state=SEED))


def main(argv):
    family, frac, hp = parse_args(argv)
    import_sklearn()
    import pickle
    import time
    import warnings
    import json
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split

    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=TEST_SHARE, random_state=SEED,
                                              stratify=y)
    if frac < 1.0:
        # A seeded, stratified subset: the same share of every class, and at
        # least 2 rows of each, so every class is present even at 10 %.
        rng = np.random.RandomState(SEED)
        keep = []
        for c in np.unique(y_tr):
            idx = np.flatnonzero(y_tr == c)
            rng.shuffle(idx)
            keep.extend(idx[:max(2, int(round(frac * len(idx))))])
        keep = np.sort(np.asarray(keep))
        X_tr, y_tr = X_tr[keep], y_tr[keep]

    model = make_model(family, hp)
    model.fit(X_tr, y_tr)

    pred = model.predict(X_te)
    accuracy = float(np.mean(pred == y_te))

    reps = 0
    t0 = time.perf_counter()
    elapsed = 0.0
    while elapsed <= MIN_MEASURE_S:
        model.predict(X_te)
        reps += 1
        elapsed = time.perf_counter() - t0
    latency_ms = elapsed * 1000.0 / (reps * len(y_te))

    model_kb = len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)) / 1024.0

    print(json.dumps({"metrics": {"accuracy": accuracy, "latency_ms": latency_ms,
                                  "model_kb": model_kb}}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
