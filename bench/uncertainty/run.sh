#!/usr/bin/env bash
# bench/uncertainty/run.sh - two measurements of deciding under uncertain
# demand and prices, on a synthetic catalog of N configurations (latency
# per request uniform at random, accuracy rising with it plus noise, seed 7) served at an
# uncertain demand qps ~ lognormal(median 1000, p95 1600) and an uncertain
# price cpu_hours ~ triangular(1, 2, 4), with a monthly budget
# "latency * qps * price.cpu_hours <= 4000":
#
# 1. The cost of Monte Carlo: the wall time of `select` over N
#    configurations x D draws (target: under 2 s at 10^4 x 10^4), beside
#    the same select without uncertainty, and with --confidence 0.95 (one
#    quantile per configuration) in JSON.
# 2. What the chance constraint buys: the configuration a point-estimate
#    select picks (the budget judged at the means) against the one the
#    chance-constrained select picks ("... with probability >= 0.95"),
#    each priced in F simulated futures of demand and price drawn
#    independently of budgetopt (numpy, seed 11): the share of futures in
#    which each overruns the budget (target for the chance-constrained
#    one: <= 5% +/- 1%) and the accuracy given up for it.
#
# Usage: run.sh BUDGETOPT [N] [D] [F]   (defaults 10000 10000 10000)
# Needs Debian's /usr/bin/python3 with numpy. Writes only to a temporary
# folder, removed at the end.
set -eu
exe=${1:?usage: run.sh BUDGETOPT [N] [D] [F]}
n=${2:-10000}
draws=${3:-10000}
futures=${4:-10000}
py=/usr/bin/python3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
$py - "$dir" "$n" <<'PY'
import math, random, sys
d, n = sys.argv[1], int(sys.argv[2])
r = random.Random(7)
with open(d + "/cat.csv", "w") as f:
    f.write("name,latency,acc\n")
    for i in range(n):
        # slower models are more accurate, with noise: the best accuracy
        # within the budget sits at its edge, where uncertainty matters
        lat = r.uniform(0.2, 3.0)
        acc = 0.5 + 0.4 * (1 - math.exp(-lat / 1.2)) + r.gauss(0, 0.01)
        f.write("c%d,%.6g,%.6g\n" % (i, lat, acc))
for name, inputs, prices, prob in (
        ("point", "  qps: 1000\n", "  cpu_hours: 2\n", ""),
        ("means", "  qps: {lognormal: {median: 1000, p95: 1600}}\n",
         "  cpu_hours: {triangular: [1, 2, 4]}\n", ""),
        ("uncertain", "  qps: {lognormal: {median: 1000, p95: 1600}}\n",
         "  cpu_hours: {triangular: [1, 2, 4]}\n", " with probability >= 0.95")):
    open("%s/%s.yaml" % (d, name), "w").write(
        "name: b\nspace:\n  name: {choice: from_catalog}\ninputs:\n" + inputs +
        "prices:\n" + prices + "metrics:\n  latency: {}\n  acc: {maximize: true}\n"
        "derived:\n  monthly: {expr: \"latency * qps * price.cpu_hours\", minimize: true}\n"
        "objectives: [acc, monthly]\nguardrails:\n  - \"monthly <= 4000" + prob + "\"\n"
        "score: acc\ncatalog: {label: name}\nevaluator:\n  command: [\"true\"]\n")
PY

# 1. time
timed() {   # label, then the command
	local label=$1 start end
	shift
	start=$(date +%s.%N)
	"$@" > "$dir/$label.out"
	end=$(date +%s.%N)
	printf '%-22s %6d configurations x %6d draws: %.2f s\n' "$label" "$n" "$draws" \
		"$(echo "$end - $start" | bc)"
}
timed point "$exe" select --catalog "$dir/cat.csv" --study "$dir/point.yaml"
timed chance "$exe" select --catalog "$dir/cat.csv" --study "$dir/uncertain.yaml" --draws "$draws"
timed chance-confidence-json "$exe" select --catalog "$dir/cat.csv" --study "$dir/uncertain.yaml" \
	--draws "$draws" --confidence 0.95 --format json
timed frontier-json "$exe" frontier --catalog "$dir/cat.csv" --study "$dir/uncertain.yaml" \
	--draws "$draws" --format json

# 2. futures
"$exe" select --catalog "$dir/cat.csv" --study "$dir/means.yaml" --draws "$draws" \
	--format json > "$dir/sel-point.json"
"$exe" select --catalog "$dir/cat.csv" --study "$dir/uncertain.yaml" --draws "$draws" \
	--format json > "$dir/sel-chance.json"
$py - "$dir" "$futures" <<'PY'
import json, math, sys
import numpy as np
d, nf = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(11)
sigma = math.log(1600 / 1000) / 1.6448536269514722
qps = rng.lognormal(math.log(1000), sigma, nf)
price = rng.triangular(1, 2, 4, nf)
budget = 4000.0
rows = []
for name in ("point", "chance"):
    sel = json.load(open("%s/sel-%s.json" % (d, name)))["selected"]
    lat, acc = sel["metrics"]["latency"], sel["metrics"]["acc"]
    over = float(np.mean(lat * qps * price > budget))
    se = math.sqrt(over * (1 - over) / nf)
    p = sel["uncertain"]["guardrails"][0]["probability"]
    rows.append((name, sel["label"], lat, acc, over, se, p))
    print("%-6s select: %-7s latency %.4g acc %.4g, P(within) stated %.4f; overruns the budget "
          "in %.2f%% +/- %.2f%% of %d futures" % (name, sel["label"], lat, acc, p, 100 * over,
                                                  100 * se, nf))
(_, _, _, acc_p, over_p, _, _), (_, _, _, acc_c, over_c, _, _) = rows
print("chance-constrained overrun %.2f%% (target <= 5%% +/- 1%%: %s); point estimate %.2f%%; "
      "accuracy given up %.4g (%.2f%% of the point choice's)" % (
          100 * over_c, "met" if over_c <= 0.06 else "MISSED", 100 * over_p, acc_p - acc_c,
          100 * (acc_p - acc_c) / acc_p))
PY
