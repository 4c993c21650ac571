#!/usr/bin/env python3
# Test evaluator: prints each argument (after the program name) hex-encoded,
# one per line, so the test can check they arrived byte for byte.
import sys

for a in sys.argv[1:]:
    print(a.encode("utf-8", "surrogateescape").hex())
