# bash completion for budgetopt(1)
#
# Commands and options are not listed here: they come from the program
# itself (`budgetopt --commands`, `budgetopt --list-options [CMD]`, which
# print the tables its parser uses), so a new command or option is offered
# as soon as the program has it. This file only knows what the values of
# some options look like (files, folders, formats).
#
# Installed as ${datadir}/bash-completion/completions/budgetopt; needs
# nothing from the bash-completion package.

# Adds to COMPREPLY the files under $cur whose name ends in one of the
# given suffixes, and folders to descend into.
_budgetopt_files()
{
	local f IFS=$'\n' suffix
	compopt -o filenames 2>/dev/null
	for f in $(compgen -d -- "$cur"); do
		COMPREPLY+=("$f")
	done
	for f in $(compgen -f -- "$cur"); do
		[ -d "$f" ] && continue
		if [ $# -eq 0 ]; then
			COMPREPLY+=("$f")
			continue
		fi
		for suffix in "$@"; do
			case $f in
			*"$suffix") COMPREPLY+=("$f"); break ;;
			esac
		done
	done
}

_budgetopt()
{
	local prog=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]}
	local cword=$COMP_CWORD prev="" cmd="" i w line opts="" takes=" "
	COMPREPLY=()

	# "--opt=value": bash splits at "=" (COMP_WORDBREAKS), so the word
	# before the value is "=" and the option the one before it.
	if [ "$cur" = "=" ]; then
		cur=""
		prev=${COMP_WORDS[cword - 1]}
	elif [ "$cword" -ge 2 ] && [ "${COMP_WORDS[cword - 1]}" = "=" ]; then
		prev=${COMP_WORDS[cword - 2]}
	elif [ "$cword" -ge 1 ]; then
		prev=${COMP_WORDS[cword - 1]}
	fi

	# The command is the first word after the program that is not an
	# option of the program itself.
	for ((i = 1; i < cword; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--list-options) i=$((i + 1)); continue ;;
		-*) continue ;;
		*) cmd=$w; break ;;
		esac
	done

	if [ -z "$cmd" ]; then
		if [ "$prev" = "--list-options" ]; then
			COMPREPLY=($(compgen -W "$("$prog" --commands 2>/dev/null)" -- "$cur"))
		elif [[ $cur == -* ]]; then
			while read -r line; do
				opts="$opts ${line%% *}"
			done < <("$prog" --list-options 2>/dev/null)
			COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$("$prog" --commands 2>/dev/null)" -- "$cur"))
		fi
		return 0
	fi

	# The command's options, and which of them take a value.
	while read -r line; do
		w=${line%% *}
		opts="$opts $w"
		case $line in
		*" ARG") takes="$takes$w " ;;
		esac
	done < <("$prog" --list-options "$cmd" 2>/dev/null)

	if [[ $takes == *" $prev "* ]]; then
		case $prev in
		--storage | --from | --to) _budgetopt_files .db .sqlite .sqlite3 ;;
		--catalog) _budgetopt_files .csv ;;
		--study) _budgetopt_files .yaml .yml ;;
		--trials-dir)
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -d -- "$cur"))
			;;
		--output | -o | --token-file) _budgetopt_files ;;
		--state) COMPREPLY=($(compgen -W "queued running complete pruned failed" -- "$cur")) ;;
		--format)
			case $cmd in
			status) w="text json" ;;
			export) w="csv json" ;;
			report) w="html md" ;;
			*) w="text csv json" ;;
			esac
			COMPREPLY=($(compgen -W "$w" -- "$cur"))
			;;
		esac
		# Any other value (a number, an expression) has nothing to offer.
		return 0
	fi

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	else
		_budgetopt_files .yaml .yml
	fi
	return 0
}

complete -F _budgetopt budgetopt
