#!/usr/bin/env python3
"""A toy evaluator for examples/robust-scenarios: a classifier's accuracy
and latency as functions of its width and learning rate, under a data
scenario (BUDGETOPT_SCENARIO: clean, shifted or longtail) and a seed
(BUDGETOPT_SEED: the noise of one training run). Nothing outside this
folder is needed."""
import json
import math
import os
import random
import sys

width = int(sys.argv[1])
lr = float(sys.argv[2])
scenario = os.environ.get("BUDGETOPT_SCENARIO", "default")
seed = int(os.environ.get("BUDGETOPT_SEED", "0"))
rng = random.Random(seed * 1000003 + width * 7919 + int(lr * 1e6))

# clean data favours wide models and a mid learning rate; shifted data
# punishes wide models that overfit; long-tail traffic punishes high lr
acc = 0.92 - 0.04 * (math.log10(lr) + 2.5) ** 2 + 0.01 * math.log2(width / 32)
if scenario == "shifted":
    acc -= 0.015 * math.log2(width / 32)
elif scenario == "longtail":
    acc -= 0.05 * max(0.0, math.log10(lr) + 2.0)
acc += rng.gauss(0, 0.004)
latency_ms = 0.4 + 0.01 * width * (1.3 if scenario == "longtail" else 1.0)
print(json.dumps({"metrics": {"accuracy": round(acc, 6), "latency_ms": round(latency_ms, 6)},
                  "usage": {"cpu_hours": 0.002 + width / 2e5}}))
