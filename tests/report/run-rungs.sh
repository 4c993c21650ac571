#!/bin/bash
# tests/report/run-rungs.sh - multi-fidelity and pruning on every surface:
# a study with a pruner, one with an ASHA fidelity and one with neither,
# each run with a scripted evaluator of known learning curves; then
# `status` (text and JSON), `export --summary`, `report` (HTML and
# Markdown) and the dashboard's /api/status are checked by check_rungs.py
# against the ledger itself (sqlite3), never against the program's output.
#
# usage: run-rungs.sh <budgetopt program> <source dir> <scratch dir>
set -eu
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=${3:-/tmp/bo-rungs-test}
rm -rf "$tmp"
mkdir -p "$tmp/prune" "$tmp/asha" "$tmp/plain"

# Pruner: acc(k) = x * k / 4 with usage so far in each step line; a trial
# with x < 0.4 hangs after step 2 (only the pruner ends it): threshold
# lower 0.2 from step 2 stops exactly those (x * 2 / 4 < 0.2), at step 2.
# The evaluator is shared with tests/browser/cdp.py.
cp "$src/tests/data/evaluators/prune_curves.py" "$tmp/prune/eval.py"
cat > "$tmp/prune/study.yaml" <<'YAML'
name: rungs-prune
seed: 5
space:
  x: {float: [0, 1]}
prices:
  version: p1
  currency: EUR
  tokens: 0.00123
metrics:
  acc: {maximize: true}
objectives: [acc]
score: acc
budget: {trials: 10}
pruner: {threshold: {lower: 0.2, warmup_steps: 2}}
evaluator:
  command: [./eval.py, "{x}"]
  parallel: 2
sampler: random
YAML

# ASHA over epochs (1, 3, 9): acc(k) = x (1 - exp(-k / (1 + 4x))), resumed
# from its checkpoint, paying for the epochs it adds.
cat > "$tmp/asha/eval.py" <<'PY'
#!/usr/bin/env python3
import json, math, os, sys
x, epochs = float(sys.argv[1]), int(sys.argv[2])
ck = os.environ["BUDGETOPT_CHECKPOINT_DIR"]
state = os.path.join(ck, "state.json")
start = json.load(open(state))["epoch"] if os.path.exists(state) else 0
acc = lambda k: x * (1 - math.exp(-k / (1 + 4 * x)))
for k in range(start + 1, epochs + 1):
    with open(state + ".tmp", "w") as f:
        json.dump({"epoch": k}, f)
    os.replace(state + ".tmp", state)
    print(json.dumps({"step": k, "metrics": {"acc": acc(k)}}), flush=True)
print(json.dumps({"metrics": {"acc": acc(epochs)}, "usage": {"epochs": epochs - start}}))
PY
cat > "$tmp/asha/study.yaml" <<'YAML'
name: rungs-asha
seed: 7
space:
  x: {float: [0.1, 1]}
  epochs: {int: [1, 9]}
prices:
  epochs: 0.0137
metrics:
  acc: {maximize: true}
objectives: [acc]
budget: {trials: 16}
fidelity: {param: epochs, min: 1, max: 9, eta: 3}
evaluator:
  command: [./eval.py, "{x}", "{epochs}"]
  parallel: 1
sampler: random
YAML

# Neither: step lines too, so that only the study decides what is shown.
cat > "$tmp/plain/eval.py" <<'PY'
#!/usr/bin/env python3
import json, sys
x = float(sys.argv[1])
for k in range(1, 3):
    print(json.dumps({"step": k, "metrics": {"acc": x * k / 2}}), flush=True)
print(json.dumps({"metrics": {"acc": x}, "usage": {"tokens": 100 + 1000 * x}}))
PY
cat > "$tmp/plain/study.yaml" <<'YAML'
name: rungs-plain
seed: 3
space:
  x: {float: [0, 1]}
prices:
  tokens: 0.001
metrics:
  acc: {maximize: true}
objectives: [acc]
score: acc
budget: {trials: 5}
evaluator:
  command: [./eval.py, "{x}"]
sampler: random
YAML

chmod +x "$tmp"/*/eval.py
for d in prune asha plain; do
	(cd "$tmp/$d" && "$bin" run --quiet study.yaml)
done
exec python3 "$src/tests/report/check_rungs.py" "$bin" "$tmp"
