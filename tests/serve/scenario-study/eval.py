#!/usr/bin/env python3
import json, os, sys
fam = sys.argv[1]
scen = os.environ.get("BUDGETOPT_SCENARIO", "default")
acc = {"a": 0.95, "b": 0.90, "c": 0.85}[fam] - (0.1 if scen == "hard" else 0)
lat = {"a": 4, "b": 6, "c": 8}[fam] * (4 if scen == "hard" and fam == "a" else 1)
print(json.dumps({"metrics": {"acc": acc, "latency_ms": lat},
                  "usage": {"cpu_hours": 0.001 * len(scen)}}))
