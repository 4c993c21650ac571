#!/bin/bash
# budgetopt(3) against the public headers: every function they declare
# (include/budgetopt/budgetopt.h, preprocessed so comments do not count)
# has an entry in the page (a line "*type bo_name(args);*"), and every
# function the page's entries declare is in the headers.
# Usage: check-api.sh SRCDIR
set -u
# has LIST WORD: WORD is one of the lines of LIST (no fork: these run often).
has() {
	[[ $'\n'$1$'\n' == *$'\n'"$2"$'\n'* ]]
}
SRC=$1
PAGE=$SRC/man/budgetopt.3.scd
CC=${CC:-cc}
fail=0
if ! command -v "$CC" >/dev/null 2>&1; then
	echo "SKIP: no C compiler ($CC) to preprocess the headers"
	exit 77
fi
declared=$("$CC" -E -P -I "$SRC/include" "$SRC/include/budgetopt/budgetopt.h" |
	grep -o '\bbo_[a-z0-9_]*[[:space:]]*(' | tr -d '( \t' | sort -u) ||
	{ echo "FAIL: cannot preprocess the public headers"; exit 1; }
[ -n "$declared" ] || { echo "FAIL: no bo_ function found in the public headers"; exit 1; }
documented=$(awk '/^```/ { code = !code; next } !code && /^\*/ { print }' "$PAGE" |
	grep -o '\bbo_[a-z0-9_]*(' | tr -d '(' | sort -u)
for f in $declared; do
	has "$documented" "$f" || { echo "FAIL: $f is declared in include/budgetopt/ but has no entry in $PAGE"; fail=1; }
done
for f in $documented; do
	has "$declared" "$f" || { echo "FAIL: $PAGE documents $f, which the public headers do not declare"; fail=1; }
done
[ "$fail" = 0 ] && echo "ok: $(wc -w <<<"$declared") public functions, each with an entry in budgetopt(3)"
exit $fail
