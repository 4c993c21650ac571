#!/usr/bin/env python3
"""Runs the CLI cases in tests/cli/cases/*.case.

A case file is a sequence of sections, each starting with a line "--- KEY: VALUE"
(or "--- KEY:" with the value on the following lines, up to the next "---"):

  --- name: what the case checks
  --- file: study.yaml            the following lines are written to study.yaml
  --- exec: eval.sh               like file, and made executable
  --- run: budgetopt run x.yaml   a command (split like a shell would, no shell)
  --- exit: 0                     its expected exit status
  --- stdout: / --- stderr:       following lines must each appear in the output
  --- stdout-not: / stderr-not:   following lines must not appear
  --- stdout-re: / stderr-re:     following lines are regular expressions to find
  --- stdout-lines: N             the output has exactly N lines
  --- sql: SELECT ...             run on ledger.db (see --- ledger:) after the command;
  --- result:                     following lines are the expected rows ("|"-joined)

Several run sections may follow each other; expectations apply to the run before
them. In values, {bin} is the budgetopt program, {src} the source tree, {dir} the
case's scratch folder. Every case runs in its own empty scratch folder.
"""
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys


def parse(path):
    sections = []
    cur = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"^--- ([a-z-]+):\s?(.*)$", line)
            if m:
                cur = [m.group(1), m.group(2), []]
                sections.append(cur)
            elif cur is not None:
                cur[2].append(line)
            elif line.strip() and not line.startswith("#"):
                raise SystemExit(f"{path}: text before the first section: {line!r}")
    return sections


def subst(s, env):
    return s.replace("{bin}", env["bin"]).replace("{src}", env["src"]).replace("{dir}", env["dir"])


def run_case(path, env):
    failures = []
    name = os.path.basename(path)
    last = None
    ledger = None
    for key, value, body in parse(path):
        text = subst("\n".join(body), env)
        value = subst(value, env)
        if key == "name":
            name = f"{os.path.basename(path)} ({value})"
        elif key in ("file", "exec"):
            p = os.path.join(env["dir"], value)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w", encoding="utf-8") as f:
                f.write(text + ("\n" if text else ""))
            if key == "exec":
                os.chmod(p, 0o755)
        elif key == "ledger":
            ledger = os.path.join(env["dir"], value)
        elif key == "run":
            argv = shlex.split(value)
            if argv and argv[0] == "budgetopt":
                argv[0] = env["bin"]
            p = subprocess.run(argv, cwd=env["dir"], capture_output=True, timeout=600,
                               stdin=subprocess.DEVNULL)
            last = (value, p.returncode, p.stdout.decode("utf-8", "replace"),
                    p.stderr.decode("utf-8", "replace"))
        elif key == "sql":
            con = sqlite3.connect(ledger)
            rows = con.execute(value or text).fetchall()
            con.close()
            last = ("sql " + (value or text), 0, "\n".join("|".join(str(c) for c in r) for r in rows), "")
        elif last is None:
            failures.append(f"'{key}' before any run")
        else:
            cmd, rc, out, err = last
            stream = err if key.startswith("stderr") else out
            what = f"{cmd!r}: {key}"
            if key == "exit":
                if rc != int(value):
                    failures.append(f"{cmd!r}: exit status {rc}, expected {value}\nstdout:\n{out}\nstderr:\n{err}")
            elif key == "result":
                if out.strip() != text.strip():
                    failures.append(f"{what}: got\n{out}\nexpected\n{text}")
            elif key in ("stdout", "stderr"):
                for line in body:
                    line = subst(line, env)
                    if line and line not in stream:
                        failures.append(f"{what}: missing {line!r} in\n{stream}")
            elif key in ("stdout-not", "stderr-not"):
                for line in body:
                    line = subst(line, env)
                    if line and line in stream:
                        failures.append(f"{what}: unexpected {line!r} in\n{stream}")
            elif key in ("stdout-re", "stderr-re"):
                for line in body:
                    if line and not re.search(subst(line, env), stream, re.M):
                        failures.append(f"{what}: no match for /{line}/ in\n{stream}")
            elif key in ("stdout-lines", "stderr-lines"):
                n = len(stream.splitlines())
                if n != int(value):
                    failures.append(f"{what}: {n} lines, expected {value}\n{stream}")
            else:
                failures.append(f"unknown section '{key}'")
    return name, failures


def main():
    prog, src, scratch = (os.path.abspath(a) for a in sys.argv[1:4])
    only = sys.argv[4:] if len(sys.argv) > 4 else None
    cases_dir = os.path.join(src, "tests", "cli", "cases")
    cases = sorted(f for f in os.listdir(cases_dir) if f.endswith(".case"))
    if only:
        cases = [c for c in cases if any(o in c for o in only)]
    passed = failed = 0
    for c in cases:
        d = os.path.join(scratch, c[:-5])
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        name, fails = run_case(os.path.join(cases_dir, c), {"bin": prog, "src": src, "dir": d})
        if fails:
            failed += 1
            print(f"FAIL {name}")
            for f in fails:
                print("  " + f.replace("\n", "\n  "))
        else:
            passed += 1
            print(f"ok   {name}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
