"""Pruning through the Python binding: trial.report / trial.should_prune /
budgetopt.TrialPruned over scripted learning curves. The trials stopped,
and where, are compared with the median rule computed here by sorting;
the ledger is read back through the budgetopt program (`export`, and
`status` with its pruning line); charges are computed here from the
study's prices."""
import math
import os
import subprocess
import textwrap

import pytest

import budgetopt

PROGRAM = os.environ.get("BUDGETOPT_PROGRAM", "budgetopt")
STEPS = 8
HOURS = 0.125          # cpu_hours per step
PRICE = 2.0            # the study's price of a cpu hour
MIN_TRIALS = 3
NTRIALS = 14

STUDY = textwrap.dedent("""\
    name: py-prune
    seed: 9
    space:
      x: {{float: [0, 1]}}
    prices:
      cpu_hours: 2.0
    metrics:
      acc: {{maximize: true}}
    objectives: [acc]
    budget:
      trials: {trials}
      per_trial: {{money: {cap}}}
    evaluator:
      command: ["/bin/true"]
    sampler: random
    pruner: {pruner}
    """)


def study_file(tmp_path, pruner="{median: {min_trials: 3}}", cap=50, trials=NTRIALS):
    p = tmp_path / "study.yaml"
    p.write_text(STUDY.format(pruner=pruner, cap=cap, trials=trials))
    return p


def curve(i, k):
    """Trial i's accuracy at step k: its own plateau and rate, so curves cross."""
    a = 0.55 + 0.4 * math.fmod(0.618034 * (i + 1) * 7.3, 1.0)
    r = 0.15 + 0.7 * math.fmod(0.414214 * (i + 3) * 5.1, 1.0)
    return a * (1.0 - math.exp(-r * k)) + 0.001 * i


def median_reference(n):
    """Where the median rule stops trials 0..n-1 run one after another (0: never)."""
    stop = []
    for i in range(n):
        best, at = -math.inf, 0
        for k in range(1, STEPS + 1):
            best = max(best, curve(i, k))
            done = sorted(curve(j, k) for j in range(i) if stop[j] == 0)
            if len(done) < MIN_TRIALS:
                continue
            m = len(done)
            med = done[m // 2] if m % 2 else 0.5 * (done[m // 2 - 1] + done[m // 2])
            if best < med:
                at = k
                break
        stop.append(at)
    return stop


def objective(trial):
    for k in range(1, STEPS + 1):
        trial.report(k, acc=curve(trial.number, k), usage={"cpu_hours": k * HOURS})
        if trial.should_prune():
            trial.stopped_at = k
            raise budgetopt.TrialPruned()
    trial.stopped_at = 0
    return {"acc": curve(trial.number, STEPS)}


def test_median_prunes_as_the_rule_says(tmp_path):
    path, ledger = study_file(tmp_path), tmp_path / "prune.db"
    want = median_reference(NTRIALS)
    assert sum(1 for w in want if w) >= 3 and sum(1 for w in want if not w) > MIN_TRIALS
    with budgetopt.Study.load(path, storage=str(ledger)) as s:
        assert budgetopt.optimize(s, objective, pass_trial=True) == NTRIALS
        spent = sum((w or STEPS) * HOURS * PRICE for w in want)
        assert s.spent == pytest.approx(spent, rel=1e-12)
        trials = {t["id"]: t for t in s.trials()}
    assert len(trials) == NTRIALS
    for i, w in enumerate(want):
        t = trials[i + 1]
        assert t["cost"] == pytest.approx((w or STEPS) * HOURS * PRICE, rel=1e-12)
        if w:
            assert t["state"] == "pruned"
            assert t["reason"].startswith(f"pruned at step {w} by the median rule: ")
        else:
            assert t["state"] == "complete"
    p = subprocess.run([PROGRAM, "status", "--storage", str(ledger), str(path)], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, check=False)
    assert p.returncode == 0, p.stderr
    npruned = sum(1 for w in want if w)
    assert f"pruning  median: {npruned} trials pruned" in p.stdout
    assert f"{npruned} pruned" in p.stdout


def test_a_new_study_resumes_the_pruner(tmp_path):
    """Half the trials in one Study, the rest in a new one on the ledger:
    the same decisions as one run (the medians come back from the ledger)."""
    path, ledger = study_file(tmp_path), tmp_path / "resume.db"
    want = median_reference(NTRIALS)
    got = []

    def tracked(trial):
        try:
            return objective(trial)
        finally:
            got.append(trial.stopped_at)

    with budgetopt.Study.load(path, storage=str(ledger)) as s:
        budgetopt.optimize(s, tracked, n_trials=NTRIALS // 2, pass_trial=True)
    with budgetopt.Study.load(path, storage=str(ledger)) as s:
        budgetopt.optimize(s, tracked, pass_trial=True)
    assert got == want


def test_cap_and_caller_prune(tmp_path):
    path, ledger = study_file(tmp_path, pruner="none", cap=0.6, trials=3), tmp_path / "cap.db"
    with budgetopt.Study.load(path, storage=str(ledger)) as s:
        t = s.ask()
        k = 0
        while not t.should_prune():
            k += 1
            t.report(k, acc=0.5, usage={"cpu_hours": k * HOURS})
        assert k == math.ceil(0.6 / (HOURS * PRICE))
        assert t.prune_reason.startswith("reached the per-trial money cap (0.6 ")
        assert s.tell(t, state="pruned") == pytest.approx(0.6, rel=1e-12)

        t = s.ask()
        t.report(1, {"acc": 0.25}, usage={"cpu_hours": 0.1})
        with pytest.raises(ValueError):
            t.report(2, acc=0.3, usage={"cpu_hours": 0.05})   # usage so far cannot go down
        with pytest.raises(ValueError, match="step -1 is negative"):
            t.report(-1, acc=0.3)
        assert not t.should_prune() and t.prune_reason is None
        # total usage at tell: 0.2 hours in all, charged once
        assert s.tell(t, state="pruned", reason="diverged", usage={"cpu_hours": 0.2}) == \
            pytest.approx(0.2 * PRICE, rel=1e-12)
        trials = {x["id"]: x for x in s.trials()}
    assert trials[1]["state"] == "failed"
    assert "money cap" in trials[1]["reason"]
    assert trials[2]["state"] == "pruned"
    assert trials[2]["reason"] == "pruned at step 1 by the caller rule: diverged"
