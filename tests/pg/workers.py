#!/usr/bin/env python3
"""Workers sharing one PostgreSQL study (budgetopt worker), against a
private server started by pg-workers.sh (its URI in PG_URI, pg_ctl through
PG_CTL_STOP / PG_CTL_START commands):

1. 4 workers, a 1000-trial study with a money budget that stops it first,
   a no-op evaluator: no trial lost or run twice (every evaluator start is
   one trial, every trial final), spend <= budget, spend = sum of costs =
   the budget row; and 8 workers on a 24-trial study run exactly 24.
2. kill -9 of one worker while its trial runs: after the heartbeat timeout
   another worker fails it as orphaned, charges it once, and queues its
   configuration again, which a worker runs; kill -9 of all workers and a
   restart: the study continues to its budget.
3. PostgreSQL stopped (pg_ctl stop -m fast) for 10 s mid-run, then started:
   the workers wait and carry on; nothing is lost.
4. Without a per-trial cap, a trial whose live cost (usage in its step
   lines) passes its reservation holds that money for every worker: its
   worker raises the trial's reservation in the budget row (a `hold`
   event), so the other worker stops launching before the spend of all
   together passes the budget.
5. The safeguards are the study's: 3 workers crossing the budget alerts
   make one `alert` event and one hook run per threshold; 2 workers under a
   spend rate that fits three trials run three between them, then both
   wait.
6. An idle worker is woken by another's notification: the money budget
   fits one trial's reservation (its cap) at a time, so while the first
   trial runs (its evaluator waits for a file the test writes once the
   other worker recorded its wait) the other worker waits with nothing
   running; the workers' run_end events count how their idle waits ended,
   and at least one ended by a notification (storage/postgres_notify.c),
   not by the poll.

Every section ends with the ledger's checks, the budget row's trial counts
(kept by a trigger, schema 4) against COUNT(*) of the trials in each state
among them. BO_PG_SECTIONS=1b,4 (in the environment) runs only those.
"""
import os
import re
import shlex
import signal
import subprocess
import sys
import time

prog, scratch = sys.argv[1], sys.argv[2]
PSQL = os.environ["PG_BIN"] + "/psql"
ADMIN = os.environ["PG_URI"]
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def sql(uri, q):
    out = subprocess.run([PSQL, "-X", "-A", "-t", "-q", "-F", "|", "-d", uri, "-c", q],
                         capture_output=True, text=True, check=True).stdout
    return [line.split("|") for line in out.splitlines() if line]


def newdb(name):
    sql(ADMIN, "CREATE DATABASE %s" % name)
    return ADMIN.rsplit("/", 1)[0] + "/" + name


EVAL = r'''#!/usr/bin/env python3
import json, os, sys, time
x = float(sys.argv[1])
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "starts.log"), "a") as f:
    f.write("%s %s\n" % (os.environ["BUDGETOPT_TRIAL_ID"], os.environ["BUDGETOPT_TRIAL_DIR"]))
time.sleep(float(os.environ.get("EVAL_SLEEP", "0")))
while os.environ.get("EVAL_GO") and not os.path.exists(os.environ["EVAL_GO"]):
    time.sleep(0.01)
tokens = int(os.environ.get("EVAL_TOKENS", "0")) or 1 + int(x * 9)
print(json.dumps({"metrics": {"y": (x - 0.3) ** 2}, "usage": {"tokens": tokens}}))
'''

STUDY = '''name: %(name)s
seed: 5
space:
  x: {float: [0, 1]}
prices:
  tokens: 0.001
metrics:
  y: {minimize: true}
score: "-y"
budget:
  trials: %(trials)d
  money: %(money)s
  per_trial: {money: 0.01}
evaluator:
  command: [./eval.py, "{x}"]
  parallel: %(parallel)d
sampler: random
'''


def setup(name, trials, money, parallel=1):
    d = os.path.join(scratch, name)
    os.makedirs(d)
    with open(os.path.join(d, "eval.py"), "w") as f:
        f.write(EVAL)
    os.chmod(os.path.join(d, "eval.py"), 0o755)
    with open(os.path.join(d, "study.yaml"), "w") as f:
        f.write(STUDY % dict(name=name, trials=trials, money=money, parallel=parallel))
    return d, newdb(name)


def start_worker(d, uri, env=None, extra=()):
    e = dict(os.environ)
    e.update(env or {})
    log = open(os.path.join(d, "worker-%d.log" % time.time_ns()), "w")
    return subprocess.Popen([prog, "worker", "study.yaml", "--storage", uri, "--quiet",
                             "--heartbeat-timeout", "4"] + list(extra),
                            cwd=d, env=e, stdout=log, stderr=subprocess.STDOUT)


def starts(d):
    p = os.path.join(d, "starts.log")
    if not os.path.exists(p):
        return []
    return [l.split() for l in open(p).read().splitlines()]


def wait_sql(uri, q, ws):
    """Waits until query q counts at least one row (the ledger may not
    exist yet: the first worker creates it); fails when a worker exits
    first."""
    while True:
        try:
            if int(sql(uri, q)[0][0]) > 0:
                return
        except (subprocess.CalledProcessError, IndexError, ValueError):
            pass
        if any(w.poll() is not None for w in ws):
            check(False, "waiting for %s: a worker exited first (%s)" % (q, [w.poll() for w in ws]))
            return
        time.sleep(0.05)


def ledger_checks(d, uri, money, label):
    rows = sql(uri, "SELECT id, state, cost FROM trials ORDER BY id")
    states = [r[1] for r in rows]
    check(all(s in ("complete", "failed") for s in states),
          "%s: every trial final (%d trials, states %s)" % (label, len(rows), sorted(set(states))))
    costs = sum(float(r[2]) for r in rows)
    spent, reserved = [float(v) for v in sql(uri, "SELECT spent, reserved FROM budget")[0]]
    check(spent <= money * (1 + 1e-9), "%s: spend %.6f <= budget %s" % (label, spent, money))
    check(abs(spent - costs) < 1e-9, "%s: budget row spend %.9f = sum of costs %.9f" % (label, spent, costs))
    check(abs(reserved) < 1e-9, "%s: nothing left reserved (%g)" % (label, reserved))
    counts = [int(v) for v in sql(uri, "SELECT ntrials, nqueued, nfinal, nrunning FROM budget")[0]]
    byst = dict((r[0], int(r[1])) for r in sql(uri, "SELECT state, COUNT(*) FROM trials GROUP BY state"))
    want = [sum(v for k, v in byst.items() if k != "queued"), byst.get("queued", 0),
            sum(byst.get(k, 0) for k in ("complete", "pruned", "failed")), byst.get("running", 0)]
    check(counts == want, "%s: the budget row's trial counts %s = the trials table's %s" % (label, counts, want))
    charges = sql(uri, "SELECT trial_id, COUNT(*) FROM events WHERE kind = 'charge' GROUP BY trial_id HAVING COUNT(*) > 1")
    check(not charges, "%s: no trial charged twice" % label)
    st = starts(d)
    ids = [s[0] for s in st]
    check(len(ids) == len(set(ids)), "%s: no trial's evaluator started twice (%d starts)" % (label, len(ids)))
    complete = {r[0] for r in rows if r[1] == "complete"}
    check(complete <= set(ids), "%s: every complete trial ran" % label)
    return rows


# 1. four workers on one study, money the binding budget
# 4 x 250 trials; the money budget (5.0, trials cost 0.001 to 0.01) binds
# near the end, so both limits are exercised by the same run
def section_1():
    """4 workers on a 1000-trial study, money binding"""
    d, uri = setup("four", 1000, "5.0")
    ws = [start_worker(d, uri) for _ in range(4)]
    rcs = [w.wait() for w in ws]
    check(rcs == [0, 0, 0, 0], "four workers exit 0 (%s)" % rcs)
    rows = ledger_checks(d, uri, 5.0, "4 workers")
    spent = float(sql(uri, "SELECT spent FROM budget")[0][0])
    check(len(rows) == 1000 or spent > 5.0 - 0.01,
          "the study stopped at a budget (%d trials, %.4f spent)" % (len(rows), spent))
    per = sql(uri, "SELECT COUNT(DISTINCT run_id) FROM trials")[0][0]
    check(int(per) == 4, "all four workers ran trials (%s)" % per)


# 1b. the trial budget binds: eight workers that all see trials left race
# for the last ones; the count is checked under the budget row's lock, so
# the study holds exactly its trial budget
def section_1b():
    """8 workers race for a 24-trial budget"""
    d, uri = setup("count", 24, "100")
    ws = [start_worker(d, uri) for _ in range(8)]
    rcs = [w.wait() for w in ws]
    check(rcs == [0] * 8, "eight workers exit 0 (%s)" % rcs)
    n = int(sql(uri, "SELECT COUNT(*) FROM trials")[0][0])
    check(n == 24, "eight workers run exactly the trial budget (24 trials: %d)" % n)
    check(len(starts(d)) == n, "every evaluator start is a trial (%d starts, %d trials)" % (len(starts(d)), n))


# 2. kill -9 of one worker mid-trial, then of all, then restart
def section_2():
    """kill -9 of a worker, then of all, and a restart"""
    d, uri = setup("kill", 40, "10")
    slow = {"EVAL_SLEEP": "30"}
    victim = start_worker(d, uri, slow)
    deadline = time.time() + 120
    while time.time() < deadline and not starts(d):
        time.sleep(0.1)
    check(bool(starts(d)), "the victim started a trial")
    victim.kill()
    victim.wait()
    orphan = starts(d)[0][0]
    others = [start_worker(d, uri, {"EVAL_SLEEP": "0.05"}) for _ in range(2)]
    deadline = time.time() + 120
    requeued = []
    while time.time() < deadline and not requeued:
        requeued = sql(uri, "SELECT trial_id FROM events WHERE kind = 'requeue'")
        time.sleep(0.2)
    check(len(requeued) == 1, "the orphan's configuration was queued again once (%s)" % requeued)
    # let the re-queued configuration finish before killing its workers too
    # (else it is orphaned a second time and, once only, not queued again)
    rq = int(requeued[0][0]) if requeued else 0
    deadline = time.time() + 120
    while rq and time.time() < deadline and sql(uri, "SELECT state FROM trials WHERE id = %d" % rq)[0][0] != "complete":
        time.sleep(0.2)
    for w in others:
        w.kill()
        w.wait()
    st = sql(uri, "SELECT state, reason FROM trials WHERE id = %d" % int(orphan))[0]
    check(st[0] == "failed" and "orphaned" in st[1], "trial %s failed as orphaned (%s)" % (orphan, st))
    px = sql(uri, "SELECT params_json FROM trials WHERE id = %d" % int(orphan))[0][0]
    # restart after kill -9 of all: the study continues to its trial budget
    more = [start_worker(d, uri, {"EVAL_SLEEP": "0.05"}) for _ in range(2)]
    rcs = [w.wait() for w in more]
    check(rcs == [0, 0], "restarted workers finish the study (%s)" % rcs)
    rows = ledger_checks(d, uri, 10, "kill -9")
    again = sql(uri, "SELECT id, state FROM trials WHERE params_json = %s AND id <> %d" % (
        "'" + px.replace("'", "''") + "'", int(orphan)))
    check(len(again) == 1 and again[0][1] == "complete",
          "the re-queued configuration ran once more and completed (%s)" % again)
    charged = sql(uri, "SELECT COUNT(*) FROM events WHERE kind = 'charge' AND trial_id = %d" % int(orphan))[0][0]
    check(int(charged) == 1, "the orphan was charged once (%s)" % charged)
    check(len(rows) >= 40, "the study reached its trial budget after the restart (%d)" % len(rows))


# 3. the server stopped for 10 s mid-run
def section_3():
    """the server stopped for 10 s"""
    d, uri = setup("outage", 120, "10", parallel=2)
    ws = [start_worker(d, uri, {"EVAL_SLEEP": "0.1"}) for _ in range(3)]
    deadline = time.time() + 120
    while time.time() < deadline and len(starts(d)) < 20:
        time.sleep(0.1)
    subprocess.run(shlex.split(os.environ["PG_CTL_STOP"]), check=True)
    time.sleep(10)
    subprocess.run(shlex.split(os.environ["PG_CTL_START"]), check=True)
    rcs = [w.wait() for w in ws]
    check(rcs == [0, 0, 0], "workers waited for the server and finished (%s)" % rcs)
    rows = ledger_checks(d, uri, 10, "outage")
    check(len(rows) == 120, "the study reached its 120 trials (%d)" % len(rows))
    check(len(starts(d)) == len(rows), "every start is one trial (%d starts, %d trials)" % (len(starts(d)), len(rows)))


EVAL_BIG = r'''#!/usr/bin/env python3
import json, os, sys, time
x = float(sys.argv[1])
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "starts.log"), "a") as f:
    f.write("%s %s\n" % (os.environ["BUDGETOPT_TRIAL_ID"], os.environ["BUDGETOPT_TRIAL_DIR"]))
big = False
if len(open(os.path.join(here, "starts.log")).read().splitlines()) >= 6:
    try:
        os.close(os.open(os.path.join(here, "big.claimed"), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        big = True
        with open(os.path.join(here, "big.claimed"), "w") as f:
            f.write(os.environ["BUDGETOPT_TRIAL_ID"])
    except FileExistsError:
        pass
if big:
    print(json.dumps({"step": 1, "metrics": {"y": 1.0}, "usage": {"tokens": 900}}), flush=True)
    time.sleep(10)
    print(json.dumps({"metrics": {"y": 1.0}, "usage": {"tokens": 900}}))
else:
    time.sleep(0.05)
    print(json.dumps({"metrics": {"y": (x - 0.3) ** 2}, "usage": {"tokens": 1 + int(x * 9)}}))
'''


# 4. an uncapped trial's live cost passes its reservation on one worker
# while another launches: the sixth trial to start reports 900 tokens
# (0.9 of the 1.0 budget) in a step line at once, then runs 10 s; the
# others cost at most 0.01 each and take 0.05 s
def section_4():
    """an uncapped trial's live cost held for every worker"""
    d, uri = setup("hold", 1000, "1.0")
    with open(os.path.join(d, "eval.py"), "w") as f:
        f.write(EVAL_BIG)
    with open(os.path.join(d, "study.yaml")) as f:
        text = f.read()
    with open(os.path.join(d, "study.yaml"), "w") as f:
        f.write(text.replace("per_trial: {money: 0.01}", "per_trial: {money: none}\n  anomaly: off"))
    ws = [start_worker(d, uri) for _ in range(2)]
    rcs = [w.wait() for w in ws]
    check(rcs == [0, 0], "two uncapped workers exit 0 (%s)" % rcs)
    bigid = open(os.path.join(d, "big.claimed")).read().strip() if os.path.exists(os.path.join(d, "big.claimed")) else ""
    check(bigid != "", "the big trial ran")
    if bigid:
        st = sql(uri, "SELECT state, cost FROM trials WHERE id = %d" % int(bigid))[0]
        check(st[0] == "complete" and abs(float(st[1]) - 0.9) < 1e-9,
              "the big trial completed, charged its 0.9 (%s)" % st)
        holds = sql(uri, "SELECT amount FROM events WHERE kind = 'hold' AND trial_id = %d" % int(bigid))
        check(len(holds) >= 1 and abs(float(holds[-1][0]) - 0.9) < 1e-9,
              "its worker held its live cost in the budget row (%s)" % holds)
    rows = ledger_checks(d, uri, 1.0, "uncapped live cost")


# 5. the safeguards of a study are the study's, not each worker's: a
# budget alert fires once for the study (one `alert` event and one hook
# run per threshold, whichever worker crosses it first, decided under the
# budget row's lock), and the spend-rate limit counts the charges and the
# running trials of every worker (checked again under that lock at each
# start), so N workers together keep one rate, not N
HOOK = '''#!/bin/sh
echo "$BUDGETOPT_ALERT_THRESHOLD" >> %s
'''


def section_5():
    """alerts once per study and one spend rate for all workers"""
    # alerts: three workers on a study whose money budget stops it
    d, uri = setup("alerts", 1000, "0.5")
    log = os.path.join(d, "hooks.log")
    with open(os.path.join(d, "hook.sh"), "w") as f:
        f.write(HOOK % shlex.quote(log))
    os.chmod(os.path.join(d, "hook.sh"), 0o755)
    with open(os.path.join(d, "study.yaml"), "a") as f:
        f.write("alerts:\n  at: [0.5, 0.8, 0.95]\n  command: [./hook.sh]\n")
    ws = [start_worker(d, uri) for _ in range(3)]
    rcs = [w.wait() for w in ws]
    check(rcs == [0, 0, 0], "three workers with alerts exit 0 (%s)" % rcs)
    ledger_checks(d, uri, 0.5, "alerts")
    fired = {}
    for det, run in sql(uri, "SELECT detail, run_id FROM events WHERE kind = 'alert' ORDER BY id"):
        fired.setdefault(det.split(":")[0], []).append(run)
    check(sorted(fired) == ["budget alert 50%", "budget alert 80%", "budget alert 95%"] and
          all(len(v) == 1 for v in fired.values()),
          "each threshold is one alert event for the study (%s)" % fired)
    hooks = open(log).read().split() if os.path.exists(log) else []
    check(sorted(hooks) == ["0.5", "0.8", "0.95"], "the hook ran once per threshold (%s)" % hooks)

    # the spend rate: every trial costs 0.008 and reserves 0.01 (its
    # per-trial cap), its predicted cost between the two; the rate is 0.031
    # per hour: two trials (charged or running) and a third always fit
    # (at most 0.03), three and a fourth never do (at least 0.032) while
    # they are in the window, so the two workers together run three, then
    # both wait (each records a rate_wait) until interrupted; a worker
    # counting only its own charges would run three itself, one ignoring
    # the rate all forty
    d, uri = setup("rate", 40, "100")
    with open(os.path.join(d, "study.yaml")) as f:
        text = f.read()
    with open(os.path.join(d, "study.yaml"), "w") as f:
        f.write(text.replace("  per_trial: {money: 0.01}",
                             "  per_trial: {money: 0.01}\n  rate: {money: 0.031, per: 1h}"))
    ws = [start_worker(d, uri, {"EVAL_SLEEP": "0.2", "EVAL_TOKENS": "8"}) for _ in range(2)]
    while any(w.poll() is None for w in ws):
        # wait on the thing: both workers waiting for the rate with
        # nothing running, or both gone (what ignoring the rate does)
        try:
            waiting = sql(uri, "SELECT COUNT(DISTINCT run_id) FROM events WHERE kind = 'rate_wait'")[0][0]
            running = sql(uri, "SELECT COUNT(*) FROM trials WHERE state = 'running'")[0][0]
        except subprocess.CalledProcessError:
            waiting = running = -1   # no ledger yet: the workers create it
        if int(waiting) == 2 and int(running) == 0:
            break
        time.sleep(0.2)
    for w in ws:
        if w.poll() is None:
            w.send_signal(signal.SIGINT)
    rcs = [w.wait() for w in ws]
    check(all(rc in (0, 130) for rc in rcs), "the two workers stopped when interrupted (%s)" % rcs)
    rows = ledger_checks(d, uri, 100, "spend rate")
    charged = sum(float(r[2]) for r in rows)
    check(len(rows) == 3, "the two workers together ran the three trials the rate allows (%d)" % len(rows))
    check(charged <= 0.031 * (1 + 1e-9), "charged %.4f within the hour <= the rate 0.031" % charged)
    waits = sql(uri, "SELECT run_id, detail FROM events WHERE kind = 'rate_wait' ORDER BY id")
    check(len(set(r[0] for r in waits)) == 2, "each worker waited for the rate (%s)" % waits[:2])


# 6. an idle worker woken by a notification, not by its poll
def section_6():
    """a waiting worker woken by another's finish"""
    d, uri = setup("wake", 4, "1.0")
    with open(os.path.join(d, "study.yaml")) as f:
        text = f.read()
    with open(os.path.join(d, "study.yaml"), "w") as f:
        f.write(text.replace("per_trial: {money: 0.01}", "per_trial: {money: 0.6}"))
    go = os.path.join(d, "go")
    env = {"EVAL_GO": go}
    a = start_worker(d, uri, env)
    wait_sql(uri, "SELECT COUNT(*) FROM trials WHERE state = 'running'", [a])
    b = start_worker(d, uri, env)
    # the other worker waits for the money the running trial holds
    wait_sql(uri, "SELECT COUNT(*) FROM events WHERE kind = 'wait'", [a, b])
    open(go, "w").close()
    rcs = [a.wait(), b.wait()]
    check(rcs == [0, 0], "two workers exit 0 (%s)" % rcs)
    ledger_checks(d, uri, 1.0, "woken workers")
    rows = sql(uri, "SELECT id, started_at, ended_at FROM trials ORDER BY id")
    check(all(float(rows[k + 1][1]) >= float(rows[k][2]) for k in range(len(rows) - 1)),
          "one trial at a time: each started after the one before ended (%s)" % rows)
    ends = [r[0] for r in sql(uri, "SELECT detail FROM events WHERE kind = 'run_end' ORDER BY id")]
    woken = 0
    for e in ends:
        m = re.search(r"idle waits: (\d+) woken by a notification, (\d+) by the poll", e)
        check(m is not None, "a worker's run_end counts its idle waits (%s)" % e)
        if m:
            woken += int(m.group(1))
    check(woken >= 1, "an idle wait ended by another worker's notification (%d; %s)" % (woken, ends))


SECTIONS = [("1", section_1), ("1b", section_1b), ("2", section_2), ("3", section_3),
            ("4", section_4), ("5", section_5), ("6", section_6)]
# BO_PG_SECTIONS="1b,4" runs only those (while working on one); all by default
only = [x for x in os.environ.get("BO_PG_SECTIONS", "").split(",") if x]
for key, fn in SECTIONS:
    if not only or key in only:
        print("-- section %s: %s" % (key, fn.__doc__), flush=True)
        fn()

if FAILS:
    print("%d check(s) failed" % len(FAILS))
    sys.exit(1)
print("all checks passed")
