/*
 * core/study.c - the study model once read: look-ups by name, price book,
 * parameter values as text, configuration checks, and evaluation of derived
 * metrics, guardrails and the score.
 *
 * Pure: no files, no clock, no globals. Must never print, exit or abort,
 * and never modify a study after the reader built it.
 */
#include "core/model.h"
#include "core/strbuf.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/study_yaml_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Relative tolerance when checking that a value lies on a step grid or is
 * an integer: values that went through text and back are exact, values
 * computed by samplers as lo + k * step may be off by a few ulps. */
#define BO_GRID_RTOL 1e-9

/* ---- freeing ---------------------------------------------------------- */

static void free_strv(char **v, size_t n)
{
	size_t i;
	if (!v)
		return;
	for (i = 0; i < n; i++)
		bo__free(v[i]);
	bo__free(v);
}

void bo_study_free(bo_study *s)
{
	size_t i;
	if (!s)
		return;
	bo__free(s->path);
	bo__free(s->dir);
	bo__free(s->text);
	bo__free(s->name);
	for (i = 0; s->params && i < s->nparams; i++) {
		bo_param *p = &s->params[i];
		bo__free(p->name);
		free_strv(p->choices, p->nchoices);
		bo__free(p->choice_num);
		bo__expr_free(p->when);
		bo__free(p->when_text);
	}
	bo__free(s->params);
	free_strv(s->catalog.names, s->catalog.ncolumns);
	free_strv(s->catalog.columns, s->catalog.ncolumns);
	bo__free(s->catalog.where_text);
	bo__free(s->catalog.label);
	bo__expr_free(s->catalog.where);
	bo__study_guard_clear(s);
	for (i = 0; s->constraints && i < s->nconstraints; i++) {
		bo__free(s->constraints[i].text);
		bo__expr_free(s->constraints[i].expr);
	}
	bo__free(s->constraints);
	for (i = 0; s->inputs && i < s->ninputs; i++)
		bo__free(s->inputs[i].name);
	bo__free(s->inputs);
	bo__free(s->prices.version);
	bo__free(s->prices.currency);
	for (i = 0; s->prices.items && i < s->prices.n; i++) {
		bo_price *p = &s->prices.items[i];
		bo__free(p->name);
		free_strv(p->keys, p->nkeys);
		bo__free(p->values);
		bo__free(p->dists);
	}
	bo__free(s->prices.items);
	for (i = 0; s->scenarios && i < s->nscenarios; i++) {
		bo__free(s->scenarios[i].name);
		bo__free(s->scenarios[i].values);
	}
	bo__free(s->scenarios);
	bo__free(s->repeat_seeds);
	/* every distribution is on this list from the moment it is made */
	for (i = 0; s->uncertain && i < s->nuncertain; i++)
		bo__dist_free(s->uncertain[i]);
	bo__free(s->uncertain);
	for (i = 0; s->metrics && i < s->nmetrics; i++)
		bo__free(s->metrics[i].name);
	bo__free(s->metrics);
	for (i = 0; s->derived && i < s->nderived; i++) {
		bo__free(s->derived[i].name);
		bo__free(s->derived[i].text);
		bo__expr_free(s->derived[i].expr);
	}
	bo__free(s->derived);
	bo__free(s->derived_order);
	for (i = 0; s->objectives && i < s->nobjectives; i++) {
		bo__free(s->objectives[i].name);
		bo__free(s->objectives[i].label);
	}
	bo__free(s->objectives);
	for (i = 0; s->guardrails && i < s->nguardrails; i++) {
		bo__free(s->guardrails[i].text);
		bo__expr_free(s->guardrails[i].expr);
	}
	bo__free(s->guardrails);
	bo__free(s->score_text);
	bo__expr_free(s->score);
	free_strv(s->evaluator.argv, s->evaluator.argc);
	bo__free(s->evaluator.workdir);
	free_strv(s->evaluator.env, s->evaluator.nenv);
	bo__slurm_opts_clear(&s->evaluator.slurm);
	free_strv(s->pruner.metrics, s->pruner.nmetrics);
	bo__free(s->pruner.goals);
	bo__free(s->sampler);
	bo__free(s->storage);
	bo__free(s);
}

/* ---- accessors -------------------------------------------------------- */

const char *bo_study_name(const bo_study *s)
{
	return s && s->name ? s->name : "";
}

const char *bo_study_path(const bo_study *s)
{
	return s && s->path ? s->path : "<string>";
}

const char *bo_study_hash(const bo_study *s)
{
	return s ? s->hash : "";
}

const char *bo_study_space_hash(const bo_study *s)
{
	return s ? s->space_hash : "";
}

/* ---- look-ups --------------------------------------------------------- */

#define FIND(arr, n, field)                                        \
	do {                                                       \
		size_t i_;                                         \
		if (!s || !name)                                   \
			return -1;                                 \
		for (i_ = 0; i_ < (n); i_++)                       \
			if (strcmp((arr)[i_].field, name) == 0)    \
				return (int)i_;                    \
		return -1;                                         \
	} while (0)

int bo__study_find_param(const bo_study *s, const char *name)
{
	FIND(s->params, s->nparams, name);
}

int bo__study_find_metric(const bo_study *s, const char *name)
{
	FIND(s->metrics, s->nmetrics, name);
}

int bo__study_find_derived(const bo_study *s, const char *name)
{
	FIND(s->derived, s->nderived, name);
}

int bo__study_find_input(const bo_study *s, const char *name)
{
	FIND(s->inputs, s->ninputs, name);
}

int bo__study_find_price(const bo_study *s, const char *name)
{
	FIND(s->prices.items, s->prices.n, name);
}

int bo__pricebook_lookup(const bo_pricebook *pb, int index, const char *key, double *out)
{
	const bo_price *p;
	size_t i;
	if (!pb || index < 0 || (size_t)index >= pb->n)
		return bo__error(BO_ENOTFOUND, "no such price");
	p = &pb->items[index];
	if (!p->is_table) {
		*out = p->value;
		return 0;
	}
	if (key) {
		for (i = 0; i < p->nkeys; i++) {
			if (strcmp(p->keys[i], key) == 0) {
				*out = p->values[i];
				return 0;
			}
		}
	}
	return bo__error(BO_ENOTFOUND, "price table \"%s\" has no key \"%s\"", p->name,
			 key ? key : "");
}

int bo__pricebook_unit_price(const bo_pricebook *pb, const char *resource, double *out)
{
	size_t i;
	const char *dot;
	if (!pb || !resource)
		return bo__error(BO_ENOTFOUND, "no price");
	/* A scalar entry named exactly like the resource wins. */
	for (i = 0; i < pb->n; i++) {
		if (!pb->items[i].is_table && strcmp(pb->items[i].name, resource) == 0) {
			*out = pb->items[i].value;
			return 0;
		}
	}
	dot = strchr(resource, '.');
	if (dot) {
		size_t n = (size_t)(dot - resource);
		for (i = 0; i < pb->n; i++) {
			const bo_price *p = &pb->items[i];
			size_t k;
			if (!p->is_table || strlen(p->name) != n ||
			    memcmp(p->name, resource, n) != 0)
				continue;
			for (k = 0; k < p->nkeys; k++) {
				if (strcmp(p->keys[k], dot + 1) == 0) {
					*out = p->values[k];
					return 0;
				}
			}
		}
	}
	return bo__error(BO_ENOTFOUND, "no price for usage \"%s\"", resource);
}

/* ---- values as text --------------------------------------------------- */

static size_t put(char *buf, size_t size, const char *s)
{
	size_t n = strlen(s);
	if (size) {
		size_t k = n < size - 1 ? n : size - 1;
		memcpy(buf, s, k);
		buf[k] = '\0';
		return k;
	}
	return 0;
}

static int choice_index(const bo_param *p, double x, size_t *idx)
{
	if (!(x >= 0) || x != floor(x) || x >= (double)p->nchoices)
		return 0;
	*idx = (size_t)x;
	return 1;
}

size_t bo__param_format(const bo_param *p, double x, char *buf, size_t size)
{
	char tmp[64];
	size_t idx;
	if (!p || isnan(x))
		return put(buf, size, "");
	switch (p->type) {
	case BO_PT_CHOICE:
	case BO_PT_ORDINAL:
		if (!choice_index(p, x, &idx))
			return put(buf, size, "");
		return put(buf, size, p->choices[idx]);
	case BO_PT_INT:
		if (x == floor(x) && fabs(x) < 9.2e18) {
			snprintf(tmp, sizeof tmp, "%lld", (long long)x);
			return put(buf, size, tmp);
		}
		/* not an integer: write it exactly anyway */
		/* fall through */
	case BO_PT_FLOAT:
	default: {
		static const char *const fmts[] = {"%.15g", "%.16g", "%.17g"};
		int k;
		for (k = 0; k < 3; k++) {
			snprintf(tmp, sizeof tmp, fmts[k], x);
			if (k == 2 || strtod(tmp, NULL) == x)
				break;
		}
		return put(buf, size, tmp);
	}
	}
}

/* Reads a whole string as a finite double. */
static int read_number(const char *text, double *x)
{
	char *end;
	double v;
	if (!text || !*text)
		return 0;
	v = strtod(text, &end);
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end || end == text || !isfinite(v))
		return 0;
	*x = v;
	return 1;
}

int bo__param_parse(const bo_param *p, const char *text, double *x)
{
	double v;
	size_t i;
	if (!p || !text || !x)
		return bo__error(BO_EINVAL, "no value");
	if (p->type == BO_PT_CHOICE || p->type == BO_PT_ORDINAL) {
		for (i = 0; i < p->nchoices; i++) {
			if (strcmp(p->choices[i], text) == 0) {
				*x = (double)i;
				return 0;
			}
		}
		if (p->numeric_choices && read_number(text, &v)) {
			for (i = 0; i < p->nchoices; i++) {
				if (p->choice_num[i] == v) {
					*x = (double)i;
					return 0;
				}
			}
		}
		return bo__error(BO_EINVAL, "\"%s\" is not a choice of parameter \"%s\"", text,
				 p->name);
	}
	if (!read_number(text, &v))
		return bo__error(BO_EINVAL, "parameter \"%s\": \"%s\" is not a finite number",
				 p->name, text);
	if (p->type == BO_PT_INT && v != floor(v))
		return bo__error(BO_EINVAL, "parameter \"%s\": %s is not an integer", p->name,
				 text);
	if (v < p->lo || v > p->hi)
		return bo__error(BO_EINVAL, "parameter \"%s\": %s is outside [%.17g, %.17g]",
				 p->name, text, p->lo, p->hi);
	*x = v;
	return 0;
}

/* ---- evaluation environment ------------------------------------------ */

static int env_get(void *ud, const bo_sym *sym, bo_xval *out)
{
	const bo_eval_ctx *ctx = ud;
	const bo_study *s = ctx->study;
	int i = sym->index;
	double v;
	out->str = NULL;
	out->num = NAN;
	switch (sym->kind) {
	case BO_SYM_PARAM: {
		const bo_param *p;
		size_t idx;
		if (i < 0 || (size_t)i >= s->nparams || !ctx->x)
			return bo__error(BO_ENOTFOUND, "no parameter values");
		p = &s->params[i];
		v = ctx->x[i];
		if (isnan(v))
			return bo__error(BO_ENOTFOUND, "parameter \"%s\" is inactive", p->name);
		if (p->type == BO_PT_CHOICE || p->type == BO_PT_ORDINAL) {
			if (!choice_index(p, v, &idx))
				return bo__error(BO_EINVAL,
						 "parameter \"%s\": %g is not a choice index",
						 p->name, v);
			if (p->numeric_choices)
				out->num = p->choice_num[idx];
			else
				out->str = p->choices[idx];
			return 0;
		}
		out->num = v;
		return 0;
	}
	case BO_SYM_METRIC:
		if (i < 0 || (size_t)i >= s->nmetrics || !ctx->metrics || isnan(ctx->metrics[i]))
			return bo__error(BO_ENOTFOUND, "metric \"%s\" is missing",
					 i >= 0 && (size_t)i < s->nmetrics ? s->metrics[i].name : "?");
		out->num = ctx->metrics[i];
		return 0;
	case BO_SYM_DERIVED:
		if (i < 0 || (size_t)i >= s->nderived || !ctx->derived || isnan(ctx->derived[i]))
			return bo__error(BO_ENOTFOUND, "derived metric \"%s\" is missing",
					 i >= 0 && (size_t)i < s->nderived ? s->derived[i].name : "?");
		out->num = ctx->derived[i];
		return 0;
	case BO_SYM_INPUT:
		if (i < 0 || (size_t)i >= s->ninputs)
			return bo__error(BO_ENOTFOUND, "no such input");
		out->num = s->inputs[i].value;
		return 0;
	case BO_SYM_PRICE:
		if (i < 0 || (size_t)i >= s->prices.n)
			return bo__error(BO_ENOTFOUND, "no such price");
		if (s->prices.items[i].is_table)
			return bo__error(BO_ENOTFOUND, "price \"%s\" is a table: give a key",
					 s->prices.items[i].name);
		out->num = s->prices.items[i].value;
		return 0;
	default:
		return bo__error(BO_ENOTFOUND, "unknown symbol");
	}
}

static int env_price_key(void *ud, int index, const char *key, double *out)
{
	const bo_eval_ctx *ctx = ud;
	return bo__pricebook_lookup(&ctx->study->prices, index, key, out);
}

void bo__study_env(const bo_eval_ctx *ctx, bo_expr_env *env)
{
	env->ud = (void *)ctx;
	env->get = env_get;
	env->price_key = env_price_key;
}

/* ---- configuration check ---------------------------------------------- */

static int near_int(double v)
{
	return fabs(v - nearbyint(v)) <= BO_GRID_RTOL * (1.0 + fabs(v));
}

int bo__study_check_config(const bo_study *s, const double *x, char *why, size_t whylen)
{
	bo_eval_ctx ctx;
	bo_expr_env env;
	size_t i;
	int rc = 0;
	char dummy[1];

	if (!why || !whylen) {
		why = dummy;
		whylen = sizeof dummy;
	}
	why[0] = '\0';
	if (!s || !x)
		return bo__error(BO_EMISUSE, "no study or no configuration");
	memset(&ctx, 0, sizeof ctx);
	ctx.study = s;
	ctx.x = x;
	bo__study_env(&ctx, &env);

	for (i = 0; i < s->nparams; i++) {
		const bo_param *p = &s->params[i];
		int active = 1;
		double v = x[i];
		if (p->when) {
			double c;
			int r = bo__expr_eval(p->when, &env, &c);
			if (r == BO_ENOTFOUND)
				active = 0;   /* refers to an inactive parameter */
			else if (r < 0) {
				rc = r;
				goto done;
			} else
				active = c != 0 && !isnan(c);
		}
		if (!active) {
			if (!isnan(v)) {
				snprintf(why, whylen, "parameter \"%s\" is inactive but has a value",
					 p->name);
				rc = 1;
				goto done;
			}
			continue;
		}
		if (isnan(v)) {
			snprintf(why, whylen, "parameter \"%s\" is active but has no value", p->name);
			rc = 1;
			goto done;
		}
		if (p->type == BO_PT_CHOICE || p->type == BO_PT_ORDINAL) {
			size_t idx;
			if (!choice_index(p, v, &idx)) {
				snprintf(why, whylen, "parameter \"%s\": %g is not a choice index",
					 p->name, v);
				rc = 1;
				goto done;
			}
			continue;
		}
		if (!(v >= p->lo && v <= p->hi)) {
			snprintf(why, whylen, "parameter \"%s\": %.17g is outside [%.17g, %.17g]",
				 p->name, v, p->lo, p->hi);
			rc = 1;
			goto done;
		}
		if (p->type == BO_PT_INT && v != floor(v)) {
			snprintf(why, whylen, "parameter \"%s\": %.17g is not an integer", p->name, v);
			rc = 1;
			goto done;
		}
		if (p->step > 0 && !near_int((v - p->lo) / p->step)) {
			snprintf(why, whylen, "parameter \"%s\": %.17g is not on the grid %.17g + k * %.17g",
				 p->name, v, p->lo, p->step);
			rc = 1;
			goto done;
		}
	}
	for (i = 0; i < s->nconstraints; i++) {
		double c;
		int r = bo__expr_eval(s->constraints[i].expr, &env, &c);
		if (r == BO_ENOTFOUND)
			continue;     /* over an inactive parameter: satisfied */
		if (r < 0) {
			rc = r;
			goto done;
		}
		if (c == 0 || isnan(c)) {
			snprintf(why, whylen, "constraint \"%s\" does not hold", s->constraints[i].text);
			rc = 1;
			goto done;
		}
	}
done:
	return rc;
}

/* ---- metrics ---------------------------------------------------------- */

int bo__study_derive(bo_eval_ctx *ctx)
{
	const bo_study *s;
	bo_expr_env env;
	size_t k;
	if (!ctx || !ctx->study || (ctx->study->nderived && !ctx->derived))
		return bo__error(BO_EMISUSE, "no derived buffer");
	s = ctx->study;
	for (k = 0; k < s->nderived; k++)
		ctx->derived[k] = NAN;
	bo__study_env(ctx, &env);
	for (k = 0; k < s->nderived; k++) {
		size_t i = s->derived_order ? s->derived_order[k] : k;
		double v;
		int r = bo__expr_eval(s->derived[i].expr, &env, &v);
		if (r == BO_ENOTFOUND)
			continue;
		if (r < 0)
			return bo__error(r, "derived metric \"%s\": %s", s->derived[i].name,
					 bo_error_last());
		ctx->derived[i] = v;
	}
	return 0;
}

int bo__study_guardrails(const bo_eval_ctx *ctx, int *feasible, double *margins)
{
	if (!ctx || !ctx->study)
		return bo__error(BO_EMISUSE, "no study");
	return bo__guardrails_eval(ctx, ctx->study->guardrails, ctx->study->nguardrails, feasible,
				   margins);
}

int bo__guardrails_eval(const bo_eval_ctx *ctx, const bo_guardrail *g, size_t n, int *feasible,
			double *margins)
{
	bo_expr_env env;
	size_t i;
	int all = 1;
	if (!ctx || !ctx->study)
		return bo__error(BO_EMISUSE, "no study");
	bo__study_env(ctx, &env);
	for (i = 0; i < n; i++) {
		const bo_expr *lhs = NULL, *rhs = NULL;
		const char *op = bo__expr_comparison(g[i].expr, &lhs, &rhs);
		double v, l, r, m = NAN;
		int rc = bo__expr_eval(g[i].expr, &env, &v);
		int holds;
		if (rc < 0 && rc != BO_ENOTFOUND)
			return bo__error(rc, "guardrail \"%s\": %s", g[i].text, bo_error_last());
		holds = rc == 0 && v != 0 && !isnan(v);
		if (rc == 0 && op && bo__expr_eval(lhs, &env, &l) == 0 &&
		    bo__expr_eval(rhs, &env, &r) == 0) {
			if (op[0] == '<')
				m = r - l;
			else if (op[0] == '>')
				m = l - r;
			else if (op[0] == '=')
				m = -fabs(l - r);
			else
				m = fabs(l - r);
		}
		if (!holds)
			all = 0;
		if (margins)
			margins[i] = m;
	}
	if (feasible)
		*feasible = all;
	return 0;
}

int bo__study_score(const bo_eval_ctx *ctx, double *out)
{
	bo_expr_env env;
	int rc;
	double v;
	if (!ctx || !ctx->study || !out)
		return bo__error(BO_EMISUSE, "no study");
	*out = NAN;
	if (!ctx->study->score)
		return 0;
	bo__study_env(ctx, &env);
	rc = bo__expr_eval(ctx->study->score, &env, &v);
	if (rc == BO_ENOTFOUND)
		return 0;
	if (rc < 0)
		return bo__error(rc, "score: %s", bo_error_last());
	*out = v;
	return 0;
}

char *bo__study_params_json(const bo_study *s, const double *x)
{
	bo_strbuf sb = BO_STRBUF_INIT;
	char buf[256];
	size_t i;
	int first = 1;
	bo__sb_putc(&sb, '{');
	for (i = 0; i < s->nparams; i++) {
		const bo_param *p = &s->params[i];
		if (isnan(x[i]))
			continue;
		bo__sb_puts(&sb, first ? "" : ", ");
		first = 0;
		bo__sb_json_str(&sb, p->name);
		bo__sb_puts(&sb, ": ");
		bo__param_format(p, x[i], buf, sizeof buf);
		if ((p->type == BO_PT_CHOICE || p->type == BO_PT_ORDINAL) && !p->numeric_choices)
			bo__sb_json_str(&sb, buf);
		else
			bo__sb_puts(&sb, buf);
	}
	bo__sb_putc(&sb, '}');
	return bo__sb_take(&sb);
}

double bo__pricebook_cost(const bo_pricebook *pb, const bo_kv *usage, size_t n)
{
	double cost = 0.0, p;
	size_t i;
	for (i = 0; i < n; i++)
		if (bo__pricebook_unit_price(pb, usage[i].name, &p) == 0)
			cost += usage[i].value * p;
	return cost;
}

double bo__budget_reservation(const bo_budget *b, int64_t nfinished, double max_cost)
{
	if (isfinite(b->trial_money))
		return b->trial_money;
	if (nfinished > 0)
		return max_cost * BO_RESERVE_MARGIN;
	return NAN;
}

double bo__budget_charge(const bo_budget *b, double price)
{
	return isfinite(b->trial_money) && price > b->trial_money ? b->trial_money : price;
}

int bo__budget_capped(const bo_budget *b)
{
	return isfinite(b->trial_money) || (isfinite(b->money) && !b->trial_money_none);
}

double bo__budget_derived_cap(double left, int64_t slots, double reserve)
{
	double cap;
	if (!(left > 0))
		return 0.0;
	cap = left / (double)(slots > 1 ? slots : 1);
	if (reserve > cap)
		cap = reserve;
	return cap < left ? cap : left;
}

void bo__param_env_name(const char *name, char *buf, size_t size)
{
	size_t k;
	snprintf(buf, size, "BUDGETOPT_PARAM_%s", name);
	for (k = 0; buf[k]; k++)
		if (buf[k] >= 'a' && buf[k] <= 'z')
			buf[k] = (char)(buf[k] - 'a' + 'A');
}
