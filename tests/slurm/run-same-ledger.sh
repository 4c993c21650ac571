#!/bin/bash
# Slurm executor, against a real one-node cluster: see slurm_cases.py (same_ledger).
# Usage (from CTest): run-same-ledger.sh <budgetopt program> <source dir> <scratch dir>
exec bash "$2/tests/slurm/with-cluster.sh" "$1" "$2" "$3" same_ledger
