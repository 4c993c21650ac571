#!/usr/bin/env bash
# tests/uncertain/run-whatif.sh - `budgetopt whatif` and `reprice`: a price change that
# moves the selection and the frontier (worked out by hand below), a ledger
# whose spend is re-stated from stored usage, nothing stored, and bad
# changes as usage errors. Run by CTest as: bash run-whatif.sh BUDGETOPT SOURCE_DIR SCRATCH_DIR
set -u
exe=${1:?usage}
scratch=${3:?usage}
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect() { grep -qF -- "$3" "$2" || { fail "$1: no \"$3\" in:"; cat "$2"; }; }

# Catalog: cost = latency * 1000 * cpu_hours (mean 2 of U(1, 3)), budget
# 4000 at the means: small (2000) and mid (3000) fit, big (5000) does not.
# Halving the price: big costs 2500, fits, and wins on acc.
printf 'name,latency,acc\nsmall,1.0,0.80\nmid,1.5,0.85\nbig,2.5,0.90\n' > cat.csv
cat > study.yaml <<'Y'
name: u
space:
  name: {choice: from_catalog}
inputs:
  qps: 1000
prices:
  cpu_hours: {uniform: [1, 3]}
metrics:
  latency: {}
  acc: {maximize: true}
derived:
  monthly_cost: {expr: "latency * qps * price.cpu_hours", minimize: true}
objectives: [acc, monthly_cost]
guardrails:
  - "monthly_cost <= 4000"
score: "acc"
catalog: {label: name}
Y
"$exe" whatif --catalog cat.csv --study study.yaml --price cpu_hours=-50% > out 2> err || { fail "whatif"; cat err; }
expect price out 'what if: price cpu_hours 2 -> 1'
expect selection out 'selection: before mid (score 0.85), after big (score 0.9)'
expect in out 'frontier in: big'
expect out out 'frontier out: none'
expect stored out 'nothing was stored'
# doubling the demand: only small (4000) still fits; mid leaves the frontier
"$exe" whatif --catalog cat.csv --study study.yaml --input qps=x2 --format json > out 2> err || fail "whatif json"
expect json-sel out '"selected_before": 3, "selected_after": 2'
expect json-out out '"frontier_out": [3]'
# =VALUE
"$exe" whatif --catalog cat.csv --study study.yaml --input qps==500 > out 2> err || fail "whatif =VALUE"
expect value out 'input qps 1000 -> 500'
expect value-sel out 'after big'

# Ledger: four trials, each using 0.5 a100 hours priced at the mean 3
printf '#!/bin/sh\nprintf %s "$1"\n' "'{\"metrics\": {\"acc\": %s}, \"usage\": {\"gpu_hours.a100\": 0.5}}\n'" > eval.sh
cat > run.yaml <<'Y'
name: w
space:
  x: {float: [0.1, 0.9]}
prices:
  gpu_hours: {l4: 0.8, a100: {normal: [3.0, 0.4]}}
metrics:
  acc: {maximize: true}
score: "acc"
budget:
  trials: 4
evaluator:
  command: [sh, eval.sh, "{x}"]
Y
"$exe" run run.yaml > run.out 2>&1 || { fail "run"; cat run.out; }
expect run-spend run.out '6 USD spent'
for k in 1 2; do
	"$exe" whatif run.yaml --price gpu_hours.a100=x2 > out 2> err || fail "whatif ledger $k"
	expect ledger-$k out 'spend: 6 USD recorded, 12 re-priced from stored usage (+6)'
done

# reprice: a new book (a100 ~ U(4, 5), mean 4.5) re-states 6 as 9 and is
# recorded as an event; trials keep their costs; doctor stays healthy
cat > new.yaml <<'Y'
prices:
  version: 2027-01
  gpu_hours: {l4: 0.7, a100: {uniform: [4, 5]}}
Y
"$exe" reprice run.yaml --prices new.yaml > out 2> err || { fail "reprice"; cat err; }
expect reprice-head out 'reprice: price book unversioned -> 2027-01 (new.yaml)'
expect reprice-spend out 'spend: 6 USD recorded, 9 re-priced from stored usage (+3)'
expect reprice-rec out 'recorded: a "reprice" event'
python3 - > ev.out <<'PY' || fail "reading the event"
import sqlite3
c = sqlite3.connect("w.db")
for kind, amount, detail in c.execute("SELECT kind, amount, detail FROM events WHERE kind = 'reprice'"):
    print(kind, amount, detail)
PY
expect reprice-event ev.out 'reprice 9.0 price book 2027-01 (new.yaml, sha256 '
expect reprice-event2 ev.out 'replaces unversioned: spend 6 re-stated as 9 USD'
"$exe" doctor run.yaml > out 2>&1 || { fail "doctor after reprice"; cat out; }
"$exe" whatif run.yaml --price gpu_hours.a100=x2 > out 2> err || fail "whatif after reprice"
expect kept out 'spend: 6 USD recorded'
printf 'prices:\n  gpu_hours: {a100: {normal: [1, -1]}}\n' > bad.yaml
"$exe" reprice run.yaml --prices bad.yaml > out 2> err; rc=$?
[ $rc -eq 2 ] || fail "reprice bad.yaml: exit $rc"
expect reprice-bad err 'bad.yaml:2:34: price "gpu_hours.a100": normal: the sd must be > 0'
"$exe" reprice --catalog cat.csv --study study.yaml --prices new.yaml > out 2> err; rc=$?
[ $rc -eq 2 ] || fail "reprice --catalog: exit $rc"
"$exe" reprice run.yaml > out 2> err; rc=$?
[ $rc -eq 2 ] || fail "reprice without --prices: exit $rc"

# A trial charged its cap: money 2, each trial's usage priced at 1.5; the
# second is held to the 0.5 left (cap_clamped). Recorded 2, stored usage
# priced at the study's own prices 3: a change that moves nothing (l4, not
# used) re-states 3 as 3, not 2 as 3.
cat > cap.yaml <<'Y'
name: c
space:
  x: {float: [0.1, 0.9]}
prices:
  gpu_hours: {l4: 0.8, a100: 3.0}
metrics:
  acc: {maximize: true}
score: "acc"
budget:
  trials: 4
  money: 2
evaluator:
  command: [sh, eval.sh, "{x}"]
Y
"$exe" run cap.yaml > run.out 2>&1 || { fail "run cap.yaml"; cat run.out; }
"$exe" whatif cap.yaml --price gpu_hours.l4=x2 > out 2> err || fail "whatif cap.yaml"
expect capped out 'spend: 2 USD recorded (3 from stored usage at the study'"'"'s prices: a trial charged its cap, or observed prices), 3 re-priced from stored usage (+0)'
"$exe" whatif cap.yaml --price gpu_hours.l4=x2 --format json > out 2> err || fail "whatif cap.yaml json"
expect capped-json out '"spend_before": 2, "spend_before_repriced": 3, "spend_after": 3'

# bad changes (whatif)
for arg in "--price nope=+3%" "--price cpu_hours=+x" "--price cpu_hours=x0" "--price cpu_hours==-1" \
	"--input nope=x2" "--input qps" "--price cpu_hours=-100%"; do
	# shellcheck disable=SC2086
	"$exe" whatif --catalog cat.csv --study study.yaml $arg > out 2> err; rc=$?
	[ $rc -eq 2 ] || fail "whatif $arg: exit $rc, expected 2"
done
"$exe" whatif --catalog cat.csv --study study.yaml > out 2> err; rc=$?
[ $rc -eq 2 ] || fail "whatif without a change: exit $rc"

[ $fails -eq 0 ] && echo ok || echo "$fails failures"
[ $fails -eq 0 ]
