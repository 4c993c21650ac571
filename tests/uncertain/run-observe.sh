#!/usr/bin/env bash
# tests/uncertain/run-observe.sh - `budgetopt observe`: observations are
# recorded in the ledger as dated "observe" events; select and status use
# the conjugate update of the observed entry (checked against the
# precision-weighted form of the posterior, computed here), status says
# whether the recommendation changed; entries without a conjugate rule and
# bad values are usage errors. Run by CTest as: bash run-observe.sh BUDGETOPT SOURCE_DIR SCRATCH_DIR
set -u
exe=${1:?usage}
scratch=${3:?usage}
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect() { grep -qF -- "$3" "$2" || { fail "$1: no \"$3\" in:"; cat "$2"; }; }
py=/usr/bin/python3

# acc = lat = x; cost = lat * qps, qps ~ N(1000, 100); guardrail cost <=
# 600 at the means: the recommendation is the largest x whose x * E[qps]
# is at most 600
printf '#!/bin/sh\nprintf %s "$1" "$1"\n' "'{\"metrics\": {\"acc\": %s, \"lat\": %s}}\n'" > eval.sh
cat > study.yaml <<'Y'
name: obs
seed: 3
space:
  x: {float: [0.1, 0.9]}
inputs:
  qps: {normal: [1000, 100]}
  span: {uniform: [1, 2]}
prices:
  cpu_hours: {lognormal: {median: 2, p95: 3}}
  flat: 5
metrics:
  acc: {maximize: true}
  lat: {}
derived:
  cost: "lat * qps"
guardrails:
  - "cost <= 600"
score: "acc"
budget:
  trials: 10
evaluator:
  command: [sh, eval.sh, "{x}"]
sampler: sobol
Y
"$exe" run study.yaml > run.out 2>&1 || { fail "run"; cat run.out; }

# the recommendation before and after observations 400 and 520 of qps,
# from the trials' x and the posterior mean in precision-weighted form:
# prior N(1000, 100^2), each observation N(level, 100^2):
# mean = (1000 / 100^2 + (400 + 520) / 100^2) / (1 / 100^2 + 2 / 100^2)
$py - > want.txt <<'PY'
import json, sqlite3
c = sqlite3.connect("obs.db")
xs = [(json.loads(p)["x"], i) for i, p in c.execute(
    "SELECT id, params_json FROM trials WHERE state = 'complete'")]
def best(q):
    ok = [(x, i) for x, i in xs if x * q <= 600]
    return max(ok)[1] if ok else None
tau2 = 100.0 ** 2
post = (1000 / tau2 + (400 + 520) / tau2) / (1 / tau2 + 2 / tau2)
print(best(1000), best(post), "%.6g" % post, "%.6g" % (1 / (1 / tau2 + 2 / tau2)) ** 0.5)
PY
read -r before after pmean psd < want.txt
[ "$before" != "$after" ] || fail "the trials do not let an observation change the recommendation: $(cat want.txt)"

"$exe" status study.yaml > out 2> err || fail "status before"
grep -q '^observed' out && fail "status speaks of observations before any"
"$exe" observe study.yaml input qps=400 > out 2> err || { fail "observe"; cat err; }
expect observe-1 out 'recorded input qps=400: now normal [700, 70.7107], mean 700'
"$exe" observe study.yaml input qps=520 > out 2> err || { fail "observe 2"; cat err; }
expect observe-2 out "recorded input qps=520: now normal [$pmean, $psd], mean $pmean"
expect observe-n out '2 observations in the ledger'
$py - > ev.out <<'PY' || fail "reading the events"
import sqlite3
for k, a, d in sqlite3.connect("obs.db").execute("SELECT kind, amount, detail FROM events WHERE kind = 'observe' ORDER BY id"):
    print(k, a, d)
PY
expect event-1 ev.out 'observe 400.0 input qps'
expect event-2 ev.out 'observe 520.0 input qps'

"$exe" status study.yaml > out 2> err || fail "status after"
expect status out "observed 2 observations (newest: input qps=520 on "
expect status-change out "the recommendation changed: trial $before before them, trial $after with them"
"$exe" select study.yaml > out 2> err || fail "select after"
expect select-after out "selected: $after "

# a lognormal price: the same on logarithms; median 2 and p95 3 with one
# observation 2.5: mu = (ln 2 + ln 2.5) / 2, sigma = ln(1.5) / z95 / sqrt(2)
"$exe" observe study.yaml price cpu_hours=2.5 > out 2> err || { fail "observe lognormal"; cat err; }
want=$($py -c 'import math; mu = (math.log(2) + math.log(2.5)) / 2; s = math.log(1.5) / 1.6448536269514722 / math.sqrt(2); print("now lognormal {median: %.6g, p95: %.6g}" % (math.exp(mu), math.exp(mu + 1.6448536269514722 * s)))')
expect observe-ln out "recorded price cpu_hours=2.5: $want"

# bad observations: usage errors, nothing recorded
n0=$($py -c 'import sqlite3; print(sqlite3.connect("obs.db").execute("SELECT count(*) FROM events WHERE kind = '"'"'observe'"'"'").fetchone()[0])')
for args in "input span=1.5" "price flat=4" "input nope=3" "input qps=abc" "price cpu_hours=0" "price cpu_hours=-1" \
	"input qps" "cost qps=3" "input qps=400 nope=2"; do
	# shellcheck disable=SC2086
	"$exe" observe study.yaml $args > out 2> err; rc=$?
	[ $rc -eq 2 ] || fail "observe $args: exit $rc, expected 2"
done
"$exe" observe study.yaml input span=1.5 > out 2> err
expect no-rule err 'input "span" is uniform: observations update normal and lognormal entries only'
n1=$($py -c 'import sqlite3; print(sqlite3.connect("obs.db").execute("SELECT count(*) FROM events WHERE kind = '"'"'observe'"'"'").fetchone()[0])')
[ "$n0" = "$n1" ] || fail "a refused observation was recorded ($n0 -> $n1)"

[ $fails -eq 0 ] && echo "ok" || echo "$fails failures"
[ $fails -eq 0 ]
