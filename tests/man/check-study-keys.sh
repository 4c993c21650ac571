#!/bin/bash
# The top-level keys budgetopt-study(5) documents (its "*key*" entries
# under KEYS) are those the study reader accepts: its TOP_KEYS table in
# src/core/study_yaml.c, the list its unknown-key check uses. And the
# program agrees: a study holding every documented key gets no "unknown
# key" diagnostic from `budgetopt validate`.
# Usage: check-study-keys.sh BUDGETOPT SRCDIR SCRATCH
set -u
# has LIST WORD: WORD is one of the lines of LIST (no fork: these run often).
has() {
	[[ $'\n'$1$'\n' == *$'\n'"$2"$'\n'* ]]
}
BIN=$1
SRC=$2
SCRATCH=$3
PAGE=$SRC/man/budgetopt-study.5.scd
READER=$SRC/src/core/study_yaml.c
fail=0
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"

accepted=$(awk '/TOP_KEYS\[\] *=/ { on = 1 } on { print } on && /;/ { exit }' "$READER" |
	grep -o '"[a-z_]*"' | tr -d '"' | sort -u)
if [ -z "$accepted" ]; then
	echo "FAIL: no TOP_KEYS table found in $READER (renamed? update this test)"
	exit 1
fi
documented=$(awk '/^# / { k = ($0 ~ /^# KEYS/); next } k && /^\*[a-z_]+\*/ { print }' "$PAGE" |
	sed -n 's/^\*\([a-z_]*\)\*.*/\1/p' | sort -u)
for k in $accepted; do
	has "$documented" "$k" || { echo "FAIL: the reader accepts \"$k\", which $PAGE does not document under KEYS"; fail=1; }
done
for k in $documented; do
	has "$accepted" "$k" || { echo "FAIL: $PAGE documents \"$k\", which is not in the reader's TOP_KEYS"; fail=1; }
done

# Each documented key, given a value of the wrong kind, draws some
# diagnostic, but never "unknown key".
{
	for k in $documented; do
		echo "$k: [1, 2]"
	done
} >"$SCRATCH/all-keys.yaml"
"$BIN" validate "$SCRATCH/all-keys.yaml" >"$SCRATCH/out" 2>&1
if grep -q 'unknown key' "$SCRATCH/out"; then
	echo "FAIL: budgetopt validate calls documented keys unknown:"
	grep 'unknown key' "$SCRATCH/out"
	fail=1
fi
# and the check can fail: a key that is not one is reported.
echo "no_such_key_zz: 1" >>"$SCRATCH/all-keys.yaml"
"$BIN" validate "$SCRATCH/all-keys.yaml" >"$SCRATCH/out" 2>&1
grep -q 'unknown key "no_such_key_zz"' "$SCRATCH/out" || {
	echo "FAIL: validate did not report an unknown top-level key, so this test proves nothing:"
	cat "$SCRATCH/out"
	fail=1
}
[ "$fail" = 0 ] && echo "ok: $(wc -w <<<"$accepted") top-level keys, documented and accepted alike"
exit $fail
