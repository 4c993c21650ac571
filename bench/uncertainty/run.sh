#!/usr/bin/env bash
# bench/uncertainty/run.sh - the cost of Monte Carlo in select: N
# configurations (a synthetic catalog) x D draws of an uncertain demand and
# price, with a chance-constrained monthly budget. Prints the wall time of
# select with and without the uncertainty. Usage: run.sh BUDGETOPT [N] [D]
set -eu
exe=${1:?usage: run.sh BUDGETOPT [N] [D]}
n=${2:-10000}
draws=${3:-10000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir" "$n" <<'PY'
import random, sys
d, n = sys.argv[1], int(sys.argv[2])
r = random.Random(7)
with open(d + "/cat.csv", "w") as f:
    f.write("name,latency,acc\n")
    for i in range(n):
        f.write("c%d,%.6g,%.6g\n" % (i, r.uniform(0.2, 3.0), r.uniform(0.5, 0.95)))
for name, inputs, prices, prob in (
        ("point", "  qps: 1000\n", "  cpu_hours: 2\n", ""),
        ("uncertain", "  qps: {lognormal: {median: 1000, p95: 1600}}\n",
         "  cpu_hours: {triangular: [1, 2, 4]}\n", " with probability >= 0.95")):
    open("%s/%s.yaml" % (d, name), "w").write(
        "name: b\nspace:\n  name: {choice: from_catalog}\ninputs:\n" + inputs +
        "prices:\n" + prices + "metrics:\n  latency: {}\n  acc: {maximize: true}\n"
        "derived:\n  monthly: {expr: \"latency * qps * price.cpu_hours\", minimize: true}\n"
        "objectives: [acc, monthly]\nguardrails:\n  - \"monthly <= 4000" + prob + "\"\n"
        "score: acc\ncatalog: {label: name}\nevaluator:\n  command: [\"true\"]\n")
PY
for s in point uncertain; do
	start=$(date +%s.%N)
	"$exe" select --catalog "$dir/cat.csv" --study "$dir/$s.yaml" --draws "$draws" > "$dir/$s.out"
	end=$(date +%s.%N)
	printf '%-10s %6d configurations x %6d draws: %.2f s; %s\n' "$s" "$n" "$draws" \
		"$(echo "$end - $start" | bc)" "$(head -1 "$dir/$s.out")"
done
