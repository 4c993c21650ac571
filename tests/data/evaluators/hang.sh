#!/bin/sh
# Test evaluator: says it is ready, then hangs until killed.
echo ready
sleep 1000
