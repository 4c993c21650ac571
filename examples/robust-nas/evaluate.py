#!/usr/bin/env python3
"""Evaluator for examples/robust-nas: one NAS-Bench-201 cell on one edge
device, under one scenario, looked up in the HW-NAS-Bench / NAS-Bench-201
tables through examples/hwnas/evaluate.py (same data, same charge: see that
file and shared/data/hwnas_nb201/SOURCE.md).

The scenario (BUDGETOPT_SCENARIO, or --scenario) says what the cell meets
once deployed:
  cifar10          the data it was designed on (CIFAR-10 accuracy)
  imagenet16       shifted data: ImageNet-16-120 accuracy (a harder,
                   120-class task on 16x16 images)
  cifar10-pixel3   CIFAR-10, but part of the traffic falls back to the
                   users' Pixel 3 phones: latency_ms is the slower of the
                   chosen device and the Pixel 3 (hardware heterogeneity)

It prints one JSON line, budgetopt's evaluator protocol:
  {"metrics": {"val_acc", "latency_ms", "energy_mj", "flops_M"},
   "usage": {"gpu_hours.a100": flops_M * K}}
Data folder: --data DIR, else $BUDGETOPT_DATA, else ../shared/data beside
the repository (the tables are never copied into it). Python standard
library only.
"""
import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = {"cifar10": ("cifar10", None), "imagenet16": ("imagenet16", None),
             "cifar10-pixel3": ("cifar10", "pixel3")}


def load_hwnas():
    spec = importlib.util.spec_from_file_location(
        "hwnas_evaluate", os.path.join(HERE, "..", "hwnas", "evaluate.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main(argv):
    hw = load_hwnas()
    scenario = os.environ.get("BUDGETOPT_SCENARIO", "cifar10")
    if argv[:1] == ["--scenario"] and len(argv) >= 2:
        scenario, argv = argv[1], argv[2:]
    if scenario not in SCENARIOS:
        sys.stderr.write("evaluate.py: unknown scenario %r (expected one of %s)\n"
                         % (scenario, ", ".join(SCENARIOS)))
        return 2
    dataset, fallback = SCENARIOS[scenario]
    a = hw.parse_args(argv + ["--dataset", dataset])
    path = os.path.join(hw.data_dir(a.data), hw.SUBDIR, hw.TABLES[dataset])
    try:
        if not os.path.isfile(path):
            raise hw.Failure("data file not found: %s\n%s" % (path, hw.UPSTREAM), 2)
        table = hw.Table(path)
        report = hw.evaluate(table, a.edges, a.device, a.gpu_hours_per_mflop)
        if fallback:
            other = hw.evaluate(table, a.edges, fallback, 0.0)
            report["metrics"]["latency_ms"] = max(report["metrics"]["latency_ms"],
                                                  other["metrics"]["latency_ms"])
    except hw.Failure as e:
        if e.report is not None:
            print(json.dumps(e.report), flush=True)
        sys.stderr.write("evaluate.py: %s\n" % e)
        return e.code
    except (OSError, ValueError) as e:
        sys.stderr.write("evaluate.py: cannot read %s: %s\n" % (path, e))
        return 2
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
