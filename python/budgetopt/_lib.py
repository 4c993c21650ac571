"""The C library, loaded with cffi in ABI mode (no compiler needed).

The declarations below are those of include/budgetopt/*.h that the binding
uses, written out because cffi does not read C headers with macros; the
layout of bo_optimizer_options must match the header exactly.
"""
import ctypes.util
import os

import cffi

CDEF = """
typedef struct bo_study bo_study;
typedef struct bo_diags bo_diags;
typedef struct bo_optimizer bo_optimizer;
typedef struct bo_trial bo_trial;

typedef struct bo_optimizer_options {
    const char *sampler;
    int has_seed;
    uint64_t seed;
    const char *storage;
    int parallel;
} bo_optimizer_options;

const char *bo_error_last(void);
void bo_error_clear(void);
const char *bo_version(void);

size_t bo_diags_count(const bo_diags *d);
const char *bo_diags_get(const bo_diags *d, size_t i);
void bo_diags_free(bo_diags *d);

int bo_study_load(bo_study **out, const char *path, bo_diags **diags);
int bo_study_parse(bo_study **out, const char *text, size_t len, const char *name,
                   const char *dir, bo_diags **diags);
void bo_study_free(bo_study *s);
const char *bo_study_name(const bo_study *s);
const char *bo_study_path(const bo_study *s);
size_t bo_study_nparams(const bo_study *s);
const char *bo_study_param_name(const bo_study *s, size_t i);
const char *bo_study_param_type(const bo_study *s, size_t i);
size_t bo_study_nmetrics(const bo_study *s);
const char *bo_study_metric_name(const bo_study *s, size_t i);
size_t bo_study_nobjectives(const bo_study *s);
const char *bo_study_objective_name(const bo_study *s, size_t i);
int bo_study_objective_goal(const bo_study *s, size_t i);
const char *bo_study_currency(const bo_study *s);
double bo_study_budget_money(const bo_study *s);

int bo_optimizer_new(bo_optimizer **out, const bo_study *s, const bo_optimizer_options *opt);
void bo_optimizer_free(bo_optimizer *o);
const char *bo_optimizer_errmsg(const bo_optimizer *o);
int bo_optimizer_set_param(bo_optimizer *o, const char *name, double value);
int bo_optimizer_ask(bo_optimizer *o, bo_trial **out);
int64_t bo_trial_number(const bo_trial *t);
int bo_trial_param(const bo_trial *t, const char *name, double *value);
const char *bo_trial_label(const bo_trial *t, const char *name);
const char *bo_trial_sampler(const bo_trial *t);
double bo_trial_money_cap(const bo_trial *t);
int bo_trial_set_metric(bo_trial *t, const char *name, double value);
int bo_trial_add_usage(bo_trial *t, const char *resource, double amount);
int bo_trial_set_reason(bo_trial *t, const char *reason);
int bo_trial_report(bo_trial *t, int64_t step, const char *const *names, const double *values,
                    size_t n);
int bo_trial_should_prune(bo_trial *t, char *why, size_t size);
int bo_optimizer_tell(bo_optimizer *o, bo_trial *t, int state, double *cost);
int bo_optimizer_best(bo_optimizer *o, int64_t *number, double *value);
double bo_optimizer_spent(const bo_optimizer *o);
int64_t bo_optimizer_ntold(const bo_optimizer *o);
"""

# Status codes (include/budgetopt/common.h).
BO_OK, BO_DONE = 0, 1
BO_ERROR, BO_ENOMEM, BO_EINVAL, BO_EIO = -1, -2, -3, -4
BO_EMISUSE, BO_ENOTFOUND, BO_ECONFLICT, BO_EINTR = -5, -6, -7, -8
BO_TELL_COMPLETE, BO_TELL_PRUNED, BO_TELL_FAILED = 2, 3, 4

ffi = cffi.FFI()
ffi.cdef(CDEF)


def _find():
    """The shared library: $BUDGETOPT_LIBRARY, else libbudgetopt.so.0 where
    the dynamic loader looks (an installed libbudgetopt0)."""
    path = os.environ.get("BUDGETOPT_LIBRARY")
    if path:
        return path
    return ctypes.util.find_library("budgetopt") or "libbudgetopt.so.0"


def _load():
    path = _find()
    try:
        return ffi.dlopen(path)
    except OSError as e:
        raise ImportError(
            f"budgetopt: cannot load the C library {path!r} ({e}); install libbudgetopt0 "
            "(or `make install`), or point BUDGETOPT_LIBRARY at libbudgetopt.so.0") from None


lib = _load()


def text(p):
    """A C string as str ('' for NULL)."""
    return ffi.string(p).decode("utf-8", "replace") if p != ffi.NULL else ""
