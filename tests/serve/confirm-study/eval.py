#!/usr/bin/env python3
import json, os, random, sys
arm = sys.argv[1]
truth = {"a": 0.80, "b": 0.74, "c": 0.70, "d": 0.62, "e": 0.55}[arm]
rng = random.Random("%s/%s/%s/%s" % (arm, os.environ["BUDGETOPT_SEED"], os.environ["BUDGETOPT_REPEAT"],
                                     os.environ["BUDGETOPT_TRIAL_ID"]))
print(json.dumps({"metrics": {"acc": truth + rng.gauss(0, 0.02)}, "usage": {"tokens": 500}}))
