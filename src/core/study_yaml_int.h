/*
 * core/study_yaml_int.h - the YAML tree and the reader's state, shared by
 * the positioned YAML tree and its diagnostics (core/study_tree.c), the
 * study reader (core/study_yaml.c) and the readers of parts of a study
 * that live in their own files (core/study_space.c, core/study_prices.c,
 * core/study_metrics.c, core/study_evaluator.c; core/study_dist.c:
 * distributions and chance constraints; core/study_slurm.c).
 *
 * Internal to core/study_*.c.
 */
#ifndef BO_CORE_STUDY_YAML_INT_H
#define BO_CORE_STUDY_YAML_INT_H

#include <stddef.h>

#include "core/error.h"
#include "core/model.h"

#define BO_YAML_MAX_DEPTH 64                 /* deeper documents are rejected */
#define BO_STUDY_MAX_BYTES (16u << 20)       /* larger files are rejected */
#define BO_MAX_DIAGS 200                     /* then "too many problems" */
#define BO_SUGGEST_MAX_DIST 2                /* "did you mean" edit distance */
#define BO_MAX_EXACT_INT 9007199254740992.0  /* 2^53: int bounds stay exact */

enum { YN_SCALAR, YN_SEQ, YN_MAP };

/* What bo__yaml_num_syntax finds in a scalar. */
enum { NUM_NO, NUM_INT, NUM_FLOAT, NUM_INF, NUM_NAN };

/* The problems of one read, one "file:line:col: message" line each. */
struct bo_diags {
	char **lines;
	size_t n, cap;
	long *order;          /* line * 2^20 + column of each line, for sorting */
	size_t ocap;
};

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

/* ---- core/study_tree.c: the tree, diagnostics and scalars -------------- */

/* Adds the diagnostic "file:line:col: message" at node n. */
void bo__yaml_diag(rd *r, const ynode *n, const char *fmt, ...) BO__PRINTF(3, 4);
#define DIAG(r, node, ...) bo__yaml_diag_at((r), (node)->line, (node)->col, __VA_ARGS__)

/* Adds the diagnostic "file:line:col: message" at a position (DIAG: at a
 * node). */
void bo__yaml_diag_at(rd *r, int line, int col, const char *fmt, ...) BO__PRINTF(4, 5);

/* Puts the problems in file order (insertion sort: stable, and there are
 * at most BO_MAX_DIAGS + 1 of them). */
void bo__yaml_diags_sort(bo_diags *d);

/* A short printable rendering of a user's text for messages. */
const char *bo__yaml_shown(const char *s, char buf[48]);

/* State of a "did you mean" search. */
typedef struct suggest {
	const char *name;
	const char *best;
	int bestd;
} suggest;

/* "Did you mean": the closest candidate to name within
 * BO_SUGGEST_MAX_DIST edits, tried one candidate at a time. */
void bo__suggest_init(suggest *sg, const char *name);

void bo__suggest_try(suggest *sg, const char *cand);

/* " (did you mean \"x\"?)" or "" */
const char *bo__suggest_hint(const suggest *sg, char buf[128]);

/* Frees every node of r's tree and its anchors. */
void bo__yaml_tree_free(rd *r);

/* Reports scalars of v (n of them, every stride-th) that repeat an earlier
 * one: what is "duplicate key", "duplicate choice"... Sorting keeps it fast
 * for very long mappings. */
void bo__yaml_report_dups(rd *r, ynode **v, size_t n, size_t stride, const char *what);

/* Builds r->root. Returns 0, or -1 when the file cannot be read further
 * (its problem is in the diagnostics). */
int bo__yaml_build_tree(rd *r);

/* 1 for a null scalar (~, null, empty). */
int bo__yaml_is_null(const ynode *n);

/* Classifies scalar text as a YAML number: [-+]digits, [-+]digits.digits,
 * .5, 1e-3, .inf, .nan. */
int bo__yaml_num_syntax(const char *s);

/* An integer within [lo, hi]. */
int bo__yaml_int(rd *r, const ynode *n, const char *what, long long lo, long long hi,
		 long long *out);

/* true/false; -1 after a diagnostic. */
int bo__yaml_bool(rd *r, const ynode *n, const char *what, int *out);

/* A duration: seconds as a number, or "1h30m", "90s", "0.5h", "2d". */
int bo__yaml_duration(rd *r, const ynode *n, const char *what, double *out);

/* bo__yaml_is_ident: 1 for an identifier (dots: dotted names such as
 * gpu_hours.a100 too). bo__yaml_is_reserved: 1 for a word the expression
 * language reserves. */
int bo__yaml_is_ident(const char *s, int dots);
int bo__yaml_is_reserved(const char *s);

/* Reports keys of m not in known (NULL-terminated). */
void bo__yaml_check_keys(rd *r, const ynode *m, const char *const *known, const char *where);

/* The mapping m, or NULL after a diagnostic when n is not one. */
const ynode *bo__yaml_want_map(rd *r, const ynode *n, const char *what);

/* The sequence n, or NULL after a diagnostic when n is not one. */
const ynode *bo__yaml_want_seq(rd *r, const ynode *n, const char *what);

/* A copy of s, or NULL with r->nomem set. */
char *bo__yaml_strdup(rd *r, const char *s);

/* A finite number at n; -1 after a diagnostic naming what. */
int bo__yaml_number(rd *r, const ynode *n, const char *what, double *out);

/* The value of key in mapping m, or NULL. */
const ynode *bo__yaml_get(const ynode *m, const char *key);

/* Any non-null scalar as text; NULL after a diagnostic. */
const char *bo__yaml_text(rd *r, const ynode *n, const char *what);

/* "a mapping", "a list", "a number", ... for messages. */
const char *bo__yaml_kind(const ynode *n);

/* " (did you mean \"x\"?)" for the candidate closest to name, or "". */
const char *bo__yaml_suggest(const char *name, const char *const *cands, size_t n, char buf[128]);

/* ---- core/study_yaml.c: expressions and names --------------------------- */

#define K(kind) (1u << (kind))

/* What an expression at one place of the study may use. */
typedef struct resolver {
	rd *r;
	unsigned kinds;       /* allowed symbol kinds: K(BO_SYM_PARAM) | ... */
	size_t visible;       /* parameters [0, visible) are usable */
	const char *what;     /* "a condition", "a constraint" (for messages) */
	const char *hint;     /* what the place may use */
} resolver;

/* A resolver that allows every kind of name and every parameter. */
resolver bo__yaml_all_resolver(rd *r, const char *what);

/* Compiles the expression in scalar node n (or text with n's position).
 * Returns the expression, or NULL after a diagnostic (or out of memory). */
bo_expr *bo__yaml_compile_at(rd *r, const ynode *n, const char *text, resolver *rs,
			     const char *context);

/* The text of an expression at n; NULL after a diagnostic. */
const char *bo__yaml_expr_text(rd *r, const ynode *n, const char *what);

/* Checks the name of an input, price (dots: dotted names allowed), metric...
 * at key: 0, or -1 after a diagnostic. */
int bo__yaml_check_name(rd *r, const ynode *key, const char *kind, int dots);

/* ---- the sections, in the order core/study_yaml.c reads them ------------ */

/* core/study_space.c: space: (the parameters), then their when:
 * conditions once every name is known. */
void bo__study_read_space(rd *r, const ynode *top);
void bo__study_read_space_when(rd *r, const ynode *top);

/* core/study_prices.c: inputs: and prices:. */
void bo__study_read_inputs(rd *r, const ynode *top);
void bo__study_read_pricebook(rd *r, const ynode *top);

/* core/study_metrics.c: metrics:, the names of derived:, the check that no
 * two kinds share a name, constraints:, the expressions of derived:,
 * objectives:, guardrails:, score:. */
void bo__study_read_metrics(rd *r, const ynode *top);
void bo__study_read_derived_names(rd *r, const ynode *top);
void bo__study_check_clashes(rd *r);
void bo__study_read_constraints(rd *r, const ynode *top);
void bo__study_compile_derived(rd *r, const ynode *top);
void bo__study_read_objectives(rd *r, const ynode *top);
void bo__study_read_guardrails(rd *r, const ynode *top);
void bo__study_read_score(rd *r, const ynode *top);

/* core/study_evaluator.c: budget: and evaluator:. */
void bo__study_read_budget(rd *r, const ynode *top);
void bo__study_read_evaluator(rd *r, const ynode *top);

/* core/study_scenarios.c: scenarios:, scenario_policy:, repeats: (after
 * inputs: and prices:). */
void bo__study_read_scenarios(rd *r, const ynode *top);

/* ---- core/study_pruner.c ------------------------------------------------ */

/* Reads pruner: of the study (after metrics and objectives). */
void bo__study_read_pruner(rd *r, const ynode *top);

/* ---- core/study_fidelity.c ---------------------------------------------- */

/* Reads fidelity: of the study (after space: and pruner:). */
void bo__study_read_fidelity(rd *r, const ynode *top);

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
