#!/bin/bash
# tests/optuna/run-import.sh - `budgetopt import-optuna` and `export
# --format optuna-csv` against Optuna 3.1 itself: make_fixtures.py makes
# studies with Optuna (every distribution, legacy ones, a define-by-run
# branch, multi-objective, constraints, failed, pruned, running and
# waiting trials, cost in user attributes) and dumps Optuna's view of them;
# check_import.py compares the imported ledger with it. Then the other
# commands on the imported ledger, a resumed run, and bad input.
# Skips (77) when no Python with optuna and pandas is installed.
#
# usage: run-import.sh <budgetopt program> <source dir> <scratch dir>
set -eu
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=${3:-/tmp/bo-optuna-test}
rm -rf "$tmp"
mkdir -p "$tmp"
cd "$tmp"

py=""
for p in python3 /usr/bin/python3; do
	if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import optuna, pandas' >/dev/null 2>&1; then
		py=$p
		break
	fi
done
if [ -z "$py" ]; then
	echo "SKIP: no python3 with optuna and pandas (apt-get install python3-optuna python3-pandas)"
	exit 77
fi

fail=0
bad() { echo "FAIL: $*"; fail=1; }

"$py" "$src/tests/optuna/make_fixtures.py" fx
sum_before=$(sha256sum fx/optuna.db | cut -d' ' -f1)

for st in every-dist multi; do
	mkdir -p "$st"
	if ! "$bin" import-optuna "sqlite:///fx/optuna.db" --study "$st" --to "$st/study.yaml" \
		>"$st/import.out" 2>"$st/import.err"; then
		bad "$st: import-optuna failed: $(cat "$st/import.err")"
		continue
	fi
	cat "$st/import.out" "$st/import.err"
	"$bin" validate "$st/study.yaml" || bad "$st: the written study file does not validate"
	"$bin" export --format json "$st/study.yaml" >"$st/export.json" || bad "$st: export json"
	"$bin" export --format optuna-csv "$st/study.yaml" >"$st/export.csv" || bad "$st: export optuna-csv"
	"$py" "$src/tests/optuna/check_import.py" "fx/$st.json" "fx/$st.csv" "$st/export.json" \
		"$st/export.csv" "$st/$st.db" || bad "$st: imported trials differ from Optuna's"
	# Every command reads the imported ledger like any other.
	n=$("$py" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["trials"]))' "fx/$st.json")
	"$bin" status "$st/study.yaml" >"$st/status.out" || bad "$st: status"
	grep -Eq "^trials +$n( of [0-9]+)?:" "$st/status.out" || bad "$st: status does not count $n trials: $(cat "$st/status.out")"
	"$bin" frontier --format json "$st/study.yaml" >"$st/frontier.json" || bad "$st: frontier"
	sel=""
	[ "$st" = multi ] && sel="--lexicographic=-values_0,+values_1"
	"$bin" select --format json $sel "$st/study.yaml" >"$st/select.json" || bad "$st: select"
	"$bin" report -o "$st/report.html" "$st/study.yaml" >/dev/null || bad "$st: report"
	[ -s "$st/report.html" ] || bad "$st: no report written"
	"$bin" doctor "$st/study.yaml" >"$st/doctor.out" || bad "$st: doctor finds problems: $(cat "$st/doctor.out")"
done

# The frontier of the imported multi-objective study is Optuna's Pareto
# front of its feasible trials.
"$py" - fx/multi.json multi/frontier.json <<'PY' || bad "multi: frontier differs from Optuna's Pareto front"
import json, sys
trials = json.load(open(sys.argv[1]))["trials"]
feasible = [t for t in trials if t["state"] == "COMPLETE"
            and all(c <= 0 for c in (t["constraints"] or [1]))]
def dominated(a, b):  # b dominates a (minimize 0, maximize 1)
    a, b = a["values"], b["values"]
    return b[0] <= a[0] and b[1] >= a[1] and (b[0] < a[0] or b[1] > a[1])
front = sorted(t["number"] + 1 for t in feasible if not any(dominated(t, u) for u in feasible))
f = json.load(open(sys.argv[2]))
rows = f["frontier"] if isinstance(f, dict) else f
got = sorted(r["id"] for r in rows)
print("optuna front", front, "budgetopt frontier", got)
sys.exit(0 if got == front else 1)
PY

# select picks Optuna's best_trial in a single-objective study.
"$py" - fx/every-dist.json every-dist/select.json <<'PY' || bad "every-dist: select does not pick Optuna's best trial"
import json, math, sys
# The best finite value (Optuna 3.1's RDB best_trial sorts an infinite
# value, stored as NULL, first: that is not copied).
trials = json.load(open(sys.argv[1]))["trials"]
done = [t for t in trials if t["state"] == "COMPLETE" and math.isfinite(t["values"][0])]
best = min(done, key=lambda t: t["values"][0])
got = json.load(open(sys.argv[2]))
sel = got.get("selected", got)
print("optuna best", best["number"] + 1, "budgetopt select", sel.get("id"))
sys.exit(0 if sel.get("id") == best["number"] + 1 else 1)
PY

# A search moved over goes on: give the study an evaluator and two more trials.
cat >multi/eval.py <<'PY'
import json, os
p = json.loads(os.environ["BUDGETOPT_PARAMS"])
x, y = p["x"], p["y"]
print(json.dumps({"metrics": {"values_0": 4 * x * x + 4 * y * y, "values_1": (x - 5) ** 2 + (y - 5) ** 2,
                              "constraint_0": x + y - 5, "constraint_1": 1.5 - y}}))
PY
n=$("$py" -c 'import json; print(len(json.load(open("fx/multi.json"))["trials"]))')
"$py" - multi/study.yaml "$py" $((n + 2)) <<'PY'
import re, sys
path, py, trials = sys.argv[1], sys.argv[2], sys.argv[3]
t = open(path).read()
t = re.sub(r"  command: \[.*\]", "  command: [%s, eval.py]" % py, t)
t += "budget:\n  trials: %s\n" % trials
open(path, "w").write(t)
PY
"$bin" run multi/study.yaml >multi/run.out 2>&1 || bad "multi: run on the imported ledger failed: $(tail -5 multi/run.out)"
"$bin" status multi/study.yaml >multi/status2.out
grep -Eq "^trials +$((n + 2))( of [0-9]+)?:" multi/status2.out || bad "multi: resumed run did not add 2 trials: $(cat multi/status2.out)"
"$bin" doctor multi/study.yaml >/dev/null || bad "multi: doctor after the resumed run"

# Bad input: clean errors (exit 2), no crash, nothing left behind.
expect_error() {   # expect_error NAME PATTERN -- command...
	local name=$1 pat=$2 rc=0
	shift 3
	"$@" >"bad-$name.out" 2>"bad-$name.err" || rc=$?
	if [ "$rc" != 2 ]; then
		bad "$name: exit $rc, want 2: $(cat "bad-$name.err")"
	elif ! grep -q "$pat" "bad-$name.err"; then
		bad "$name: message does not say \"$pat\": $(cat "bad-$name.err")"
	fi
}
mkdir -p badout
expect_error unknown-study 'no Optuna study named "nope"' -- \
	"$bin" import-optuna sqlite:///fx/optuna.db --study nope --to badout/a.yaml
grep -q '"every-dist"' bad-unknown-study.err || bad "unknown study: the message does not list the studies"
expect_error missing-file 'no such Optuna storage' -- \
	"$bin" import-optuna sqlite:///fx/missing.db --study multi --to badout/a.yaml
expect_error not-optuna 'not an Optuna storage' -- \
	"$bin" import-optuna "sqlite:///multi/multi.db" --study multi --to badout/a.yaml
printf 'not a database at all\n' >garbage.db
expect_error garbage 'not an Optuna storage' -- \
	"$bin" import-optuna garbage.db --study multi --to badout/a.yaml
cp fx/optuna.db newer.db
sqlite3 newer.db "UPDATE alembic_version SET version_num = 'v9.9.9.z'" 2>/dev/null ||
	"$py" -c 'import sqlite3; c = sqlite3.connect("newer.db"); c.execute("UPDATE alembic_version SET version_num = ?", ("v9.9.9.z",)); c.commit()'
expect_error schema 'unsupported Optuna schema revision "v9.9.9.z"' -- \
	"$bin" import-optuna newer.db --study multi --to badout/a.yaml
cp fx/optuna.db baddist.db
"$py" -c 'import sqlite3; c = sqlite3.connect("baddist.db"); c.execute("UPDATE trial_params SET distribution_json = ? WHERE param_id = 3", ("{\"name\": \"WeirdDistribution\", \"attributes\": {}}",)); c.commit()'
expect_error distribution 'is not one this reads' -- \
	"$bin" import-optuna baddist.db --study every-dist --to badout/a.yaml
expect_error postgres 'only SQLite' -- \
	"$bin" import-optuna postgresql://u@h/db --study multi --to badout/a.yaml
expect_error study-exists 'already exists' -- \
	"$bin" import-optuna sqlite:///fx/optuna.db --study multi --to multi/study.yaml
ledger_sum=$(sha256sum multi/multi.db | cut -d' ' -f1)
expect_error ledger-exists 'already exists' -- \
	"$bin" import-optuna sqlite:///fx/optuna.db --study multi --to badout/b.yaml --storage multi/multi.db
[ "$(sha256sum multi/multi.db | cut -d' ' -f1)" = "$ledger_sum" ] || bad "an existing ledger was changed"
expect_error bad-price 'a price is a number' -- \
	"$bin" import-optuna sqlite:///fx/optuna.db --study multi --to badout/c.yaml --price gpu_h=lots
left=$(ls -A badout)
[ -z "$left" ] || bad "failed imports left files behind: $left"
[ "$(sha256sum fx/optuna.db | cut -d' ' -f1)" = "$sum_before" ] || bad "the Optuna storage was modified"

# --usage-attr and --price: gpu_h becomes priced usage, the cost adds up.
"$bin" import-optuna sqlite:///fx/optuna.db --study multi --to priced/study.yaml 2>/dev/null ||
	mkdir -p priced
"$bin" import-optuna sqlite:///fx/optuna.db --study multi --to priced/study.yaml \
	--usage-attr gpu_h=gpu_hours.a100 --price gpu_hours.a100=3.5 --currency EUR >/dev/null ||
	bad "import with --usage-attr/--price failed"
"$bin" export --format json priced/study.yaml >priced/export.json || bad "priced: export"
"$py" - fx/multi.json priced/export.json <<'PY' || bad "priced: cost is not cost + 3.5 * gpu_h"
import json, sys
o = {t["number"] + 1: t["user_attrs"] for t in json.load(open(sys.argv[1]))["trials"]}
for t in json.load(open(sys.argv[2])):
    ua = o[t["id"]]
    want = ua.get("cost", 0) + 3.5 * ua.get("gpu_h", 0)
    if abs(t["cost"] - want) > 1e-12 * max(1, want) or t["currency"] != "EUR" \
            or t["usage"].get("gpu_hours.a100") != ua.get("gpu_h"):
        print("trial", t["id"], t["cost"], want, t["usage"], t["currency"])
        sys.exit(1)
print("priced: ok")
PY

if [ "$fail" = 0 ]; then
	echo "ok: import-optuna"
fi
exit "$fail"
