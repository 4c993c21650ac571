"""budgetopt: choose machine-learning configurations under explicit budgets.

A binding of libbudgetopt (the C library) through cffi:

    import budgetopt
    with budgetopt.Study.load("study.yaml", storage="") as study:
        budgetopt.optimize(study, train)         # train(params) -> {"accuracy": ...}
        print(study.best(), study.spent)

The money budget, reservations and per-trial caps are the C library's, the
same as `budgetopt run`; with storage the trials go to the same ledger.
See python/README.md.
"""
from ._lib import lib as _clib, text as _text
from ._study import (BudgetExhausted, BudgetoptError, LedgerConflict, Study, StudyFileError, Trial,
                     TrialPruned, optimize)

__version__ = _text(_clib.bo_version())

__all__ = ["Study", "Trial", "TrialPruned", "optimize", "BudgetoptError", "StudyFileError", "LedgerConflict",
           "BudgetExhausted", "__version__"]
