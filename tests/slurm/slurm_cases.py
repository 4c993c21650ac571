#!/usr/bin/env python3
"""The Slurm executor against a real one-node cluster (with-cluster.sh
starts it and exports SLURM_CONF). One case per CTest test:

same_ledger      a 20-trial study through Slurm gives the same ledger as the
                 same study run locally with the same seed: parameters,
                 states, metrics, score, usage reported, costs and failure
                 reasons (times and measured usage aside); every Slurm trial
                 has its own job id in the ledger; parameter values that look
                 like shell code stay data.
cap              a trial whose cost passes its per-trial money cap is
                 cancelled (Slurm says CANCELLED) and charged at most the cap.
external_cancel  a job cancelled from outside (scancel) becomes a failed
                 trial whose reason says Slurm cancelled it.
resume           the runner killed -9 right after a submission (before the
                 ledger knew the job) and again from outside while jobs run:
                 each resume takes the running jobs back; in the end every
                 trial is complete and ran as exactly one Slurm job.
"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

CASE, PROG, SCRATCH = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def run(args, cwd, env=None, check_rc=None):
    p = subprocess.run([PROG] + args, cwd=cwd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if check_rc is not None and p.returncode != check_rc:
        print(p.stdout, p.stderr)
        check(False, "budgetopt %s: exit %d, expected %d" % (" ".join(args), p.returncode, check_rc))
    return p


def export(d):
    p = run(["export", "--format", "json", "study.yaml"], d, check_rc=0)
    return json.loads(p.stdout)


def slurm(*args):
    return subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True).stdout


def job_state(job):
    out = slurm("scontrol", "--oneliner", "show", "job", str(job))
    for tok in out.split():
        if tok.startswith("JobState="):
            return tok.split("=", 1)[1]
    return None


def all_jobs():
    """id -> (state, name) of every job the cluster knows."""
    jobs = {}
    for line in slurm("squeue", "--noheader", "--me", "--states=all", "--format=%i|%T|%j").splitlines():
        i, st, name = line.split("|", 2)
        jobs[int(i)] = (st, name)
    return jobs


def wait_for(pred, what, tries=6000):
    """Waits on a condition (no fixed sleeps): polls it until it holds."""
    for _ in range(tries):
        if pred():
            return True
        time.sleep(0.05)
    check(False, "never happened: " + what)
    return False


def write_study(d, body, evaluator_src):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "study.yaml"), "w") as f:
        f.write(body)
    with open(os.path.join(d, "eval.py"), "w") as f:
        f.write(evaluator_src)
    os.chmod(os.path.join(d, "eval.py"), 0o755)


def slurm_job_of(t):
    c = t.get("cgroup") or ""
    return int(c[6:]) if c.startswith("slurm:") else None


# ---- same_ledger ----------------------------------------------------------

EVAL_SAME = r'''#!/usr/bin/env python3
import json, sys
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
x, n, label = float(args["--x"]), int(args["--n"]), args["--label"]
print("a line that is not JSON")
print(json.dumps({"step": 1, "metrics": {"loss": x + n}}), flush=True)
if x > 0.85:
    sys.stderr.write("x too large: %.3f\n" % x)
    sys.exit(3)
print(json.dumps({"metrics": {"loss": (x - 0.3) ** 2 + n / 10 + len(label) / 1000,
                              "acc": 1 - x / (n + 1)},
                  "usage": {"tokens": 1000 * x + n + len(label)}}))
'''

STUDY_SAME = '''name: same
seed: 20261205
space:
  x: {float: [0, 1]}
  n: {int: [1, 8]}
  label: {choice: ["plain", "$(touch INJECTED)", "a'b\\"c; touch INJECTED2 `touch INJECTED3` ${IFS}"]}
prices:
  currency: USD
  tokens: 0.001
metrics:
  loss: {minimize: true}
  acc: {maximize: true}
objectives: [loss, acc]
score: "acc - loss"
budget:
  trials: 20
  money: 100
evaluator:
  command: [./eval.py, --x, "{x}", --n, "{n}", --label, "{label}"]
  parallel: 1
%s
sampler: tpe
'''

MEASURED = {"wall_hours", "cpu_hours", "mem_gb_hours"}


def case_same_ledger():
    local = os.path.join(SCRATCH, "local")
    sl = os.path.join(SCRATCH, "slurm")
    write_study(local, STUDY_SAME % "", EVAL_SAME)
    write_study(sl, STUDY_SAME % "  executor: slurm\n  slurm: {cpus: 1, mem: 200M, poll: 0.2s, time: \"0:10:00\"}", EVAL_SAME)
    run(["validate", "study.yaml"], sl, check_rc=0)
    run(["run", "study.yaml"], local, check_rc=0)
    run(["run", "study.yaml"], sl, check_rc=0)
    a, b = export(local), export(sl)
    check(len(a) == 20 and len(b) == 20, "20 trials each (local %d, slurm %d)" % (len(a), len(b)))
    nfailed = 0
    for ta, tb in zip(a, b):
        i = ta["id"]
        for k in ("id", "state", "params", "metrics", "cost", "score", "feasible", "reason"):
            check(ta[k] == tb[k], "trial %d: %s differs: local %r, slurm %r" % (i, k, ta[k], tb[k]))
        ua = {k: v for k, v in ta["usage"].items() if k not in MEASURED}
        ub = {k: v for k, v in tb["usage"].items() if k not in MEASURED}
        check(ua == ub, "trial %d: reported usage differs: %r %r" % (i, ua, ub))
        nfailed += ta["state"] == "failed"
        check(slurm_job_of(ta) is None, "trial %d: a local trial has no Slurm job" % i)
        check(tb.get("slurm_job") == slurm_job_of(tb), "trial %d: export's slurm_job matches the ledger" % i)
    # The study must have exercised both outcomes for the comparison to mean much.
    check(0 < nfailed < 20, "some but not all trials failed (%d)" % nfailed)
    jobs = [slurm_job_of(t) for t in b]
    check(all(j for j in jobs) and len(set(jobs)) == 20, "20 distinct Slurm jobs: %r" % jobs)
    known = all_jobs()
    for t in b:
        j = slurm_job_of(t)
        check(j in known and known[j][1] == "same.%d" % t["id"],
              "trial %d: Slurm knows job %s named after it (%r)" % (t["id"], j, known.get(j)))
        folder = t["folder"]
        with open(os.path.join(folder, "slurm_job")) as f:
            check(int(f.read()) == j, "trial %d: the folder names the same job" % t["id"])
        with open(os.path.join(folder, "job.sh")) as f:
            script = f.read()
        check(t["params"]["label"] not in script and "eval.py" not in script,
              "trial %d: the job script holds no parameter value" % t["id"])
    db = sqlite3.connect(os.path.join(sl, "same.db"))
    ev = db.execute("SELECT trial_id, amount FROM events WHERE kind = 'slurm_job' ORDER BY trial_id").fetchall()
    check([(t["id"], float(slurm_job_of(t))) for t in b] == ev, "one slurm_job event per trial: %r" % ev)
    for root in (local, sl):
        for dirpath, _, files in os.walk(root):
            for fn in files:
                check(not fn.startswith("INJECTED"), "a parameter value ran as shell code: %s/%s" % (dirpath, fn))
    labels = {t["params"]["label"] for t in b}
    check(len(labels) >= 2, "the hostile labels were used (%r)" % labels)


# ---- cap ------------------------------------------------------------------

EVAL_SLEEP = r'''#!/usr/bin/env python3
import json, os, sys, time
print(json.dumps({"step": 1, "metrics": {"y": 1}}), flush=True)
time.sleep(float(sys.argv[1]))
open("FINISHED.%s" % os.environ["BUDGETOPT_TRIAL_ID"], "w").close()
print(json.dumps({"metrics": {"y": 2}}))
'''

STUDY_SLEEP = '''name: %s
seed: 3
space:
  x: {float: [0, 1]}
prices:
  wall_hours: %s
metrics:
  y: {minimize: true}
budget:
  trials: %d
%s
evaluator:
  command: [./eval.py, "%s"]
  parallel: %d
  executor: slurm
  slurm: {poll: 0.2s}
sampler: random
'''


def case_cap():
    d = os.path.join(SCRATCH, "cap")
    # 36 per wall hour: 0.01 a second; the cap is passed after ~3 s, the
    # evaluator would run 300 s.
    write_study(d, STUDY_SLEEP % ("cap", "36", 1, "  money: 10\n  per_trial: {money: 0.03}", "300", 1), EVAL_SLEEP)
    run(["run", "study.yaml"], d, check_rc=0)
    t = export(d)[0]
    check(t["state"] == "failed", "the capped trial failed (%s)" % t["state"])
    check("per-trial money cap" in (t["reason"] or ""), "reason names the cap: %r" % t["reason"])
    check(0 < t["cost"] <= 0.03 + 1e-12, "charged at most the cap: %r" % t["cost"])
    job = slurm_job_of(t)
    check(job is not None, "the trial has its Slurm job in the ledger")
    check(job_state(job) == "CANCELLED", "Slurm cancelled job %s (%s)" % (job, job_state(job)))
    check(not os.path.exists(os.path.join(d, "FINISHED.1")), "the evaluator never finished")
    check(not any(st in ("RUNNING", "PENDING", "COMPLETING") for st, _ in all_jobs().values()),
          "nothing left running in Slurm")


# ---- external_cancel -------------------------------------------------------

def case_external_cancel():
    d = os.path.join(SCRATCH, "ext")
    write_study(d, STUDY_SLEEP % ("ext", "0", 1, "", "300", 1), EVAL_SLEEP)
    p = subprocess.Popen([PROG, "run", "study.yaml"], cwd=d, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    jf = os.path.join(d, "ext-trials", "000001", "slurm_job")
    wait_for(lambda: os.path.exists(jf) and os.path.getsize(jf) > 0, "trial 1 submitted")
    job = int(open(jf).read())
    # Running, and its evaluator has reported: then cancel it from outside.
    wait_for(lambda: job_state(job) == "RUNNING", "job %d running" % job)
    out = os.path.join(d, "ext-trials", "000001", "stdout.log")
    wait_for(lambda: os.path.exists(out) and os.path.getsize(out) > 0, "the evaluator's first line")
    subprocess.run(["scancel", str(job)])
    outtext = p.communicate()[0]
    check(p.returncode == 0, "the run ends normally (exit %d): %s" % (p.returncode, outtext))
    t = export(d)[0]
    check(t["state"] == "failed", "the cancelled trial failed (%s)" % t["state"])
    r = t["reason"] or ""
    check(("Slurm job %d ended CANCELLED" % job) in r and "cancelled" in r,
          "the reason is Slurm's: %r" % r)
    check(job_state(job) == "CANCELLED", "Slurm says CANCELLED")
    check(not os.path.exists(os.path.join(d, "FINISHED.1")), "the evaluator never finished")


# ---- resume ----------------------------------------------------------------

def case_resume():
    d = os.path.join(SCRATCH, "resume")
    n = 6
    write_study(d, STUDY_SLEEP % ("resume", "0", n, "", "1.5", 2), EVAL_SLEEP)
    env = dict(os.environ, BUDGETOPT_TEST_CRASH_AT="submitted:3")
    p = run(["run", "study.yaml"], d, env=env)
    check(p.returncode == -signal.SIGKILL, "the runner died at the crash point (%d)" % p.returncode)
    # The third job is in Slurm, the ledger does not know it yet.
    db = os.path.join(d, "resume.db")
    con = sqlite3.connect(db)
    row = con.execute("SELECT state, cgroup FROM trials WHERE id = 3").fetchone()
    con.close()
    check(row is not None and row[1] is None, "trial 3's job is not in the ledger yet: %r" % (row,))
    check(len(all_jobs()) == 3, "three jobs submitted: %r" % all_jobs())
    st = run(["status", "study.yaml"], d, check_rc=0).stdout
    con = sqlite3.connect(db)
    running = con.execute("SELECT id, cgroup FROM trials WHERE state = 'running' AND cgroup IS NOT NULL").fetchall()
    con.close()
    want = ", ".join("job %s (trial %d)" % (cg[6:], i) for i, cg in running)
    # Under load both earlier jobs may have ended before the third was
    # submitted (parallel 2): then no job the ledger knows still runs.
    check(("slurm    " + (want or "no job running") + "\n") in st and "trial 3)" not in st,
          "status lists the running jobs the ledger knows (%s): %r" % (want or "none", st))

    # Second session: takes them back; killed -9 from outside while jobs run.
    q = subprocess.Popen([PROG, "run", "study.yaml"], cwd=d, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    jf = os.path.join(d, "resume-trials", "000005", "slurm_job")
    wait_for(lambda: os.path.exists(jf) and os.path.getsize(jf) > 0, "trial 5 submitted")
    q.send_signal(signal.SIGKILL)
    q.communicate()

    p = run(["run", "study.yaml"], d, check_rc=0)
    trials = export(d)
    check(len(trials) == n, "%d trials (%d)" % (n, len(trials)))
    for t in trials:
        check(t["state"] == "complete", "trial %d complete (%s: %s)" % (t["id"], t["state"], t["reason"]))
        check(os.path.exists(os.path.join(d, "FINISHED.%d" % t["id"])), "trial %d's evaluator ran" % t["id"])
    jobs = [slurm_job_of(t) for t in trials]
    known = all_jobs()
    check(len(known) == n, "exactly %d Slurm jobs, one per trial: %r" % (n, known))
    check(sorted(jobs) == sorted(known) and len(set(jobs)) == n, "each trial its own job: %r" % jobs)
    names = sorted(name for _, name in known.values())
    check(names == sorted("resume.%d" % i for i in range(1, n + 1)), "no trial submitted twice: %r" % names)
    con = sqlite3.connect(db)
    back = con.execute("SELECT COUNT(*) FROM events WHERE kind = 'slurm_job' AND detail LIKE '%taken back%'").fetchone()[0]
    orphans = con.execute("SELECT COUNT(*) FROM events WHERE kind = 'orphan'").fetchone()[0]
    charges = con.execute("SELECT trial_id, COUNT(*) FROM events WHERE kind = 'charge' GROUP BY trial_id").fetchall()
    con.close()
    check(back >= 1, "jobs were taken back by a resumed runner (%d)" % back)
    check(orphans == 0, "no trial was failed as an orphan (%d)" % orphans)
    check(all(c == 1 for _, c in charges) and len(charges) == n, "each trial charged once: %r" % charges)


CASES = {"same_ledger": case_same_ledger, "cap": case_cap,
         "external_cancel": case_external_cancel, "resume": case_resume}
CASES[CASE]()
if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("ok: " + CASE)
