#!/bin/sh
# Test evaluator: prints "$1 <i>" for i = 0 .. $2-1, one write per line;
# with $3 = err, prints the same lines on stderr too.
i=0
while [ "$i" -lt "$2" ]; do
	echo "$1 $i"
	if [ "$3" = err ]; then echo "$1 $i" >&2; fi
	i=$((i + 1))
done
