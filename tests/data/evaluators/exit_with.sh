#!/bin/sh
# Test evaluator: exits with the code given as $1.
exit "$1"
