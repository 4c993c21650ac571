"""The Python binding against the C library it wraps: ask/tell under the
money budget, parameters of every kind, errors as exceptions carrying the
library's message, the ledger shared with the budgetopt program, and the
Optuna-shaped dataframe. Expected charges are computed here from the
study's prices; the ledger is read back through `budgetopt export`."""
import json
import math
import os
import subprocess
import textwrap

import pytest

import budgetopt

PROGRAM = os.environ.get("BUDGETOPT_PROGRAM", "budgetopt")

STUDY = textwrap.dedent("""\
    name: py-study
    seed: 5
    space:
      lr: {float: [1.0e-4, 1.0], log: true}
      depth: {int: [1, 8]}
      kind: {choice: [plain, boosted]}
      rounds: {int: [10, 100], when: {kind: boosted}}
    prices:
      cpu_hours: 2.0
    metrics:
      loss: {minimize: true}
      note: {optional: true}
    objectives: [loss]
    score: "1 / (1 + loss)"
    budget:
      money: 10
      per_trial: {money: 1.0}
    evaluator:
      command: ["/bin/echo", '{{"metrics": {{"loss": 0.5}}, "usage": {{"cpu_hours": 0.25}}}}']
    sampler: random
    """)


@pytest.fixture
def study_file(tmp_path):
    p = tmp_path / "study.yaml"
    p.write_text(STUDY)
    return p


def loss(params):
    return (math.log10(params["lr"]) + 2) ** 2 + params["depth"] / 10


def run(*args):
    return subprocess.run([PROGRAM, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, check=False)


def test_ask_tell_keeps_to_the_money_budget(study_file):
    with budgetopt.Study.load(study_file) as s:
        want = 0.0
        n = 0
        with pytest.raises(budgetopt.BudgetExhausted) as e:
            while True:
                t = s.ask()
                hours = 0.1 + 0.05 * (n % 5)     # 0.2 .. 0.6 money, under the cap
                cost = s.tell(t, metrics={"loss": loss(t.params)}, usage={"cpu_hours": hours})
                assert cost == pytest.approx(min(hours * 2.0, 1.0), rel=1e-12)
                want += cost
                n += 1
        assert "money budget" in str(e.value)
        assert s.spent == pytest.approx(want, rel=1e-12)
        assert s.spent <= 10.0 + 1e-9
        assert 10.0 - s.spent < 1.0       # stopped only when the cap no longer fit
        assert s.n_told == n


def test_the_cap_is_charged_not_more(study_file):
    with budgetopt.Study.load(study_file) as s:
        t = s.ask()
        assert t.money_cap == pytest.approx(1.0)       # the study's per_trial.money
        assert s.tell(t, metrics={"loss": 1.0}, usage={"cpu_hours": 5.0}) == pytest.approx(1.0)


def test_params_have_their_kinds(study_file):
    with budgetopt.Study.load(study_file, seed=9) as s:
        seen_boosted = seen_plain = False
        for _ in range(12):
            t = s.ask()
            p = t.params
            assert 1e-4 <= p["lr"] <= 1.0 and isinstance(p["lr"], float)
            assert isinstance(p["depth"], int) and 1 <= p["depth"] <= 8
            assert p["kind"] in ("plain", "boosted")
            if p["kind"] == "boosted":
                seen_boosted = True
                assert isinstance(p["rounds"], int) and 10 <= p["rounds"] <= 100
            else:
                seen_plain = True
                assert "rounds" not in p          # inactive: absent
            s.tell(t, metrics={"loss": loss(p)}, usage={"cpu_hours": 0.01})
        assert seen_boosted and seen_plain
        assert s.param_names == ["lr", "depth", "kind", "rounds"]
        assert s.objectives == [("loss", "minimize")]


def test_best_is_the_lowest_loss(study_file):
    with budgetopt.Study.load(study_file) as s:
        losses = []
        for _ in range(8):
            t = s.ask()
            v = loss(t.params)
            losses.append((v, t.number))
            s.tell(t, metrics={"loss": v}, usage={"cpu_hours": 0.01})
        number, value = s.best()          # by the score, 1 / (1 + loss): the lowest loss
        lowest, at = min(losses)
        assert number == at
        assert value == pytest.approx(1 / (1 + lowest), rel=1e-12)


def test_same_seed_same_trials(study_file):
    def params(seed):
        with budgetopt.Study.load(study_file, seed=seed) as s:
            out = []
            for _ in range(5):
                t = s.ask()
                out.append(t.params)
                s.tell(t, metrics={"loss": loss(t.params)}, usage={"cpu_hours": 0.01})
            return out
    assert params(3) == params(3)
    assert params(3) != params(4)


def test_errors_are_exceptions_with_the_library_message(study_file, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(STUDY.replace("depth: {int: [1, 8]}", "depth: {int: [8, 1]}"))
    with pytest.raises(budgetopt.StudyFileError) as e:
        budgetopt.Study.load(bad)
    assert any("bad.yaml:5:" in p for p in e.value.problems), e.value.problems
    with pytest.raises(OSError):
        budgetopt.Study.load(tmp_path / "missing.yaml")
    with pytest.raises(ValueError, match="unknown|sampler"):
        budgetopt.Study.load(study_file, sampler="annealing")

    with budgetopt.Study.load(study_file) as s:
        t = s.ask()
        with pytest.raises(KeyError, match="no metric \\\\?\"?accuracy"):
            s.tell(t, metrics={"accuracy": 1.0})
        with pytest.raises(ValueError, match="not finite"):
            s.tell(t, metrics={"loss": float("nan")})
        with pytest.raises(ValueError, match="finite number >= 0"):
            s.tell(t, metrics={"loss": 1.0}, usage={"cpu_hours": -1})
        with pytest.raises(TypeError):
            s.tell(t, metrics={"loss": "low"})
        with pytest.raises(ValueError):
            s.tell(t, metrics={"loss": 1.0}, state="done")
        # Still open after every refusal: told now, then never again.
        s.tell(t, metrics={"loss": 1.0})
        with pytest.raises(budgetopt.BudgetoptError, match="not open"):
            s.tell(t, metrics={"loss": 1.0})
        with pytest.raises(TypeError):
            s.tell("trial 0", metrics={"loss": 1.0})
    with pytest.raises(budgetopt.BudgetoptError, match="closed"):
        s.ask()


def test_complete_without_a_metric_is_failed(study_file, tmp_path):
    ledger = tmp_path / "l.db"
    with budgetopt.Study.load(study_file, storage=str(ledger)) as s:
        t = s.ask()
        s.tell(t, metrics={}, usage={"cpu_hours": 0.1})
        rows = s.trials()
    assert rows[0]["state"] == "failed"
    assert "loss" in rows[0]["reason"]
    assert rows[0]["cost"] == pytest.approx(0.2)


def test_optimize_with_a_failing_function(study_file, tmp_path):
    ledger = tmp_path / "l.db"

    def fn(p):
        if p["kind"] == "boosted":
            raise RuntimeError("diverged at round 3")
        return {"loss": loss(p)}, {"cpu_hours": 0.05}

    with budgetopt.Study.load(study_file, storage=str(ledger), seed=2) as s:
        n = budgetopt.optimize(s, fn, n_trials=12)
        assert n == 12
        rows = s.trials()
    failed = [r for r in rows if r["state"] == "failed"]
    assert failed and all(r["params"]["kind"] == "boosted" for r in failed)
    assert all(r["reason"] == "RuntimeError: diverged at round 3" for r in failed)
    assert all(r["state"] == "complete" for r in rows if r["params"]["kind"] == "plain")


def test_optimize_stops_at_the_budget(study_file):
    with budgetopt.Study.load(study_file) as s:
        n = budgetopt.optimize(s, lambda p: ({"loss": loss(p)}, {"cpu_hours": 0.5}))
        assert n == 10          # 1.0 each against 10: the 11th reservation (the cap) does not fit
        assert s.spent == pytest.approx(10.0)


def test_ledger_shared_with_the_program(study_file, tmp_path):
    ledger = tmp_path / "shared.db"
    with budgetopt.Study.load(study_file, storage=str(ledger)) as s:
        for _ in range(3):
            t = s.ask()
            s.tell(t, metrics={"loss": loss(t.params)}, usage={"cpu_hours": 0.1})
        # Held: the program refuses to run the study meanwhile.
        r = run("run", "--storage", ledger, study_file)
        assert r.returncode != 0
        assert "already held" in r.stderr or "being run" in r.stderr or "in use" in r.stderr, r.stderr
        # Readers are welcome.
        assert len(s.trials()) == 3
    # Released: the program continues the same study to the end of its budget.
    r = run("run", "--storage", ledger, study_file)
    assert r.returncode == 0, r.stderr
    st = run("status", "--format", "json", "--storage", ledger, study_file)
    rows = json.loads(run("export", "--format", "json", "--storage", ledger, study_file).stdout)
    assert len(rows) > 3
    assert [r["id"] for r in rows] == list(range(1, len(rows) + 1))
    assert sum(r["cost"] for r in rows) <= 10.0 + 1e-9
    if st.returncode == 0:
        assert str(len(rows)) in st.stdout
    # And Python sees the program's trials when it opens the ledger again.
    with budgetopt.Study.load(study_file, storage=str(ledger)) as s:
        assert s.n_told == len(rows)
        assert s.spent == pytest.approx(sum(r["cost"] for r in rows), rel=1e-9)


def test_a_second_holder_in_this_process_is_refused(study_file, tmp_path):
    ledger = str(tmp_path / "one.db")
    with budgetopt.Study.load(study_file, storage=ledger):
        with pytest.raises(budgetopt.LedgerConflict, match="already held"):
            budgetopt.Study.load(study_file, storage=ledger)


def test_frontier_and_select_match_the_program(study_file, tmp_path):
    ledger = tmp_path / "fs.db"
    with budgetopt.Study.load(study_file, storage=str(ledger)) as s:
        budgetopt.optimize(s, lambda p: ({"loss": loss(p)}, {"cpu_hours": 0.05}), n_trials=10)
        f = s.frontier()
        sel = s.select()
    assert f == json.loads(run("frontier", "--format", "json", "--storage", ledger, study_file).stdout)
    assert sel == json.loads(run("select", "--format", "json", "--storage", ledger, study_file).stdout)
    with budgetopt.Study.load(study_file) as mem:
        with pytest.raises(budgetopt.BudgetoptError, match="ledger"):
            mem.frontier()


def test_dataframe_has_optuna_columns(study_file, tmp_path):
    pd = pytest.importorskip("pandas")
    ledger = tmp_path / "df.db"
    with budgetopt.Study.load(study_file, storage=str(ledger), seed=1) as s:
        budgetopt.optimize(s, lambda p: (_ for _ in ()).throw(ValueError("x")) if p["depth"] > 6
                           else ({"loss": loss(p)}, {"cpu_hours": 0.05}), n_trials=10)
        df = s.trials_dataframe()
        rows = s.trials()
    assert isinstance(df, pd.DataFrame)
    cols = list(df.columns)
    assert cols[:5] == ["number", "value", "datetime_start", "datetime_complete", "duration"]
    assert cols[-1] == "state"
    assert [c for c in cols if c.startswith("params_")] == \
        ["params_depth", "params_kind", "params_lr", "params_rounds"]
    assert "user_attrs_cost" in cols and "user_attrs_usage_cpu_hours" in cols
    assert list(df["number"]) == [r["id"] - 1 for r in rows]
    for (_, d), r in zip(df.iterrows(), rows):
        assert d["state"] == {"complete": "COMPLETE", "failed": "FAIL"}[r["state"]]
        assert d["user_attrs_cost"] == pytest.approx(r["cost"])
        if r["state"] == "complete":
            assert d["value"] == pytest.approx(r["metrics"]["loss"])
        else:
            assert pd.isna(d["value"])
