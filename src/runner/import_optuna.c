/*
 * runner/import_optuna.c - an Optuna study as a budgetopt study file and
 * ledger (see import_optuna.h and docs/optuna.md).
 *
 * The space is the union of the distributions every trial used (Optuna
 * stores one per trial and parameter: a define-by-run space may change);
 * a parameter some trials lack gets a `when:` on an earlier categorical
 * parameter when the trials say which of its labels activate it. Values
 * are Optuna's internal representations: a categorical's is the index of
 * its label in that trial's distribution, turned here into the label and
 * then into its index in the union. Objectives are named as Optuna's
 * trials_dataframe() names them (value, or values_0, values_1, ...).
 *
 * Money: a user attribute holding cost (cost_attr) becomes usage of a
 * resource of the same name priced 1 per unit, and other numeric user
 * attributes usage of their own name (or the one the caller maps them to),
 * so the price book, not the import, says what a trial cost and a new
 * price book re-prices the history. Wall time (complete - start) is usage
 * wall_hours, as the runner measures it.
 *
 * Must never print or exit.
 */
#include "runner/import_optuna.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/numfmt.h"
#include "storage/journal.h"
#include "storage/storage.h"
#include "budgetopt/run.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WALL_RESOURCE "wall_hours"
#define COST_ATTR_DEFAULT "cost"

/* One parameter of the study being built. */
typedef struct pplan {
	char *name;              /* budgetopt name */
	const char *oname;       /* Optuna name (borrowed from the trials) */
	bo_optuna_kind kind;
	double lo, hi, step;
	int log, step_mixed;
	json_t *choices;         /* categorical: union of the labels (owned) */
	int when_param;          /* -1: always active */
	json_t *when_labels;     /* labels of when_param that activate it (owned) */
	size_t nmissing;
} pplan;

typedef struct plan {
	pplan *p;
	size_t np, capp;
	size_t nconstraints;
	char *cost_res;          /* the cost attribute's resource, or NULL if no trial has it */
	const char *cost_attr;
} plan;

static void plan_clear(plan *pl)
{
	size_t i;
	for (i = 0; i < pl->np; i++) {
		bo__free(pl->p[i].name);
		json_decref(pl->p[i].choices);
		json_decref(pl->p[i].when_labels);
	}
	bo__free(pl->p);
	bo__free(pl->cost_res);
	memset(pl, 0, sizeof *pl);
}

int bo__optuna_source_path(const char *url, char *buf, size_t size)
{
	const char *p = url;
	int n;
	if (!strncmp(url, "sqlite:///", 10))
		p = url + 10;   /* SQLAlchemy: sqlite:///rel.db, sqlite:////abs.db */
	else if (!strncmp(url, "sqlite:", 7))
		p = url + 7;
	else if (strstr(url, "://"))
		return bo__error(BO_EINVAL, "%s: only SQLite Optuna storages (sqlite:///file.db) are read", url);
	n = snprintf(buf, size, "%s", p);
	if (n <= 0 || (size_t)n >= size)
		return bo__error(BO_EINVAL, "%s: not a storage path", url);
	return 0;
}

static int is_reserved(const char *s)
{
	static const char *const words[] = {"price", "if", "and", "or", "not", "true", "false", "min",
					    "max", "log", "exp", "sqrt", "abs", "ceil", "floor", "round"};
	size_t i;
	for (i = 0; i < sizeof words / sizeof *words; i++)
		if (!strcmp(s, words[i]))
			return 1;
	return 0;
}

/* A name the study file accepts, made from any text: letters, digits and
 * "_", not starting with a digit, not a reserved word, unlike (ignoring
 * case) every name in taken[0..n). */
static char *clean_name(const char *s, char *const *taken, size_t n, const char *prefix)
{
	char base[128], out[160];
	size_t i, k = 0;
	int suffix = 1, clash;
	if (s[0] >= '0' && s[0] <= '9')
		k = (size_t)snprintf(base, sizeof base, "%s", prefix);
	for (i = 0; s[i] && k < sizeof base - 1; i++) {
		char c = s[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
		base[k++] = ok ? c : '_';
	}
	base[k] = '\0';
	if (!k)
		snprintf(base, sizeof base, "%s", prefix);
	if (is_reserved(base))
		strcat(base, "_");
	snprintf(out, sizeof out, "%s", base);
	do {
		clash = 0;
		for (i = 0; i < n && !clash; i++)
			clash = taken[i] && !strcasecmp(taken[i], out);
		if (clash)
			snprintf(out, sizeof out, "%s_%d", base, ++suffix);
	} while (clash);
	return bo__strdup(out);
}

static int find_label(json_t *choices, json_t *v)
{
	size_t i;
	for (i = 0; i < json_array_size(choices); i++)
		if (json_equal(json_array_get(choices, i), v))
			return (int)i;
	return -1;
}

/* A categorical label as text: strings as they are, numbers in their
 * shortest form, true/false/null as Python writes them (True, False, None). */
static void label_text(json_t *v, char *buf, size_t size)
{
	if (json_is_string(v))
		snprintf(buf, size, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		bo__fmt_num(json_real_value(v), buf, size);
	else if (json_is_true(v))
		snprintf(buf, size, "True");
	else if (json_is_false(v))
		snprintf(buf, size, "False");
	else
		snprintf(buf, size, "None");
}

static int all_numeric(json_t *choices)
{
	size_t i;
	for (i = 0; i < json_array_size(choices); i++)
		if (!json_is_number(json_array_get(choices, i)))
			return 0;
	return 1;
}

static const bo_optuna_param *trial_param(const bo_optuna_trial *t, const char *name)
{
	size_t i;
	for (i = 0; i < t->nparams; i++)
		if (!strcmp(t->params[i].name, name))
			return &t->params[i];
	return NULL;
}

/* Adds what trial parameter q says to plan parameter p. */
static int merge(pplan *p, const bo_optuna_param *q, const char *path)
{
	const bo_optuna_dist *d = &q->dist;
	size_t i;
	if ((p->kind == BO_OPTUNA_CATEGORICAL) != (d->kind == BO_OPTUNA_CATEGORICAL))
		return bo__error(BO_EINVAL, "%s: parameter \"%s\" is categorical in some trials and "
				  "numeric in others: no budgetopt space holds both", path, q->name);
	if (d->kind == BO_OPTUNA_CATEGORICAL) {
		for (i = 0; i < json_array_size(d->choices); i++) {
			json_t *v = json_array_get(d->choices, i);
			if (find_label(p->choices, v) < 0 && json_array_append(p->choices, v) < 0)
				return BO_ENOMEM;
		}
		return 0;
	}
	/* Another step, or another start of a real grid: the grids do not line up. */
	if (d->step != p->step || (d->low != p->lo && p->step != (p->kind == BO_OPTUNA_INT ? 1 : 0)))
		p->step_mixed = 1;
	if (d->kind == BO_OPTUNA_FLOAT)
		p->kind = BO_OPTUNA_FLOAT;   /* int and float mixed: float */
	p->lo = fmin(p->lo, d->low);
	p->hi = fmax(p->hi, d->high);
	p->log &= d->log;
	return 0;
}

/* Trials that ran to the end: what they lack, they did not use. */
static int finished(const bo_optuna_trial *t)
{
	return !strcmp(t->state, "COMPLETE") || !strcmp(t->state, "PRUNED");
}

/* When a parameter is missing from some trials, an earlier categorical
 * parameter whose labels tell the trials that have it from those that do
 * not (Optuna's define-by-run `if family == "svm": C = ...`). */
static int infer_when(plan *pl, size_t k, const bo_optuna_study *o)
{
	pplan *p = &pl->p[k];
	size_t c, i;
	for (c = 0; c < k; c++) {
		pplan *cp = &pl->p[c];
		json_t *on, *off;
		int ok = 1;
		if (cp->kind != BO_OPTUNA_CATEGORICAL)
			continue;
		on = json_array();
		off = json_array();
		if (!on || !off) {
			json_decref(on);
			json_decref(off);
			return BO_ENOMEM;
		}
		for (i = 0; i < o->ntrials && ok; i++) {
			const bo_optuna_trial *t = &o->trials[i];
			const bo_optuna_param *q = trial_param(t, p->oname), *cq = trial_param(t, cp->oname);
			json_t *label;
			if (!finished(t))
				continue;   /* a trial that stopped early may lack what it would have had */
			if (!cq) {
				ok = !q;
				continue;
			}
			label = json_array_get(cq->dist.choices, (size_t)cq->value);
			if (find_label(q ? off : on, label) >= 0)
				ok = 0;   /* the same label with and without the parameter */
			else if (find_label(q ? on : off, label) < 0)
				json_array_append(q ? on : off, label);
		}
		/* Every label: active whenever the categorical is, no condition of its own. */
		if (ok && json_array_size(on) > 0 && json_array_size(on) < json_array_size(cp->choices)) {
			p->when_param = (int)c;
			p->when_labels = on;
			json_decref(off);
			return 0;
		}
		json_decref(on);
		json_decref(off);
	}
	return 0;
}

static int build_plan(plan *pl, const bo_optuna_study *o, const bo_optuna_import_options *opt,
		      const char *path, bo_strbuf *notes)
{
	char **taken = NULL;
	size_t i, j, ntaken = 0, capt = 0;
	int rc = 0;

	pl->cost_attr = opt->cost_attr ? opt->cost_attr : COST_ATTR_DEFAULT;
	for (i = 0; i < o->ntrials; i++) {
		const bo_optuna_trial *t = &o->trials[i];
		if (t->constraints && json_array_size(t->constraints) > pl->nconstraints)
			pl->nconstraints = json_array_size(t->constraints);
		if (!pl->cost_res && json_is_number(json_object_get(t->user_attrs, pl->cost_attr)))
			pl->cost_res = clean_name(pl->cost_attr, NULL, 0, "cost_");
		for (j = 0; j < t->nparams; j++) {
			const bo_optuna_param *q = &t->params[j];
			size_t k;
			for (k = 0; k < pl->np && strcmp(pl->p[k].oname, q->name); k++)
				;
			if (k == pl->np) {
				pplan *p;
				if (bo__grow(&pl->p, &pl->capp, pl->np + 1, sizeof *pl->p) < 0) {
					rc = BO_ENOMEM;
					goto done;
				}
				p = &pl->p[pl->np++];
				memset(p, 0, sizeof *p);
				p->oname = q->name;
				p->kind = q->dist.kind;
				p->lo = q->dist.low;
				p->hi = q->dist.high;
				p->step = q->dist.step;
				p->log = q->dist.log;
				p->when_param = -1;
				if (q->dist.kind == BO_OPTUNA_CATEGORICAL && !(p->choices = json_array())) {
					rc = BO_ENOMEM;
					goto done;
				}
			}
			if ((rc = merge(&pl->p[k], q, path)) < 0)
				goto done;
		}
	}
	if (pl->np == 0) {
		rc = bo__error(BO_EINVAL, "%s: Optuna study \"%s\" has no parameters in any trial: "
				  "nothing to make a space of", path, o->name);
		goto done;
	}
	for (i = 0; i < pl->np; i++) {
		pplan *p = &pl->p[i];
		if (bo__grow(&taken, &capt, ntaken + 1, sizeof *taken) < 0) {
			rc = BO_ENOMEM;
			goto done;
		}
		/* Objectives are value / values_<i>, constraints constraint_<i>: a
		 * parameter of such a name is renamed. */
		if (!strcmp(p->oname, "value") || !strncmp(p->oname, "values_", 7) ||
		    !strncmp(p->oname, "constraint_", 11)) {
			char tmp[160];
			snprintf(tmp, sizeof tmp, "param_%s", p->oname);
			p->name = clean_name(tmp, taken, ntaken, "p_");
		} else {
			p->name = clean_name(p->oname, taken, ntaken, "p_");
		}
		if (!p->name) {
			rc = BO_ENOMEM;
			goto done;
		}
		taken[ntaken++] = p->name;
		if (strcmp(p->name, p->oname))
			bo__sb_printf(notes, "Optuna parameter \"%s\" is \"%s\" here (a name the study file "
					     "accepts)\n", p->oname, p->name);
		if (p->step_mixed) {
			bo__sb_printf(notes, "parameter \"%s\": trials used different ranges or steps; the "
					     "space is their union, without a step\n", p->name);
			p->step = p->kind == BO_OPTUNA_INT ? 1 : 0;
		}
		if (p->step > 0 && (p->kind == BO_OPTUNA_FLOAT || p->step != 1) && !(p->step <= p->hi - p->lo))
			p->step = p->kind == BO_OPTUNA_INT ? 1 : 0;
		for (j = 0; j < o->ntrials; j++)
			if (finished(&o->trials[j]) && !trial_param(&o->trials[j], p->oname))
				p->nmissing++;
		if (p->nmissing) {
			if ((rc = infer_when(pl, i, o)) < 0)
				goto done;
			if (p->when_param < 0)
				bo__sb_printf(notes, "parameter \"%s\" is missing from %zu trials and no earlier "
						     "categorical parameter says when: it is always active here, "
						     "inactive in those trials\n", p->name, p->nmissing);
		}
	}
done:
	bo__free(taken);
	return rc;
}

static void yaml_str(bo_strbuf *sb, const char *s)
{
	const unsigned char *p;
	bo__sb_putc(sb, '"');
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			bo__sb_printf(sb, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			bo__sb_printf(sb, "\\x%02x", *p);
		else
			bo__sb_putc(sb, (char)*p);
	}
	bo__sb_putc(sb, '"');
}

static void yaml_num(bo_strbuf *sb, double v)
{
	char buf[40];
	bo__fmt_num(v, buf, sizeof buf);
	bo__sb_puts(sb, buf);
}

/* The labels of a choice, comma-separated: numbers as numbers when num,
 * else quoted strings. */
static void yaml_labels(bo_strbuf *sb, const json_t *labels, int num)
{
	size_t j;
	for (j = 0; j < json_array_size(labels); j++) {
		char lab[512];
		json_t *v = json_array_get(labels, j);
		if (j)
			bo__sb_puts(sb, ", ");
		if (num)
			yaml_num(sb, json_number_value(v));
		else {
			label_text(v, lab, sizeof lab);
			yaml_str(sb, lab);
		}
	}
}

static int cmp_map(const void *a, const void *b)
{
	return strcmp(((const bo_optuna_map *)a)->from, ((const bo_optuna_map *)b)->from);
}

static int build_yaml(bo_strbuf *sb, const plan *pl, const bo_optuna_study *o,
		      const bo_optuna_import_options *opt, const char *name, const char *ledger_uri,
		      const char *source)
{
	size_t i, j;
	bo_optuna_map *pr = NULL;
	size_t npr = opt->nprices;
	bo__sb_printf(sb, "# Imported from the Optuna study \"%s\" in %s\n", o->name, source);
	bo__sb_printf(sb, "# (Optuna %s, schema %s) by budgetopt import-optuna.\n", o->library_version, o->schema);
	bo__sb_printf(sb, "name: %s\n\nspace:\n", name);
	for (i = 0; i < pl->np; i++) {
		const pplan *p = &pl->p[i];
		bo__sb_printf(sb, "  %s: {", p->name);
		if (p->kind == BO_OPTUNA_CATEGORICAL) {
			bo__sb_puts(sb, "choice: [");
			yaml_labels(sb, p->choices, all_numeric(p->choices));
			bo__sb_putc(sb, ']');
		} else {
			bo__sb_printf(sb, "%s: [", p->kind == BO_OPTUNA_INT ? "int" : "float");
			yaml_num(sb, p->lo);
			bo__sb_puts(sb, ", ");
			yaml_num(sb, p->hi);
			bo__sb_putc(sb, ']');
			if (p->log)
				bo__sb_puts(sb, ", log: true");
			if (p->step > 0 && !(p->kind == BO_OPTUNA_INT && p->step == 1)) {
				bo__sb_puts(sb, ", step: ");
				yaml_num(sb, p->step);
			}
		}
		if (p->when_param >= 0) {
			const pplan *c = &pl->p[p->when_param];
			bo__sb_printf(sb, ", when: {%s: [", c->name);
			/* written as the parent's labels are */
			yaml_labels(sb, p->when_labels, all_numeric(c->choices));
			bo__sb_puts(sb, "]}");
		}
		bo__sb_puts(sb, "}\n");
	}

	bo__sb_printf(sb, "\nprices:\n  version: optuna-import\n  currency: %s\n",
		      opt->currency ? opt->currency : "USD");
	if (pl->cost_res)
		bo__sb_printf(sb, "  %s: 1          # user attribute \"%s\" holds each trial's cost\n",
			      pl->cost_res, pl->cost_attr);
	if (npr && !(pr = bo__calloc(npr, sizeof *pr)))
		return BO_ENOMEM;
	if (npr)
		memcpy(pr, opt->prices, npr * sizeof *pr);
	if (npr)
		qsort(pr, npr, sizeof *pr, cmp_map);
	for (i = 0; i < npr; i++) {
		const char *dot = strchr(pr[i].from, '.');
		if (!dot) {
			bo__sb_printf(sb, "  %s: %s\n", pr[i].from, pr[i].to);
			continue;
		}
		/* "gpu_hours.a100": a table gpu_hours with key a100; one table per prefix. */
		bo__sb_printf(sb, "  %.*s: {", (int)(dot - pr[i].from), pr[i].from);
		for (j = i; j < npr && !strncmp(pr[j].from, pr[i].from, (size_t)(dot - pr[i].from) + 1); j++)
			bo__sb_printf(sb, "%s%s: %s", j > i ? ", " : "", pr[j].from + (dot - pr[i].from) + 1, pr[j].to);
		bo__sb_puts(sb, "}\n");
		i = j - 1;
	}
	bo__free(pr);

	bo__sb_puts(sb, "\nmetrics:                  # Optuna's objectives, named as trials_dataframe() names them\n");
	for (i = 0; i < o->nobjectives; i++) {
		if (o->nobjectives == 1)
			bo__sb_puts(sb, "  value: ");
		else
			bo__sb_printf(sb, "  values_%zu: ", i);
		bo__sb_puts(sb, o->directions[i] > 0 ? "{maximize: true}\n" : "{minimize: true}\n");
	}
	for (i = 0; i < pl->nconstraints; i++)
		bo__sb_printf(sb, "  constraint_%zu: {optional: true}   # Optuna constraint: feasible when <= 0\n", i);
	bo__sb_puts(sb, "objectives: [");
	for (i = 0; i < o->nobjectives; i++) {
		if (o->nobjectives == 1)
			bo__sb_puts(sb, "value");
		else
			bo__sb_printf(sb, "%svalues_%zu", i ? ", " : "", i);
	}
	bo__sb_puts(sb, "]\n");
	if (o->nobjectives == 1)   /* Optuna's best_trial: the best value */
		bo__sb_printf(sb, "score: {%s: value}\n", o->directions[0] > 0 ? "maximize" : "minimize");
	if (pl->nconstraints) {
		bo__sb_puts(sb, "guardrails:\n");
		for (i = 0; i < pl->nconstraints; i++)
			bo__sb_printf(sb, "  - \"constraint_%zu <= 0\"\n", i);
	}
	bo__sb_puts(sb, "\n# budget:                 # say what the rest of the search may spend\n"
			"#   money: 10.00\n\n");
	bo__sb_puts(sb, "evaluator:                # replace with the program that runs one trial\n"
			"  command: [python3, evaluate.py");
	for (i = 0; i < pl->np; i++)
		bo__sb_printf(sb, ", --%s, \"{%s}\"", pl->p[i].name, pl->p[i].name);
	bo__sb_puts(sb, "]\n\nsampler: auto\n");
	if (ledger_uri) {
		bo__sb_puts(sb, "storage: ");
		yaml_str(sb, ledger_uri);
		bo__sb_putc(sb, '\n');
	}
	return 0;
}

/* The study name from Optuna's: [A-Za-z0-9_.-]+. */
static void study_name(const char *from, char *buf, size_t size)
{
	size_t i, k = 0;
	for (i = 0; from[i] && k + 1 < size && k < 100; i++) {
		char c = from[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			 c == '_' || c == '.' || c == '-';
		buf[k++] = ok ? c : '_';
	}
	buf[k] = '\0';
	if (!k)
		snprintf(buf, size, "optuna");
}

int bo__optuna_prepare(bo_optuna_import *out, const bo_optuna_import_options *o, bo_strbuf *notes)
{
	char path[PATH_MAX], dir[PATH_MAX], name[128], uri[PATH_MAX + 16];
	const char *ledger_uri = NULL;
	bo_strbuf sb = BO_STRBUF_INIT;
	bo_diags *diags = NULL;
	plan pl;
	size_t i;
	int rc;
	char *slash;

	memset(out, 0, sizeof *out);
	memset(&pl, 0, sizeof pl);
	if (!o->source || !o->study || !o->to)
		return bo__error(BO_EMISUSE, "import-optuna: a source, a study and a study file are needed");
	for (i = 0; i < o->nprices; i++) {
		char *end;
		double v;
		errno = 0;
		v = strtod(o->prices[i].to, &end);
		if (end == o->prices[i].to || *end || errno || !(v >= 0) || !isfinite(v))
			return bo__error(BO_EINVAL, "--price %s=%s: a price is a number >= 0", o->prices[i].from,
					 o->prices[i].to);
	}
	if ((rc = bo__optuna_source_path(o->source, path, sizeof path)) < 0)
		return rc;
	if ((rc = bo__optuna_read(&out->optuna, path, o->study)) < 0)
		return rc;
	if ((rc = build_plan(&pl, &out->optuna, o, path, notes)) < 0)
		goto done;
	study_name(o->name ? o->name : out->optuna.name, name, sizeof name);
	if (o->name && strcmp(name, o->name)) {
		rc = bo__error(BO_EINVAL, "--name \"%s\": a study name is letters, digits, \"_\", \".\" and \"-\"", o->name);
		goto done;
	}
	/* The study's folder: the study file's, absolute. */
	snprintf(dir, sizeof dir, "%s", o->to);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		snprintf(dir, sizeof dir, ".");
	if (o->storage) {
		char lp[PATH_MAX], abs[PATH_MAX];
		if ((rc = bo__storage_file(o->storage, lp, sizeof lp)) < 0)
			goto done;
		if (lp[0] != '/') {
			if (!getcwd(abs, sizeof abs)) {
				rc = bo__error(BO_EIO, "cannot read the current folder: %s", strerror(errno));
				goto done;
			}
			if (snprintf(uri, sizeof uri, "sqlite://%s/%s", abs, lp) >= (int)sizeof uri) {
				rc = bo__error(BO_EINVAL, "--storage %s: path too long", o->storage);
				goto done;
			}
		} else {
			snprintf(uri, sizeof uri, "sqlite://%s", lp);
		}
		ledger_uri = uri;
	}
	if ((rc = build_yaml(&sb, &pl, &out->optuna, o, name, ledger_uri, o->source)) < 0)
		goto done;
	if (!bo__sb_str(&sb)) {
		rc = BO_ENOMEM;
		goto done;
	}
	if ((rc = bo_study_parse(&out->study, sb.s, sb.len, o->to, dir, &diags)) < 0) {
		if (rc == BO_ENOMEM)
			goto done;
		rc = bo__error(BO_EINVAL, "the study made from Optuna study \"%s\" does not read back: %s",
			       out->optuna.name, bo_error_last());
		goto done;
	}
	out->yaml = bo__sb_take(&sb);
	{
		char l[PATH_MAX];
		if ((rc = bo_run_storage_uri(out->study, NULL, l, sizeof l)) < 0 ||
		    (rc = bo__storage_file(l, out->ledger, sizeof out->ledger)) < 0)
			goto done;
	}
	out->nparams = pl.np;
	if (!(out->optuna_names = bo__calloc(pl.np, sizeof *out->optuna_names))) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < pl.np; i++)
		if (!(out->optuna_names[i] = bo__strdup(pl.p[i].oname))) {
			rc = BO_ENOMEM;
			goto done;
		}
	{
		/* Attributes that are not numbers are not imported: say which. */
		json_t *seen = json_object();
		for (i = 0; seen && i < out->optuna.ntrials; i++) {
			const char *k;
			json_t *v;
			json_object_foreach(out->optuna.trials[i].user_attrs, k, v)
				if (!json_is_number(v) && !json_object_get(seen, k)) {
					json_object_set_new(seen, k, json_true());
					bo__sb_printf(notes, "user attribute \"%s\" is not a number in trial %lld: "
							     "not imported there\n", k, (long long)out->optuna.trials[i].number);
				}
		}
		json_decref(seen);
	}
	if (pl.cost_res && !(out->cost_res = bo__strdup(pl.cost_res))) {
		rc = BO_ENOMEM;
		goto done;
	}
done:
	bo_diags_free(diags);
	bo__sb_clear(&sb);
	plan_clear(&pl);
	if (rc < 0)
		bo__optuna_import_clear(out);
	return rc;
}

void bo__optuna_import_clear(bo_optuna_import *imp)
{
	size_t i;
	if (!imp)
		return;
	bo__optuna_study_clear(&imp->optuna);
	bo__free(imp->yaml);
	bo_study_free(imp->study);
	for (i = 0; imp->optuna_names && i < imp->nparams; i++)
		bo__free(imp->optuna_names[i]);
	bo__free(imp->optuna_names);
	bo__free(imp->cost_res);
	memset(imp, 0, sizeof *imp);
}
