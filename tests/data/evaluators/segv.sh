#!/bin/sh
# Test evaluator: ends itself with SIGSEGV.
kill -SEGV $$
