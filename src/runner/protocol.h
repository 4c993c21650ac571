/*
 * runner/protocol.h - reading what an evaluator reports.
 *
 * The evaluator writes JSON objects, one per line, on stdout or in
 * $BUDGETOPT_RESULT. {"step": n, "metrics": {...}} is an intermediate
 * report; the last object with "metrics" or "usage" and no "step" is the
 * final one. Other lines are logged and ignored. Non-finite numbers
 * (Python's NaN, Infinity) are read as such so the trial fails with a clear
 * reason rather than "no report".
 */
#ifndef BO_RUNNER_PROTOCOL_H
#define BO_RUNNER_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "core/trial.h"

typedef struct bo_report {
	int has_final;
	size_t nmetrics, capmetrics;
	bo_kv *metrics;           /* of the final report; NaN for non-finite */
	size_t nusage, capusage;
	bo_kv *usage;             /* of the final report */
	char *problem;            /* first thing wrong with the final report, or NULL */
	size_t nlines;            /* lines seen */
	size_t nbad;              /* lines starting with '{' that did not parse */
	char *first_bad;          /* why the first such line did not parse */
	size_t nstep, capstep;
	bo_kv *step;              /* the last intermediate report's metrics */
	size_t nstep_usage, capstep_usage;
	bo_kv *step_usage;        /* usage so far, of the last intermediate report
				   * that had one ({"step": k, "usage": {...}}) */
} bo_report;

/* An intermediate report, valid until the next call. */
typedef struct bo_report_step {
	int64_t step;
	size_t n;
	bo_kv *metrics;
} bo_report_step;

/* The largest amount of one resource a trial may report (1e12 GPU hours,
 * tokens, kWh...): beyond it, or negative, or not finite, the report is a
 * lie or a bug, and the trial fails instead of the amount being charged.
 * Documented in docs/study-file.md (Evaluator protocol). */
#define BO_USAGE_MAX 1e12

/* The largest step number read (2^53: every whole number below it is a
 * double). */
#define BO_STEP_MAX 9007199254740992.0

void bo__report_init(bo_report *r);
void bo__report_clear(bo_report *r);

/* Reads one line. Returns 0 (nothing to act on), 1 when it was an
 * intermediate report (*step filled; owned by r until the next call), or
 * BO_ENOMEM. */
int bo__report_line(bo_report *r, const char *line, size_t len, int too_long,
		    bo_report_step *step);

/* Reads every line of a file (the result file). Missing file: 0. */
int bo__report_file(bo_report *r, const char *path, size_t max_bytes);

/* Writes x as a JSON writer would: "NaN", "Infinity", "-Infinity", or the
 * number (%.15g). */
void bo__fmt_number(double x, char *buf, size_t size);

/* 0 when a reported usage amount a may be charged: finite, not negative,
 * at most BO_USAGE_MAX. Otherwise -1 and why gets the reason, naming the
 * value ("Infinity is not a finite number", "-1 is negative"). */
int bo__usage_check(double a, char *why, size_t size);

#endif
