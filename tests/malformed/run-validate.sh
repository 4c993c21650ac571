#!/bin/bash
# Malformed study files: `budgetopt validate FILE` must exit 2 (never crash,
# never succeed) and print the expected problem with its position.
# Usage: run-validate.sh <budgetopt program> <source dir> <scratch dir>
# Each tests/malformed/cases/*.yaml starts with "# expect: [LINE:COL: ]TEXT";
# stderr must contain "FILE:LINE:COL: TEXT" (or "FILE:" and TEXT).
# Also: tests/malformed/good/*.yaml must validate (exit 0), and a 20 MB file
# made here must be rejected.
prog=$1
src=$2
scratch=${3:-/tmp/bo-malformed.$$}
mkdir -p "$scratch" || exit 1
fail=0
n=0

check() {   # file expect
	local f=$1 expect=$2 err rc
	err=$("$prog" validate "$f" 2>&1 >/dev/null)
	rc=$?
	n=$((n + 1))
	if [ "$rc" -ge 128 ]; then
		echo "FAIL $f: crashed (exit status $rc)"; fail=$((fail + 1)); return
	fi
	if [ "$rc" -ne 2 ]; then
		echo "FAIL $f: exit status $rc, expected 2"; echo "$err" | head -5; fail=$((fail + 1)); return
	fi
	if [[ $expect =~ ^([0-9]+:[0-9]+):\ (.*)$ ]]; then
		# the message may start with context ("parameter \"x\": ...")
		if ! grep -F -- "$f:${BASH_REMATCH[1]}: " <<<"$err" | grep -qF -- "${BASH_REMATCH[2]}"; then
			echo "FAIL $f: expected \"$f:$expect\" in:"; echo "$err" | head -5
			fail=$((fail + 1)); return
		fi
	else
		if [[ $err != *"$f:"* || $err != *"$expect"* ]]; then
			echo "FAIL $f: expected \"$f:\" and \"$expect\" in:"; echo "$err" | head -5
			fail=$((fail + 1)); return
		fi
	fi
}

for f in "$src"/tests/malformed/cases/*.yaml; do
	line=$(head -n 1 "$f" | tr -d '\0')
	expect=${line#\# expect: }
	if [ "$expect" = "$line" ]; then
		echo "FAIL $f: no \"# expect:\" line"; fail=$((fail + 1)); continue
	fi
	check "$f" "$expect"
done

# a file over the 16 MiB limit, made here so that it is not committed
big=$scratch/big.yaml
{ echo "name: big"; head -c 20000000 /dev/zero | tr '\0' '#'; echo; } > "$big"
check "$big" "1:1: the study file is larger than 16 MiB"
rm -f "$big"

for f in "$src"/tests/malformed/good/*.yaml; do
	n=$((n + 1))
	err=$("$prog" validate "$f" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "FAIL $f: good file gave exit status $rc:"; echo "$err" | head -5
		fail=$((fail + 1))
	fi
done

echo "$n files, $fail failures"
[ "$fail" -eq 0 ]
