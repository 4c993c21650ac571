#!/bin/bash
# Caps are enforced while the sampler computes a slow ask; the asker thread
# proposes the synchronous loop's sequence.
# Usage (from CTest): run-slow-ask.sh <budgetopt program> <source dir> <scratch dir>
exec python3 "$2/tests/fault/slow_ask.py" "$@"
