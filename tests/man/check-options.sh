#!/bin/bash
# The man pages against the program (man/README.md says the page format):
# every command the program reports (`budgetopt --commands`) has a page
# man/budgetopt-CMD.1.scd and is listed in budgetopt(1); every page of a
# command names one the program has; and in each page the options
# documented (its `*--name* _ARG_` entries: a line that starts with "*-"
# after a blank or indented line, outside ``` blocks) are
# exactly those its parser accepts (`budgetopt --list-options CMD`, the
# parser's own table), with or without a value as the parser takes them.
# budgetopt(1) is checked the same way against `budgetopt --list-options`.
# And each command's --help names every option but --help itself.
# Usage: check-options.sh BUDGETOPT SRCDIR
set -u
# has LIST WORD: WORD is one of the lines of LIST (no fork: these run often).
has() {
	[[ $'\n'$1$'\n' == *$'\n'"$2"$'\n'* ]]
}
BIN=$1
SRC=$2
MAN=$SRC/man
fail=0

bad() {
	echo "FAIL: $*"
	fail=1
}

# The option entries of an scd page, one per line, normalised as
# --list-options prints them: "--name", "--name ARG", "--name [ARG]",
# "-c ARG" (one line per name of an entry such as "*-o*, *--output* _FILE_").
documented() {
	awk '
		/^```/ { code = !code; prev = ""; next }
		!code && /^\*-/ && (prev == "" || prev ~ /^\t/) { print }
		{ prev = $0 }
	' "$1" | while IFS= read -r line; do
		rest=$line
		names=""
		while [[ $rest =~ ^\*(-{1,2}[A-Za-z0-9][A-Za-z0-9-]*)\*(,\ *)?(.*)$ ]]; do
			names="$names ${BASH_REMATCH[1]}"
			rest=${BASH_REMATCH[3]}
		done
		rest=${rest# }
		case $rest in
		"") arg="" ;;
		"[_"*) arg=" [ARG]" ;;
		_*) arg=" ARG" ;;
		*)
			echo "MALFORMED $line"
			continue
			;;
		esac
		if [ -z "$names" ]; then
			echo "MALFORMED $line"
			continue
		fi
		for n in $names; do
			echo "$n$arg"
		done
	done | sort -u
}

# Compares what the parser lists ($2, a command's output) with page $1.
compare() {
	local page=$1 listed=$2 what=$3 docs line
	docs=$(documented "$page")
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		case $line in
		MALFORMED*) bad "$page: not an option entry (man/README.md): ${line#MALFORMED }" ;;
		*) has "$listed" "$line" ||
			bad "$page documents \"$line\", which $what does not accept as written (see budgetopt --list-options)" ;;
		esac
	done <<<"$docs"
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		has "$docs" "$line" ||
			bad "$what accepts \"$line\", which $page does not document (a line \"*--name* _ARG_\", man/README.md)"
	done <<<"$listed"
}

commands=$("$BIN" --commands) || { bad "budgetopt --commands failed"; exit 1; }
[ -n "$commands" ] || { bad "budgetopt --commands listed no command"; exit 1; }
# A command the program does not have is refused, not listed as empty.
"$BIN" --list-options no-such-command >/dev/null 2>&1
rc=$?
[ "$rc" = 2 ] || bad "budgetopt --list-options no-such-command exits $rc, not 2"

top=$MAN/budgetopt.1.scd
if [ ! -f "$top" ]; then
	bad "no page $top"
else
	listed=$("$BIN" --list-options | sort -u) || bad "budgetopt --list-options failed"
	compare "$top" "$listed" "budgetopt"
	# The commands budgetopt(1) lists: "*name*" entries of its COMMANDS section.
	in_page=$(awk '/^# / { c = ($0 ~ /COMMANDS/); next } c && /^\*[a-z]/ { print }' "$top" |
		sed -n 's/^\*\([a-z][a-z0-9-]*\)\*.*/\1/p' | sort -u)
	for c in $commands; do
		has "$in_page" "$c" || bad "$top: command \"$c\" is not listed in COMMANDS"
	done
	for c in $in_page; do
		has "$commands" "$c" || bad "$top: COMMANDS lists \"$c\", which budgetopt --commands does not report"
	done
fi

for c in $commands; do
	page=$MAN/budgetopt-$c.1.scd
	if [ ! -f "$page" ]; then
		bad "command \"$c\" has no man page $page"
		continue
	fi
	head -n 1 "$page" | grep -qxF "budgetopt-$c(1)" ||
		bad "$page: the first line must be \"budgetopt-$c(1)\""
	if ! listed=$("$BIN" --list-options "$c"); then
		bad "budgetopt --list-options $c failed"
		continue
	fi
	[ -n "$listed" ] || bad "budgetopt --list-options $c listed nothing"
	before=$fail
	fail=0
	compare "$page" "$(sort -u <<<"$listed")" "budgetopt $c"
	# --help comes from the same table's command: it names every option.
	help=$("$BIN" "$c" --help) || bad "budgetopt $c --help failed"
	for o in $(sed 's/ .*//' <<<"$listed"); do
		[ "$o" = --help ] && continue
		[[ $help =~ (^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|$) ]] ||
			bad "budgetopt $c --help does not mention $o"
	done
	[ "$fail" = 0 ] && echo "ok: budgetopt $c: $(wc -l <<<"$listed") options, all documented in $(basename "$page")"
	[ "$before" = 0 ] || fail=1
done

for page in "$MAN"/budgetopt-*.1.scd; do
	[ -e "$page" ] || continue
	c=$(basename "$page" .1.scd)
	c=${c#budgetopt-}
	has "$commands" "$c" || bad "$page: budgetopt has no command \"$c\""
done

[ "$fail" = 0 ] && echo "ok: every command has a page, every option is documented and exists"
exit $fail
