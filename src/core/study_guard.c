/*
 * core/study_guard.c - the safeguards of a study file: budget: rate and
 * budget: anomaly, alerts: and limits: (issue 11, item 4).
 *
 * Hooked from the study reader (core/study_yaml.c), whose tree and
 * diagnostics it shares (core/study_yaml_int.h); the runner applies what
 * is read here (runner/safeguards.c). Must never print, exit or abort.
 */
#include "core/study_yaml_int.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

/* The placeholders an alert hook's arguments may hold. */
static const char *const ALERT_FIELDS[] = {"threshold", "spent", "budget", "currency", "study",
					   NULL};

void bo__study_guard_defaults(bo_study *s)
{
	bo_guard *g = &s->guard;
	memset(g, 0, sizeof *g);
	g->rate_money = NAN;
	g->rate_per_s = NAN;
	g->anomaly_k = BO_ANOMALY_K;
	g->nalerts = 3;
	g->alerts[0] = 0.5;
	g->alerts[1] = 0.8;
	g->alerts[2] = 0.95;
	g->alert_timeout_s = BO_ALERT_TIMEOUT_S;
}

void bo__study_guard_clear(bo_study *s)
{
	size_t i;
	if (!s)
		return;
	for (i = 0; s->guard.alert_argv && i < s->guard.alert_argc; i++)
		bo__free(s->guard.alert_argv[i]);
	bo__free(s->guard.alert_argv);
	bo__free(s->guard.limits);
	s->guard.alert_argv = NULL;
	s->guard.limits = NULL;
	s->guard.alert_argc = s->guard.nlimits = 0;
}

static int is_word(const ynode *n, const char *w)
{
	return n->type == YN_SCALAR && n->plain && strcmp(n->str, w) == 0;
}

void bo__study_read_guard_budget(rd *r, const ynode *m)
{
	static const char *const rkeys[] = {"money", "per", NULL};
	bo_guard *g = &r->s->guard;
	const ynode *n;
	double v;

	if ((n = bo__yaml_get(m, "rate"))) {
		if (n->type != YN_MAP) {
			bo__yaml_diag(r, n, "budget: rate: expected a mapping such as {money: 50, per: 1h}, "
					    "found %s", bo__yaml_kind(n));
		} else {
			const ynode *x;
			bo__yaml_check_keys(r, n, rkeys, "budget: rate");
			if (!(x = bo__yaml_get(n, "money")))
				bo__yaml_diag(r, n, "budget: rate: missing \"money\" (the most that may be "
						    "charged and reserved per window)");
			else if (bo__yaml_number(r, x, "budget: rate: money", &v) == 0) {
				if (!(v > 0))
					bo__yaml_diag(r, x, "budget: rate: money: must be more than 0, found %s",
						      x->str);
				else
					g->rate_money = v;
			}
			if (!(x = bo__yaml_get(n, "per")))
				bo__yaml_diag(r, n, "budget: rate: missing \"per\" (the window, such as 1h)");
			else
				bo__yaml_duration(r, x, "budget: rate: per", &g->rate_per_s);
			if (!isfinite(g->rate_per_s))
				g->rate_money = NAN;
		}
	}
	if ((n = bo__yaml_get(m, "anomaly"))) {
		if (is_word(n, "off") || is_word(n, "none") || is_word(n, "false"))
			g->anomaly_k = 0;
		else if (n->type == YN_SCALAR && n->plain && bo__yaml_number(r, n, "budget: anomaly", &v) == 0) {
			if (!(v > 1))
				bo__yaml_diag(r, n, "budget: anomaly: must be more than 1 (a multiple of the "
						    "predicted cost), or off; found %s", n->str);
			else
				g->anomaly_k = v;
		} else if (!(n->type == YN_SCALAR && n->plain)) {
			bo__yaml_diag(r, n, "budget: anomaly: expected a number more than 1 or off, found %s",
				      bo__yaml_kind(n));
		}
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Checks the {name} placeholders of one argument of the alert hook. */
static void check_fields(rd *r, const ynode *n, const char *arg)
{
	const char *p = arg, *e;
	size_t k;
	while ((p = strchr(p, '{')) && (e = strchr(p, '}'))) {
		int found = 0;
		for (k = 0; ALERT_FIELDS[k]; k++)
			if ((size_t)(e - p - 1) == strlen(ALERT_FIELDS[k]) &&
			    !strncmp(p + 1, ALERT_FIELDS[k], (size_t)(e - p - 1)))
				found = 1;
		if (!found) {
			bo__yaml_diag(r, n, "alerts: command: unknown placeholder \"%.*s\" (known: {threshold}, "
					    "{spent}, {budget}, {currency}, {study})", (int)(e - p + 1), p);
			return;
		}
		p = e + 1;
	}
}

static void read_alerts(rd *r, const ynode *top)
{
	static const char *const keys[] = {"at", "command", "timeout", NULL};
	bo_guard *g = &r->s->guard;
	const ynode *m = bo__yaml_get(top, "alerts"), *n;
	size_t i;

	if (!m)
		return;
	if (m->type != YN_MAP) {
		bo__yaml_diag(r, m, "alerts: expected a mapping such as {at: [0.5, 0.8, 0.95], command: "
				    "[notify, \"{threshold}\"]}, found %s", bo__yaml_kind(m));
		return;
	}
	bo__yaml_check_keys(r, m, keys, "alerts");
	if (!isfinite(r->s->budget.money))
		bo__yaml_diag(r, m, "alerts: the study has no money budget to take fractions of "
				    "(add budget: money)");
	if ((n = bo__yaml_get(m, "at"))) {
		if (n->type != YN_SEQ) {
			bo__yaml_diag(r, n, "alerts: at: expected a list of fractions of the money budget "
					    "such as [0.5, 0.8, 0.95], found %s", bo__yaml_kind(n));
		} else if (n->n > BO_ALERTS_MAX) {
			bo__yaml_diag(r, n, "alerts: at: at most %d thresholds, found %zu", BO_ALERTS_MAX, n->n);
		} else {
			g->nalerts = 0;
			for (i = 0; i < n->n; i++) {
				double v;
				const ynode *x = n->kids[i];
				if (bo__yaml_number(r, x, "alerts: at", &v) < 0)
					continue;
				if (!(v > 0 && v <= 1)) {
					bo__yaml_diag(r, x, "alerts: at: a threshold is a fraction of the money "
							    "budget in (0, 1], found %s (for 80%% write 0.8)", x->str);
					continue;
				}
				g->alerts[g->nalerts++] = v;
			}
			qsort(g->alerts, g->nalerts, sizeof *g->alerts, cmp_double);
			for (i = 1; i < g->nalerts; i++)
				if (g->alerts[i] == g->alerts[i - 1]) {
					bo__yaml_diag(r, n, "alerts: at: threshold %g is given twice", g->alerts[i]);
					break;
				}
		}
	}
	if ((n = bo__yaml_get(m, "timeout")))
		bo__yaml_duration(r, n, "alerts: timeout", &g->alert_timeout_s);
	if ((n = bo__yaml_get(m, "command"))) {
		if (n->type != YN_SEQ || n->n == 0) {
			bo__yaml_diag(r, n, "alerts: command: expected a non-empty list of arguments (run "
					    "without a shell), found %s", n->type == YN_SEQ ? "an empty list"
											 : bo__yaml_kind(n));
			return;
		}
		g->alert_argv = bo__calloc(n->n + 1, sizeof *g->alert_argv);
		if (!g->alert_argv) {
			r->nomem = 1;
			return;
		}
		for (i = 0; i < n->n; i++) {
			const char *t = bo__yaml_text(r, n->kids[i], "alerts: command");
			if (!t)
				continue;
			check_fields(r, n->kids[i], t);
			if (!(g->alert_argv[g->alert_argc++] = bo__strdup(t))) {
				r->nomem = 1;
				return;
			}
		}
	}
}

static void read_limits(rd *r, const ynode *top)
{
	static const char *const keys[] = {"max_trials_per", NULL};
	bo_study *s = r->s;
	bo_guard *g = &s->guard;
	const ynode *m = bo__yaml_get(top, "limits"), *n;
	size_t i;

	if (!m)
		return;
	if (m->type != YN_MAP) {
		bo__yaml_diag(r, m, "limits: expected a mapping such as {max_trials_per: {family: 20}}, "
				    "found %s", bo__yaml_kind(m));
		return;
	}
	bo__yaml_check_keys(r, m, keys, "limits");
	if (!(n = bo__yaml_get(m, "max_trials_per")))
		return;
	if (n->type != YN_MAP) {
		bo__yaml_diag(r, n, "limits: max_trials_per: expected a mapping of parameter: most "
				    "trials per value, such as {family: 20}, found %s", bo__yaml_kind(n));
		return;
	}
	g->limits = bo__calloc(n->n / 2 + 1, sizeof *g->limits);
	if (!g->limits) {
		r->nomem = 1;
		return;
	}
	for (i = 0; i + 1 < n->n; i += 2) {
		const ynode *key = n->kids[i], *val = n->kids[i + 1];
		long long max;
		int p;
		if (key->type != YN_SCALAR)
			continue;
		p = bo__study_find_param(s, key->str);
		if (p < 0) {
			char known[256];
			size_t k, len = 0;
			known[0] = '\0';
			for (k = 0; k < s->nparams && len + 2 < sizeof known; k++)
				if (s->params[k].type != BO_PT_FLOAT)
					len += (size_t)snprintf(known + len, sizeof known - len, "%s%s",
								len ? ", " : "", s->params[k].name);
			bo__yaml_diag(r, key, "limits: max_trials_per: unknown parameter \"%s\"%s%s%s", key->str,
				      len ? " (choice and int parameters: " : "", known, len ? ")" : "");
			continue;
		}
		if (s->params[p].type == BO_PT_FLOAT) {
			bo__yaml_diag(r, key, "limits: max_trials_per: \"%s\" is a float parameter; a limit "
					      "per value needs a choice, ordinal or int parameter", key->str);
			continue;
		}
		if (bo__yaml_int(r, val, "limits: max_trials_per", 1, LLONG_MAX, &max) < 0)
			continue;
		g->limits[g->nlimits].param = p;
		g->limits[g->nlimits].max = (int64_t)max;
		g->limits[g->nlimits].pos.line = key->line;
		g->limits[g->nlimits].pos.col = key->col;
		g->nlimits++;
	}
}

static void read_rollback(rd *r, const ynode *top)
{
	static const char *const keys[] = {"every", "noise", NULL};
	bo_guard *g = &r->s->guard;
	const ynode *m = bo__yaml_get(top, "rollback"), *n;
	long long every;
	double v;

	if (!m)
		return;
	if (m->type != YN_MAP) {
		bo__yaml_diag(r, m, "rollback: expected a mapping such as {every: 10, noise: 0.01}, found %s",
			      bo__yaml_kind(m));
		return;
	}
	bo__yaml_check_keys(r, m, keys, "rollback");
	if (!r->s->score)
		bo__yaml_diag(r, m, "rollback: the study has no score to compare re-evaluations by "
				    "(add score:)");
	if (!(n = bo__yaml_get(m, "every")))
		bo__yaml_diag(r, m, "rollback: missing \"every\" (re-evaluate the incumbent after this "
				    "many trials)");
	else if (bo__yaml_int(r, n, "rollback: every", 1, LLONG_MAX, &every) == 0)
		g->rollback_every = (int64_t)every;
	if ((n = bo__yaml_get(m, "noise")) && bo__yaml_number(r, n, "rollback: noise", &v) == 0) {
		if (!(v >= 0))
			bo__yaml_diag(r, n, "rollback: noise: must be 0 or more, found %s", n->str);
		else
			g->rollback_noise = v;
	}
}

void bo__study_read_guard(rd *r, const ynode *top)
{
	read_alerts(r, top);
	read_limits(r, top);
	read_rollback(r, top);
}
