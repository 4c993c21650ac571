"""bench/scale.py BUDGETOPT TRIALS SCRATCH [SLEEP] - the measurements of
bench/scale (which starts the PostgreSQL server and passes its URI in PG_URI).

With SLEEP (seconds, > 0) every evaluator sleeps that long (budgetopt runs
/bin/sleep SLEEP, Optuna's objective time.sleep(SLEEP)), so that the
evaluator dominates and the rates measure concurrency, not CPU: the ideal
with N workers is N / SLEEP trials per second, and "eff" is the share of it
reached.

Each measurement is one fresh study of TRIALS trials, timed from the start
of its processes to the exit of the last one; the rate is the trials the
ledger (or Optuna's storage) holds as complete at the end, divided by that
time. Optuna's processes import optuna and open the storage before the clock
starts (a barrier), so its rate is its steady state; budgetopt's includes
starting its processes (milliseconds).
"""
import multiprocessing as mp
import os
import sqlite3
import subprocess
import sys
import time

import psycopg2

BO, TRIALS, SCRATCH = sys.argv[1], int(sys.argv[2]), sys.argv[3]
SLEEP = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
ADMIN = os.environ["PG_URI"]
WORKERS = (1, 2, 4, 8)
TRUE = "/bin/true" if os.path.exists("/bin/true") else "/usr/bin/true"
SLEEP_BIN = "/bin/sleep" if os.path.exists("/bin/sleep") else "/usr/bin/sleep"
COMMAND = ('"%s", "%r"' % (SLEEP_BIN, SLEEP)) if SLEEP > 0 else '"%s"' % TRUE

STUDY = """name: %(name)s
seed: 1
space:
  x: {float: [0, 1]}
budget:
  trials: %(trials)d
evaluator:
  command: [%(command)s]
  parallel: %(parallel)d
sampler: random
"""


def newdb(name):
    c = psycopg2.connect(ADMIN)
    c.autocommit = True
    with c.cursor() as cur:
        cur.execute('CREATE DATABASE "%s"' % name)   # name: a constant of this file
    c.close()
    return ADMIN.rsplit("/", 1)[0] + "/" + name


def study_dir(name, parallel):
    d = os.path.join(SCRATCH, name)
    os.makedirs(d)
    with open(os.path.join(d, "study.yaml"), "w") as f:
        f.write(STUDY % dict(name=name, trials=TRIALS, command=COMMAND, parallel=parallel))
    return d


def sqlite_rate(n):
    d = study_dir("sqlite%d" % n, n)
    t0 = time.monotonic()
    subprocess.run([BO, "run", "study.yaml", "-q", "--parallel", str(n)], cwd=d, check=True)
    dt = time.monotonic() - t0
    db = sqlite3.connect(os.path.join(d, "sqlite%d.db" % n))
    done = db.execute("SELECT COUNT(*) FROM trials WHERE state = 'complete'").fetchone()[0]
    db.close()
    return done / dt, done, dt


def pg_count(uri, sql):
    c = psycopg2.connect(uri)
    with c.cursor() as cur:
        cur.execute(sql)
        v = cur.fetchone()[0]
    c.close()
    return v


def postgres_rate(n):
    name = "pg%d" % n
    d = study_dir(name, 1)
    uri = newdb(name)
    t0 = time.monotonic()
    ws = [subprocess.Popen([BO, "worker", "study.yaml", "--storage", uri, "-q"], cwd=d)
          for _ in range(n)]
    rcs = [w.wait() for w in ws]
    dt = time.monotonic() - t0
    if any(rcs):
        raise SystemExit("scale: a budgetopt worker failed: %s" % rcs)
    done = pg_count(uri, "SELECT COUNT(*) FROM trials WHERE state = 'complete'")
    return done / dt, done, dt


def optuna_child(url, n_trials, barrier, sleep):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name="noop", storage=url,
                              sampler=optuna.samplers.RandomSampler(seed=os.getpid()))

    def objective(t):
        x = t.suggest_float("x", 0, 1)
        if sleep > 0:
            time.sleep(sleep)
        return x

    barrier.wait()
    study.optimize(objective, n_trials=n_trials)


def optuna_rate(n):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    name = "optuna%d" % n
    url = newdb(name).replace("postgresql://", "postgresql+psycopg2://", 1)
    storage = optuna.storages.RDBStorage(url)
    optuna.create_study(study_name="noop", storage=storage)
    storage.engine.dispose()
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(n + 1)
    share = [TRIALS // n + (1 if i < TRIALS % n else 0) for i in range(n)]
    ps = [ctx.Process(target=optuna_child, args=(url, share[i], barrier, SLEEP)) for i in range(n)]
    for p in ps:
        p.start()
    barrier.wait()
    t0 = time.monotonic()
    for p in ps:
        p.join()
    dt = time.monotonic() - t0
    if any(p.exitcode for p in ps):
        raise SystemExit("scale: an Optuna process failed")
    done = pg_count(url.replace("postgresql+psycopg2://", "postgresql://", 1),
                    "SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'")
    return done / dt, done, dt


def main():
    import optuna
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print("bench/scale: %d trials per measurement, %s, %d CPUs, load %s"
          % (TRIALS, ("an evaluator sleeping %g s (%s)" % (SLEEP, SLEEP_BIN)) if SLEEP > 0
             else "no-op evaluator (%s)" % TRUE, os.cpu_count(), " ".join(load)))
    print("budgetopt %s, Optuna %s (RDBStorage, psycopg2 %s), PostgreSQL %s"
          % (subprocess.run([BO, "--version"], capture_output=True, text=True).stdout.split("\n")[0],
             optuna.__version__, psycopg2.__version__.split()[0],
             pg_count(ADMIN, "SHOW server_version")))
    rows = []
    for n in WORKERS:
        s = sqlite_rate(n)
        p = postgres_rate(n)
        o = optuna_rate(n)
        rows.append((n, s, p, o))
        print("  %d worker(s): sqlite %d trials in %.2f s, postgres %d in %.2f s, optuna %d in %.2f s"
              % (n, s[1], s[2], p[1], p[2], o[1], o[2]), flush=True)
    print()
    print("trials recorded per second")
    print("%7s  %10s  %10s  %10s  %12s  %12s  %14s%s" % (
        "workers", "sqlite", "postgres", "optuna", "pg/optuna", "pg/sqlite", "pg N/pg 1",
        "  %8s  %8s  %8s" % ("sq eff", "pg eff", "opt eff") if SLEEP > 0 else ""))
    base = rows[0][2][0]
    for n, s, p, o in rows:
        eff = ""
        if SLEEP > 0:
            eff = "  %8.2f  %8.2f  %8.2f" % tuple(r[0] * SLEEP / n for r in (s, p, o))
        print("%7d  %10.1f  %10.1f  %10.1f  %12.2f  %12.2f  %14.2f%s" % (
            n, s[0], p[0], o[0], p[0] / o[0], p[0] / s[0], p[0] / base, eff))
    n, s, p, o = rows[-1]
    print()
    print("at %d workers: budgetopt on PostgreSQL / Optuna RDB = %.2f (target >= 10)" % (n, p[0] / o[0]))
    with open("/proc/loadavg") as f:
        print("load average at the end: %s" % " ".join(f.read().split()[:3]))


if __name__ == "__main__":
    main()
