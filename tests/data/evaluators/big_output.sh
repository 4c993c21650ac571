#!/bin/sh
# Test evaluator: writes exactly $1 bytes of "0123456789abcdef\n" lines on stdout
# (the last line cut short) and one line on stderr.
echo "big output starting" >&2
yes 0123456789abcdef | head -c "$1"
