#!/bin/bash
# tests/pg/copy.sh BUDGETOPT SCRATCH MODE - `budgetopt copy`.
#
# A small study is run for real (`budgetopt run`, an evaluator that reports
# intermediate steps), then copied:
#   MODE sqlite: SQLite -> SQLite (needs no server);
#   MODE pg:     SQLite -> PostgreSQL -> SQLite (and PostgreSQL ->
#                PostgreSQL), on a private server
#                (tests/pg/pgserver.sh; exit 77 with the reason when
#                PostgreSQL is not installed).
# Each copy must verify; the copy's export and frontier must equal the
# original's; the checksums one copy prints for its destination must equal
# those the next copy prints for the same ledger as its source; every table
# of the SQLite files (whatever the schema holds, listed from sqlite_master)
# must hold the same rows on both ends, compared by Python's sqlite3, not by
# budgetopt. And the refusals: a destination holding a study without
# --replace, a study that is not --study, a study a runner (or worker) holds.
set -u
prog=$(realpath "$1")
tmp=$2
mode=$3
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
rm -rf "$tmp"
mkdir -p "$tmp"
here=$(cd "$(dirname "$0")" && pwd)
fails=0

check() {   # check WHAT COMMAND...: the command must succeed
	local what=$1
	shift
	if "$@"; then
		echo "ok   $what"
	else
		echo "FAIL $what"
		fails=$((fails + 1))
	fi
}

# study NAME TRIALS: a study folder under $tmp with an evaluator that
# reports two steps, then its metrics; it waits for the file "release"
# when the file "hold" exists (to keep a runner busy on purpose).
study() {
	local d=$tmp/$1
	mkdir -p "$d"
	cat >"$d/eval.py" <<'EOF'
#!/usr/bin/env python3
import json, os, sys, time
x, n = float(sys.argv[1]), int(sys.argv[2])
d = os.path.dirname(os.path.abspath(__file__))
if os.path.exists(os.path.join(d, "hold")):
    open(os.path.join(d, "started"), "a").close()
    while not os.path.exists(os.path.join(d, "release")):
        time.sleep(0.05)
for k in (1, 2):
    print(json.dumps({"step": k, "metrics": {"y": (x - 0.3) ** 2 + 1.0 / k}}), flush=True)
print(json.dumps({"metrics": {"y": (x - 0.3) ** 2, "size": n},
                  "usage": {"tokens": 1 + int(x * 9) + n}}))
EOF
	chmod +x "$d/eval.py"
	cat >"$d/study.yaml" <<EOF
name: $1
seed: 11
space:
  x: {float: [0, 1]}
  n: {int: [1, 8]}
prices:
  tokens: 0.001
metrics:
  y: {minimize: true}
  size: {minimize: true}
objectives: [y, size]
budget:
  trials: $2
  money: 5.0
  per_trial: {money: 0.05}
evaluator:
  command: [./eval.py, "{x}", "{n}"]
  parallel: 2
sampler: random
EOF
}

# The rows of every table of SQLite file $1, as Python sees them.
dump() {
	"$PY" - "$1" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
for n in names:
    rows = db.execute('SELECT * FROM "%s" ORDER BY rowid' % n.replace('"', '""')).fetchall()
    print(n, len(rows))
    for r in rows:
        print(repr(r))
EOF
}

# copy ARGS...: runs budgetopt copy, output in $out, exit status in $rc.
copy() {
	out=$("$prog" copy "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/    | /'
}

# "table rows sha256" of the source (cols 2, 4) or destination (3, 5) side.
sums() {   # sums from|to  (reads $out)
	if [ "$1" = from ]; then
		printf '%s\n' "$out" | awk 'NF >= 5 && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ {print $1, $2, $4}'
	else
		printf '%s\n' "$out" | awk 'NF >= 5 && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ {print $1, $3, $5}'
	fi
}

same_output() {   # same_output A B: the two files exist, are non-empty and equal
	[ -s "$1" ] && [ -s "$2" ] && cmp -s "$1" "$2"
}

study orig 14
cd "$tmp/orig" || exit 1
"$prog" run study.yaml -q || { echo "FAIL the study did not run"; exit 1; }
a=$tmp/orig/orig.db
# a value with every character COPY's text format escapes (a tab, a
# backslash, a carriage return, a newline, and "\N" spelled out): the
# checksums below say it arrived as it left
"$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("INSERT INTO events(t, kind, detail) VALUES (1.8e9, ?, ?)", ("wait", "tab\there back\\slash \\N cr\r nl\n end\\")); c.commit()' "$a"
"$prog" export study.yaml --format json >"$tmp/export-a.json"
"$prog" frontier study.yaml --all >"$tmp/frontier-a.txt"
check "the study recorded intermediate steps" \
	test "$("$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM trial_steps").fetchone()[0])' "$a")" -gt 0

if [ "$mode" = sqlite ]; then
	mid=$tmp/b.db
	copy --from "$a" --to "sqlite:$mid"
	check "sqlite -> sqlite exits 0 ($rc)" test "$rc" = 0
	check "sqlite -> sqlite says verified" grep -q '^verified:' <<<"$out"
	sums from >"$tmp/sums-a"
	sums to >"$tmp/sums-b"
	check "the destination's checksums equal the source's" same_output "$tmp/sums-a" "$tmp/sums-b"
	copy --from "$mid" --to "$tmp/c.db"
	sums from >"$tmp/sums-b2"
	check "the copy read again as a source gives the same checksums" same_output "$tmp/sums-b" "$tmp/sums-b2"
	last=$tmp/c.db
else
	. "$here/pgserver.sh"
	pg_start "$tmp"
	mid=$(pg_createdb copy1)
	copy --from "$a" --to "$mid"
	check "sqlite -> postgresql exits 0 ($rc)" test "$rc" = 0
	check "sqlite -> postgresql says verified" grep -q '^verified:' <<<"$out"
	sums from >"$tmp/sums-a"
	sums to >"$tmp/sums-b"
	check "postgresql's checksums equal sqlite's" same_output "$tmp/sums-a" "$tmp/sums-b"
	# the count trigger was off during the copy: the counts, made once at
	# its end, are the trials table's
	counts=$("$PG_BIN/psql" -X -A -t -q -d "$mid" -c "SELECT ntrials || ' ' || nqueued || ' ' || nfinal || ' ' || nrunning FROM budget")
	want=$("$PG_BIN/psql" -X -A -t -q -d "$mid" -c "SELECT COUNT(*) FILTER (WHERE state <> 'queued') || ' ' || COUNT(*) FILTER (WHERE state = 'queued') || ' ' || COUNT(*) FILTER (WHERE state IN ('complete', 'pruned', 'failed')) || ' ' || COUNT(*) FILTER (WHERE state = 'running') FROM trials")
	check "the budget row's trial counts ($counts) are the trials table's ($want)" test -n "$want" -a "$counts" = "$want"
	check "the count trigger is on again after the copy" \
		test "$("$PG_BIN/psql" -X -A -t -q -d "$mid" -c "SELECT tgenabled FROM pg_trigger WHERE tgname = 'trials_counts'")" = O
	"$prog" export study.yaml --storage "$mid" --format json >"$tmp/export-b.json"
	check "export from postgresql equals the original's" same_output "$tmp/export-a.json" "$tmp/export-b.json"
	spent=$("$PG_BIN/psql" -X -A -t -q -d "$mid" -c "SELECT spent FROM budget WHERE id = 1")
	check "postgresql's budget row holds the sum of the costs ($spent)" "$PY" -c '
import sqlite3, sys
want = sqlite3.connect(sys.argv[1]).execute(
    "SELECT TOTAL(cost) FROM trials WHERE state IN (\"complete\", \"pruned\", \"failed\")").fetchone()[0]
sys.exit(0 if abs(float(sys.argv[2]) - want) <= 1e-9 * max(1.0, abs(want)) else 1)' "$a" "$spent"
	# the trial counts the budget row keeps (schema 4): those of the copied trials
	counts_of() {
		"$PG_BIN/psql" -X -A -t -q -d "$1" -c "SELECT ntrials, nqueued, nfinal, nrunning FROM budget WHERE id = 1"
	}
	want=$("$PY" -c '
import sqlite3, sys
print("%d|%d|%d|%d" % sqlite3.connect(sys.argv[1]).execute(
    "SELECT TOTAL(state <> \"queued\"), TOTAL(state = \"queued\"), "
    "TOTAL(state IN (\"complete\", \"pruned\", \"failed\")), TOTAL(state = \"running\") FROM trials").fetchone())' "$a")
	got=$(counts_of "$mid")
	check "postgresql's budget row counts the copied trials ($got, sqlite: $want)" test "$got" = "$want"
	other=$(pg_createdb copy2)
	copy --from "$mid" --to "$other"
	check "postgresql -> postgresql exits 0 ($rc)" test "$rc" = 0
	got=$(counts_of "$other")
	check "the second database's budget row counts its trials ($got)" test "$got" = "$want"
	sums to >"$tmp/sums-pg2"
	check "the second database's checksums equal the original's" same_output "$tmp/sums-a" "$tmp/sums-pg2"
	copy --from "$tmp/orig/orig.db" --to "$other" --replace
	got=$(counts_of "$other")
	check "--replace into postgresql leaves the counts of the new trials ($rc, $got)" \
		test "$rc:$got" = "0:$want"
	copy --from "$mid" --to "$tmp/c.db"
	check "postgresql -> sqlite exits 0 ($rc)" test "$rc" = 0
	sums from >"$tmp/sums-b2"
	sums to >"$tmp/sums-c"
	check "postgresql read as a source gives the checksums it was written with" \
		same_output "$tmp/sums-b" "$tmp/sums-b2"
	check "the round trip's checksums equal the original's" same_output "$tmp/sums-a" "$tmp/sums-c"
	last=$tmp/c.db
fi

"$prog" export study.yaml --storage "$last" --format json >"$tmp/export-c.json"
"$prog" frontier study.yaml --all --storage "$last" >"$tmp/frontier-c.txt"
check "export of the copy equals the original's" same_output "$tmp/export-a.json" "$tmp/export-c.json"
check "frontier of the copy equals the original's" same_output "$tmp/frontier-a.txt" "$tmp/frontier-c.txt"
dump "$a" >"$tmp/dump-a"
dump "$last" >"$tmp/dump-c"
check "every table of the copied SQLite file holds the original's rows" same_output "$tmp/dump-a" "$tmp/dump-c"
check "the copy passes doctor's ledger check" "$prog" doctor study.yaml --storage "$last"

# Refusals.
before=$(dump "$last")
study other 3
(cd "$tmp/other" && "$prog" run study.yaml -q) || { echo "FAIL the second study did not run"; exit 1; }
copy --from "$tmp/other/other.db" --to "$last"
check "a destination holding a study is refused (exit $rc)" test "$rc" = 2
check "the refusal names --replace" grep -q -- '--replace' <<<"$out"
check "the refused destination is unchanged" test "$before" = "$(dump "$last")"
copy --from "$tmp/other/other.db" --to "$last" --replace
check "--replace overwrites it (exit $rc)" test "$rc" = 0
dump "$tmp/other/other.db" >"$tmp/dump-other"
dump "$last" >"$tmp/dump-replaced"
check "the replaced destination holds the other study's rows" same_output "$tmp/dump-other" "$tmp/dump-replaced"
copy --from "$a" --to "$tmp/d.db" --study nosuch
check "a source without the --study named is refused (exit $rc)" test "$rc" = 2
check "nothing is created on that refusal" test ! -e "$tmp/d.db"
copy --from "$tmp/missing.db" --to "$tmp/d.db"
check "a missing source is refused (exit $rc)" test "$rc" = 2

# A study a runner holds is not copied, from or to.
study busy 4
touch "$tmp/busy/hold"
(cd "$tmp/busy" && exec "$prog" run study.yaml -q) &
runner=$!
while [ ! -e "$tmp/busy/started" ] && kill -0 "$runner" 2>/dev/null; do
	sleep 0.05   # waits for the evaluator to start, not for a time
done
copy --from "$tmp/busy/busy.db" --to "$tmp/e.db"
check "a study a runner holds is not copied from (exit $rc)" test "$rc" = 2
check "the refusal says it is in use" grep -q 'in use' <<<"$out"
copy --from "$a" --to "$tmp/busy/busy.db" --replace
check "a study a runner holds is not overwritten (exit $rc)" test "$rc" = 2
touch "$tmp/busy/release"
wait "$runner"
check "the held study's runner finished normally" test $? = 0

if [ "$mode" = pg ]; then
	busy=$(pg_createdb busy)
	rm -f "$tmp/busy/release" "$tmp/busy/started"
	sed -i 's/trials: 4/trials: 8/' "$tmp/busy/study.yaml"
	(cd "$tmp/busy" && exec "$prog" worker study.yaml --storage "$busy" -q) &
	worker=$!
	while [ ! -e "$tmp/busy/started" ] && kill -0 "$worker" 2>/dev/null; do
		sleep 0.05
	done
	copy --from "$busy" --to "$tmp/f.db"
	check "a study a worker holds is not copied from (exit $rc)" test "$rc" = 2
	check "the refusal names the worker" grep -q 'being run by pid' <<<"$out"
	# status shows the worker: host, pid, heartbeat, trials run (as the
	# ledger's runs and trials tables say, read here with psql)
	st=$(cd "$tmp/busy" && "$prog" status study.yaml --storage "$busy" --format json)
	ledger=$("$PG_BIN/psql" -X -A -t -q -F ' ' -d "$busy" -c \
		"SELECT r.pid, r.host, (SELECT COUNT(*) FROM trials t WHERE t.run_id = r.id) FROM runs r WHERE r.ended_at IS NULL")
	check "status --format json lists the live worker as the ledger has it ($ledger)" "$PY" -c '
import json, sys
w = [x for x in json.loads(sys.argv[1])["workers"] if x["ended_at"] is None]
pid, host, n = sys.argv[2].split()
sys.exit(0 if len(w) == 1 and str(w[0]["pid"]) == pid == sys.argv[3] and w[0]["host"] == host
         and str(w[0]["trials"]) == n and int(n) > 0 and w[0]["heartbeat_at"] > 0 else 1)' "$st" "$ledger" "$worker"
	st=$(cd "$tmp/busy" && "$prog" status study.yaml --storage "$busy")
	check "status names the live worker" grep -q "workers  1 live" <<<"$st"
	check "status gives its pid and trials" grep -q "pid $worker: last heartbeat" <<<"$st"
	# and so does the dashboard's /api/status, and its page has the place
	(cd "$tmp/busy" && exec "$prog" serve study.yaml --storage "$busy" --port 0 >"$tmp/serve.out" 2>&1) &
	server=$!
	while ! grep -q '^serving http://' "$tmp/serve.out" && kill -0 "$server" 2>/dev/null; do
		sleep 0.05   # waits for the server to listen, not for a time
	done
	url=$(sed -n 's|^serving \(http://[^ ]*\)$|\1|p' "$tmp/serve.out")
	check "the dashboard's /api/status lists the live worker as the ledger has it" "$PY" -c '
import json, sys, urllib.request
st = json.load(urllib.request.urlopen(sys.argv[1] + "api/status"))
w = [x for x in st.get("workers", []) if x["ended_at"] is None]
pid, host, n = sys.argv[2].split()
ok = len(w) == 1 and str(w[0]["pid"]) == pid and w[0]["host"] == host and str(w[0]["trials"]) == n
if not ok:
    print("    workers:", st.get("workers"), "ledger:", sys.argv[2])
sys.exit(0 if ok else 1)' "$url" "$ledger"
	check "the dashboard's page shows workers" "$PY" -c '
import sys, urllib.request
page = urllib.request.urlopen(sys.argv[1]).read().decode()
sys.exit(0 if "st-workers" in page else 1)' "$url"
	kill -INT "$server"
	wait "$server"
	touch "$tmp/busy/release"
	wait "$worker"
	check "the worker finished normally" test $? = 0
	copy --from "$busy" --to "$tmp/f.db"
	check "once the worker is gone the study copies (exit $rc)" test "$rc" = 0
fi

[ "$fails" = 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all checks passed"
