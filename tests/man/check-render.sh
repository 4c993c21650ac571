#!/bin/sh
# Every man page source (man/*.scd, pages added later included) renders
# with scdoc, and groff formats the result without a warning. Skips (77),
# saying why, without scdoc.
# Usage: check-render.sh SRCDIR SCRATCH
set -u
SRC=$1
SCRATCH=$2
if ! command -v scdoc >/dev/null 2>&1; then
	echo "SKIP: scdoc is not installed (apt-get install scdoc)"
	exit 77
fi
GROFF=""
command -v groff >/dev/null 2>&1 && GROFF=groff
[ -n "$GROFF" ] || echo "note: groff is not installed: pages only rendered, not formatted"
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
fail=0
n=0
for src in "$SRC"/man/*.scd; do
	[ -e "$src" ] || continue
	page=$(basename "$src" .scd)
	n=$((n + 1))
	if ! scdoc <"$src" >"$SCRATCH/$page" 2>"$SCRATCH/$page.err"; then
		echo "FAIL: scdoc refuses man/$page.scd: $(cat "$SCRATCH/$page.err")"
		fail=1
		continue
	fi
	if [ -n "$GROFF" ]; then
		LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$SCRATCH/$page" 2>"$SCRATCH/$page.groff"
		if [ -s "$SCRATCH/$page.groff" ]; then
			echo "FAIL: groff warns on man/$page.scd:"
			cat "$SCRATCH/$page.groff"
			fail=1
			continue
		fi
	fi
	echo "ok: $page"
done
if [ "$n" = 0 ]; then
	echo "FAIL: no man page sources in $SRC/man"
	exit 1
fi
exit $fail
