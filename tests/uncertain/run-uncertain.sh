#!/usr/bin/env bash
# tests/uncertain/run-uncertain.sh - uncertain inputs and prices on the
# command line: validate lists every bad distribution with file:line:col
# and warns about "with probability" over nothing uncertain; select and
# frontier show the Monte Carlo mean, quantiles and the probability that
# each guardrail holds; --confidence tightens the choice; bad options are
# usage errors. Expected values are worked out by hand from the small
# catalog below (cost = latency * qps * price, qps ~ N(1000, 100),
# price ~ U(1, 3)). Run by CTest as: bash run-uncertain.sh BUDGETOPT SOURCE_DIR SCRATCH_DIR
set -u
exe=${1:?usage}
scratch=${3:?usage}
mkdir -p "$scratch" && cd "$scratch" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect() { # expect NAME FILE FRAGMENT: FILE contains FRAGMENT
	grep -qF -- "$3" "$2" || { fail "$1: no \"$3\" in:"; cat "$2"; }
}

printf 'name,latency,acc\nsmall,1.0,0.80\nmid,1.5,0.85\nbig,2.5,0.90\n' > cat.csv
cat > study.yaml <<'Y'
name: u
space:
  name: {choice: from_catalog}
inputs:
  qps: {normal: [1000, 100]}
prices:
  cpu_hours: {uniform: [1, 3]}
metrics:
  latency: {}
  acc: {maximize: true}
derived:
  monthly_cost: {expr: "latency * qps * price.cpu_hours", minimize: true}
objectives: [acc, monthly_cost]
guardrails:
  - "monthly_cost <= 4000 with probability >= 0.9"
  - "acc >= 0.5 with probability >= 0.9"
score: "acc"
catalog: {label: name}
evaluator:
  command: ["true"]
Y

# validate: ok, and a warning for the guardrail with nothing uncertain
"$exe" validate study.yaml > out 2> err; rc=$?
[ $rc -eq 0 ] || fail "validate exit $rc"
expect validate-warn err 'study.yaml:16:5: guardrail "acc >= 0.5" says "with probability >= 0.9" but nothing in it is uncertain'

# select: P(cost <= 4000) is P(qps * price <= 4000 / latency): for big
# P(price <= 1600 / qps), about 0.3, for mid P(price <= 2667 / qps),
# about 0.85, for small nearly 1: only small meets 0.9 and wins.
"$exe" select --catalog cat.csv --study study.yaml > out 2> err; rc=$?
[ $rc -eq 0 ] || { fail "select exit $rc"; cat err; }
expect select-pick out 'selected: 2 small'
expect select-mc out 'monthly_cost under uncertainty (10000 draws): mean '
expect select-prob out 'holds monthly_cost <= 4000 with probability '
expect select-certain out 'holds acc >= 0.5 with probability 1 (required >= 0.9)'
expect select-req out '(required >= 0.9)'

# the chance of staying within each guardrail and the --max-cost budget,
# for the selected one and its runners-up: small is the only one whose
# mean cost (about 2000) is within 2500; P(cost <= 2500) for small is
# E[clamp((2500 / qps - 1) / 2, 0, 1)] = 0.75896 (numerical integration
# over qps ~ N(1000, 100)); 10,000 draws: within 5 standard errors (0.0214)
"$exe" select --catalog cat.csv --study study.yaml --max-cost 2500 --perf acc --cost monthly_cost > out 2> err; rc=$?
[ $rc -eq 0 ] || { fail "select --max-cost exit $rc"; cat err; }
expect within-head out 'chance of staying within each guardrail and budget (share of 10000 draws):'
expect within-sel out '    selected small: monthly_cost <= 4000: 1 (required >= 0.9); acc >= 0.5: 1 (required >= 0.9); monthly_cost <= 2500 (--max-cost): '
p=$(sed -n 's/.*monthly_cost <= 2500 (--max-cost): \([0-9.]*\)$/\1/p' out)
awk -v p="$p" 'BEGIN { d = p - 0.75896; exit !(p != "" && d <= 0.0214 && d >= -0.0214) }' ||
	fail "P(within --max-cost 2500) of small: \"$p\", expected 0.75896 +/- 0.0214"
# --confidence 0.5: mid and small qualify; mid is selected, small runs up,
# each with its line; --runners-up 0 leaves only the selected one
"$exe" select --catalog cat.csv --study study.yaml --confidence 0.5 > out 2> err || fail "select --confidence 0.5"
expect within-mid out '    selected mid: monthly_cost <= 4000: '
expect within-runner out '    runner-up 1 small: monthly_cost <= 4000: 1 (required >= 0.5)'
"$exe" select --catalog cat.csv --study study.yaml --confidence 0.5 --runners-up 0 > out 2> err || fail "select --runners-up 0"
grep -q 'runner-up 1 small: monthly' out && fail "--runners-up 0 still lists a runner-up"
"$exe" select --catalog cat.csv --study study.yaml --confidence 0.5 --format json > w.json 2> err || fail "select json within"
expect json-within w.json '"within": [{"guardrail": "monthly_cost <= 4000", "probability": '
expect json-runners w.json '"runners_up": [{"id": 2, "label": "small"'
"$exe" select --catalog cat.csv --study study.yaml --runners-up -1 > out 2> err; rc=$?
[ $rc -eq 2 ] || fail "--runners-up -1: exit $rc, expected 2"

# report: the selected configuration's uncertain values, its chances and
# its runners-up's (the same draws as select's: the same numbers), and
# quantile bands on the frontier chart, one per frontier point (only the
# cost axis is uncertain)
"$exe" select --catalog cat.csv --study study.yaml --confidence 0.5 > sel.out 2> err || fail "select for report"
"$exe" report --catalog cat.csv --study study.yaml --confidence 0.5 --format md -o rep.md --date 2026-12-06 > out 2> err ||
	{ fail "report"; cat err; }
expect report-values rep.md '| value | mean | 5% quantile | 50% quantile | 95% quantile | ranked on |'
expect report-head rep.md '| configuration | P(monthly\_cost \<= 4000), required \>= 0.5 | P(acc \>= 0.5), required \>= 0.5 |'
psel=$(sed -n 's/^    selected mid: monthly_cost <= 4000: \([0-9.]*\) .*/\1/p' sel.out)
prun=$(sed -n 's/^    runner-up 1 small: monthly_cost <= 4000: \([0-9.]*\) .*/\1/p' sel.out)
expect report-sel rep.md "| selected: 3 mid | $psel | 1 |"
expect report-run rep.md "| runner-up: 2 small | $prun | 1 |"
nfront=$(sed -n 's/.*configurations, \([0-9]*\) on the frontier).*/\1/p' out)
nbands=$(sed -n '/class="bands"/,/<\/g>/p' rep-frontier.svg | grep -c '<line')
[ -n "$nfront" ] && [ "$nfront" -gt 0 ] && [ "$nbands" = "$nfront" ] ||
	fail "frontier chart: $nbands quantile bands for $nfront frontier points"
expect report-bands rep-frontier.svg 'bars: 5% to 95% quantiles under uncertainty'

# --confidence 0.8 replaces every guardrail's probability: mid (about
# 0.85) now qualifies and wins on acc; its cost ranks on its 80% quantile
"$exe" select --catalog cat.csv --study study.yaml --confidence 0.8 > out 2> err; rc=$?
[ $rc -eq 0 ] || fail "select --confidence 0.8 exit $rc"
expect confidence-pick out 'selected: 3 mid'
expect confidence-rank out 'ranked on its 80% quantile'
expect confidence-req out '(required >= 0.8)'

# JSON: mean, quantiles and probabilities; the same seed gives the same answer
"$exe" select --catalog cat.csv --study study.yaml --format json --draws 2000 --quantiles 0.1,0.9 > a.json 2> err || fail "select json"
"$exe" select --catalog cat.csv --study study.yaml --format json --draws 2000 --quantiles 0.1,0.9 > b.json 2> err || fail "select json again"
cmp -s a.json b.json || fail "the same seed gave different answers"
expect json-q a.json '"quantiles": {"0.1": '
expect json-p a.json '"probability": '
expect json-d a.json '"draws": 2000'
"$exe" select --catalog cat.csv --study study.yaml --format json --draws 2000 --mc-seed 7 > c.json 2> err || fail "select json seed 7"
cmp -s a.json c.json && fail "another seed gave the same answer"

# frontier: the uncertainty block under the table
"$exe" frontier --catalog cat.csv --study study.yaml > out 2> err || fail "frontier"
expect frontier-block out 'under uncertainty (10000 draws, seed '

# bad options: usage errors
for opt in "--confidence 1" "--confidence 0" "--draws 0" "--draws 2.5" "--quantiles 0.5,1" "--quantiles x" "--mc-seed -1"; do
	# shellcheck disable=SC2086
	"$exe" select --catalog cat.csv --study study.yaml $opt > out 2> err; rc=$?
	[ $rc -eq 2 ] || fail "select $opt: exit $rc, expected 2"
done

# bad distributions: every one listed with its position
cat > bad.yaml <<'Y'
name: b
space:
  x: {float: [0, 1]}
inputs:
  a: {normal: [1, -2]}
  b: {triangular: [3, 1, 2]}
  c: {samples: nothere.csv, column: v}
metrics:
  m: {}
guardrails:
  - "m * a <= 3 with probability >= 1.2"
evaluator:
  command: ["true"]
Y
"$exe" validate bad.yaml > out 2> err; rc=$?
[ $rc -eq 2 ] || fail "validate bad.yaml exit $rc, expected 2"
expect bad-sd err 'bad.yaml:5:19: input "a": normal: the sd must be > 0'
expect bad-tri err 'bad.yaml:6:19: input "b": triangular: need low <= mode <= high'
expect bad-file err 'bad.yaml:7:16: input "c": cannot open samples file nothere.csv'
expect bad-prob err 'bad.yaml:11:37: guardrail: the probability must be between 0 and 1 (exclusive), found 1.2'

[ $fails -eq 0 ] && echo "ok" || echo "$fails failures"
[ $fails -eq 0 ]
