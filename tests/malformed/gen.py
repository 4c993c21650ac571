#!/usr/bin/env python3
"""Generates tests/malformed/cases/*.yaml: broken study files, each made from
the good base study below by one mutation. The first line of every case is
"# expect: [LINE:COL: ]<substring of the message>"; run-validate.sh checks
that `budgetopt validate` exits 2 with that text. Run from anywhere:
    python3 tests/malformed/gen.py
It rewrites cases/ and good/base.yaml (commit both). Standard library only."""
import os
import re
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))

BASE = """\
name: digits-serving
seed: 7
space:
  family:        {choice: [logreg, forest, mlp]}
  C:             {float: [1e-3, 1e3], log: true, when: {family: logreg}}
  n_estimators:  {int: [10, 500], log: true, when: {family: forest}}
  max_depth:     {int: [2, 32], step: 2, when: {family: forest}}
  hidden:        {choice: [32, 64, 128, 256], when: {family: mlp}}
  data_fraction: {float: [0.1, 1.0]}
  gpu:           {choice: [none, l4, a100]}
constraints:
  - "gpu == 'none' or family == 'mlp'"
inputs:
  requests_per_month: 5.0e7
prices:
  version: 2026-11
  currency: USD
  cpu_hours: 0.048
  gpu_hours: {none: 0, l4: 0.80, a100: 3.40}
metrics:
  accuracy: {maximize: true}
  latency_ms: {}
derived:
  monthly_serving_cost: "latency_ms / 3.6e6 * requests_per_month * (price.cpu_hours + price.gpu_hours[gpu])"
objectives: [accuracy, monthly_serving_cost]
guardrails:
  - "latency_ms <= 2"
score: "accuracy / monthly_serving_cost"
budget:
  money: 5.00
  trials: 200
  time: 30m
  per_trial: {money: 0.20, time: 5m}
sampler: auto
evaluator:
  parallel: 2
  timeout: 5m
  command: [python3, evaluate.py, --family, "{family}", --data-fraction, "{data_fraction}"]
"""

cases = []


def add(name, expect, body):
    if isinstance(body, str):
        body = body.encode("utf-8")
    cases.append((name, expect, body))


def pos(body, token, nth=0, line_after=0):
    """'LINE:COL' of the nth occurrence of token in body (as the file will be:
    one header line first), counting columns in characters."""
    lines = body.split("\n")
    seen = 0
    for i, l in enumerate(lines):
        if i < line_after:
            continue
        start = 0
        while True:
            k = l.find(token, start)
            if k < 0:
                break
            if seen == nth:
                return "%d:%d" % (i + 2, k + 1)
            seen += 1
            start = k + 1
    raise SystemExit("token not found: %r" % token)


def sub(old, new, count=1, text=BASE):
    if old not in text:
        raise SystemExit("not in base: %r" % old)
    return text.replace(old, new, count)


def line_cut(body, n):
    return "\n".join(body.split("\n")[:n]) + ("\n" if n else "")


# ---- truncations at every line boundary -----------------------------------
blines = BASE.split("\n")
ev_line = blines.index("evaluator:")
for n in range(0, len(blines) - 2):
    body = line_cut(BASE, n)
    if n == 0:
        exp = "the study file is empty"
    elif n <= ev_line:
        exp = 'missing required key "evaluator"'
    elif n == ev_line + 1:
        exp = "evaluator: expected a mapping, found nothing"
    else:
        exp = 'missing required key "command"'
    add("trunc-line-%02d" % n, exp, body)

# ---- truncations inside flow collections and quoted strings ---------------
k = 0
for i, l in enumerate(blines):
    for j in range(1, len(l)):
        pre = l[:j]
        opens = pre.count("[") + pre.count("{") - pre.count("]") - pre.count("}")
        quotes = pre.count('"') % 2
        if (opens > 0 or quotes) and (j % 7 == 0):
            body = "\n".join(blines[:i] + [pre])
            add("trunc-mid-%03d" % k, "yaml syntax error", body)
            k += 1

# ---- wrong types at every key ---------------------------------------------
WT = [
    ("name: digits-serving", "name: [a, b]", "[a, b]", "name: expected a string, found a list"),
    ("name: digits-serving", "name: {a: 1}", "{a: 1}", "name: expected a string, found a mapping"),
    ("name: digits-serving", "name:", None, "name: expected a string, found nothing"),
    ("seed: 7", "seed: seven", "seven", 'seed: expected a number, found a string "seven"'),
    ("seed: 7", "seed: [7]", "[7]", "seed: expected a number, found a list"),
    ("seed: 7", "seed: 7.5", "7.5", "seed: expected an integer"),
    ("seed: 7", "seed: -7", "-7", "seed: must be at least 0"),
    ("space:\n", "space: 5\nold_space:\n", "5", "space: expected a mapping, found a number"),
    ("{choice: [logreg, forest, mlp]}", "logreg", "logreg", 'parameter "family": expected a mapping, found a string'),
    ("{choice: [logreg, forest, mlp]}", "[logreg]", "[logreg]", 'parameter "family": expected a mapping, found a list'),
    ("{choice: [logreg, forest, mlp]}", "{choice: logreg}", "logreg", 'parameter "family": expected a list of labels'),
    ("{choice: [logreg, forest, mlp]}", "{choice: {a: 1}}", "{a: 1}", 'parameter "family": expected a list of labels, found a mapping'),
    ("[1e-3, 1e3]", "[small, 1e3]", "small", 'parameter "C": expected a number, found a string "small"'),
    ("[1e-3, 1e3]", "[1e-3]", "[1e-3]", 'parameter "C": expected [lo, hi]'),
    ("[1e-3, 1e3]", "[1e-3, 1, 2]", "[1e-3, 1, 2]", 'parameter "C": expected [lo, hi]'),
    ("[1e-3, 1e3]", "1e-3", "1e-3", 'parameter "C": expected [lo, hi], a list of two numbers, found a number'),
    ("[1e-3, 1e3]", "[{a: 1}, 1e3]", "{a: 1}", 'parameter "C": expected a number, found a mapping'),
    ("[1e-3, 1e3]", "['1e-3', 1e3]", "'1e-3'", 'parameter "C": expected a number, found a string'),
    ("log: true, when: {family: logreg}", "log: maybe, when: {family: logreg}", "maybe", 'parameter "C": expected true or false'),
    ("log: true, when: {family: logreg}", "log: [true], when: {family: logreg}", "[true]", 'parameter "C": expected true or false, found a list'),
    ("step: 2,", "step: two,", "two", 'parameter "max_depth": expected a number'),
    ("step: 2,", "step: [2],", "[2]", 'parameter "max_depth": expected a number, found a list'),
    ("when: {family: logreg}", "when: [logreg]", "[logreg]", 'condition of parameter "C": expected a mapping'),
    ("when: {family: logreg}", "when: {family: {a: 1}}", "{a: 1}", 'condition on "family": expected a value or a list of values, found a mapping'),
    ("constraints:\n  - \"gpu == 'none' or family == 'mlp'\"", "constraints: \"gpu == 'none'\"", "\"gpu", "constraints: expected a list, found a string"),
    ("  - \"gpu == 'none' or family == 'mlp'\"", "  - {a: 1}", "{a: 1}", "constraint: expected an expression string, found a mapping"),
    ("  - \"gpu == 'none' or family == 'mlp'\"", "  - [a]", "[a]", "constraint: expected an expression string, found a list"),
    ("  requests_per_month: 5.0e7", "  requests_per_month: many", "many", 'input "requests_per_month": expected a number, found a string'),
    ("  requests_per_month: 5.0e7", "  requests_per_month: [5]", "[5]", 'input "requests_per_month": expected a number, found a list'),
    ("inputs:\n  requests_per_month: 5.0e7", "inputs: [5.0e7]", "[5.0e7]", "inputs: expected a mapping, found a list"),
    ("  cpu_hours: 0.048", "  cpu_hours: cheap", "cheap", 'price "cpu_hours": expected a number, found a string'),
    ("  cpu_hours: 0.048", "  cpu_hours: [0.048]", "[0.048]", 'price "cpu_hours": expected a number, found a list'),
    ("{none: 0, l4: 0.80, a100: 3.40}", "{none: 0, l4: 0.80, a100: dear}", "dear", 'price "gpu_hours": expected a number'),
    ("  currency: USD", "  currency: [USD]", "[USD]", "prices: currency: expected a string, found a list"),
    ("  currency: USD", "  currency: dollars", "dollars", "currency must be a 3-letter code"),
    ("  version: 2026-11", "  version: {a: 1}", "{a: 1}", "prices: version: expected a string, found a mapping"),
    ("prices:\n  version", "prices: 5\nold_prices:\n  version", "5", "prices: expected a mapping, found a number"),
    ("  accuracy: {maximize: true}", "  accuracy: 5", "5", 'metric "accuracy": expected a mapping, found a number'),
    ("  accuracy: {maximize: true}", "  accuracy: {maximize: 3}", "3", 'metric "accuracy": expected true or false, found a number'),
    ("  accuracy: {maximize: true}", "  accuracy: {maximize: true, optional: often}", "often", 'metric "accuracy": expected true or false'),
    ("  accuracy: {maximize: true}", "  accuracy: {maximize: true, minimize: true}", "{maximize", 'metric "accuracy": both maximize and minimize are set'),
    ("metrics:\n  accuracy", "metrics: [accuracy]\nold_metrics:\n  accuracy", "[accuracy]", "metrics: expected a mapping, found a list"),
    ("  monthly_serving_cost: \"", "  monthly_serving_cost: [1]\n  other: \"", "[1]", 'derived metric "monthly_serving_cost": expected an expression string, found a list'),
    ("  monthly_serving_cost: \"", "  monthly_serving_cost: {expr: [1]}\n  other: \"", "[1]", 'derived metric "monthly_serving_cost": expected an expression string'),
    ("  monthly_serving_cost: \"", "  monthly_serving_cost: {maximize: true}\n  other: \"", "{maximize", 'missing required key "expr"'),
    ("objectives: [accuracy, monthly_serving_cost]", "objectives: accuracy", "accuracy", "objectives: expected a list, found a string"),
    ("objectives: [accuracy, monthly_serving_cost]", "objectives: [[accuracy]]", "[accuracy]]", "objective: expected a metric name, found a list"),
    ("objectives: [accuracy, monthly_serving_cost]", "objectives: [{maximize: [accuracy]}]", "[accuracy]", "objective: expected a metric name, found a list"),
    ("guardrails:\n  - \"latency_ms <= 2\"", "guardrails: \"latency_ms <= 2\"", "\"latency_ms <= 2\"", "guardrails: expected a list, found a string"),
    ("  - \"latency_ms <= 2\"", "  - {latency_ms: 2}", "{latency_ms", "guardrail: expected an expression string, found a mapping"),
    ("score: \"accuracy / monthly_serving_cost\"", "score: [accuracy]", "[accuracy]", "score: expected an expression string, found a list"),
    ("score: \"accuracy / monthly_serving_cost\"", "score: {maximize: [accuracy]}", "[accuracy]", "score: expected an expression string, found a list"),
    ("  money: 5.00", "  money: five", "five", "budget: money: expected a number, found a string"),
    ("  money: 5.00", "  money: [5]", "[5]", "budget: money: expected a number, found a list"),
    ("  trials: 200", "  trials: 1.5", "1.5", "budget: trials: expected an integer"),
    ("  trials: 200", "  trials: many", "many", "budget: trials: expected a number"),
    ("  trials: 200", "  trials: {a: 1}", "{a: 1}", "budget: trials: expected a number, found a mapping"),
    ("  time: 30m", "  time: [30m]", "[30m]", "budget: time: expected a duration"),
    ("  time: 30m", "  time: soon", "soon", "budget: time: invalid duration"),
    ("  time: 30m", "  time: 30x", "30x", "budget: time: invalid duration"),
    ("  time: 30m", "  time: 1h30", "1h30", "budget: time: invalid duration"),
    ("  time: 30m", "  time: -5", "-5", "budget: time: a duration must be positive"),
    ("  per_trial: {money: 0.20, time: 5m}", "  per_trial: 5", "5", "budget: per_trial: expected a mapping, found a number"),
    ("  per_trial: {money: 0.20, time: 5m}", "  per_trial: {money: cheap, time: 5m}", "cheap", "budget: per_trial: money: expected a number"),
    ("  per_trial: {money: 0.20, time: 5m}", "  per_trial: {money: 0.20, time: m5}", "m5", "budget: per_trial: time: invalid duration"),
    ("budget:\n  money", "budget: 5\nold_budget:\n  money", "5", "budget: expected a mapping, found a number"),
    ("sampler: auto", "sampler: [auto]", "[auto]", "sampler: expected a string, found a list"),
    ("sampler: auto", "storage: {a: 1}", "{a: 1}", "storage: expected a string, found a mapping"),
    ("  parallel: 2", "  parallel: two", "two", "evaluator: parallel: expected a number"),
    ("  parallel: 2", "  parallel: 0", "0", "evaluator: parallel: must be between 1 and"),
    ("  parallel: 2", "  parallel: 2.5", "2.5", "evaluator: parallel: expected an integer"),
    ("  timeout: 5m", "  timeout: [5m]", "[5m]", "evaluator: timeout: expected a duration"),
    ("  timeout: 5m", "  timeout: 5 minutes", "5 minutes", "evaluator: timeout: invalid duration"),
    ("  timeout: 5m", "  timeout: 0", "0", "evaluator: timeout: a duration must be positive"),
    ("  timeout: 5m", "  shell: maybe", "maybe", "evaluator: shell: expected true or false"),
    ("  timeout: 5m", "  env: [A]", "[A]", "evaluator: env: expected a mapping, found a list"),
    ("  timeout: 5m", "  env: {A: [1]}", "[1]", "evaluator: env: expected a string, found a list"),
    ("  timeout: 5m", "  env: {1A: x}", "1A", "invalid environment variable name"),
    ("  timeout: 5m", "  workdir: {a: 1}", "{a: 1}", "evaluator: workdir: expected a string, found a mapping"),
    ("  command: [python3, evaluate.py, --family, \"{family}\", --data-fraction, \"{data_fraction}\"]",
     "  command: python3 evaluate.py", "python3 evaluate.py", "evaluator: command must be a list of strings"),
    ("  command: [python3, evaluate.py, --family, \"{family}\", --data-fraction, \"{data_fraction}\"]",
     "  command: {python3: 1}", "{python3", "evaluator: command must be a list of strings (the argv), found a mapping"),
    ("  command: [python3, evaluate.py, --family, \"{family}\", --data-fraction, \"{data_fraction}\"]",
     "  command: []", "[]", "evaluator: command is empty"),
    ("  command: [python3, evaluate.py, --family, \"{family}\", --data-fraction, \"{data_fraction}\"]",
     "  command: [python3, [evaluate.py]]", "[evaluate.py]", "evaluator: command: expected a string, found a list"),
    ("  command: [python3, evaluate.py, --family, \"{family}\", --data-fraction, \"{data_fraction}\"]",
     "  shell: true\n  command: [python3, evaluate.py]", "[python3, evaluate.py]", "with shell: true, command must be a single string"),
    ("evaluator:\n  parallel", "evaluator: python3\nold_evaluator:\n  parallel", "python3", "evaluator: expected a mapping, found a string"),
    ("  per_trial: {money: 0.20, time: 5m}", "  per_trial: {money: None, time: 5m}", "None", "budget: per_trial: money: expected a number > 0 or none, found \"None\""),
    ("  per_trial: {money: 0.20, time: 5m}", "  per_trial: {money: \"none\", time: 5m}", "\"none\"", "budget: per_trial: money: expected a number, found a string"),
]
for i, (old, new, tok, msg) in enumerate(WT):
    body = sub(old, new)
    at = "" if tok is None else pos(body, tok, line_after=body.split("\n").index(new.split("\n")[0]) if new.split("\n")[0] in body.split("\n") else 0) + ": "
    add("type-%03d" % i, at + msg, body)

# ---- huge numbers, NaN and infinities -------------------------------------
HUGE = [
    ("  money: 5.00", "  money: 1e999", "1e999", "budget: money: number 1e999 is too large"),
    ("  trials: 200", "  trials: 99999999999999999999", "9999", "budget: trials: integer 99999999999999999999 is out of range"),
    ("  trials: 200", "  trials: 9223372036854775808", "9223", "budget: trials: integer 9223372036854775808 is out of range"),
    ("  trials: 200", "  trials: 1e300", "1e300", "budget: trials: integer 1e300 is out of range"),
    ("[1e-3, 1e3]", "[1e-3, 1e999]", "1e999", 'parameter "C": number 1e999 is too large'),
    ("[1e-3, 1e3]", "[-1e999, 1e3]", "-1e999", 'parameter "C": number -1e999 is too large'),
    ("[0.1, 1.0]", "[.nan, 1.0]", ".nan", 'parameter "data_fraction": expected a finite number, found .nan'),
    ("[0.1, 1.0]", "[0.1, .inf]", ".inf", 'parameter "data_fraction": expected a finite number, found .inf'),
    ("[0.1, 1.0]", "[-.Inf, 1.0]", "-.Inf", 'parameter "data_fraction": expected a finite number, found -.Inf'),
    ("[0.1, 1.0]", "[.NaN, .NAN]", ".NaN", 'expected a finite number, found .NaN'),
    ("[10, 500]", "[10, 1e20]", "[10, 1e20]", 'parameter "n_estimators": int bounds must be within'),
    ("  requests_per_month: 5.0e7", "  requests_per_month: .inf", ".inf", 'input "requests_per_month": expected a finite number'),
    ("  requests_per_month: 5.0e7", "  requests_per_month: 5e400", "5e400", 'input "requests_per_month": number 5e400 is too large'),
    ("  cpu_hours: 0.048", "  cpu_hours: .nan", ".nan", 'price "cpu_hours": expected a finite number'),
    ("{none: 0, l4: 0.80, a100: 3.40}", "{none: 0, l4: 0.80, a100: 3e999}", "3e999", 'price "gpu_hours": number 3e999 is too large'),
    ("seed: 7", "seed: 99999999999999999999", "9999", "seed: integer 99999999999999999999 is out of range"),
    ("  parallel: 2", "  parallel: 1e999", "1e999", "evaluator: parallel: number 1e999 is too large"),
    ("  parallel: 2", "  parallel: 99999999999", "9999", "evaluator: parallel: must be between 1 and"),
    ("step: 2,", "step: 1e999,", "1e999", 'parameter "max_depth": number 1e999 is too large'),
    ("  time: 30m", "  time: .inf", ".inf", "budget: time: expected a finite number"),
    ("  timeout: 5m", "  timeout: 1e999s", "1e999s", "evaluator: timeout: invalid duration"),
    ("  per_trial: {money: 0.20, time: 5m}", "  per_trial: {money: .nan, time: 5m}", ".nan", "budget: per_trial: money: expected a finite number"),
]
for i, (old, new, tok, msg) in enumerate(HUGE):
    body = sub(old, new)
    add("huge-%02d" % i, pos(body, tok) + ": " + msg, body)

# ---- bounds, steps and choices --------------------------------------------
BND = [
    ("[2, 32]", "[32, 2]", "[32, 2]", 'parameter "max_depth": lower bound 32 is above upper bound 2'),
    ("[1e-3, 1e3]", "[10, 1]", "[10, 1]", 'parameter "C": lower bound 10 is above upper bound 1'),
    ("[1e-3, 1e3]", "[0, 1e3]", "true, when: {family: logreg}", 'parameter "C": a log scale needs a positive lower bound, found 0'),
    ("[1e-3, 1e3]", "[-1, 1e3]", "true, when: {family: logreg}", 'a log scale needs a positive lower bound, found -1'),
    ("step: 2,", "step: 0,", "0, when", 'parameter "max_depth": step must be positive, found 0'),
    ("step: 2,", "step: -2,", "-2, when", 'parameter "max_depth": step must be positive, found -2'),
    ("step: 2,", "step: 40,", "40, when", 'parameter "max_depth": step 40 is larger than the range'),
    ("step: 2,", "step: 1.5,", "1.5, when", 'the step of an int parameter must be an integer'),
    ("[2, 32]", "[2.5, 32]", "[2.5, 32]", "the bounds of an int parameter must be integers"),
    ("{choice: [none, l4, a100]}", "{choice: []}", "[]", 'parameter "gpu": a choice needs at least one label'),
    ("{choice: [none, l4, a100]}", "{choice: [none, l4, none]}", "none]", 'duplicate choice "none"'),
    ("{choice: [32, 64, 128, 256]", "{choice: [32, 64, 64, 256]", "64, 256", 'duplicate choice "64"'),
    ("{choice: [none, l4, a100]}", "{choice: [none, ~, a100]}", "~", 'a label must be a string or a number, found nothing'),
    ("{choice: [none, l4, a100]}", "{choice: [none, [l4], a100]}", "[l4]", 'a label must be a string or a number, found a list'),
    ("{choice: [none, l4, a100]}", "{choice: [none, '', a100]}", "''", 'a label must be a string or a number, found an empty string'),
    ("{choice: [none, l4, a100]}", "{choice: [none, l4], log: true}", "true}", '"log" applies only to float and int parameters'),
    ("{choice: [none, l4, a100]}", "{ordinal: [none, l4], step: 1}", "1}", '"step" applies only to float and int parameters'),
    ("{choice: [none, l4, a100]}", "{choice: [none, l4], float: [0, 1]}", "{choice: [none, l4], float", 'parameter "gpu" has more than one type'),
    ("{choice: [none, l4, a100]}", "{log: true}", "{log", 'parameter "gpu" has no type'),
    ("{choice: [none, l4, a100]}", "{}", "{}", 'parameter "gpu" has no type'),
]
for i, (old, new, tok, msg) in enumerate(BND):
    body = sub(old, new)
    add("bounds-%02d" % i, pos(body, tok) + ": " + msg, body)

# ---- duplicate keys at every level -----------------------------------------
DUP = [
    ("sampler: auto", "sampler: auto\nname: again", "name: again", 'duplicate key "name" (first at line 2 column 1)'),
    ("  gpu:           {choice: [none, l4, a100]}", "  gpu:           {choice: [none, l4, a100]}\n  gpu: {float: [0, 1]}", "gpu: {float", 'duplicate key "gpu"'),
    ("{float: [0.1, 1.0]}", "{float: [0.1, 1.0], float: [0, 1]}", "float: [0, 1]", 'duplicate key "float"'),
    ("  cpu_hours: 0.048", "  cpu_hours: 0.048\n  cpu_hours: 0.05", "cpu_hours: 0.05", 'duplicate key "cpu_hours"'),
    ("{none: 0, l4: 0.80, a100: 3.40}", "{none: 0, l4: 0.80, l4: 3.40}", "l4: 3.40", 'duplicate key "l4"'),
    ("  latency_ms: {}", "  latency_ms: {}\n  accuracy: {}", "accuracy: {}", 'duplicate key "accuracy"'),
    ("  trials: 200", "  trials: 200\n  trials: 300", "trials: 300", 'duplicate key "trials"'),
    ("{money: 0.20, time: 5m}", "{money: 0.20, time: 5m, money: 1}", "money: 1", 'duplicate key "money"'),
    ("  timeout: 5m", "  timeout: 5m\n  timeout: 6m", "timeout: 6m", 'duplicate key "timeout"'),
    ("{maximize: true}", "{maximize: true, maximize: false}", "maximize: false", 'duplicate key "maximize"'),
    ("when: {family: logreg}", "when: {family: logreg, family: mlp}", "family: mlp", 'duplicate key "family"'),
    ("  requests_per_month: 5.0e7", "  requests_per_month: 5.0e7\n  requests_per_month: 6", "requests_per_month: 6", 'duplicate key "requests_per_month"'),
    ("seed: 7", "seed: 7\nseed: 8", "seed: 8", 'duplicate key "seed"'),
]
for i, (old, new, tok, msg) in enumerate(DUP):
    body = sub(old, new)
    add("dupkey-%02d" % i, pos(body, tok) + ": " + msg, body)

# ---- unknown keys with typos ----------------------------------------------
TYPO = [
    ("name: digits", "nmae: digits", "nmae", 'unknown key "nmae" in the study (did you mean "name"?)'),
    ("space:\n", "spcae:\n", "spcae", 'unknown key "spcae" in the study (did you mean "space"?)'),
    ("evaluator:\n", "evaluater:\n", "evaluater", 'unknown key "evaluater" in the study (did you mean "evaluator"?)'),
    ("budget:\n", "budgte:\n", "budgte", 'unknown key "budgte" in the study (did you mean "budget"?)'),
    ("sampler: auto", "sampelr: auto", "sampelr", 'unknown key "sampelr" in the study (did you mean "sampler"?)'),
    ("objectives:", "objective:", "objective:", 'unknown key "objective" in the study (did you mean "objectives"?)'),
    ("guardrails:", "guardrail:", "guardrail:", 'unknown key "guardrail" in the study (did you mean "guardrails"?)'),
    ("constraints:", "constraint:", "constraint:", 'unknown key "constraint" in the study (did you mean "constraints"?)'),
    ("metrics:", "metric:", "metric:", 'unknown key "metric" in the study (did you mean "metrics"?)'),
    ("derived:", "derive:", "derive:", 'unknown key "derive" in the study (did you mean "derived"?)'),
    ("{float: [1e-3, 1e3]", "{flaot: [1e-3, 1e3]", "flaot", 'unknown key "flaot" in parameter "C" (did you mean "float"?)'),
    ("{int: [10, 500]", "{itn: [10, 500]", "itn", 'unknown key "itn" in parameter "n_estimators" (did you mean "int"?)'),
    ("{choice: [logreg", "{choise: [logreg", "choise", 'unknown key "choise" in parameter "family" (did you mean "choice"?)'),
    ("log: true, when: {family: logreg}", "lgo: true, when: {family: logreg}", "lgo", 'unknown key "lgo" in parameter "C" (did you mean "log"?)'),
    ("step: 2,", "stpe: 2,", "stpe", 'unknown key "stpe" in parameter "max_depth" (did you mean "step"?)'),
    ("when: {family: mlp}", "wehn: {family: mlp}", "wehn", 'unknown key "wehn" in parameter "hidden" (did you mean "when"?)'),
    ("  money: 5.00", "  mony: 5.00", "mony", 'unknown key "mony" in budget (did you mean "money"?)'),
    ("  trials: 200", "  trails: 200", "trails", 'unknown key "trails" in budget (did you mean "trials"?)'),
    ("  per_trial:", "  pertrial:", "pertrial", 'unknown key "pertrial" in budget (did you mean "per_trial"?)'),
    ("{money: 0.20, time: 5m}", "{money: 0.20, tim: 5m}", "tim:", 'unknown key "tim" in budget: per_trial (did you mean "time"?)'),
    ("  command:", "  comand:", "comand", 'unknown key "comand" in evaluator (did you mean "command"?)'),
    ("  parallel: 2", "  paralel: 2", "paralel", 'unknown key "paralel" in evaluator (did you mean "parallel"?)'),
    ("  timeout: 5m", "  timout: 5m", "timout", 'unknown key "timout" in evaluator (did you mean "timeout"?)'),
    ("{maximize: true}", "{maximise: true}", "maximise", 'unknown key "maximise" in metric "accuracy" (did you mean "maximize"?)'),
    ("  latency_ms: {}", "  latency_ms: {optinal: true}", "optinal", 'unknown key "optinal" in metric "latency_ms" (did you mean "optional"?)'),
    ("  monthly_serving_cost: \"", "  other: {exrp: \"1\"}\n  monthly_serving_cost: \"", "exrp", 'unknown key "exrp" in derived metric "other" (did you mean "expr"?)'),
    ("score: \"accuracy", "score: {maximise: \"accuracy\"}\nold: \"accuracy", "maximise", 'unknown key "maximise" in score (did you mean "maximize"?)'),
    ("seed: 7", "sede: 7", "sede", 'unknown key "sede" in the study (did you mean "seed"?)'),
    ("seed: 7", "colour: blue", "colour", 'unknown key "colour" in the study'),
]
for i, (old, new, tok, msg) in enumerate(TYPO):
    body = sub(old, new)
    add("typo-%02d" % i, pos(body, tok) + ": " + msg, body)

# ---- expressions: syntax, names, cycles, conditions, guardrails -----------
DERIV = '  monthly_serving_cost: "latency_ms / 3.6e6 * requests_per_month * (price.cpu_hours + price.gpu_hours[gpu])"'
EXPR = [
    (DERIV, '  monthly_serving_cost: "latency_ms / * 2"', 'derived metric "monthly_serving_cost"', '"latency_ms'),
    (DERIV, '  monthly_serving_cost: "(latency_ms + 2"', 'derived metric "monthly_serving_cost"', '"(latency'),
    (DERIV, '  monthly_serving_cost: "latncy_ms * 2"', 'unknown name "latncy_ms" (did you mean "latency_ms"?)', 'latncy_ms'),
    (DERIV, '  monthly_serving_cost: "accuracy * price.cpu_hour"', 'unknown price "price.cpu_hour" (did you mean "cpu_hours"?)', '"accuracy'),
    (DERIV, '  monthly_serving_cost: "accuracy * price.gpu_hours"', 'price "gpu_hours" is a table', '"accuracy'),
    (DERIV, '  monthly_serving_cost: "\'abc\'"', 'the expression gives a string, not a number', "\"'abc"),
    (DERIV, '  monthly_serving_cost: ""', 'the expression is empty', '""'),
    (DERIV, '  monthly_serving_cost: "accuracy +"', 'derived metric "monthly_serving_cost"', '"accuracy'),
    (DERIV, '  monthly_serving_cost: "frobnicate(accuracy)"', 'derived metric "monthly_serving_cost"', '"frob'),
    ("  - \"gpu == 'none' or family == 'mlp'\"", "  - \"accuracy > 0.5\"", 'metric "accuracy" cannot be used in a constraint', "accuracy > 0.5"),
    ("  - \"gpu == 'none' or family == 'mlp'\"", "  - \"gpu == 'none' or famly == 'mlp'\"", 'unknown name "famly" (did you mean "family"?)', "famly"),
    ("  - \"gpu == 'none' or family == 'mlp'\"", "  - \"gpu == 'none' or\"", "constraint:", "\"gpu"),
    ("  - \"gpu == 'none' or family == 'mlp'\"", "  - \"price.cpu_hours > 1\"", "prices cannot be used in a constraint", "\"price"),
    ("  - \"latency_ms <= 2\"", "  - \"latency_ms + 2\"", 'guardrail "latency_ms + 2" must be a comparison', "\"latency_ms + 2"),
    ("  - \"latency_ms <= 2\"", "  - \"latency_ms\"", 'guardrail "latency_ms" must be a comparison', "\"latency_ms\""),
    ("  - \"latency_ms <= 2\"", "  - \"latency_ms <= 2 and accuracy > 0.5\"", 'must be a comparison', "\"latency_ms <= 2 and"),
    ("  - \"latency_ms <= 2\"", "  - \"latensy_ms <= 2\"", 'unknown name "latensy_ms" (did you mean "latency_ms"?)', "latensy_ms"),
    ("score: \"accuracy / monthly_serving_cost\"", "score: \"accurasy / monthly_serving_cost\"", 'unknown name "accurasy" (did you mean "accuracy"?)', "accurasy"),
    ("score: \"accuracy / monthly_serving_cost\"", "score: \"accuracy / \"", 'score:', "\"accuracy / \""),
    ("when: {family: logreg}", "when: \"famliy == 'logreg'\"", 'unknown name "famliy" (did you mean "family"?)', "famliy"),
    ("when: {family: logreg}", "when: \"gpu == 'l4'\"", 'parameter "gpu" is declared later', "gpu =="),
    ("when: {family: logreg}", "when: {gpu: l4}", 'parameter "gpu" is declared later', "gpu: l4"),
    ("when: {family: logreg}", "when: {famly: logreg}", 'unknown parameter "famly" (did you mean "family"?)', "famly"),
    ("when: {family: logreg}", "when: {family: logrg}", '"logrg" is not a choice of parameter "family" (did you mean "logreg"?)', "logrg"),
    ("when: {family: logreg}", "when: {family: [logreg, svm]}", '"svm" is not a choice of parameter "family"', "svm"),
    ("when: {family: logreg}", "when: {C: 1}", 'a condition cannot refer to its own parameter', "C: 1"),
    ("when: {family: logreg}", "when: \"C > 1\"", 'a condition cannot refer to its own parameter', "C > 1"),
    ("when: {family: logreg}", "when: \"family == \"", 'condition of parameter "C"', "\"family =="),
    ("when: {family: logreg}", "when: {}", 'the condition is empty', "{}"),
    ("when: {family: logreg}", "when: \"family\"", 'a condition must be true or false, not a string', "\"family\""),
    ("when: {family: logreg}", "when: \"accuracy > 1\"", 'metric "accuracy" cannot be used in a condition', "accuracy > 1"),
    ("when: {family: forest}}\n  max", "when: {family: [], n_estimators: 3}}\n  max", 'empty list of values for "family"', "[], n_est"),
    ("objectives: [accuracy, monthly_serving_cost]", "objectives: [acuracy, monthly_serving_cost]", 'objective: unknown metric "acuracy" (did you mean "accuracy"?)', "acuracy"),
    ("objectives: [accuracy, monthly_serving_cost]", "objectives: [accuracy, accuracy]", 'objective "accuracy" is listed twice', "accuracy]"),
    ("objectives: [accuracy, monthly_serving_cost]", "objectives: [family]", 'objective: unknown metric "family"', "family]"),
    ("  command: [python3, evaluate.py, --family, \"{family}\"", "  command: [python3, evaluate.py, --family, \"{famly}\"", 'placeholder "{famly}" names no parameter (did you mean "family"?)', "{famly}"),
    ("  command: [python3, evaluate.py, --family, \"{family}\"", "  command: [python3, evaluate.py, --family, \"{family\"", 'unclosed "{" in the command', "{family\""),
    ("  command: [python3, evaluate.py, --family, \"{family}\"", "  command: [python3, evaluate.py, --family, \"family}\"", 'a lone "}" in the command', "}\", --data"),
    ("  command: [python3, evaluate.py, --family, \"{family}\"", "  command: [python3, evaluate.py, --family, \"{}\"", 'placeholder "{}" names no parameter', "{}\""),
]
for i, (old, new, msg, tok) in enumerate(EXPR):
    body = sub(old, new)
    # expression errors point into the string: only the line is certain
    ln = pos(body, tok).split(":")[0]
    add("expr-%02d" % i, ln + ":", body) if False else add("expr-%02d" % i, msg, body)

CYC = [
    ('  a: "b + 1"\n  b: "a * 2"\n', "derived metrics form a cycle: a -> b -> a"),
    ('  a: "b + 1"\n  b: "c * 2"\n  c: "a"\n', "derived metrics form a cycle: a -> b -> c -> a"),
    ('  a: "a + 1"\n', "derived metrics form a cycle: a -> a"),
    ('  a: {expr: "b", maximize: true}\n  b: "max(a, 1)"\n', "derived metrics form a cycle: a -> b -> a"),
]
for i, (ds, msg) in enumerate(CYC):
    body = sub("derived:\n", "derived:\n" + ds)
    add("cycle-%d" % i, pos(body, "  a: ").split(":")[0] + ":3: " + msg, body)

# ---- names ------------------------------------------------------------------
NAMES = [
    ("name: digits-serving", "name: digits serving!", "digits", 'invalid study name "digits serving!"'),
    ("  gpu:           {choice", "  if:           {choice", "if:", 'parameter name "if" is a reserved word'),
    ("  gpu:           {choice", "  2gpu:           {choice", "2gpu", 'invalid parameter name "2gpu"'),
    ("  latency_ms: {}", "  latency_ms: {}\n  gpu: {}", "gpu: {}", 'name "gpu" is used twice: metric here and parameter'),
    ("  requests_per_month: 5.0e7", "  requests_per_month: 5.0e7\n  accuracy: 1", "accuracy: 1", 'name "accuracy" is used twice'),
    ("  latency_ms: {}", "  latency_ms: {}\n  log: {}", "log: {}", 'metric name "log" is a reserved word'),
    ("  latency_ms: {}", "  latency_ms: {}\n  bad-name: {}", "bad-name", 'invalid metric name "bad-name"'),
    ("  requests_per_month: 5.0e7", "  requests_per_month: 5.0e7\n  max: 3", "max: 3", 'input name "max" is a reserved word'),
    ("  cpu_hours: 0.048", "  cpu_hours: -0.048", "-0.048", 'price "cpu_hours": a price must be >= 0, found -0.048'),
    ("{none: 0, l4: 0.80, a100: 3.40}", "{none: 0, l4: -0.80, a100: 3.40}", "-0.80", 'a price must be >= 0'),
    ("{none: 0, l4: 0.80, a100: 3.40}", "{}", "{}", 'price "gpu_hours": an empty price table'),
    ("sampler: auto", "sampler: tpee", "tpee", 'unknown sampler "tpee" (did you mean "tpe"?)'),
    ("sampler: auto", "sampler: sobl", "sobl", 'unknown sampler "sobl" (did you mean "sobol"?)'),
    ("sampler: auto", "storage: ''", "''", "storage: empty URI"),
    ("  monthly_serving_cost: \"", "  bad name: \"1\"\n  monthly_serving_cost: \"", "bad name", 'invalid derived metric name "bad name"'),
    ("  gpu:           {choice: [none, l4, a100]}", "  gpu:           {choice: [none, l4, a100]}\n  GPU: {choice: [x, y]}", "GPU:",
     'parameter "GPU" and parameter "gpu" at line 11 column 3 would share the environment variable BUDGETOPT_PARAM_GPU'),
    ("  C:             {float", "  c: {float: [1, 2]}\n  C:             {float", "C:             {float",
     'parameter "C" and parameter "c" at line 6 column 3 would share the environment variable BUDGETOPT_PARAM_C'),
]
for i, (old, new, tok, msg) in enumerate(NAMES):
    body = sub(old, new)
    add("names-%02d" % i, pos(body, tok) + ": " + msg, body)

# ---- whole-file problems ---------------------------------------------------
add("file-empty", "1:1: the study file is empty", "")
add("file-comments-only", "1:1: the study file is empty", "# nothing here\n# at all\n")
add("file-two-documents", "3:1: more than one YAML document", "name: a\n---\nname: b\n")
add("file-two-documents-full", "more than one YAML document", BASE + "---\n" + BASE)
add("file-top-list", "2:1: a study file must be a mapping of keys", "- name\n- space\n")
add("file-top-scalar", "2:1: a study file must be a mapping of keys (name:, space:, evaluator:, ...), found a string", "just a string\n")
add("file-top-number", "2:1: a study file must be a mapping of keys (name:, space:, evaluator:, ...), found a number", "42\n")
add("file-missing-name", 'missing required key "name"', sub("name: digits-serving\n", ""))
add("file-missing-space", 'missing required key "space"', re.sub(r"space:\n(  .*\n)+", "", BASE))
add("file-empty-space", "space: at least one parameter is needed", re.sub(r"space:\n(  .*\n)+", "space: {}\n", BASE))
add("file-null-space", "space: expected a mapping, found nothing", re.sub(r"space:\n(  .*\n)+", "space:\n", BASE))
add("file-unknown-alias", "unknown alias", sub("seed: 7", "seed: *nothing"))
add("file-self-alias", "unknown alias", sub("space:\n", "loop: &a [*a]\nspace:\n"))
add("file-key-is-list", "a key must be a plain name, found a list", sub("seed: 7", "[a, b]: 7"))
add("file-key-is-map", "a key must be a plain name, found a mapping", sub("seed: 7", "? {a: 1}\n: 7"))
add("syntax-unclosed-quote", "yaml syntax error", sub('score: "accuracy / monthly_serving_cost"', 'score: "accuracy / monthly_serving_cost'))
add("syntax-bad-indent", "yaml syntax error", sub("  money: 5.00", "   money: 5.00"))
add("syntax-colon", "yaml syntax error", sub("seed: 7", "seed: 7: 8"))
add("syntax-flow-unclosed", "yaml syntax error", sub("[logreg, forest, mlp]}", "[logreg, forest, mlp}"))
add("syntax-anchor-junk", "yaml syntax error", sub("seed: 7", "seed: &"))
add("syntax-tag-junk", "yaml syntax error", sub("seed: 7", "seed: !<"))
add("syntax-directive", "yaml syntax error", "%YAML 9.9\n---\n" + BASE)
add("shell-multi", "with shell: true, command must be a single string",
    sub('  command: [python3, evaluate.py, --family, "{family}", --data-fraction, "{data_fraction}"]',
        "  shell: true\n  command: [a, b]"))

# ---- tabs, BOM, NUL and other bytes ------------------------------------------
add("tab-indent", "yaml syntax error", sub("  money: 5.00", "\tmoney: 5.00"))
add("tab-indent-space", "yaml syntax error", sub("  family:", "\tfamily:"))
add("bom-in-name", 'invalid study name', sub("name: digits-serving", "name: digits\ufeffserving"))
add("bom-mid-file", "yaml syntax error", "\ufeff" + sub("name: digits", "nmae: digits"))
for i, off in enumerate([0, 5, 40, 200, 600, len(BASE) - 3]):
    b = bytearray(BASE.encode())
    b[off:off] = b"\x00"
    add("nul-%d" % i, "control characters are not allowed", bytes(b))
for i, (off, bad) in enumerate([(6, b"\xff"), (30, b"\xc3"), (100, b"\xc0\xaf"), (300, b"\xed\xa0\x80"),
                                (700, b"\xf8\x88\x80\x80\x80"), (len(BASE) - 3, b"\xfe"), (0, b"\x80")]):
    b = bytearray(BASE.encode())
    # put the bad bytes at the start of a line's value region
    b[off:off] = bad
    add("utf8-%d" % i, "(the file must be UTF-8 text)", bytes(b))
add("ctrl-char", "control characters are not allowed", sub("seed: 7", "seed: 7\x07"))
add("escape-nul", 'the string contains a NUL character', sub("name: digits-serving", 'name: "digits\\0serving"'))

# ---- nesting --------------------------------------------------------------
add("deep-flow-1000", "the document is nested deeper than 64 levels",
    sub("seed: 7", "seed: " + "[" * 1000 + "]" * 1000))
add("deep-map-1000", "the document is nested deeper than 64 levels",
    sub("seed: 7", "seed: " + "{a: " * 1000 + "1" + "}" * 1000))
block = "".join("  " * i + "k%d:\n" % i for i in range(1, 200)) + "  " * 200 + "v: 1\n"
add("deep-block-200", "the document is nested deeper than 64 levels", sub("seed: 7\n", "seed: 7\njunk:\n" + block))
add("deep-65", "the document is nested deeper than 64 levels", sub("seed: 7", "seed: " + "[" * 65 + "]" * 65))
add("deep-alias", "the document is nested deeper than 64 levels",
    sub("seed: 7", "seed: 7\nx: &d " + "[" * 40 + "]" * 40 + "\ny: " + "[" * 30 + "*d" + "]" * 30))
add("deep-alias-chain", "nested deeper than 64 levels",
    sub("seed: 7", "seed: 7\n" + "\n".join("a%d: &a%d [%s]" % (i, i, "*a%d" % (i - 1) if i else "1") for i in range(70))))


def main():
    cdir = os.path.join(HERE, "cases")
    if os.path.isdir(cdir):
        shutil.rmtree(cdir)
    os.makedirs(cdir)
    names = set()
    for name, expect, body in cases:
        assert name not in names, name
        names.add(name)
        assert "\n" not in expect
        with open(os.path.join(cdir, name + ".yaml"), "wb") as f:
            f.write(("# expect: %s\n" % expect).encode())
            f.write(body)
    os.makedirs(os.path.join(HERE, "good"), exist_ok=True)
    with open(os.path.join(HERE, "good", "base.yaml"), "w") as f:
        f.write(BASE)
    print("%d cases" % len(cases))


if __name__ == "__main__":
    main()
