/*
 * core/study_yaml_int.h - the YAML tree and the reader's state, shared by
 * the study reader (core/study_yaml.c) and the readers of parts of a study
 * that live in their own files (core/study_dist.c: distributions and
 * chance constraints).
 *
 * Internal to core/study_*.c.
 */
#ifndef BO_CORE_STUDY_YAML_INT_H
#define BO_CORE_STUDY_YAML_INT_H

#include <stddef.h>

#include "core/error.h"
#include "core/model.h"

enum { YN_SCALAR, YN_SEQ, YN_MAP };

typedef struct ynode {
	int type;
	int line, col;        /* 1-based */
	int plain;            /* scalar written without quotes and without a !!str tag */
	int quote;            /* 1 for a '...' or "..." scalar (expression offsets) */
	int height;           /* 1 for a scalar; 1 + the tallest child */
	char *str;            /* scalar text, NUL-terminated */
	size_t len;
	struct ynode **kids;  /* sequence items; mapping key, value, key, value... */
	size_t n, cap;
} ynode;

typedef struct anchor {
	char *name;
	ynode *node;
} anchor;

/* Everything one read needs. */
typedef struct rd {
	const char *file;     /* for messages */
	const char *text;
	size_t len;
	struct bo_diags *diags;
	int nomem;
	int toomany;
	ynode **all;          /* every node, for freeing (aliases share nodes) */
	size_t nall, capall;
	anchor *anchors;
	size_t nanchors, capanchors;
	bo_study *s;
	ynode *root;
} rd;

/* Adds the diagnostic "file:line:col: message" (core/study_yaml.c). */
void bo__yaml_diag(rd *r, const ynode *n, const char *fmt, ...) BO__PRINTF(3, 4);

/* A finite number at n; -1 after a diagnostic naming what. */
int bo__yaml_number(rd *r, const ynode *n, const char *what, double *out);

/* The value of key in mapping m, or NULL. */
const ynode *bo__yaml_get(const ynode *m, const char *key);

/* Any non-null scalar as text; NULL after a diagnostic. */
const char *bo__yaml_text(rd *r, const ynode *n, const char *what);

/* "a mapping", "a list", "a number", ... for messages. */
const char *bo__yaml_kind(const ynode *n);

/* A duration ("90s", "1h", seconds) > 0; -1 after a diagnostic. */
int bo__yaml_duration(rd *r, const ynode *n, const char *what, double *out);

/* An integer in [lo, hi]; -1 after a diagnostic. */
int bo__yaml_int(rd *r, const ynode *n, const char *what, long long lo, long long hi,
		 long long *out);

/* Reports the keys of mapping m not in known (NULL-terminated), with a
 * "did you mean" hint; where names m. */
void bo__yaml_check_keys(rd *r, const ynode *m, const char *const *known, const char *where);

/* ---- core/study_guard.c: safeguards ------------------------------------- */

/* Sets the defaults of s->guard (no rate limit, anomaly 3, alerts at 0.5,
 * 0.8 and 0.95 of the money budget, no hook, no limits). */
void bo__study_guard_defaults(bo_study *s);

/* Reads budget: rate and budget: anomaly from the budget mapping m. */
void bo__study_read_guard_budget(rd *r, const ynode *m);

/* Reads the top-level alerts: and limits: (after budget: and space:). */
void bo__study_read_guard(rd *r, const ynode *top);

/* Frees what s->guard owns. */
void bo__study_guard_clear(bo_study *s);

/* ---- core/study_dist.c -------------------------------------------------- */

/* 1 if n is written as a distribution: a mapping whose first key is one of
 * normal, lognormal, uniform, triangular, samples. */
int bo__study_is_dist(const ynode *n);

/* Reads the distribution at n for the input or price named name (what
 * names it in messages). is_price: its values must be >= 0 where that
 * can be checked (a mean, a bound). Adds it to the study's uncertain
 * numbers and returns it, or NULL after diagnostics (r->nomem on memory). */
bo_dist *bo__study_read_dist(rd *r, const ynode *n, const char *name, const char *what,
			     int is_price);

/* Splits a guardrail's text "EXPR with probability >= P": returns the
 * length of EXPR and sets *prob (0 when there is no such suffix); -1 after
 * a diagnostic at n (P not a number, not in (0, 1), another operator). */
long bo__study_guardrail_prob(rd *r, const ynode *n, const char *text, double *prob);

#endif
