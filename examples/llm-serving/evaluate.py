#!/usr/bin/env python3
"""Evaluator for examples/llm-serving: answer a task's queries through an
LLM API, or self-host Llama 70B on accelerators, measured from two public
tables (never copied into this repository):

  frugalgpt_llm/frugalgpt_2024_summary.csv   FrugalGPT (Chen, Zaharia, Zou,
      TMLR 2024): each API model's test accuracy and mean USD per query
  frugalgpt_llm/api_prices.csv               the list prices behind them
  mlperf_inference_v4_1/mlperf_inference_v4_1_summary.csv
      MLPerf Inference v4.1: tokens/s of llama2-70b (Server scenario,
      closed division, 99% accuracy target) per published system

  --serving api --model M      accuracy and USD per query of API model M
  --serving self_hosted --accelerator A --count N
                               Llama-3-70B's accuracy (FrugalGPT measured it
                               through togetherai; self-hosting serves the
                               same weights), the best published MLPerf
                               throughput of N accelerators of type A on a
                               70B Llama (llama2-70b is MLPerf's 70B model: a
                               stand-in for Llama 3 70B, same size and
                               architecture), and the tokens a query takes
                               (FrugalGPT's cost per query over the model's
                               price per token)

It prints one JSON line (budgetopt's evaluator protocol):
  {"metrics": {"accuracy", "usd_per_query" (api), "tokens_per_query",
               "tokens_per_s", "accelerators" (self_hosted)},
   "usage": {...}}
The usage is what the evaluation itself costs: the API bill of the task's
test set (api_usd), or the accelerator hours of serving the test set plus a
quarter-hour to start the server (gpu_hours.<type>).

A combination MLPerf has no result for exits 1 with the reason, so the trial
fails and costs nothing. Bad arguments and missing data exit 2.
Data folder: --data DIR, else $BUDGETOPT_DATA, else ../shared/data beside the
repository. Python standard library only.
"""
import argparse
import csv
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LLAMA = "Meta-Llama-3-70B-Instruct-Turbo"
# MLPerf's accelerator names -> the types of this study's price book
ACCEL = {"h100_sxm": ("H100-SXM",), "h100_nvl": ("H100-NVL",), "h200": ("H200-SXM",),
         "mi300x": ("MI300X",), "l40s": ("L40S",), "gh200": ("GH200",)}
# (B200 has only a "preview" result in v4.1: not available to buy, left out)
UPSTREAM = """\
The tables are not part of this repository. They come from
  stanford-futuredata/FrugalGPT (summary/*_full_2024.csv, config/serviceinfo.json) and
  mlcommons/inference_results_v4.1 (see SOURCE.md in each folder of shared/data).
Point --data or BUDGETOPT_DATA at the folder holding frugalgpt_llm/ and mlperf_inference_v4_1/."""


def fail(msg, code):
    sys.stderr.write("evaluate.py: %s\n" % msg)
    sys.exit(code)


def data_dir(arg):
    if arg:
        return arg
    if os.environ.get("BUDGETOPT_DATA"):
        return os.environ["BUDGETOPT_DATA"]
    return os.path.join(HERE, "..", "..", "..", "shared", "data")


def read(path):
    if not os.path.isfile(path):
        fail("data file not found: %s\n%s" % (path, UPSTREAM), 2)
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main(argv):
    ap = argparse.ArgumentParser(description="One way of serving one task's queries.")
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--serving", required=True, choices=["api", "self_hosted"])
    ap.add_argument("--model", default="")
    ap.add_argument("--accelerator", default="", choices=[""] + sorted(ACCEL))
    ap.add_argument("--count", default="")      # empty: inactive (the api)
    ap.add_argument("--data", default="")
    a = ap.parse_args(argv)
    d = data_dir(a.data)
    summary = read(os.path.join(d, "frugalgpt_llm", "frugalgpt_2024_summary.csv"))
    rows = {r["model"]: r for r in summary
            if r["dataset"] == a.dataset and r["row_type"] == "single_model"}
    if not rows:
        fail("no FrugalGPT results for dataset %r" % a.dataset, 2)
    model = a.model if a.serving == "api" else LLAMA
    if model not in rows:
        fail("no FrugalGPT result for model %r on %s" % (model, a.dataset), 2)
    r = rows[model]
    acc = float(r["test_acc"])
    usd_q = float(r["test_cost_usd_per_query"])
    n_test = int(r["test_size"])
    metrics = {"accuracy": acc}
    if a.serving == "api":
        metrics["usd_per_query"] = usd_q
        print(json.dumps({"metrics": metrics, "usage": {"api_usd": usd_q * n_test}}), flush=True)
        return 0
    try:
        count = int(a.count)
    except ValueError:
        count = 0
    if not a.accelerator or count <= 0:
        fail("self_hosted needs --accelerator and --count N (N >= 1)", 2)
    # Llama's input and output tokens cost the same at togetherai: its
    # cost per query over that price is the tokens a query takes.
    prices = read(os.path.join(d, "frugalgpt_llm", "api_prices.csv"))
    per_token = [float(p["usd_per_input_token"]) for p in prices
                 if p["model"].endswith(model) and p["usd_per_input_token"] == p["usd_per_output_token"]]
    if not per_token or per_token[0] <= 0:
        fail("no list price for %r" % model, 2)
    tokens_q = usd_q / per_token[0]
    metrics["tokens_per_query"] = tokens_q
    mlperf = read(os.path.join(d, "mlperf_inference_v4_1", "mlperf_inference_v4_1_summary.csv"))
    best = None
    for m in mlperf:
        if (m["model"] == "llama2-70b-99" and m["scenario"] == "Server" and m["division"] == "closed"
                and m["availability"] == "available"
                and any(k in m["accelerator"] for k in ACCEL[a.accelerator])):
            try:
                n = int(float(m["accelerators_per_node"]) * float(m["nodes"]))
                tps = float(m["performance_result"])
            except ValueError:
                continue
            if n == count and (best is None or tps > best):
                best = tps
    if best is None:
        fail("MLPerf Inference v4.1 has no available closed llama2-70b Server result for %d x %s"
             % (count, a.accelerator), 1)
    metrics["tokens_per_s"] = best
    metrics["accelerators"] = count
    hours = (n_test * tokens_q / best / 3600.0 + 0.25) * count
    print(json.dumps({"metrics": metrics, "usage": {"gpu_hours." + a.accelerator: hours}}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
