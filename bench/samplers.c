/*
 * bench/samplers.c - sample efficiency and optimizer time of budgetopt's
 * samplers, through the public ask/tell API (budgetopt/optimizer.h). A
 * measurement, not a test: bench/run-samplers runs it beside
 * bench/samplers_optuna.py and compares.
 *
 *   samplers run PROBLEM SAMPLER NSEEDS [NB201_CSV]
 *       one JSON line per seed: every trial's cost, feasibility and raw
 *       objective values, in the order told
 *   samplers time SAMPLER NOBJ
 *       one JSON line: ms per ask+tell at 100, 1000 and 2000 trials of
 *       history, on 10 mixed parameters
 *
 * Money rule (the same in the Optuna driver): every evaluation is charged
 * its cost (eval_units x 1), the per-trial cap is the problem's largest
 * evaluation cost, so a trial is handed out while the money left is at least
 * that cap.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "budgetopt/optimizer.h"
#include "budgetopt/study.h"

#define PI 3.14159265358979323846
#define NB_MAX 16000
#define NB_EDGES 6
#define TIME_CAP_S 120.0   /* a time run stops after this much optimizer time */

typedef struct problem problem;
typedef int (*eval_fn)(const problem *p, const bo_trial *t, double *out, int *feasible, double *cost);

struct problem {
	const char *name;
	const char *yaml;      /* nb201's has a %.17g for its per-trial cap */
	size_t nout;           /* raw values printed per trial */
	eval_fn eval;
};

static double P(const bo_trial *t, const char *name)
{
	double v = NAN;
	bo_trial_param(t, name, &v);
	return v;
}

/* ---- problems ---------------------------------------------------------- */

/* Branin; an evaluation costs 1 at x1 = -5 to 10 at x1 = 10. */
static int eval_branin(const problem *p, const bo_trial *t, double *out, int *feasible, double *cost)
{
	double x1 = P(t, "x1"), x2 = P(t, "x2");
	double u = x2 - 5.1 / (4 * PI * PI) * x1 * x1 + 5 / PI * x1 - 6;
	(void)p;
	out[0] = u * u + 10 * (1 - 1 / (8 * PI)) * cos(x1) + 10;
	*feasible = 1;
	*cost = 1 + 9 * (x1 + 5) / 15;
	return 0;
}

/* Gardner et al. 2014 (ICML), simulation 1: min cos(2 x1) cos(x2) + sin(x1)
 * s.t. cos(x1) cos(x2) - sin(x1) sin(x2) <= 0.5 on [0, 6]^2. */
static int eval_gardner(const problem *p, const bo_trial *t, double *out, int *feasible, double *cost)
{
	double x1 = P(t, "x1"), x2 = P(t, "x2");
	(void)p;
	out[0] = cos(2 * x1) * cos(x2) + sin(x1);
	out[1] = cos(x1) * cos(x2) - sin(x1) * sin(x2);
	*feasible = out[1] <= 0.5;
	*cost = 1;
	return 0;
}

/* ZDT1 (Zitzler, Deb, Thiele 2000) with 5 variables. */
static int eval_zdt1(const problem *p, const bo_trial *t, double *out, int *feasible, double *cost)
{
	static const char *const X[] = {"x1", "x2", "x3", "x4", "x5"};
	double g = 0;
	int i;
	(void)p;
	for (i = 1; i < 5; i++)
		g += P(t, X[i]);
	g = 1 + 9 * g / 4;
	out[0] = P(t, "x1");
	out[1] = g * (1 - sqrt(out[0] / g));
	*feasible = 1;
	*cost = 1;
	return 0;
}

/* DTLZ2 (Deb, Thiele, Laumanns, Zitzler 2002), 3 objectives, 6 variables
 * (as ../shared/BASELINES.md and issue 9 measure it). */
static int eval_dtlz2(const problem *p, const bo_trial *t, double *out, int *feasible, double *cost)
{
	static const char *const X[] = {"x1", "x2", "x3", "x4", "x5", "x6"};
	double g = 0, a, b;
	int i;
	(void)p;
	for (i = 2; i < 6; i++)
		g += (P(t, X[i]) - 0.5) * (P(t, X[i]) - 0.5);
	a = P(t, "x1") * PI / 2;
	b = P(t, "x2") * PI / 2;
	out[0] = (1 + g) * cos(a) * cos(b);
	out[1] = (1 + g) * cos(a) * sin(b);
	out[2] = (1 + g) * sin(a);
	*feasible = 1;
	*cost = 1;
	return 0;
}

/* NAS-Bench-201 on CIFAR-10 with HW-NAS-Bench's edge-GPU latency; training
 * cost proportional to FLOPs (nb201) or unit cost (nb201u). */
static const char *const NB_OPS[] = {"avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3", "none",
				     "skip_connect"};
static double nb_acc[NB_MAX], nb_lat[NB_MAX], nb_cost[NB_MAX];
static int nb_index[5 * 5 * 5 * 5 * 5 * 5];
static double nb_cap;

static int op_index(const char *s)
{
	int i;
	for (i = 0; i < 5; i++)
		if (!strcmp(s, NB_OPS[i]))
			return i;
	return -1;
}

static int nb_load(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096], *tok, *save;
	int col[NB_EDGES + 3], n = 0, i, c, nflops = 0;
	static const char *const want[] = {"edge_1_0", "edge_2_0", "edge_2_1", "edge_3_0", "edge_3_1",
					   "edge_3_2", "val_acc", "flops_M", "edgegpu_latency"};
	double sum = 0, maxc = 0;
	if (!f || !fgets(line, sizeof line, f))
		return -1;
	for (i = 0; i < NB_EDGES + 3; i++)
		col[i] = -1;
	line[strcspn(line, "\r\n")] = 0;
	for (c = 0, tok = strtok_r(line, ",", &save); tok; tok = strtok_r(NULL, ",", &save), c++)
		for (i = 0; i < NB_EDGES + 3; i++)
			if (!strcmp(tok, want[i]))
				col[i] = c;
	for (i = 0; i < (int)(sizeof nb_index / sizeof *nb_index); i++)
		nb_index[i] = -1;
	while (n < NB_MAX && fgets(line, sizeof line, f)) {
		char *field[64];
		int nf = 0, key = 0;
		line[strcspn(line, "\r\n")] = 0;
		/* split on every comma: empty cells stay fields */
		for (tok = line, field[nf++] = tok; *tok && nf < 64; tok++)
			if (*tok == ',') {
				*tok = 0;
				field[nf++] = tok + 1;
			}
		for (i = 0; i < NB_EDGES; i++) {
			int k = col[i] < nf ? op_index(field[col[i]]) : -1;
			if (k < 0)
				break;
			key = key * 5 + k;
		}
		if (i < NB_EDGES)
			continue;
		nb_acc[n] = atof(field[col[6]]);
		/* flops_M is only given for the 9,445 non-redundant nets */
		nb_cost[n] = field[col[7]][0] ? atof(field[col[7]]) : NAN;
		nb_lat[n] = atof(field[col[8]]);
		nb_index[key] = n;
		if (!isnan(nb_cost[n])) {
			sum += nb_cost[n];
			nflops++;
		}
		n++;
	}
	fclose(f);
	/* an average evaluation costs 1; a net without flops_M (redundant: it
	 * computes the same function as a smaller one) costs the average */
	for (i = 0; i < n; i++) {
		nb_cost[i] = isnan(nb_cost[i]) ? 1.0 : nb_cost[i] / (sum / nflops);
		maxc = fmax(maxc, nb_cost[i]);
	}
	nb_cap = maxc;
	return n;
}

static int eval_nb201(const problem *p, const bo_trial *t, double *out, int *feasible, double *cost)
{
	static const char *const E[] = {"edge_1_0", "edge_2_0", "edge_2_1", "edge_3_0", "edge_3_1", "edge_3_2"};
	int i, key = 0, row;
	(void)p;
	for (i = 0; i < NB_EDGES; i++) {
		const char *l = bo_trial_label(t, E[i]);
		key = key * 5 + (l ? op_index(l) : 0);
	}
	if ((row = nb_index[key]) < 0)
		return -1;
	out[0] = nb_acc[row];
	out[1] = nb_lat[row];
	*feasible = nb_lat[row] <= 4.0;
	*cost = nb_cost[row];
	return 0;
}

/* The same table at unit cost (BASELINES.md's first NB201 problem). */
static int eval_nb201u(const problem *p, const bo_trial *t, double *out, int *feasible, double *cost)
{
	int rc = eval_nb201(p, t, out, feasible, cost);
	*cost = 1;
	return rc;
}

#define F01(n) "  " n ": {float: [0, 1]}\n"
#define OPS "{choice: [avg_pool_3x3, nor_conv_1x1, nor_conv_3x3, none, skip_connect]}"
#define COMMON "prices: {eval_units: 1}\nevaluator: {command: [none]}\n"

static const problem PROBLEMS[] = {
	{"branin",
	 "name: branin-cost\nspace:\n  x1: {float: [-5, 10]}\n  x2: {float: [0, 15]}\n"
	 "metrics: {y: {minimize: true}}\nobjectives: [y]\n" COMMON
	 "budget: {money: 600, per_trial: {money: 10}}\n",
	 1, eval_branin},
	{"gardner",
	 "name: gardner\nspace:\n  x1: {float: [0, 6]}\n  x2: {float: [0, 6]}\n"
	 "metrics: {f: {minimize: true}, c: {}}\nobjectives: [f]\nguardrails: [\"c <= 0.5\"]\n" COMMON
	 "budget: {money: 150, per_trial: {money: 1}}\n",
	 2, eval_gardner},
	{"zdt1",
	 "name: zdt1\nspace:\n" F01("x1") F01("x2") F01("x3") F01("x4") F01("x5")
	 "metrics: {f1: {minimize: true}, f2: {minimize: true}}\nobjectives: [f1, f2]\n" COMMON
	 "budget: {money: 200, per_trial: {money: 1}}\n",
	 2, eval_zdt1},
	{"dtlz2",
	 "name: dtlz2\nspace:\n" F01("x1") F01("x2") F01("x3") F01("x4") F01("x5") F01("x6")
	 "metrics: {f1: {minimize: true}, f2: {minimize: true}, f3: {minimize: true}}\n"
	 "objectives: [f1, f2, f3]\n" COMMON "budget: {money: 150, per_trial: {money: 1}}\n",
	 3, eval_dtlz2},
	{"nb201",
	 "name: nb201-hw\nspace:\n  edge_1_0: " OPS "\n  edge_2_0: " OPS "\n  edge_2_1: " OPS
	 "\n  edge_3_0: " OPS "\n  edge_3_1: " OPS "\n  edge_3_2: " OPS "\n"
	 "metrics: {val_acc: {maximize: true}, lat: {}}\nobjectives: [val_acc]\n"
	 "guardrails: [\"lat <= 4\"]\n" COMMON "budget: {money: 150, per_trial: {money: %.17g}}\n",
	 2, eval_nb201},
	{"nb201u",
	 "name: nb201-hw-unit\nspace:\n  edge_1_0: " OPS "\n  edge_2_0: " OPS "\n  edge_2_1: " OPS
	 "\n  edge_3_0: " OPS "\n  edge_3_1: " OPS "\n  edge_3_2: " OPS "\n"
	 "metrics: {val_acc: {maximize: true}, lat: {}}\nobjectives: [val_acc]\n"
	 "guardrails: [\"lat <= 4\"]\n" COMMON "budget: {money: 150, per_trial: {money: 1}}\n",
	 2, eval_nb201u},
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int die(const char *what, const char *msg)
{
	fprintf(stderr, "samplers: %s: %s\n", what, msg);
	return 2;
}

static int cmd_run(const char *pname, const char *sampler, int nseeds, const char *csv)
{
	const problem *p = NULL;
	char yaml[4096];
	bo_study *s = NULL;
	size_t i;
	int seed;
	for (i = 0; i < sizeof PROBLEMS / sizeof *PROBLEMS; i++)
		if (!strcmp(PROBLEMS[i].name, pname))
			p = &PROBLEMS[i];
	if (!p)
		return die(pname, "unknown problem");
	if ((p->eval == eval_nb201 || p->eval == eval_nb201u) && (!csv || nb_load(csv) <= 0))
		return die(csv ? csv : "nb201", "cannot read the table");
	snprintf(yaml, sizeof yaml, p->yaml, nb_cap);
	if (bo_study_parse(&s, yaml, strlen(yaml), pname, NULL, NULL) != 0)
		return die(pname, bo_error_last());
	for (seed = 0; seed < nseeds; seed++) {
		bo_optimizer_options opt = BO_OPTIMIZER_OPTIONS_INIT;
		bo_optimizer *o = NULL;
		bo_trial *t;
		double ask_s = 0, t0, out[4], cost;
		int feasible, n = 0, rc;
		opt.sampler = sampler;
		opt.has_seed = 1;
		opt.seed = (uint64_t)seed + 1;
		if (bo_optimizer_new(&o, s, &opt) != 0) {
			bo_study_free(s);
			return die(sampler, bo_error_last());
		}
		printf("{\"impl\":\"budgetopt\",\"problem\":\"%s\",\"sampler\":\"%s\",\"seed\":%d,\"trials\":[",
		       pname, sampler, seed);
		for (;;) {
			t0 = now_s();
			rc = bo_optimizer_ask(o, &t);
			ask_s += now_s() - t0;
			if (rc != 0)
				break;
			if (p->eval(p, t, out, &feasible, &cost) != 0) {
				bo_optimizer_tell(o, t, BO_TELL_FAILED, NULL);
				return die(pname, "configuration not in the table");
			}
			bo_trial_add_usage(t, "eval_units", cost);
			/* metrics in the study's order match out[] for every problem */
			{
				static const char *const NAMES[][3] = {{"y"}, {"f", "c"}, {"f1", "f2"},
								      {"f1", "f2", "f3"}, {"val_acc", "lat"},
								      {"val_acc", "lat"}};
				size_t k, pi = (size_t)(p - PROBLEMS);
				for (k = 0; k < p->nout; k++)
					bo_trial_set_metric(t, NAMES[pi][k], out[k]);
			}
			t0 = now_s();
			rc = bo_optimizer_tell(o, t, BO_TELL_COMPLETE, NULL);
			ask_s += now_s() - t0;
			if (rc != 0) {
				bo_optimizer_free(o);
				bo_study_free(s);
				return die("tell", bo_error_last());
			}
			printf("%s[%.17g,%d", n ? "," : "", cost, feasible);
			for (i = 0; i < p->nout; i++)
				printf(",%.17g", out[i]);
			printf("]");
			n++;
		}
		if (rc < 0) {
			bo_optimizer_free(o);
			bo_study_free(s);
			return die("ask", bo_error_last());
		}
		printf("],\"ms_per_trial\":%.6g,\"spent\":%.17g}\n", n ? 1e3 * ask_s / n : 0.0,
		       bo_optimizer_spent(o));
		fflush(stdout);
		bo_optimizer_free(o);
	}
	bo_study_free(s);
	return 0;
}

/* Ten mixed parameters, as BASELINES.md measured Optuna on. */
static const char TIME_STUDY[] =
	"name: timing\nspace:\n"
	"  a: {float: [0, 1]}\n  b: {float: [-3, 3]}\n  c: {float: [1.0e-4, 1], log: true}\n"
	"  d: {float: [1, 1000], log: true}\n  e: {float: [0, 10]}\n  f: {float: [-1, 1]}\n"
	"  g: {int: [1, 64]}\n  h: {int: [1, 1024], log: true}\n"
	"  i: {choice: [p, q, r, s]}\n  j: {choice: [u, v, w, z]}\n"
	"metrics: {m1: {minimize: true}, m2: {minimize: true}}\nobjectives: [%s]\n"
	"evaluator: {command: [none]}\n";

static int cmd_time(const char *sampler, int nobj)
{
	static const char *const NAMES[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
	static const int LEVELS[] = {100, 1000, 2000};
	enum { WINDOW = 10 };
	char yaml[2048];
	bo_study *s = NULL;
	bo_optimizer *o = NULL;
	bo_optimizer_options opt = BO_OPTIMIZER_OPTIONS_INIT;
	double ms[3] = {NAN, NAN, NAN}, total = 0;
	int n, lv;
	snprintf(yaml, sizeof yaml, TIME_STUDY, nobj == 1 ? "m1" : "m1, m2");
	if (bo_study_parse(&s, yaml, strlen(yaml), "timing", NULL, NULL) != 0)
		return die("timing", bo_error_last());
	opt.sampler = sampler;
	opt.has_seed = 1;
	opt.seed = 3;
	if (bo_optimizer_new(&o, s, &opt) != 0) {
		bo_study_free(s);
		return die(sampler, bo_error_last());
	}
	for (n = 0; n < 2000 + WINDOW && total < TIME_CAP_S; n++) {
		bo_trial *t;
		double t0 = now_s(), dt, v[10], m1 = 0, m2 = 0;
		size_t k;
		if (bo_optimizer_ask(o, &t) != 0)
			break;
		dt = now_s() - t0;
		for (k = 0; k < 10; k++) {
			bo_trial_param(t, NAMES[k], &v[k]);
			m1 += (k % 2 ? 1 : -1) * sin(v[k] * (double)(k + 1));
			m2 += cos(v[k] + (double)k);
		}
		bo_trial_set_metric(t, "m1", m1);
		bo_trial_set_metric(t, "m2", m2);
		t0 = now_s();
		bo_optimizer_tell(o, t, BO_TELL_COMPLETE, NULL);
		dt += now_s() - t0;
		total += dt;
		for (lv = 0; lv < 3; lv++) {
			if (n >= LEVELS[lv] && n < LEVELS[lv] + WINDOW)
				ms[lv] = (isnan(ms[lv]) ? 0 : ms[lv]) + 1e3 * dt / WINDOW;
		}
	}
	printf("{\"impl\":\"budgetopt\",\"sampler\":\"%s\",\"nobj\":%d,\"ms\":{", sampler, nobj);
	for (lv = 0; lv < 3; lv++) {
		int complete = n >= LEVELS[lv] + WINDOW;
		if (complete)
			printf("%s\"%d\":%.6g", lv ? "," : "", LEVELS[lv], ms[lv]);
		else
			printf("%s\"%d\":null", lv ? "," : "", LEVELS[lv]);
	}
	printf("}}\n");
	bo_optimizer_free(o);
	bo_study_free(s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "run"))
		return cmd_run(argv[2], argv[3], atoi(argv[4]), argc > 5 ? argv[5] : NULL);
	if (argc == 4 && !strcmp(argv[1], "time"))
		return cmd_time(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: samplers run PROBLEM SAMPLER NSEEDS [NB201_CSV]\n"
			"       samplers time SAMPLER NOBJ\n");
	return 2;
}
