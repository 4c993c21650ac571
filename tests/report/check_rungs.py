#!/usr/bin/env python3
"""Multi-fidelity and pruning on every surface (run-rungs.sh made the studies).

Every expected number is counted here from the SQLite ledger (trials,
trial_params, trial_metrics, trial_steps, events) or follows from the
scripted evaluators' known curves; none is copied from the program's output.

usage: check_rungs.py BUDGETOPT SCRATCH
"""
import html
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET

BIN, TMP = sys.argv[1], sys.argv[2]
SVG = "{http://www.w3.org/2000/svg}"
DEADLINE = 120.0
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def close(a, b, rel=1e-9):
    return a is not None and b is not None and abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def cli(folder, *args):
    r = subprocess.run([BIN] + list(args), cwd=folder, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("budgetopt %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr))
    return r.stdout


def status_json(folder):
    return json.loads(cli(folder, "status", "--format", "json", "study.yaml"))


def chart(text, name):
    """The inline SVG document <svg id="chart-NAME"> of an HTML page, parsed."""
    m = re.search(r'<svg[^>]*id="chart-%s".*?</svg>' % name, text, re.S)
    return ET.fromstring(m.group(0)) if m else None


def classed(root, cls):
    return [e for e in root.iter(SVG + "path") if cls in (e.get("class") or "").split()]


def api_status(folder, ntrials, want_keys):
    """The dashboard's /api/status once it shows every trial of the ledger."""
    p = subprocess.Popen([BIN, "serve", "--port", "0", "study.yaml"], cwd=folder, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        m = re.match(r"^serving (http://127\.0\.0\.1:\d+/)$", line.strip())
        if not m:
            raise RuntimeError("serve printed %r" % line)
        url = m.group(1)
        end = time.monotonic() + DEADLINE
        while True:
            st = json.load(urllib.request.urlopen(url + "api/status", timeout=DEADLINE))
            if st.get("trials") == ntrials and all(k in st for k in want_keys):
                break
            if time.monotonic() > end:
                raise RuntimeError("/api/status never showed %d trials: %r" % (ntrials, st))
            time.sleep(0.05)
        page = urllib.request.urlopen(url, timeout=DEADLINE).read().decode()
        js = urllib.request.urlopen(url + "app.js", timeout=DEADLINE).read().decode()
        return st, page, js
    finally:
        p.terminate()
        p.wait(timeout=DEADLINE)


def report(folder):
    cli(folder, "report", "study.yaml", "-o", "report.html", "--date", "2026-12-06 12:00 UTC")
    os.makedirs(os.path.join(folder, "md"), exist_ok=True)
    cli(folder, "report", "--format", "md", "-o", "md/report.md", "--date", "2026-12-06 12:00 UTC", "study.yaml")
    with open(os.path.join(folder, "report.html"), encoding="utf-8") as f:
        page = f.read()
    with open(os.path.join(folder, "md", "report.md"), encoding="utf-8") as f:
        md = f.read()
    return page, md


# ---- the study with a pruner -------------------------------------------------

def check_prune():
    folder = os.path.join(TMP, "prune")
    con = sqlite3.connect(os.path.join(folder, "rungs-prune.db"))
    trials = con.execute("SELECT id, state, cost, reason FROM trials ORDER BY id").fetchall()
    xs = dict(con.execute("SELECT trial_id, value FROM trial_params WHERE name = 'x'"))
    last = dict(con.execute("SELECT trial_id, MAX(step) FROM trial_steps GROUP BY trial_id"))
    with_steps = sorted(r[0] for r in con.execute("SELECT DISTINCT trial_id FROM trial_steps WHERE name = 'acc'"))
    pruned = [t for t in trials if t[1] == "pruned"]
    complete = [t for t in trials if t[1] == "complete"]
    state = {t[0]: t[1] for t in trials}
    check(len(pruned) > 0 and len(complete) > 0, "the pruner study has pruned (%d) and complete (%d) trials"
          % (len(pruned), len(complete)))
    # The full length: no max_step, so the highest step a complete trial reported (4 by the evaluator).
    full = max(last[t[0]] for t in complete)
    check(full == 4, "complete trials reported up to step 4")
    spent_pruned = sum(t[2] for t in pruned)
    spent_complete = sum(t[2] for t in complete)
    est_full = sum(t[2] * full / last[t[0]] for t in pruned)

    st = status_json(folder)
    check("fidelity" not in st, "status --format json: no fidelity object without fidelity:")
    p = st.get("pruning") or {}
    check(p.get("pruner") == "threshold", "status: pruning.pruner is the study's rule")
    check(p.get("trials_pruned") == len(pruned), "status: trials_pruned = pruned trials in the ledger")
    check(p.get("trials_complete") == len(complete), "status: trials_complete = complete trials in the ledger")
    check(close(p.get("spent_pruned"), spent_pruned), "status: spent_pruned = the pruned trials' costs")
    check(close(p.get("spent_complete"), spent_complete), "status: spent_complete = the complete trials' costs")
    check(p.get("full_steps") == full and p.get("full_steps_from") == "complete trials",
          "status: the full length is the complete trials' highest step")
    check(p.get("estimated_trials") == len(pruned), "status: every pruned trial is estimated")
    check(close(p.get("estimated_full_cost"), est_full), "status: estimated_full_cost = sum of cost * K / k")
    check(close(p.get("estimated_saving"), est_full - spent_pruned),
          "status: estimated_saving = estimated full cost - spent on pruned trials")

    text = cli(folder, "status", "study.yaml")
    m = re.search(r"^pruning  threshold: (\d+) trials? pruned", text, re.M)
    check(m is not None and int(m.group(1)) == len(pruned), "status (text): the pruning line counts the pruned trials")
    check(not re.search(r"^rungs ", text, re.M), "status (text): no rungs line without fidelity:")

    ex = json.loads(cli(folder, "export", "--format", "json", "--summary", "study.yaml"))
    ep = dict(ex.get("pruning") or {})
    rows = ep.pop("trials", [])
    check(ep == p, "export --summary: the pruning figures equal status's")
    check([r["id"] for r in rows] == [t[0] for t in pruned], "export --summary: every pruned trial, by id")
    ok = True
    for r in rows:
        cost = next(t[2] for t in pruned if t[0] == r["id"])
        dm = re.match(r"^(\S+) is below the lower threshold 0\.2$", r.get("detail") or "")
        ok = ok and r["step"] == 2 and r["rule"] == "threshold" and dm is not None and \
            close(float(dm.group(1)), xs[r["id"]] * 2 / 4, 1e-5) and close(r["cost"], cost) and \
            r["steps_done"] == last[r["id"]] and close(r["estimated_full_cost"], cost * full / last[r["id"]])
    check(ok and rows, "export --summary: each pruned trial's step (2), rule, figures (x * 2 / 4), cost and estimate")
    ok = True
    for t in ex["trials"]:
        if state[t["id"]] == "pruned":
            ok = ok and t.get("pruned_at_step") == 2 and t.get("prune_rule") == "threshold" and \
                (t.get("prune_detail") or "").endswith("is below the lower threshold 0.2")
        else:
            ok = ok and "pruned_at_step" not in t and "prune_rule" not in t
    check(ok, "export: pruned trials carry pruned_at_step, prune_rule and prune_detail; others do not")

    page, md = report(folder)
    check('id="multifidelity"' in page and 'id="pruning"' in page, "report: the section and its pruning part")
    check('id="rungs"' not in page, "report: no rung table without fidelity:")
    ok = True
    for t in pruned:
        detail = t[3].split(" rule: ", 1)[1]
        ok = ok and html.escape(detail, quote=True) in page
    check(ok, "report: every pruned trial's figures are listed")
    svg = chart(page, "curves")
    check(svg is not None, "report: the learning-curve chart is inline and valid XML")
    if svg is not None:
        curves = classed(svg, "curve")
        check(sorted(int(e.get("data-id")) for e in curves) == with_steps,
              "report: one curve per trial with step reports of acc")
        check(all(state[int(e.get("data-id"))] in e.get("class").split() for e in curves),
              "report: each curve carries its trial's state")
        check(sorted(int(e.get("data-id")) for e in classed(svg, "prune-mark")) == [t[0] for t in pruned],
              "report: one prune mark per pruned trial")
    check("## Multi-fidelity and pruning" in md and "![Learning curves](report-curves.svg)" in md,
          "report (md): the section links the learning curves")
    try:
        ET.parse(os.path.join(folder, "md", "report-curves.svg"))
        check(True, "report (md): report-curves.svg is written and valid XML")
    except (OSError, ET.ParseError) as e:
        check(False, "report (md): report-curves.svg is written and valid XML (%s)" % e)

    api, dash, js = api_status(folder, len(trials), ["pruning"])
    check(api.get("pruning") == p and "fidelity" not in api, "/api/status: the pruning object equals status's")
    check('id="st-pruning-box"' in dash and 'id="st-rungs-box"' in dash and "renderPruning(st.pruning)" in js
          and "renderRungs(st.fidelity)" in js, "dashboard: the page has the rung and pruning boxes, fed by /api/status")


# ---- the study with an ASHA fidelity ------------------------------------------

def check_asha():
    folder = os.path.join(TMP, "asha")
    con = sqlite3.connect(os.path.join(folder, "rungs-asha.db"))
    trials = con.execute(
        "SELECT t.id, t.state, t.cost, "
        "(SELECT value FROM trial_params p WHERE p.trial_id = t.id AND p.name = 'epochs'), "
        "(SELECT value FROM trial_metrics m WHERE m.trial_id = t.id AND m.name = 'acc') "
        "FROM trials t ORDER BY t.id").fetchall()
    epochs = {t[0]: t[3] for t in trials}
    promotes = [d for (d,) in con.execute("SELECT detail FROM events WHERE kind = 'promote'")]
    parents = [int(re.search(r" from trial (\d+) ", d).group(1)) for d in promotes]
    with_steps = sorted(r[0] for r in con.execute("SELECT DISTINCT trial_id FROM trial_steps WHERE name = 'acc'"))
    values = [1, 3, 9]    # min 1, max 9, eta 3

    st = status_json(folder)
    f = st.get("fidelity") or {}
    check("pruning" not in st, "status --format json: no pruning object without pruner:")
    check(f.get("param") == "epochs" and f.get("schedule") == "asha" and f.get("eta") == 3 and
          f.get("ranked_by") == "acc", "status: fidelity's param, schedule, eta and ranking")
    check([r["value"] for r in f.get("rungs", [])] == values, "status: the rungs are 1, 3, 9")
    check(f.get("promotions") == len(promotes), "status: promotions = promote events")
    ok = len(f.get("rungs", [])) == 3
    for k, v in enumerate(values):
        if not ok:
            break
        r = f["rungs"][k]
        mine = [t for t in trials if t[3] == v]
        done = [t for t in mine if t[1] == "complete" and t[4] is not None]
        best = max(done, key=lambda t: (t[4], -t[0])) if done else None
        want = {"trials": len(mine), "complete": sum(t[1] == "complete" for t in mine),
                "pruned": sum(t[1] == "pruned" for t in mine), "failed": sum(t[1] == "failed" for t in mine),
                "running": sum(t[1] == "running" for t in mine),
                "promoted": sum(epochs[p] == v for p in parents)}
        got = {key: r[key] for key in want}
        if got != want:
            print("rung %d: got %s, want %s" % (k, got, want))
            ok = False
        ok = ok and close(r["spent"], sum(t[2] for t in mine)) and \
            (best is None and r["best"] is None or best is not None and close(r["best"], best[4]) and
             r["best_trial"] == best[0])
    check(ok, "status: each rung's counts, promotions, spend and best acc match the ledger")
    # ASHA starts every configuration at the lowest rung: each trial above it is a promotion.
    check(sum(r["promoted"] for r in f.get("rungs", [])) == sum(1 for t in trials if t[3] > 1) > 0,
          "status: promoted counts add up to the trials above the lowest rung")

    text = cli(folder, "status", "study.yaml")
    ok = True
    for v in values:
        n = sum(1 for t in trials if t[3] == v and t[1] == "complete")
        ok = ok and re.search(r"^\s+epochs=%d: %d complete, " % (v, n), text, re.M) is not None
    check(ok, "status (text): a line per rung with its complete trials")
    check(not re.search(r"^pruning ", text, re.M), "status (text): no pruning line without pruner:")

    ex = json.loads(cli(folder, "export", "--format", "json", "--summary", "study.yaml"))
    check(ex.get("fidelity") == f and "pruning" not in ex and len(ex.get("trials", [])) == len(trials),
          "export --summary: the fidelity object equals status's, with every trial")

    page, md = report(folder)
    check('id="multifidelity"' in page and 'id="rungs"' in page and 'id="promotions"' in page,
          "report: the section with the rung table and the promotions")
    check('id="pruning"' not in page, "report: no pruning part without pruner:")
    check(all(html.escape(d, quote=True) in page for d in promotes), "report: every promotion is listed")
    svg = chart(page, "curves")
    check(svg is not None and sorted(int(e.get("data-id")) for e in classed(svg, "curve")) == with_steps
          and not classed(svg, "prune-mark"), "report: one curve per trial with steps, no prune mark")

    api, _, _ = api_status(folder, len(trials), ["fidelity"])
    check(api.get("fidelity") == f and "pruning" not in api, "/api/status: the fidelity object equals status's")


# ---- neither ---------------------------------------------------------------

def check_plain():
    folder = os.path.join(TMP, "plain")
    con = sqlite3.connect(os.path.join(folder, "rungs-plain.db"))
    n = con.execute("SELECT COUNT(*) FROM trials").fetchone()[0]
    nsteps = con.execute("SELECT COUNT(*) FROM trial_steps").fetchone()[0]
    check(n == 5 and nsteps > 0, "the plain study ran, with step reports")
    st = status_json(folder)
    check("fidelity" not in st and "pruning" not in st, "status: neither object without fidelity: or pruner:")
    text = cli(folder, "status", "study.yaml")
    check(not re.search(r"^(pruning|rungs) ", text, re.M), "status (text): neither line")
    ex = json.loads(cli(folder, "export", "--format", "json", "--summary", "study.yaml"))
    check(sorted(ex) == ["study", "trials"], "export --summary: only the study and its trials")
    page, md = report(folder)
    check('id="multifidelity"' not in page and "chart-curves" not in page and "Learning curves" not in page
          and "Multi-fidelity" not in md, "report: no section, no learning curves")
    check(not os.path.exists(os.path.join(folder, "md", "report-curves.svg")), "report (md): no curves file")
    api, _, _ = api_status(folder, n, [])
    check("fidelity" not in api and "pruning" not in api, "/api/status: neither object")


check_prune()
check_asha()
check_plain()
if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("all checks passed")
