#!/usr/bin/env python3
# Test evaluator: holds $1 MB of memory, every page written.
import sys

block = b"\x01" * (int(sys.argv[1]) * 1024 * 1024)
print(len(block))
