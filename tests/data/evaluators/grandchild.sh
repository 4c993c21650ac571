#!/bin/sh
# Test evaluator: leaves a background child holding stdout open, prints its
# pid and exits at once.
sleep 1000 &
echo "$!"
exit 0
