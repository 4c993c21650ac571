#!/usr/bin/python3
"""bench/samplers_optuna.py - Optuna 3.1 (Debian's python3-optuna) on the
problems of bench/samplers.c, under the same money rule, and the report that
compares both. A measurement, not a test.

  samplers_optuna.py run PROBLEM SAMPLER NSEEDS [NB201_CSV]   JSON lines, as samplers.c
  samplers_optuna.py time SAMPLER NOBJ                        ms per ask+tell at 100/1000/2000
  samplers_optuna.py report RESULTS.jsonl [NB201_CSV]         the table (markdown)

Money rule: every evaluation is charged its cost; a trial is asked while the
money left is at least the problem's largest evaluation cost (the per-trial
cap budgetopt is given), exactly budgetopt's reservation rule with a cap.
"""
import json
import math
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")   # Optuna's experimental-feature notices

PROBLEMS = {
    # name: (budget, cap, directions, bounds or None, constrained)
    "branin": (600.0, 10.0, ["minimize"], {"x1": (-5, 10), "x2": (0, 15)}, False),
    "gardner": (150.0, 1.0, ["minimize"], {"x1": (0, 6), "x2": (0, 6)}, True),
    "zdt1": (200.0, 1.0, ["minimize"] * 2, {"x%d" % i: (0, 1) for i in range(1, 6)}, False),
    "dtlz2": (150.0, 1.0, ["minimize"] * 3, {"x%d" % i: (0, 1) for i in range(1, 7)}, False),
    "nb201": (150.0, None, ["maximize"], None, True),
    "nb201u": (150.0, 1.0, ["maximize"], None, True),
}
EDGES = ["edge_1_0", "edge_2_0", "edge_2_1", "edge_3_0", "edge_3_1", "edge_3_2"]
OPS = ["avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3", "none", "skip_connect"]
HV_REF = {"zdt1": 1.1, "dtlz2": 1.1}
EPS = 1e-12


def load_nb201(path):
    import csv
    table = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            key = tuple(row[e] for e in EDGES)
            flops = float(row["flops_M"]) if row["flops_M"] else None
            table[key] = (float(row["val_acc"]), float(row["edgegpu_latency"]), flops)
    # flops_M is only given for the 9,445 non-redundant nets; a redundant one
    # (it computes what a smaller net computes) costs the average evaluation
    known = [v[2] for v in table.values() if v[2] is not None]
    mean = sum(known) / len(known)
    return {k: (a, l, 1.0 if c is None else c / mean) for k, (a, l, c) in table.items()}


def evaluate(problem, p, nb):
    """(cost, feasible, raw outputs) as bench/samplers.c prints them."""
    if problem == "branin":
        x1, x2 = p["x1"], p["x2"]
        u = x2 - 5.1 / (4 * math.pi ** 2) * x1 * x1 + 5 / math.pi * x1 - 6
        return 1 + 9 * (x1 + 5) / 15, 1, [u * u + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10]
    if problem == "gardner":
        x1, x2 = p["x1"], p["x2"]
        c = math.cos(x1) * math.cos(x2) - math.sin(x1) * math.sin(x2)
        return 1.0, int(c <= 0.5), [math.cos(2 * x1) * math.cos(x2) + math.sin(x1), c]
    if problem == "zdt1":
        g = 1 + 9 * sum(p["x%d" % i] for i in range(2, 6)) / 4
        f1 = p["x1"]
        return 1.0, 1, [f1, g * (1 - math.sqrt(f1 / g))]
    if problem == "dtlz2":
        g = sum((p["x%d" % i] - 0.5) ** 2 for i in range(3, 7))
        a, b = p["x1"] * math.pi / 2, p["x2"] * math.pi / 2
        return 1.0, 1, [(1 + g) * math.cos(a) * math.cos(b), (1 + g) * math.cos(a) * math.sin(b),
                        (1 + g) * math.sin(a)]
    acc, lat, cost = nb[tuple(p[e] for e in EDGES)]
    return (1.0 if problem == "nb201u" else cost), int(lat <= 4.0), [acc, lat]


def make_sampler(name, seed, constrained):
    import optuna
    cf = (lambda t: t.user_attrs["constraint"]) if constrained else None
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "qmc":
        return optuna.samplers.QMCSampler(seed=seed, scramble=True, warn_independent_sampling=False)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, constraints_func=cf,
                                          warn_independent_sampling=False)
    if name == "tpe-indep":   # Optuna's default TPE (independent), with constraints
        return optuna.samplers.TPESampler(seed=seed, constraints_func=cf)
    if name == "cmaes":       # one objective only; falls back to random on choices
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed, constraints_func=cf)
    raise SystemExit("unknown sampler " + name)


def cmd_run(problem, sampler, nseeds, csv=None):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    budget, cap, directions, bounds, constrained = PROBLEMS[problem]
    nb = None
    if problem.startswith("nb201"):
        nb = load_nb201(csv)
        if cap is None:
            cap = max(v[2] for v in nb.values())
    for seed in range(nseeds):
        study = optuna.create_study(directions=directions,
                                    sampler=make_sampler(sampler, seed + 1, constrained))
        spent, trials, opt_s = 0.0, [], 0.0
        while budget - spent > 0 and cap <= (budget - spent) * (1 + EPS):
            t0 = time.perf_counter()
            t = study.ask()
            if bounds:
                p = {k: t.suggest_float(k, lo, hi) for k, (lo, hi) in bounds.items()}
            else:
                p = {e: t.suggest_categorical(e, OPS) for e in EDGES}
            opt_s += time.perf_counter() - t0
            cost, feas, out = evaluate(problem, p, nb)
            spent += cost
            if problem == "gardner":
                t.set_user_attr("constraint", [out[1] - 0.5])
            elif problem.startswith("nb201"):
                t.set_user_attr("constraint", [out[1] - 4.0])
            t0 = time.perf_counter()
            study.tell(t, out[:len(directions)])
            opt_s += time.perf_counter() - t0
            trials.append([cost, feas] + out)
        print(json.dumps({"impl": "optuna", "problem": problem, "sampler": sampler, "seed": seed,
                          "trials": trials, "ms_per_trial": 1e3 * opt_s / max(1, len(trials)),
                          "spent": spent}), flush=True)


def cmd_time(sampler, nobj):
    import optuna
    from optuna.distributions import (CategoricalDistribution, FloatDistribution,
                                      IntDistribution)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    dists = {
        "a": FloatDistribution(0, 1), "b": FloatDistribution(-3, 3),
        "c": FloatDistribution(1e-4, 1, log=True), "d": FloatDistribution(1, 1000, log=True),
        "e": FloatDistribution(0, 10), "f": FloatDistribution(-1, 1),
        "g": IntDistribution(1, 64), "h": IntDistribution(1, 1024, log=True),
        "i": CategoricalDistribution(["p", "q", "r", "s"]),
        "j": CategoricalDistribution(["u", "v", "w", "z"]),
    }
    rng = np.random.RandomState(3)

    def values(p):
        v = [p[k] if not isinstance(p[k], str) else "pqrsuvwz".index(p[k]) for k in "abcdefghij"]
        m1 = sum((1 if k % 2 else -1) * math.sin(x * (k + 1)) for k, x in enumerate(v))
        m2 = sum(math.cos(x + k) for k, x in enumerate(v))
        return [m1, m2][:nobj]

    def random_params():
        p = {}
        for k, d in dists.items():
            if isinstance(d, CategoricalDistribution):
                p[k] = d.choices[rng.randint(len(d.choices))]
            elif isinstance(d, IntDistribution):
                p[k] = int(rng.randint(d.low, d.high + 1))
            else:
                p[k] = float(rng.uniform(d.low, d.high))
        return p

    study = optuna.create_study(directions=["minimize"] * nobj, sampler=make_sampler(sampler, 3, False))
    out = {}
    for level in (100, 1000, 2000):
        add = level - len(study.trials)
        study.add_trials([optuna.trial.create_trial(params=p, distributions=dists, values=values(p))
                          for p in (random_params() for _ in range(add))])
        total = 0.0
        for _ in range(10):
            t0 = time.perf_counter()
            t = study.ask()
            p = {k: t._suggest(k, d) for k, d in dists.items()}
            study.tell(t, values(p))
            total += time.perf_counter() - t0
        out[str(level)] = 1e3 * total / 10
    print(json.dumps({"impl": "optuna", "sampler": sampler, "nobj": nobj, "ms": out}), flush=True)


# ---- report ---------------------------------------------------------------

def hypervolume(points, ref):
    from optuna._hypervolume import WFG
    pts = np.array([p for p in points if all(x < r for x, r in zip(p, ref))])
    if len(pts) == 0:
        return 0.0
    return float(WFG().compute(pts, np.array(ref)))


def gardner_optimum():
    """Fine grid (4001^2 over [0,6]^2), then SLSQP from the best grid point."""
    from scipy.optimize import minimize
    g = np.linspace(0, 6, 4001)
    x1, x2 = np.meshgrid(g, g, indexing="ij")
    f = np.cos(2 * x1) * np.cos(x2) + np.sin(x1)
    c = np.cos(x1) * np.cos(x2) - np.sin(x1) * np.sin(x2)
    f[c > 0.5] = np.inf
    i = np.unravel_index(np.argmin(f), f.shape)
    r = minimize(lambda x: math.cos(2 * x[0]) * math.cos(x[1]) + math.sin(x[0]), [x1[i], x2[i]],
                 method="SLSQP", bounds=[(0, 6), (0, 6)],
                 constraints=[{"type": "ineq",
                               "fun": lambda x: 0.5 - math.cos(x[0] + x[1])}])
    best = float(f[i])
    if r.success and math.cos(r.x[0] + r.x[1]) <= 0.5 + 1e-9:
        best = min(best, float(r.fun))
    return best


def targets(csv):
    """problem -> (kind, optimum or true-front HV, goal)."""
    t = {"branin": ("single", 0.397887357729738, -1), "gardner": ("single", gardner_optimum(), -1),
         # exact: ZDT1's front f2 = 1 - sqrt(f1) against ref (r, r):
         # HV = r - 1 + 2/3 + (r - 1) r
         "zdt1": ("hv", 1.1 - 1 + 2 / 3 + 0.1 * 1.1, None),
         # exact: DTLZ2's front is the unit sphere's positive octant: HV = r^3 - pi/6
         "dtlz2": ("hv", 1.1 ** 3 - math.pi / 6, None)}
    if csv:
        nb = load_nb201(csv)
        t["nb201"] = ("single", max(a for a, l, c in nb.values() if l <= 4.0), +1)
        t["nb201u"] = t["nb201"]
    return t


def run_figures(rec, tgt):
    """(cost to target or inf, final figure) of one run: regret for one
    objective (to target: within 1%), HV ratio for several (to target: 0.95)."""
    kind, opt, goal = tgt
    spent, best, front, reach = 0.0, None, [], math.inf
    for tr in rec["trials"]:
        spent += tr[0]
        if kind == "single":
            if tr[1]:
                v = tr[2]
                if best is None or (v > best if goal > 0 else v < best):
                    best = v
            ok = best is not None and abs(best - opt) <= 0.01 * abs(opt)
        else:
            m = len(tr) - 2
            p = tr[2:]
            if not any(all(q[k] <= p[k] for k in range(m)) for q in front):
                front = [q for q in front if not all(p[k] <= q[k] for k in range(m))] + [p]
                best = hypervolume(front, [HV_REF[rec["problem"]]] * m) / opt
            ok = best is not None and best >= 0.95
        if ok and reach == math.inf:
            reach = spent
    if kind == "single":
        final = math.inf if best is None else abs(best - opt)
    else:
        final = 0.0 if best is None else best
    return reach, final


def q(xs, f):
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(f * (len(s) - 1))))]


def fmt(x):
    return "never" if x == math.inf else ("%.4g" % x)


def paired_report(runs, tg):
    """auto against each of its members (sobol, gp, tpe, nsga2) seed by seed
    (the same seeds: paired), on the final figure (regret: lower is better;
    HV ratio: higher is better): wins/ties/losses of auto, the median of the
    per-seed differences, the two-sided Wilcoxon signed-rank p (zero
    differences dropped) and the sign test's. Then budgetopt's best against
    Optuna's best, which are not paired (Optuna's seeds are its own):
    Mann-Whitney U, two-sided."""
    from scipy import stats
    print()
    print("auto against its members, paired by seed (final figure; + means auto is better). "
          "\"worse\" needs p < 0.05 in the Wilcoxon signed-rank test and a worse median.")
    print()
    print("| problem | member | seeds | auto wins / ties / losses | median difference | "
          "Wilcoxon p | sign test p | auto worse? |")
    print("|---|---|---|---|---|---|---|---|")
    for prob in sorted({k[0] for k in runs}):
        if prob not in tg or (prob, "budgetopt", "auto") not in runs:
            continue
        hv = tg[prob][0] == "hv"
        auto = {r["seed"]: run_figures(r, tg[prob])[1] for r in runs[(prob, "budgetopt", "auto")]}
        for m in ("sobol", "gp", "tpe", "nsga2"):
            if (prob, "budgetopt", m) not in runs:
                continue
            mem = {r["seed"]: run_figures(r, tg[prob])[1] for r in runs[(prob, "budgetopt", m)]}
            seeds = sorted(set(auto) & set(mem))
            d = []
            for k in seeds:
                a, b = auto[k], mem[k]
                if a == b:
                    d.append(0.0)
                elif math.isinf(a) or math.isinf(b):
                    d.append(math.copysign(1e300, b - a))
                else:
                    d.append((a - b) if hv else (b - a))
            w = sum(x > 0 for x in d)
            l = sum(x < 0 for x in d)
            t = len(d) - w - l
            nz = [x for x in d if x != 0]
            wp = stats.wilcoxon(nz).pvalue if len(nz) >= 1 and any(nz) else 1.0
            sp = stats.binomtest(w, w + l).pvalue if w + l else 1.0
            med = float(np.median(d)) if d else 0.0
            worse = wp < 0.05 and med < 0
            print("| %s | %s | %d | %d / %d / %d | %+.4g | %.3g | %.3g | %s |" % (
                prob, m, len(seeds), w, t, l, med, wp, sp, "**yes**" if worse else "no"))
    print()
    print("budgetopt's best against Optuna's best (final figure; not paired: Mann-Whitney U, "
          "two-sided).")
    print()
    print("| problem | budgetopt | median | Optuna | median | p |")
    print("|---|---|---|---|---|---|")
    for prob in sorted({k[0] for k in runs}):
        if prob not in tg:
            continue
        hv = tg[prob][0] == "hv"
        best = {}
        for (p2, impl, samp), rs in runs.items():
            if p2 != prob:
                continue
            f = [run_figures(r, tg[prob])[1] for r in rs]
            med = q(f, .5)
            key = -med if hv else med
            if impl not in best or key < best[impl][0]:
                best[impl] = (key, samp, f, med)
        if "budgetopt" not in best or "optuna" not in best:
            continue
        b, o = best["budgetopt"], best["optuna"]
        fb = [min(x, 1e300) for x in b[2]]
        fo = [min(x, 1e300) for x in o[2]]
        p = stats.mannwhitneyu(fb, fo, alternative="two-sided").pvalue if fb != fo else 1.0
        print("| %s | %s | %s | %s | %s | %.3g |" % (prob, b[1], fmt(b[3]), o[1], fmt(o[3]), p))


def cmd_report(path, csv=None):
    tg = targets(csv)
    runs, times = {}, []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except ValueError:   # a run cut off mid-line (killed): skipped
                print("note: an incomplete line of %s skipped" % path, file=sys.stderr)
                continue
            if "problem" in r:
                runs.setdefault((r["problem"], r["impl"], r["sampler"]), []).append(r)
            else:
                times.append(r)
    print("Targets: one objective: best feasible within 1%% of the optimum "
          "(branin 0.397887; gardner %.6g, grid + SLSQP; nb201 %s); several objectives: "
          "hypervolume ratio >= 0.95 (exact true-front HV, reference point 1.1 per objective)."
          % (tg["gardner"][1], "%.4g" % tg["nb201"][1] if "nb201" in tg else "skipped"))
    print()
    print("| problem | impl | sampler | seeds | trials | cost to target: median [IQR] (reached) "
          "| final regret / HV ratio: median [IQR] | budget used: median [min] | ms per trial |")
    print("|---|---|---|---|---|---|---|---|---|")
    summary = {}
    for (prob, impl, samp), rs in sorted(runs.items()):
        if prob not in tg:
            continue
        figs = [run_figures(r, tg[prob]) for r in rs]
        reach = [a for a, b in figs]
        final = [b for a, b in figs]
        ntr = sum(len(r["trials"]) for r in rs) / len(rs)
        ms = sum(r["ms_per_trial"] for r in rs) / len(rs)
        # The share of the money budget each run spent (never above 100%).
        used = [r.get("spent", math.nan) / PROBLEMS[prob][0] for r in rs]
        print("| %s | %s | %s | %d | %.0f | %s [%s, %s] (%d/%d) | %s [%s, %s] | %.1f%% [%.1f%%] | %.3g |" % (
            prob, impl, samp, len(rs), ntr, fmt(q(reach, .5)), fmt(q(reach, .25)), fmt(q(reach, .75)),
            sum(a < math.inf for a in reach), len(reach), fmt(q(final, .5)), fmt(q(final, .25)),
            fmt(q(final, .75)), 100 * q(used, .5), 100 * min(used), ms))
        summary.setdefault(prob, {}).setdefault(impl, []).append((samp, q(reach, .5), q(final, .5)))
    print()
    print("Ratios budgetopt / Optuna, each side's best sampler per problem (lowest median cost to "
          "target, then best final figure). Target: cost ratio <= 0.7.")
    print()
    print("| problem | budgetopt best | Optuna best | cost-to-target ratio | final ratio "
          "(regret: lower is better; HV: higher is better) |")
    print("|---|---|---|---|---|")
    for prob, d in sorted(summary.items()):
        if "budgetopt" not in d or "optuna" not in d:
            continue
        hv = tg[prob][0] == "hv"
        key = (lambda e: (e[1], -e[2])) if hv else (lambda e: (e[1], e[2]))
        b = min(d["budgetopt"], key=key)
        o = min(d["optuna"], key=key)
        cr = (b[1] / o[1]) if o[1] < math.inf and b[1] < math.inf else (
            "both never" if b[1] == o[1] else ("0 (Optuna never)" if b[1] < math.inf else "inf (ours never)"))
        fr = b[2] / o[2] if o[2] > 0 else math.inf
        print("| %s | %s | %s | %s | %s |" % (prob, b[0], o[0], cr if isinstance(cr, str) else "%.3g" % cr,
                                             "%.3g" % fr))
    paired_report(runs, tg)
    print()
    print("Optimizer time per trial (ask + tell), ms, 10 mixed parameters; ratio against Optuna's "
          "TPE (multivariate) with the same number of objectives. Target at 1000: <= 1/50 = 0.02.")
    print()
    print("| impl | sampler | objectives | 100 | 1000 | 2000 | ratio to Optuna TPE at 1000 |")
    print("|---|---|---|---|---|---|---|")
    ref = {t["nobj"]: t["ms"]["1000"] for t in times if t["impl"] == "optuna" and t["sampler"] == "tpe"}
    for t in sorted(times, key=lambda t: (t["nobj"], t["impl"], t["sampler"])):
        ms = t["ms"]
        r = ms["1000"] / ref[t["nobj"]] if ms.get("1000") is not None and ref.get(t["nobj"]) else None
        print("| %s | %s | %d | %s | %s | %s | %s |" % (
            t["impl"], t["sampler"], t["nobj"],
            *["-" if ms.get(k) is None else "%.3g" % ms[k] for k in ("100", "1000", "2000")],
            "-" if r is None else "%.3g" % r))


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) >= 4 and a[0] == "run":
        cmd_run(a[1], a[2], int(a[3]), a[4] if len(a) > 4 else None)
    elif len(a) == 3 and a[0] == "time":
        cmd_time(a[1], int(a[2]))
    elif len(a) >= 2 and a[0] == "report":
        cmd_report(a[1], a[2] if len(a) > 2 else None)
    else:
        sys.exit(__doc__)
