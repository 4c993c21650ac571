#!/bin/bash
# Slurm executor, against a real one-node cluster: see slurm_cases.py (external_cancel).
# Usage (from CTest): run-external-cancel.sh <budgetopt program> <source dir> <scratch dir>
exec bash "$2/tests/slurm/with-cluster.sh" "$1" "$2" "$3" external_cancel
