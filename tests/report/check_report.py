#!/usr/bin/env python3
"""tests/report/check_report.py - checks what `budgetopt report` wrote.

  check_report.py run report.html report.md ledger.db trials.json select.json
  check_report.py catalog report.html catalog.csv select.json

Every <svg> of the page parses as XML (xml.etree); the frontier chart has one
.pt element per finished trial (or catalog row), ids and all; the page refers
to nothing outside itself; the assumptions name the study definition's hash
as the ledger holds it; the selected configuration is the one
`budgetopt select` picks.
"""
import csv
import json
import os
import re
import sqlite3
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
CHARTS = ["frontier", "burndown", "best", "marginal", "importance"]


def fail(msg):
    print("check_report: " + msg, file=sys.stderr)
    sys.exit(1)


def svgs_of(text):
    """Each <svg>...</svg> chunk, parsed; {name: element}."""
    out = {}
    for chunk in re.findall(r"<svg\b.*?</svg>", text, re.S):
        try:
            root = ET.fromstring(chunk)
        except ET.ParseError as e:
            fail("an SVG is not well-formed XML: %s\n%s" % (e, chunk[:300]))
        sid = root.get("id", "")
        if not sid.startswith("chart-"):
            fail("an SVG without a chart id: %r" % sid)
        out[sid[len("chart-"):]] = root
    return out


def points(root):
    pts = [e for e in root.iter() if "pt" in (e.get("class") or "").split()]
    for p in pts:
        classes = set(p.get("class").split())
        states = classes & {"frontier", "feasible", "infeasible", "failed", "pruned"}
        if len(states) != 1:
            fail("point %s has states %s" % (p.get("data-id"), classes))
        if p.find(NS + "title") is None or not p.find(NS + "title").text.startswith("#" + p.get("data-id")):
            fail("point %s has no tooltip" % p.get("data-id"))
    return pts


def offline(text, what):
    bad = [
        r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""",
        r"""url\(\s*["']?\s*(?:https?:)?//""",
        r"@import",
        r"<script\b",
        r"<link\b",
        r"<iframe\b",
    ]
    for b in bad:
        m = re.search(b, text, re.I)
        if m:
            fail("%s refers outside itself: %r" % (what, text[max(0, m.start() - 40): m.end() + 40]))


def money(v):
    if abs(v) >= 1 or v == 0:
        return "USD {:,.2f}".format(v)
    return "USD " + ("%.3g" % v)


def check_common(text, charts, select_json, fmt):
    sel = json.load(open(select_json))["selected"]
    pts = points(charts["frontier"])
    chosen = [p for p in pts if "selected" in p.get("class").split()]
    if len(chosen) != 1 or int(chosen[0].get("data-id")) != sel["id"]:
        fail("selected in the chart %s, select says %s" % ([p.get("data-id") for p in chosen], sel["id"]))
    if "Configuration %d, chosen by" % sel["id"] not in text:
        fail("the selected configuration %d is not named" % sel["id"])
    for g in sel["guardrails"]:
        if g["text"].replace("<", "&lt;" if fmt == "html" else "\\<") not in text:
            fail("guardrail %s is not in the report" % g["text"])
    return pts


def assumptions(text):
    i = text.find('id="assumptions"')
    if i < 0:
        i = text.find("## Assumptions")
    if i < 0:
        fail("no assumptions section")
    return text[i:]


def check_run(html, md, db, trials_json, select_json):
    trials = json.load(open(trials_json))
    finished = {t["id"] for t in trials if t["state"] in ("complete", "pruned", "failed")}
    states = {t["state"] for t in trials}
    if "failed" not in states:
        fail("the study was meant to have failed trials: %s" % states)
    text = open(html, encoding="utf-8").read()
    offline(text, html)
    charts = svgs_of(text)
    if sorted(charts) != sorted(CHARTS):
        fail("charts %s" % sorted(charts))
    pts = check_common(text, charts, select_json, "html")
    ids = [int(p.get("data-id")) for p in pts]
    if len(ids) != len(finished) or set(ids) != finished:
        fail("%d points for %d finished trials" % (len(ids), len(finished)))
    failed = {t["id"] for t in trials if t["state"] == "failed"}
    drawn_failed = {int(p.get("data-id")) for p in pts if "failed" in p.get("class").split()}
    if not failed <= drawn_failed:
        fail("failed trials %s drawn as %s" % (failed, drawn_failed))
    # the ledger's hash of the study definition, read with sqlite3 itself
    con = sqlite3.connect(db)
    (h,) = con.execute("SELECT hash FROM study_versions ORDER BY id DESC LIMIT 1").fetchone()
    con.close()
    a = assumptions(text)
    for want in (h, "2026-11", "USD", "random", ">13<", "2026-11-29 12:00 UTC", "lat &lt;= 2.5", "money USD 40.00"):
        if want not in a:
            fail("assumptions lack %r" % want)
    # burn-down: the spend it states is the sum of the trials' costs
    spent = sum(t["cost"] for t in trials if t["id"] in finished)
    bd = "".join(charts["burndown"].itertext())
    if money(spent) + " spent of USD 40.00" not in bd:
        fail("burn-down does not state %s spent: %s" % (money(spent), bd[:400]))
    # the top table starts with the selected configuration
    sel = json.load(open(select_json))["selected"]["id"]
    m = re.search(r'<h2 id="top">.*?<tbody>\s*<tr><td class="num">1</td><td class="num">(\d+)', text, re.S)
    if not m or int(m.group(1)) != sel:
        fail("the top table does not start with %s" % sel)

    # Markdown: the same content, charts beside it
    mtext = open(md, encoding="utf-8").read()
    offline(mtext, md)
    # an SVG shown as a Markdown image has no tooltips: promise none
    if "hover" in mtext.lower():
        fail("markdown report promises hover tips its images cannot show")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", mtext)
    want = ["report-%s.svg" % c for c in CHARTS]
    if links != want:
        fail("markdown links %s" % links)
    mcharts = {}
    for l in links:
        path = os.path.join(os.path.dirname(md), l)
        t = open(path, encoding="utf-8").read()
        offline(t, path)
        mcharts.update(svgs_of(t))
    check_common(mtext, mcharts, select_json, "md")
    if len(points(mcharts["frontier"])) != len(finished):
        fail("markdown frontier chart points")
    if h not in assumptions(mtext):
        fail("markdown assumptions lack the hash")
    print("run report ok: %d points, hash %s" % (len(ids), h[:12]))


def check_catalog(html, catalog, select_json):
    rows = list(csv.reader(open(catalog)))[1:]
    text = open(html, encoding="utf-8").read()
    offline(text, html)
    charts = svgs_of(text)
    if sorted(charts) != sorted(["frontier", "marginal", "importance"]):
        fail("catalog charts %s" % sorted(charts))
    pts = check_common(text, charts, select_json, "html")
    if sorted(int(p.get("data-id")) for p in pts) != list(range(2, len(rows) + 2)):
        fail("catalog points %s" % [p.get("data-id") for p in pts])
    if text.count("Not drawn for a catalog") != 2:
        fail("the page does not say why burn-down and best-so-far are missing")
    print("catalog report ok: %d points" % len(pts))


if __name__ == "__main__":
    if sys.argv[1] == "run":
        check_run(*sys.argv[2:7])
    else:
        check_catalog(*sys.argv[2:5])
