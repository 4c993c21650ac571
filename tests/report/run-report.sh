#!/bin/bash
# tests/report/run-report.sh - `budgetopt report` end to end: runs a small
# real study (an evaluator that sometimes fails, a guardrail some trials
# break, a money budget), writes report.html and report.md, and checks them
# with check_report.py against the ledger itself (sqlite3) and against
# `budgetopt export` and `budgetopt select`. Then the same over a catalog.
#
# usage: run-report.sh <budgetopt program> <source dir> <scratch dir>
set -eu
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=${3:-/tmp/bo-report-test}
rm -rf "$tmp"
mkdir -p "$tmp"
cd "$tmp"

cat > eval.py <<'PY'
#!/usr/bin/env python3
import json, sys
x, fam, n = float(sys.argv[1]), sys.argv[2], int(sys.argv[3])
if x > 0.93:
    sys.exit(3)                      # a failed trial, still charged
acc = 0.6 + 0.35 * x - (0.05 if fam == "lin" else 0.0) + 0.0001 * n
lat = 0.5 + 3.0 * x * x + (0.4 if fam == "tree" else 0.0)
print(json.dumps({"metrics": {"acc": acc, "lat": lat}, "usage": {"tokens": 200 + 900 * x}}))
PY
chmod +x eval.py

cat > study.yaml <<'YAML'
name: report-demo
seed: 13
space:
  x:   {float: [0, 1]}
  fam: {choice: [lin, tree]}
  n:   {int: [1, 64], log: true}
prices:
  version: 2026-11
  currency: USD
  tokens: 0.002
  cpu_hours: 0.05
metrics:
  acc: {maximize: true}
  lat: {}
derived:
  serve_cost: "lat * 1000 * price.cpu_hours"
objectives: [acc, serve_cost]
guardrails:
  - "lat <= 2.5"
score: "acc / serve_cost"
budget:
  money: 40
  trials: 30
evaluator:
  command: [./eval.py, "{x}", "{fam}", "{n}"]
  parallel: 2
sampler: random
YAML

"$bin" run --quiet study.yaml
"$bin" export --format json -o trials.json study.yaml
"$bin" select --format json study.yaml > select.json
"$bin" report study.yaml -o report.html --date "2026-11-29 12:00 UTC" > out.txt
grep -q "wrote report.html" out.txt
mkdir -p md
"$bin" report --format md -o md/report.md --date "2026-11-29 12:00 UTC" study.yaml > /dev/null
python3 "$src/tests/report/check_report.py" run report.html md/report.md report-demo.db trials.json select.json

# A catalog: the same study over rows measured elsewhere.
cat > catalog.csv <<'CSV'
x,fam,n,acc,lat
0.1,lin,4,0.585,0.53
0.5,tree,8,0.775,1.65
0.7,tree,2,0.845,2.37
0.9,lin,16,0.865,2.93
0.3,tree,1,0.705,1.17
0.2,lin,1,,0.62
CSV
"$bin" select --format json --catalog catalog.csv --study study.yaml > cselect.json
"$bin" report --catalog catalog.csv --study study.yaml -o catalog.html --date "2026-11-29 12:00 UTC" > /dev/null
python3 "$src/tests/report/check_report.py" catalog catalog.html catalog.csv cselect.json

# Bad usage is refused.
if "$bin" report --format pdf study.yaml 2> err.txt; then
	echo "--format pdf was accepted"; exit 1
fi
grep -q "html or md" err.txt
echo "report ok"
