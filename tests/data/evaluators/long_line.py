#!/usr/bin/env python3
# Test evaluator: a 3 MB line, a good JSON line, then 2 MB without a newline.
import sys

out = sys.stdout.buffer
out.write(b"x" * (3 * 1000 * 1000))
out.write(b"\n")
out.write(b'{"metrics": {"good": 1}}\n')
out.write(b"y" * (2 * 1000 * 1000))
out.flush()
