#!/usr/bin/env python3
import json, os, sys
x, y, sc = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
assert sc == os.environ["BUDGETOPT_SCENARIO"], (sc, os.environ["BUDGETOPT_SCENARIO"])
acc = {"clean": x * y, "shifted": x, "noisy": x - 0.25 * y}[sc]
print(json.dumps({"metrics": {"acc": acc}, "usage": {"units": 1}}))
