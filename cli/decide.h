/*
 * cli/decide.h - what frontier and select share: the options that say which
 * configurations to look at (a study's ledger, or a catalog CSV), and
 * loading them.
 */
#ifndef BO_CLI_DECIDE_H
#define BO_CLI_DECIDE_H

#include <stdio.h>

#include "analysis/configs.h"
#include "analysis/scenarios.h"
#include "analysis/uncertain.h"
#include "cli.h"

#define CLI_MAX_GUARDRAILS 32

typedef struct cli_decide {
	const char *catalog;      /* --catalog FILE, or NULL for the ledger */
	const char *study_path;   /* --study FILE or the positional argument */
	const char *storage;      /* --storage URI */
	const char *where;        /* --where EXPR */
	const char *guardrails[CLI_MAX_GUARDRAILS];
	size_t nguardrails;
	const char *format;       /* text, csv, json */
	const char *score;        /* --score EXPR: replaces the study's score */
	bo_study *s;
	bo_configs c;
	/* Run mode: the ledger's trials and newest stored definition, read once
	 * with the configurations (NULL for a catalog). */
	bo_trial_rec *trials;
	size_t ntrials;
	char *stored_text;
	/* Monte Carlo under uncertain inputs and prices (analysis/uncertain.h):
	 * run when the study has uncertain numbers or chance constraints */
	bo_mc_options mco;
	int mco_set;              /* mco initialised (options seen or defaults) */
	bo_mc mc;
	int mc_on;                /* mc holds a run */
	/* whatif: changes the study after it is read and before anything is
	 * judged (returns 0, or -1 after printing); reprice: the ledger's
	 * trials are charged anew from their stored usage under the study's
	 * price book (capped per trial as the run loop caps them) */
	int (*edit)(bo_study *s, void *ud);
	void *edit_ud;
	int reprice;
	int quiet;                /* no warnings about the study (said once already) */
	int no_observe;           /* ledger: leave out the recorded observations */
	size_t nobserved;         /* observations applied (cmd_observe.c) */
	char observed_last[320];  /* the newest of them, or "" */
	/* Repeats (analysis/repeats.c): CLI_REPEATS_SEPARATE (0, frontier and
	 * the rest) keeps every trial or row apart; select sets AUTO: a
	 * ledger's trials with identical parameters are grouped, a catalog's
	 * rows only with --repeats group. grouped: bo__configs_group ran. */
	int repeats;
	int grouped;
	/* Scenarios (analysis/scenarios.h): on a ledger of a study that lists
	 * scenarios, scen holds its trials by configuration and scenario, and
	 * c one entry per configuration, folded across scenarios: by default
	 * the weighted mean (fold "weighted mean"); frontier --robust refolds
	 * with its aggregate. scen_on: scen is built. */
	bo_scen_table scen;
	int scen_on;
	char fold[48];
	/* the configurations a rollback demoted (params_json, why), kept to
	 * demote them again after a refold */
	char **demoted;
	size_t ndemoted;
} cli_decide;

enum { CLI_REPEATS_SEPARATE, CLI_REPEATS_GROUP, CLI_REPEATS_AUTO };

/* Long options shared by both commands; a command appends its own. */
#define CLI_DECIDE_OPTIONS \
	{"catalog", required_argument, NULL, 1001}, \
	{"study", required_argument, NULL, 1002}, \
	{"storage", required_argument, NULL, 1003}, \
	{"where", required_argument, NULL, 1004}, \
	{"guardrail", required_argument, NULL, 1005}, \
	{"format", required_argument, NULL, 1006}, \
	{"score", required_argument, NULL, 1007}, \
	{"draws", required_argument, NULL, 1008}, \
	{"mc-seed", required_argument, NULL, 1009}, \
	{"quantiles", required_argument, NULL, 1010}, \
	{"confidence", required_argument, NULL, 1011}

#define CLI_DECIDE_HELP \
	"  --catalog FILE    a CSV of configurations measured elsewhere, instead of the ledger\n" \
	"  --study FILE      the study file (or give it as the last argument)\n" \
	"  --storage URI     the ledger (default <study folder>/<name>.db)\n" \
	"  --where EXPR      only configurations where EXPR holds\n" \
	"  --guardrail EXPR  an extra guardrail (repeatable), added to the study's\n" \
	"  --format F        text (default), csv or json\n" \
	"  --score EXPR      rank by EXPR instead of the study's score (maximised;\n" \
	"                    \"min: EXPR\" minimises), an expression like the study's\n" \
	"  --draws N         Monte Carlo draws over uncertain inputs and prices (10000)\n" \
	"  --mc-seed S       the seed of those draws (fixed by default)\n" \
	"  --quantiles LIST  quantiles shown of uncertain values (0.05,0.5,0.95)\n" \
	"  --confidence P    every guardrail must hold with probability >= P, and\n" \
	"                    uncertain objectives rank by their pessimistic P-quantile\n"

/* Handles one of the shared options (c from getopt_long). Returns 1 if it
 * was one, 0 if not, -1 after printing a usage error. */
int cli_decide_option(cli_decide *d, int c, const char *arg);

/* What trial t costs under s's price book, from its stored usage, capped
 * per trial as the run loop caps it (whatif's reprice and spend). */
double cli_repriced_cost(const bo_study *s, const bo_trial_rec *t);

/* Reads the study and the configurations. Returns 0, or the exit code
 * after printing the problem. */
int cli_decide_load(cli_decide *d, int argc, char **argv, int optind_);

void cli_decide_free(cli_decide *d);

/* Warns about each guardrail of s that says "with probability" over
 * nothing uncertain (it holds with probability 0 or 1). */
void cli_warn_certain_chance(const bo_study *s);

/* With a Monte Carlo run: writes "uncertain": {...} members for config i
 * (mean and quantiles of each uncertain value, the probability that each
 * guardrail holds), preceded by ", ". Nothing without a run. */
void cli_json_uncertain(FILE *f, const cli_decide *d, size_t i);

/* The same as a JSON object (NULL on failure). */
#include <jansson.h>
json_t *cli_uncertain_json(const cli_decide *d, size_t i);

/* One JSON member from a writer of ", \"key\": ..." text (such as
 * cli_json_uncertain): cli_member_open starts an object in memory and
 * returns the stream to write the member to (NULL when out of memory);
 * cli_member_close ends it and returns its member key, a new reference,
 * or NULL. */
typedef struct cli_member {
	FILE *f;
	char *buf;
	size_t len;
} cli_member;
FILE *cli_member_open(cli_member *m);
json_t *cli_member_close(cli_member *m, const char *key);

/* With a Monte Carlo run: lines for people about config i, each written
 * as prefix + text + "\n". */
void cli_text_uncertain(FILE *f, const cli_decide *d, size_t i, const char *prefix);

/* Applies the "observe" events of ledger st to s (bo__dist_observe), in
 * the ledger's order, and sets each observed entry's point value to its new
 * mean. *nobs: the observations applied; last (lastlen > 0): the newest,
 * as "price gpu_hours.a100=2.9 on 2026-12-06 04:50 UTC", or "". Returns 0,
 * or -1 after printing. */
int cli_apply_observations(bo_study *s, bo_storage *st, size_t *nobs, char *last, size_t lastlen);

/* For `status`: when ledger st, of the study at study_path (storage: its
 * --storage or NULL), holds observations, writes into out a line saying how
 * many, the newest, and whether the recommendation (select's default, the
 * best score) changed because of them; "" when there are none. Returns 0,
 * or -1 after printing. */
int cli_observed_change(bo_storage *st, const char *study_path, const char *storage, char *out,
			size_t outlen);

/* The confidence at which select tells repeats apart (--noise-confidence). */
#define CLI_NOISE_CONFIDENCE BO_SELECT_NOISE_CONFIDENCE
/* Select's default answer (no option): the best feasible configuration by
 * the score, and among it and those within its noise at
 * CLI_NOISE_CONFIDENCE (repeats grouped) the cheapest. Returns its index in
 * d->c, or (size_t)-1 when none (or the study has no score). */
size_t cli_decide_pick(cli_decide *d);
/* With scenarios: folds d's configurations anew by agg (goals as
 * bo__scen_fold takes them), label naming it ("worst"); the ones a
 * rollback demoted stay demoted. Returns 0 or a BO_E* code. */
int cli_decide_refold(cli_decide *d, const bo_robust *agg, const int *mgoal, const int *dgoal, const char *label);

/* With scenarios: "over 3 scenarios, weighted mean" (d->fold), else "". */
const char *cli_fold_note(const cli_decide *d, char *buf, size_t size);

/* With scenarios: writes ", \"scenarios\": {...}" for the top of a JSON
 * answer: the aggregate, and each scenario's weight. Nothing without. */
void cli_json_fold(FILE *f, const cli_decide *d);

/* With scenarios: writes ", \"per_scenario\": {NAME: {...}, ...}" for
 * config i: under each scenario, its score, search cost and its value on
 * each of the nax axes (the mean of its repeats there; null where it has
 * none). Nothing without scenarios. */
void cli_json_per_scenario(FILE *f, const cli_decide *d, size_t i, const bo_axis *ax, size_t nax);

/* Writes a JSON object of the metrics and derived metrics of config i. */
void cli_json_metrics(FILE *f, const cli_decide *d, size_t i);

/* Prints a number as JSON (null when not finite). */
void cli_json_num(FILE *f, double v);

#endif
