"""The tutorial of python/README.md runs as written, on a small budget."""
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "examples", "digits_inprocess.py")


def test_tutorial_runs(tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("pandas")
    ledger = tmp_path / "digits.db"
    p = subprocess.run([sys.executable, SCRIPT, str(ledger), "6"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, check=False)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("6 trials, spent ")
    spent = float(lines[0].split()[3])
    assert 0 < spent <= 0.003
    assert lines[1].startswith("best: trial ")
    accuracy = float(lines[1].split()[-1])
    assert 0.8 < accuracy <= 1.0
    assert any(line.startswith("frontier: ") for line in lines)
    # An ordinary ledger: the program reads it.
    prog = os.environ.get("BUDGETOPT_PROGRAM", "budgetopt")
    st = subprocess.run([prog, "status", "--storage", str(ledger), os.path.join(HERE, "..", "examples",
                         "digits.yaml")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert st.returncode == 0, st.stderr
    assert "6" in st.stdout
