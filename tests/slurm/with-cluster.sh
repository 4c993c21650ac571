#!/bin/bash
# Starts a one-node Slurm cluster (cluster.sh), runs one case of
# slurm_cases.py against it, stops the cluster.
# Usage: with-cluster.sh <budgetopt program> <source dir> <scratch dir> <case>
# Exits 77 (CTest's skip) after saying why when no cluster can be started.
set -u
prog=$1 src=$2 scratch=$3 case=$4
rm -rf "$scratch"
mkdir -p "$scratch/cluster"
. "$src/tests/slurm/cluster.sh"
cluster_start "$scratch/cluster"
rc=$?
if [ $rc != 0 ]; then
	cluster_stop
	exit $rc
fi
trap cluster_stop EXIT
python3 "$src/tests/slurm/slurm_cases.py" "$case" "$prog" "$scratch"
rc=$?
[ $rc = 0 ] || { echo "--- slurmctld.log"; tail -15 "$scratch/cluster/slurmctld.log"; }
exit $rc
