#!/usr/bin/env python3
# Test evaluator: spins for $1 seconds of CPU time, prints "busy", then with
# $2 = hang waits until killed.
import sys
import time

t0 = time.process_time()
while time.process_time() - t0 < float(sys.argv[1]):
    pass
print("busy", flush=True)
if len(sys.argv) > 2 and sys.argv[2] == "hang":
    time.sleep(1000)
