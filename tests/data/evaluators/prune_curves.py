#!/usr/bin/env python3
# Known learning curves for a pruner: acc(k) = x * k / 4 at steps 1..4,
# with the usage so far in each step line; a trial with x < 0.4 hangs
# after step 2, so that only the pruner ends it (threshold lower 0.2 from
# step 2 stops exactly those, at step 2). Usage: prune_curves.py X
import json, sys, time
x = float(sys.argv[1])
for k in range(1, 5):
    print(json.dumps({"step": k, "metrics": {"acc": x * k / 4}, "usage": {"tokens": 1000 * k}}), flush=True)
    if k == 2 and x < 0.4:
        while True:
            time.sleep(3600)
print(json.dumps({"metrics": {"acc": x}, "usage": {"tokens": 4000}}))
