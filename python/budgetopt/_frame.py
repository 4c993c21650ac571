"""Trials as rows shaped like Optuna's Study.trials_dataframe(): the same
column names, order and types, so that code written for Optuna reads a
budgetopt ledger. budgetopt's own fields go to user_attrs_*."""
import datetime

# budgetopt state -> Optuna TrialState name.
STATES = {"complete": "COMPLETE", "failed": "FAIL", "pruned": "PRUNED",
          "running": "RUNNING", "queued": "WAITING"}


def _time(t):
    return datetime.datetime.fromtimestamp(t) if isinstance(t, (int, float)) and t > 0 else None


def rows(study, trials):
    """One dict per trial, keys in Optuna's column order."""
    names = [n for n, _ in study.objectives]
    params = sorted(study.param_names)
    out = []
    for t in trials:
        metrics = t.get("metrics") or {}
        r = {"number": int(t["id"]) - 1}
        if len(names) == 1:
            r["value"] = metrics.get(names[0]) if t.get("state") == "complete" else None
        else:
            for i, n in enumerate(names):
                r[f"values_{i}"] = metrics.get(n) if t.get("state") == "complete" else None
        start, end = _time(t.get("started_at")), _time(t.get("ended_at"))
        r["datetime_start"] = start
        r["datetime_complete"] = end
        r["duration"] = end - start if start and end else None
        for p in params:
            r[f"params_{p}"] = (t.get("params") or {}).get(p)
        attrs = {"cost": t.get("cost"), "currency": t.get("currency"), "sampler": t.get("sampler"),
                 "reason": t.get("reason"), "score": t.get("score"), "feasible": t.get("feasible")}
        for k, v in (t.get("usage") or {}).items():
            attrs[f"usage_{k}"] = v
        for k, v in metrics.items():
            if k not in names:
                attrs[f"metric_{k}"] = v
        r["_attrs"] = attrs
        r["state"] = STATES.get(t.get("state"), str(t.get("state")).upper())
        out.append(r)
    # Every row gets every user attribute (sorted, as Optuna's are), before
    # the state column.
    keys = sorted({k for r in out for k in r["_attrs"]})
    full = []
    for r in out:
        attrs = r.pop("_attrs")
        state = r.pop("state")
        for k in keys:
            r[f"user_attrs_{k}"] = attrs.get(k)
        r["state"] = state
        full.append(r)
    return full
