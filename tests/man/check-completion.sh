#!/bin/bash
# completion/budgetopt.bash, run as bash runs it on TAB (COMP_WORDS,
# COMP_CWORD, then COMPREPLY read back): it offers every command the
# program reports, every option each command's parser accepts
# (`budgetopt --list-options CMD`), study files where a study is due,
# ledgers after --storage, and nothing where a number is due.
# Usage: check-completion.sh BUDGETOPT SRCDIR SCRATCH
set -u
# has LIST WORD: WORD is one of the lines of LIST (no fork: these run often).
has() {
	[[ $'\n'$1$'\n' == *$'\n'"$2"$'\n'* ]]
}
BIN=$1
SRC=$2
SCRATCH=$3
fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

rm -rf "$SCRATCH"
mkdir -p "$SCRATCH/sub"
cd "$SCRATCH" || exit 1
: >study.yaml
: >other.yml
: >notes.txt
: >ledger.db
: >results.csv

# shellcheck source=../../completion/budgetopt.bash
. "$SRC/completion/budgetopt.bash"
complete -p budgetopt >/dev/null 2>&1 || bad "the script does not register a completion for budgetopt"

# complete WORD...: got = COMPREPLY for the last word, one per line,
# sorted. Not run in a subshell: bash forks slowly on a loaded machine.
complete_words() {
	COMP_WORDS=("$BIN" "$@")
	COMP_CWORD=$#
	COMPREPLY=()
	_budgetopt
	got=""
	[ ${#COMPREPLY[@]} -gt 0 ] && got=$(printf '%s\n' "${COMPREPLY[@]}" | sort -u)
}

# expect_all "what" "offered" "wanted...": every wanted line is offered.
expect_all() {
	local what=$1 offered=$2 w
	shift 2
	for w in "$@"; do
		has "$offered" "$w" || bad "$what: \"$w\" not offered (offered: $(tr '\n' ' ' <<<"$offered"))"
	done
}
expect_none() {
	local what=$1 offered=$2 w
	shift 2
	for w in "$@"; do
		has "$offered" "$w" && bad "$what: \"$w\" offered, and should not be"
	done
}

commands=$("$BIN" --commands) || { bad "budgetopt --commands failed"; exit 1; }
complete_words ""
[ "$got" = "$(sort -u <<<"$commands")" ] || bad "budgetopt <TAB> offers [$(tr '\n' ' ' <<<"$got")], the program has [$(tr '\n' ' ' <<<"$commands")]"
complete_words --list-options ""
[ "$got" = "$(sort -u <<<"$commands")" ] || bad "budgetopt --list-options <TAB> does not offer the commands"
top=$("$BIN" --list-options | sed 's/ .*//')
# shellcheck disable=SC2086
complete_words -
expect_all "budgetopt -<TAB>" "$got" $top

for c in $commands; do
	listed=$("$BIN" --list-options "$c" | sed 's/ .*//') || { bad "budgetopt --list-options $c failed"; continue; }
	complete_words "$c" -
	[ "$got" = "$(sort -u <<<"$listed")" ] ||
		bad "budgetopt $c -<TAB> offers [$(tr '\n' ' ' <<<"$got")], the parser accepts [$(tr '\n' ' ' <<<"$listed")]"
	complete_words "$c" ""
	expect_all "budgetopt $c <TAB>" "$got" study.yaml other.yml sub
	expect_none "budgetopt $c <TAB>" "$got" notes.txt ledger.db
	# An option that takes a value never gets options or study files offered
	# for it, unless it takes a study.
	for o in $("$BIN" --list-options "$c" | sed -n 's/ ARG$//p'); do
		complete_words "$c" "$o" ""
		case $o in
		--study) expect_all "budgetopt $c $o <TAB>" "$got" study.yaml ;;
		--output | -o | --token-file) expect_all "budgetopt $c $o <TAB>" "$got" notes.txt ;;
		*) expect_none "budgetopt $c $o <TAB>" "$got" study.yaml other.yml $listed ;;
		esac
	done
	echo "ok: budgetopt $c: $(wc -l <<<"$listed") options offered"
done

complete_words run st
[ "$got" = "study.yaml" ] || bad "budgetopt run st<TAB> offers [$got], not study.yaml"
complete_words status --storage ""
expect_all "budgetopt status --storage <TAB>" "$got" ledger.db sub
expect_none "budgetopt status --storage <TAB>" "$got" study.yaml notes.txt
complete_words status --storage = ""
expect_all "budgetopt status --storage=<TAB>" "$got" ledger.db
complete_words copy --from ""
expect_all "budgetopt copy --from <TAB>" "$got" ledger.db sub
expect_none "budgetopt copy --from <TAB>" "$got" study.yaml notes.txt
complete_words copy --from ledger.db --to ""
expect_all "budgetopt copy --to <TAB>" "$got" ledger.db
complete_words frontier --catalog ""
expect_all "budgetopt frontier --catalog <TAB>" "$got" results.csv
expect_none "budgetopt frontier --catalog <TAB>" "$got" study.yaml
complete_words run --trials-dir ""
[ "$got" = "sub" ] || bad "budgetopt run --trials-dir <TAB> offers [$got], not the folder sub"
complete_words run --seed ""
[ -z "$got" ] || bad "budgetopt run --seed <TAB> offers [$got], and a seed is a number"
complete_words report --format ""
[ "$got" = "$(printf 'html\nmd')" ] || bad "budgetopt report --format <TAB> offers [$got]"
complete_words trials --state c
[ "$got" = "complete" ] || bad "budgetopt trials --state c<TAB> offers [$got]"
[ "$fail" = 0 ] && echo "ok: the completion offers every command and option the program has"
exit $fail
