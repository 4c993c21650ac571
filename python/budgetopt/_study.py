"""Study, Trial and optimize(): the ask/tell API of libbudgetopt from Python.

Every budget rule is the C library's: a trial is handed out only when its
reservation fits in the money budget, and charged its usage at the study's
prices, at most its per-trial cap. Python adds no rule of its own.
"""
import json
import math
import os
import shutil
import subprocess
import threading

from . import _lib
from ._lib import ffi, lib, text

__all__ = ["BudgetoptError", "StudyFileError", "LedgerConflict", "BudgetExhausted",
           "Study", "Trial", "optimize"]


class BudgetoptError(Exception):
    """An error of the C library: .code is its status (BO_E*), the message
    its own."""

    def __init__(self, message, code=_lib.BO_ERROR):
        super().__init__(message)
        self.code = code


class StudyFileError(BudgetoptError, ValueError):
    """The study file has problems: .problems lists them, one
    "file:line:col: message (hint)" each."""

    def __init__(self, message, problems):
        super().__init__(message, _lib.BO_EINVAL)
        self.problems = problems


class LedgerConflict(BudgetoptError):
    """The ledger is held by another runner or optimizer, holds another
    study with this name, or disagrees with its spend journal."""


class BudgetExhausted(BudgetoptError):
    """ask(): a budget is reached (or the open trials' reservations must be
    told first); the message says which."""

    def __init__(self, message):
        super().__init__(message, _lib.BO_DONE)


class TrialPruned(Exception):
    """Raise it from an objective when trial.should_prune() says so (as
    optuna.TrialPruned): optimize() then tells the trial "pruned"."""


def _raise(rc, message):
    if rc == _lib.BO_ECONFLICT:
        raise LedgerConflict(message, rc)
    if rc == _lib.BO_EINVAL:
        raise ValueError(message)
    if rc == _lib.BO_ENOTFOUND:
        raise KeyError(message)
    if rc == _lib.BO_ENOMEM:
        raise MemoryError(message)
    raise BudgetoptError(message, rc)


def _cstr(s, what):
    if not isinstance(s, str):
        raise TypeError(f"{what} must be a str, not {type(s).__name__}")
    if "\0" in s:
        raise ValueError(f"{what} must not contain NUL characters")
    return s.encode("utf-8")


def _number(v, what):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"{what} must be a number, not {type(v).__name__}")
    return float(v)


class Trial:
    """One configuration handed out by Study.ask(), open until told."""

    def __init__(self, study, ptr):
        self._study = study
        self._ptr = ptr
        self.number = int(lib.bo_trial_number(ptr))
        self.sampler = text(lib.bo_trial_sampler(ptr))
        self.params = study._read_params(ptr)
        cap = float(lib.bo_trial_money_cap(ptr))
        # The most this trial may be charged (None: no cap): stop it
        # before its cost reaches this; tell() charges at most this.
        self.money_cap = None if cap != cap else cap
        # Why should_prune() said stop ("pruned at step K by the R rule:
        # ..." or "reached the per-trial money cap (...)"), else None.
        self.prune_reason = None
        self._usage = {}    # usage reported so far, per resource

    def report(self, step, metrics=None, usage=None, **values):
        """Reports intermediate values at step (an int >= 0: epochs, say),
        as an evaluator's {"step": k, "metrics": {...}} line does under
        `budgetopt run`: trial.report(3, val_acc=0.81) or
        trial.report(3, {"val_acc": 0.81}). usage: {resource: amount used
        so far} (amounts so far, not increments; they are charged at
        tell()). The study's pruner judges the trial on these values and
        its cost so far: ask should_prune()."""
        self._study._report(self, step, {**dict(metrics or {}), **values}, dict(usage or {}))

    def should_prune(self):
        """True when the study's pruner decided at a report that this trial
        is not worth finishing, or when its usage so far has reached its
        money cap; then stop training and raise TrialPruned (or tell it
        state="pruned"). The reason is in trial.prune_reason."""
        return self._study._should_prune(self)

    def __repr__(self):
        state = "told" if self._ptr is None else "open"
        return f"<budgetopt.Trial {self.number} {state} {self.params!r}>"


class Study:
    """A study and its optimizer: Study.load("study.yaml"), then ask/tell
    or optimize(). With storage (a ledger path, or "" for the study's own
    ledger, as `budgetopt run` uses) every trial is recorded in the ledger
    and the study is held until close(); without it, everything stays in
    memory."""

    def __init__(self, sptr, path, storage, sampler, seed):
        self._lock = threading.RLock()
        self._s = sptr
        self._o = ffi.NULL
        self.path = path
        self.storage = storage
        self._open = {}
        opts = ffi.new("bo_optimizer_options *")
        keep = []
        if sampler is not None:
            keep.append(ffi.new("char[]", _cstr(sampler, "sampler")))
            opts.sampler = keep[-1]
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0 or seed >= 2 ** 64:
                raise ValueError("seed must be an integer in [0, 2**64)")
            opts.has_seed = 1
            opts.seed = seed
        if storage is not None:
            keep.append(ffi.new("char[]", _cstr(storage, "storage")))
            opts.storage = keep[-1]
        out = ffi.new("bo_optimizer **")
        rc = lib.bo_optimizer_new(out, sptr, opts)
        if rc != 0:
            msg = text(lib.bo_error_last())
            lib.bo_study_free(sptr)
            self._s = ffi.NULL
            _raise(rc, msg)
        self._o = out[0]
        n = lib.bo_study_nparams(sptr)
        self.name = text(lib.bo_study_name(sptr))
        self.currency = text(lib.bo_study_currency(sptr))
        self.param_names = [text(lib.bo_study_param_name(sptr, i)) for i in range(n)]
        self._param_types = [text(lib.bo_study_param_type(sptr, i)) for i in range(n)]
        self.metric_names = [text(lib.bo_study_metric_name(sptr, i))
                             for i in range(lib.bo_study_nmetrics(sptr))]
        self.objectives = [(text(lib.bo_study_objective_name(sptr, i)),
                            "maximize" if lib.bo_study_objective_goal(sptr, i) > 0 else "minimize")
                           for i in range(lib.bo_study_nobjectives(sptr))]
        m = lib.bo_study_budget_money(sptr)
        self.budget_money = None if math.isnan(m) else m

    # ---- creating and closing -------------------------------------------

    @classmethod
    def load(cls, path, storage=None, sampler=None, seed=None):
        """Reads the study file at path. StudyFileError lists its problems."""
        path = os.fspath(path)
        out = ffi.new("bo_study **")
        diags = ffi.new("bo_diags **")
        rc = lib.bo_study_load(out, _cstr(path, "path"), diags)
        return cls._made(rc, out, diags, path, storage, sampler, seed)

    @classmethod
    def from_text(cls, yaml_text, name="study.yaml", dir=None, storage=None, sampler=None,
                  seed=None):
        """A study from YAML text (name is used in messages; relative paths
        resolve against dir, default the current folder)."""
        data = _cstr(yaml_text, "yaml_text")
        out = ffi.new("bo_study **")
        diags = ffi.new("bo_diags **")
        d = ffi.new("char[]", _cstr(os.fspath(dir), "dir")) if dir is not None else ffi.NULL
        rc = lib.bo_study_parse(out, data, len(data), _cstr(name, "name"), d, diags)
        return cls._made(rc, out, diags, None, storage, sampler, seed)

    @classmethod
    def _made(cls, rc, out, diags, path, storage, sampler, seed):
        if rc != 0:
            msg = text(lib.bo_error_last())
            problems = [text(lib.bo_diags_get(diags[0], i)) for i in range(lib.bo_diags_count(diags[0]))]
            lib.bo_diags_free(diags[0])
            if rc == _lib.BO_EINVAL:
                raise StudyFileError(msg, problems)
            if rc == _lib.BO_EIO:
                raise OSError(msg)
            _raise(rc, msg)
        lib.bo_diags_free(diags[0])
        return cls(out[0], path, storage, sampler, seed)

    def close(self):
        """Frees the optimizer (with a ledger: trials still open are failed
        and charged what they used, and the study is released)."""
        with self._lock:
            for t in self._open.values():
                t._ptr = None
            self._open.clear()
            if self._o != ffi.NULL:
                lib.bo_optimizer_free(self._o)
                self._o = ffi.NULL
            if self._s != ffi.NULL:
                lib.bo_study_free(self._s)
                self._s = ffi.NULL

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _live(self):
        if self._o == ffi.NULL:
            raise BudgetoptError("the study is closed", _lib.BO_EMISUSE)

    def _error(self, rc):
        _raise(rc, text(lib.bo_optimizer_errmsg(self._o)) or text(lib.bo_error_last()))

    # ---- ask and tell ---------------------------------------------------

    def _read_params(self, ptr):
        params = {}
        v = ffi.new("double *")
        for name, kind in zip(self.param_names, self._param_types):
            cname = name.encode("utf-8")
            if kind in ("choice", "ordinal"):
                label = lib.bo_trial_label(ptr, cname)
                if label != ffi.NULL:
                    params[name] = text(label)
                continue
            if lib.bo_trial_param(ptr, cname, v) != 0:
                continue   # inactive (its condition is false)
            params[name] = int(round(v[0])) if kind == "int" else v[0]
        return params

    def ask(self):
        """The next trial. Raises BudgetExhausted when a budget says no."""
        with self._lock:
            self._live()
            out = ffi.new("bo_trial **")
            rc = lib.bo_optimizer_ask(self._o, out)
            if rc == _lib.BO_DONE:
                raise BudgetExhausted(text(lib.bo_optimizer_errmsg(self._o)))
            if rc != 0:
                self._error(rc)
            t = Trial(self, out[0])
            self._open[t.number] = t
            return t

    def _check_open(self, trial):
        if not isinstance(trial, Trial):
            raise TypeError("expected a Trial from this study's ask()")
        if trial._study is not self or trial._ptr is None or self._open.get(trial.number) is not trial:
            raise BudgetoptError(f"trial {trial.number} is not open in this study (told already?)",
                                 _lib.BO_EMISUSE)

    def _usage_increments(self, trial, usage):
        """[(resource, increment)] that bring the usage reported so far up
        to usage (amounts so far); ValueError if one would go down."""
        out = []
        for k, v in usage.items():
            v = _number(v, f"usage {k!r}")
            d = v - trial._usage.get(k, 0.0)
            if d < 0 and k in trial._usage:
                raise ValueError(f"usage {k!r} = {v} is less than the {trial._usage[k]} reported "
                                 "before (usage is the amount used so far)")
            out.append((k, _cstr(k, "resource name"), v, d))
        return out

    def _report(self, trial, step, values, usage):
        if isinstance(step, bool) or not isinstance(step, int):
            raise TypeError(f"step must be an int, not {type(step).__name__}")
        names = [_cstr(k, "metric name") for k in values]
        nums = [_number(v, f"value {k!r}") for k, v in values.items()]
        with self._lock:
            self._live()
            self._check_open(trial)
            incs = self._usage_increments(trial, usage)
            for k, ck, v, d in incs:
                rc = lib.bo_trial_add_usage(trial._ptr, ck, d)
                if rc != 0:
                    self._error(rc)
                trial._usage[k] = v
            keep = [ffi.new("char[]", n) for n in names]   # alive until the call returns
            cnames = ffi.new("const char *[]", keep or [ffi.NULL])
            cvals = ffi.new("double[]", nums or [0.0])
            rc = lib.bo_trial_report(trial._ptr, step, cnames, cvals, len(names))
            if rc != 0:
                self._error(rc)

    def _should_prune(self, trial):
        with self._lock:
            self._live()
            self._check_open(trial)
            why = ffi.new("char[]", 1024)
            rc = lib.bo_trial_should_prune(trial._ptr, why, 1024)
            if rc < 0:
                self._error(rc)
            trial.prune_reason = text(why) if rc == 1 else None
            return rc == 1

    def tell(self, trial, metrics=None, usage=None, state="complete", reason=None):
        """Ends trial and returns what it was charged. metrics: {name:
        number}; usage: {resource: amount} (e.g. {"gpu_hours.a100": 0.4}; for
        a resource also given to trial.report(), the total amount used);
        state "complete", "pruned" (stopped early: should_prune() said so,
        or your own decision, then reason says why) or "failed" (reason:
        why). Invalid metrics or usage raise before anything is told,
        leaving the trial open (tell it as failed)."""
        if not isinstance(trial, Trial):
            raise TypeError("tell() takes a Trial from this study's ask()")
        states = {"complete": _lib.BO_TELL_COMPLETE, "pruned": _lib.BO_TELL_PRUNED,
                  "failed": _lib.BO_TELL_FAILED}
        if state not in states:
            raise ValueError('state must be "complete", "pruned" or "failed"')
        metrics = dict(metrics or {})
        usage = dict(usage or {})
        items_m = [(_cstr(k, "metric name"), _number(v, f"metric {k!r}")) for k, v in metrics.items()]
        items_u = [(ck, d) for _, ck, _, d in self._usage_increments(trial, usage)]
        creason = _cstr(str(reason), "reason") if reason is not None else None
        with self._lock:
            self._live()
            if trial._study is not self or trial._ptr is None or self._open.get(trial.number) is not trial:
                raise BudgetoptError(f"trial {trial.number} is not open in this study (told already?)",
                                     _lib.BO_EMISUSE)
            p = trial._ptr
            for k, v in items_m:
                rc = lib.bo_trial_set_metric(p, k, v)
                if rc != 0:
                    self._error(rc)
            for k, v in items_u:
                rc = lib.bo_trial_add_usage(p, k, v)
                if rc != 0:
                    self._error(rc)
            if creason is not None:
                rc = lib.bo_trial_set_reason(p, creason)
                if rc != 0:
                    self._error(rc)
            cost = ffi.new("double *")
            del self._open[trial.number]
            trial._ptr = None
            rc = lib.bo_optimizer_tell(self._o, p, states[state], cost)
            if rc != 0:
                # Told (and charged) all the same: not a usage error.
                raise BudgetoptError(text(lib.bo_optimizer_errmsg(self._o)), rc)
            return cost[0]

    def set_sampler_option(self, name, value):
        """A sampler option ("n_startup", "gamma", ...)."""
        with self._lock:
            self._live()
            rc = lib.bo_optimizer_set_param(self._o, _cstr(name, "name"), _number(value, name))
            if rc != 0:
                self._error(rc)

    def best(self):
        """(number, value) of the best complete trial that meets every
        guardrail, by the score (or the single objective); None if none."""
        with self._lock:
            self._live()
            n = ffi.new("int64_t *")
            v = ffi.new("double *")
            rc = lib.bo_optimizer_best(self._o, n, v)
            if rc == _lib.BO_DONE:
                return None
            if rc != 0:
                self._error(rc)
            return int(n[0]), v[0]

    @property
    def spent(self):
        """Money charged so far (with a ledger: by every trial in it)."""
        with self._lock:
            self._live()
            return lib.bo_optimizer_spent(self._o)

    @property
    def n_told(self):
        with self._lock:
            self._live()
            return int(lib.bo_optimizer_ntold(self._o))

    # ---- reading the ledger (through the budgetopt program) ------------

    def _cli(self, *args):
        if self.storage is None or self.path is None:
            raise BudgetoptError("reading trials, the frontier or a selection needs a study loaded from a "
                                 "file with a ledger: Study.load(path, storage=...)", _lib.BO_EMISUSE)
        prog = os.environ.get("BUDGETOPT_PROGRAM") or shutil.which("budgetopt")
        if not prog:
            raise BudgetoptError("the budgetopt program is not on PATH (install the budgetopt package, "
                                 "or set BUDGETOPT_PROGRAM)", _lib.BO_ENOTFOUND)
        argv = [prog, *args]
        if self.storage:
            argv += ["--storage", self.storage]
        argv.append(self.path)
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        if p.returncode != 0:
            raise BudgetoptError(f"budgetopt {args[0]}: " + p.stderr.decode("utf-8", "replace").strip(),
                                 _lib.BO_ERROR)
        return p.stdout.decode("utf-8")

    def trials(self):
        """Every trial in the ledger, as `budgetopt export --format json`
        gives them (a list of dicts)."""
        data = json.loads(self._cli("export", "--format", "json"))
        return data["trials"] if isinstance(data, dict) and "trials" in data else data

    def frontier(self, *args):
        """`budgetopt frontier --format json` (extra CLI options in args)."""
        return json.loads(self._cli("frontier", "--format", "json", *args))

    def select(self, *args):
        """`budgetopt select --format json` (extra CLI options in args)."""
        return json.loads(self._cli("select", "--format", "json", *args))

    def trials_dataframe(self):
        """The trials as a pandas DataFrame with Optuna's columns: number,
        value or values_<i>, datetime_start, datetime_complete, duration,
        params_<name>, user_attrs_* (cost, currency, sampler, usage_<r>,
        reason, and metrics that are not objectives), state."""
        import pandas as pd
        from ._frame import rows
        return pd.DataFrame(rows(self, self.trials()))


def optimize(study, fn, n_trials=None, catch=(Exception,), pass_trial=False):
    """Runs fn(params) (with pass_trial, fn(trial): it reads trial.params,
    may trial.report() and raise TrialPruned when trial.should_prune()) for
    trials until a budget is reached (or n_trials were told). fn returns a
    metrics dict, or (metrics, usage). TrialPruned tells the trial pruned.
    An exception of a type in catch fails the trial, with the exception as
    its reason, and the loop goes on; KeyboardInterrupt fails it as
    "interrupted" and stops. Returns the number of trials told."""
    told = 0
    while n_trials is None or told < n_trials:
        try:
            t = study.ask()
        except BudgetExhausted:
            break
        try:
            out = fn(t) if pass_trial else fn(dict(t.params))
        except TrialPruned as e:
            study.tell(t, state="pruned", reason=(str(e) or None) if t.prune_reason is None else None)
            told += 1
            continue
        except KeyboardInterrupt:
            study.tell(t, state="failed", reason="interrupted")
            raise
        except catch as e:
            study.tell(t, state="failed", reason=f"{type(e).__name__}: {e}")
            told += 1
            continue
        metrics, usage = (out if isinstance(out, tuple) else (out, None))
        try:
            study.tell(t, metrics=metrics, usage=usage)
        except (ValueError, TypeError, KeyError) as e:
            study.tell(t, state="failed", reason=f"bad result: {e}")
        told += 1
    return told
