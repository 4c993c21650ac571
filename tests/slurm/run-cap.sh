#!/bin/bash
# Slurm executor, against a real one-node cluster: see slurm_cases.py (cap).
# Usage (from CTest): run-cap.sh <budgetopt program> <source dir> <scratch dir>
exec bash "$2/tests/slurm/with-cluster.sh" "$1" "$2" "$3" cap
