/*
 * core/study_yaml.c - reads a study file (YAML, docs/study-file.md) into
 * the model of core/model.h and checks all of it at once.
 *
 * The positioned YAML tree (core/study_tree.c) is walked along the fixed
 * shape of a study, and every problem becomes one "file:line:col: message
 * (hint)" line in a bo_diags. Reading goes on after a problem so that a
 * user sees them all in one go.
 *
 * Must never print, exit, abort, or recurse without bound: the YAML tree is
 * at most BO_YAML_MAX_DEPTH deep (aliases included) and is walked only along
 * the study's shape. Any byte string must give a study or diagnostics.
 *
 * The sections live beside it: core/study_space.c (space:),
 * core/study_prices.c (inputs:, prices:, a price-book file),
 * core/study_metrics.c (metrics:, derived:, constraints:, objectives:,
 * guardrails:, score:), core/study_evaluator.c (budget:, evaluator:); this
 * file holds what they share (expressions) and the whole-file readers.
 */
#include "core/model.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"
#include "core/study_yaml_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

/* ---- expressions ------------------------------------------------------ */

static int resolve(void *ud, const char *name, int is_price, int has_key, bo_sym *out,
		   char *why, size_t whylen)
{
	resolver *rs = ud;
	const bo_study *s = rs->r->s;
	suggest sg;
	char hint[128];
	size_t i;
	int k;

	out->is_str = 0;
	if (is_price) {
		if (!(rs->kinds & K(BO_SYM_PRICE))) {
			snprintf(why, whylen, "prices cannot be used in %s (%s)", rs->what, rs->hint);
			return BO_EINVAL;
		}
		k = bo__study_find_price(s, name);
		if (k < 0) {
			bo__suggest_init(&sg, name);
			for (i = 0; i < s->prices.n; i++)
				bo__suggest_try(&sg, s->prices.items[i].name);
			snprintf(why, whylen, "unknown price \"price.%s\"%s", name,
				 bo__suggest_hint(&sg, hint));
			return BO_ENOTFOUND;
		}
		if (s->prices.items[k].is_table && !has_key) {
			snprintf(why, whylen,
				 "price \"%s\" is a table (look a value up with price.%s[key])", name,
				 name);
			return BO_EINVAL;
		}
		out->kind = BO_SYM_PRICE;
		out->index = k;
		return 0;
	}
	if ((k = bo__study_find_param(s, name)) >= 0) {
		const bo_param *p = &s->params[k];
		if (!(rs->kinds & K(BO_SYM_PARAM))) {
			snprintf(why, whylen, "parameter \"%s\" cannot be used in %s (%s)", name,
				 rs->what, rs->hint);
			return BO_EINVAL;
		}
		if ((size_t)k >= rs->visible) {
			if ((size_t)k == rs->visible)
				snprintf(why, whylen, "a condition cannot refer to its own parameter \"%s\"",
					 name);
			else
				snprintf(why, whylen,
					 "parameter \"%s\" is declared later (a condition may only "
					 "use parameters declared before it; move \"%s\" up)",
					 name, name);
			return BO_EINVAL;
		}
		out->kind = BO_SYM_PARAM;
		out->index = k;
		out->is_str = (p->type == BO_PT_CHOICE || p->type == BO_PT_ORDINAL) &&
			      !p->numeric_choices;
		return 0;
	}
	if ((k = bo__study_find_metric(s, name)) >= 0 || (k = bo__study_find_derived(s, name)) >= 0 ||
	    (k = bo__study_find_input(s, name)) >= 0) {
		int kind = bo__study_find_metric(s, name) >= 0    ? BO_SYM_METRIC
			   : bo__study_find_derived(s, name) >= 0 ? BO_SYM_DERIVED
								  : BO_SYM_INPUT;
		static const char *const kname[] = {"", "parameter", "metric", "derived metric",
						    "input", "price"};
		if (!(rs->kinds & K(kind))) {
			snprintf(why, whylen, "%s \"%s\" cannot be used in %s (%s)", kname[kind], name,
				 rs->what, rs->hint);
			return BO_EINVAL;
		}
		out->kind = kind;
		out->index = k;
		return 0;
	}
	bo__suggest_init(&sg, name);
	if (rs->kinds & K(BO_SYM_PARAM))
		for (i = 0; i < rs->visible && i < s->nparams; i++)
			bo__suggest_try(&sg, s->params[i].name);
	if (rs->kinds & K(BO_SYM_METRIC))
		for (i = 0; i < s->nmetrics; i++)
			bo__suggest_try(&sg, s->metrics[i].name);
	if (rs->kinds & K(BO_SYM_DERIVED))
		for (i = 0; i < s->nderived; i++)
			bo__suggest_try(&sg, s->derived[i].name);
	if (rs->kinds & K(BO_SYM_INPUT))
		for (i = 0; i < s->ninputs; i++)
			bo__suggest_try(&sg, s->inputs[i].name);
	snprintf(why, whylen, "unknown name \"%s\"%s", name, bo__suggest_hint(&sg, hint));
	return BO_ENOTFOUND;
}

/* The column of byte off of text, the expression in scalar node n (n's
 * own column when text is not n's). */
static int expr_col(const ynode *n, const char *text, size_t off)
{
	int col = n->col;
	if (text == n->str) {
		size_t i;
		/* offsets are bytes; columns count characters */
		for (i = 0; i < off && text[i]; i++)
			if (((unsigned char)text[i] & 0xc0) != 0x80)
				col++;
		col += n->quote;
	}
	return col;
}

static int first_robust(void *ud, const bo_expr *call)
{
	*(const bo_expr **)ud = call;
	return 1;
}

/* Where robust functions may stand (issue 10): they judge a configuration
 * across its scenarios, so only where configurations are judged (the score
 * and guardrails; frontier and select evaluate them), and only in a study
 * with scenarios. NULL when e may have them, else why not. */
static const char *robust_misplaced(const bo_study *s, const char *context, const char *fname, char *buf,
				    size_t size)
{
	if (strcmp(context, "score") && strcmp(context, "guardrail") && strcmp(context, "--score") &&
	    strcmp(context, "--guardrail")) {
		snprintf(buf, size, "%s() aggregates across a configuration's scenarios, so it belongs in the "
			 "score or a guardrail, where configurations are judged, not in the %s (computed per "
			 "trial, under one scenario; use the value itself)", fname, context);
		return buf;
	}
	if (!s->nscenarios) {
		snprintf(buf, size, "%s() aggregates across scenarios, but the study lists none (add "
			 "scenarios:, or use the value itself)", fname);
		return buf;
	}
	return NULL;
}

/* Compiles the expression in scalar node n (or text with n's position).
 * Returns the expression, or NULL after a diagnostic (or out of memory). */
bo_expr *bo__yaml_compile_at(rd *r, const ynode *n, const char *text, resolver *rs,
			   const char *context)
{
	bo_expr *e = NULL;
	const bo_expr *call = NULL;
	size_t off = 0;
	int rc = bo__expr_compile(&e, text, resolve, rs, &off);
	if (rc == BO_ENOMEM) {
		r->nomem = 1;
		return NULL;
	}
	if (rc < 0 || !e) {
		bo__yaml_diag_at(r, n->line, expr_col(n, text, off), "%s: %s", context, bo_error_last());
		bo__expr_free(e);
		return NULL;
	}
	if (bo__expr_foreach_robust(e, first_robust, &call)) {
		const char *fname, *why;
		char buf[400];
		bo__expr_robust_info(call, NULL, NULL, NULL, &off, &fname);
		if ((why = robust_misplaced(r->s, context, fname, buf, sizeof buf)) != NULL) {
			bo__yaml_diag_at(r, n->line, expr_col(n, text, off), "%s: %s", context, why);
			bo__expr_free(e);
			return NULL;
		}
	}
	return e;
}

const char *bo__yaml_expr_text(rd *r, const ynode *n, const char *what)
{
	const char *t;
	if (n->type != YN_SCALAR || bo__yaml_is_null(n)) {
		DIAG(r, n, "%s: expected an expression string, found %s", what, bo__yaml_kind(n));
		return NULL;
	}
	t = bo__yaml_text(r, n, what);
	if (t && !*t) {
		DIAG(r, n, "%s: the expression is empty", what);
		return NULL;
	}
	return t;
}

resolver bo__yaml_all_resolver(rd *r, const char *what)
{
	resolver rs;
	rs.r = r;
	rs.kinds = K(BO_SYM_PARAM) | K(BO_SYM_METRIC) | K(BO_SYM_DERIVED) | K(BO_SYM_INPUT) |
		   K(BO_SYM_PRICE);
	rs.visible = r->s->nparams;
	rs.what = what;
	rs.hint = "";
	return rs;
}

int bo__yaml_check_name(rd *r, const ynode *key, const char *kind, int dots)
{
	char buf[48];
	if (key->type != YN_SCALAR)
		return -1;
	if (!bo__yaml_is_ident(key->str, dots)) {
		DIAG(r, key, "invalid %s name \"%s\" (use letters, digits and \"_\", not starting "
			     "with a digit)", kind, bo__yaml_shown(key->str, buf));
		return -1;
	}
	if (!dots && bo__yaml_is_reserved(key->str)) {
		DIAG(r, key, "%s name \"%s\" is a reserved word of expressions (rename it)", kind,
		     key->str);
		return -1;
	}
	return 0;
}

/* ---- sections --------------------------------------------------------- */

static const char *const TOP_KEYS[] = {"name",    "seed",      "space",      "constraints",
				       "inputs",  "prices",    "metrics",    "derived",
				       "objectives", "guardrails", "score", "budget",
				       "evaluator", "sampler", "storage",    "catalog",
				       "storage_access", "pruner", "alerts", "limits", "rollback",
				       "fidelity", "scenarios", "scenario_policy", "repeats",
				       NULL};

static void read_name(rd *r, const ynode *top)
{
	const ynode *n = bo__yaml_get(top, "name");
	const char *t;
	char buf[48];
	if (!n) {
		bo__yaml_diag_at(r, top->line, top->col, "missing required key \"name\" (the study's name)");
		return;
	}
	t = bo__yaml_text(r, n, "name");
	if (!t)
		return;
	{
		const char *p;
		int ok = *t != '\0';
		for (p = t; *p; p++)
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
				ok = 0;
		if (!ok) {
			DIAG(r, n, "invalid study name \"%s\" (use letters, digits, \"_\", \".\" and \"-\")",
			     bo__yaml_shown(t, buf));
			return;
		}
	}
	r->s->name = bo__yaml_strdup(r, t);
}

static void read_sampler_storage_seed(rd *r, const ynode *top)
{
	static const char *const samplers[] = {"auto", "random", "sobol", "tpe", "gp", "nsga2", NULL};
	const ynode *n;
	bo_study *s = r->s;
	char buf[48], hint[128];
	if ((n = bo__yaml_get(top, "sampler"))) {
		const char *t = bo__yaml_text(r, n, "sampler");
		if (t) {
			suggest sg;
			size_t i;
			int ok = 0;
			bo__suggest_init(&sg, t);
			for (i = 0; samplers[i]; i++) {
				if (strcmp(samplers[i], t) == 0)
					ok = 1;
				bo__suggest_try(&sg, samplers[i]);
			}
			if (!ok)
				DIAG(r, n, "unknown sampler \"%s\"%s", bo__yaml_shown(t, buf),
				     sg.best ? bo__suggest_hint(&sg, hint) : " (known: auto, random, sobol)");
			else
				s->sampler = bo__yaml_strdup(r, t);
		}
	}
	if (!s->sampler && !r->nomem)
		s->sampler = bo__yaml_strdup(r, "auto");
	if ((n = bo__yaml_get(top, "storage"))) {
		const char *t = bo__yaml_text(r, n, "storage");
		if (t && !*t)
			DIAG(r, n, "storage: empty URI");
		else if (t)
			s->storage = bo__yaml_strdup(r, t);
	}
	/* Who may read the ledger, its journal and the trial folders. */
	if ((n = bo__yaml_get(top, "storage_access"))) {
		const char *t = bo__yaml_text(r, n, "storage_access");
		if (t && !strcmp(t, "group"))
			s->storage_group = 1;
		else if (t && strcmp(t, "private") != 0)
			DIAG(r, n, "storage_access: \"%s\" is neither private (owner only, the default) "
			     "nor group (group-readable)", bo__yaml_shown(t, buf));
	}
	if ((n = bo__yaml_get(top, "seed"))) {
		if (n->type == YN_SCALAR && n->plain && bo__yaml_num_syntax(n->str) == NUM_INT &&
		    n->str[0] != '-') {
			unsigned long long v;
			errno = 0;
			v = strtoull(n->str, NULL, 10);
			if (errno == ERANGE)
				DIAG(r, n, "seed: integer %s is out of range", bo__yaml_shown(n->str, buf));
			else {
				s->seed = v;
				s->has_seed = 1;
			}
		} else {
			long long v;
			if (bo__yaml_int(r, n, "seed", 0, LLONG_MAX, &v) == 0) {
				s->seed = (uint64_t)v;
				s->has_seed = 1;
			}
		}
	}
}

/* ---- the space hash ---------------------------------------------------- */

static int space_hash(bo_study *s)
{
	static const char *const tn[] = {"float", "int", "choice", "ordinal"};
	bo_strbuf sb = BO_STRBUF_INIT;
	size_t i, k;
	for (i = 0; i < s->nparams; i++) {
		const bo_param *p = &s->params[i];
		bo__sb_printf(&sb, "param\x1f%s\x1f%s", p->name, tn[p->type]);
		if (p->type == BO_PT_FLOAT || p->type == BO_PT_INT)
			bo__sb_printf(&sb, "\x1f%.17g\x1f%.17g\x1flog=%d\x1fstep=%.17g", p->lo, p->hi,
				      p->log, p->step);
		for (k = 0; k < p->nchoices; k++) {
			bo__sb_putc(&sb, '\x1f');
			bo__sb_puts(&sb, p->choices[k]);
		}
		bo__sb_puts(&sb, "\x1fwhen=");
		if (p->when_text)
			bo__sb_puts(&sb, p->when_text);
		bo__sb_putc(&sb, '\n');
	}
	for (i = 0; i < s->nconstraints; i++) {
		bo__sb_puts(&sb, "constraint\x1f");
		bo__sb_puts(&sb, s->constraints[i].text);
		bo__sb_putc(&sb, '\n');
	}
	if (sb.failed) {
		bo__sb_clear(&sb);
		return BO_ENOMEM;
	}
	bo__sha256_hex(sb.s ? sb.s : "", sb.len, s->space_hash);
	bo__sb_clear(&sb);
	return 0;
}

/* ---- the whole file ------------------------------------------------------ */

static void read_catalog(rd *r, const ynode *top)
{
	static const char *const keys[] = {"columns", "where", "label", NULL};
	const ynode *m = bo__yaml_want_map(r, bo__yaml_get(top, "catalog"), "catalog"), *n;
	bo_catalog_spec *c = &r->s->catalog;
	resolver rs = bo__yaml_all_resolver(r, "a catalog filter");
	char buf[48];
	size_t i;
	if (!m)
		return;
	c->pos.line = m->line;
	c->pos.col = m->col;
	bo__yaml_check_keys(r, m, keys, "catalog");
	if ((n = bo__yaml_get(m, "where"))) {
		const char *t = bo__yaml_expr_text(r, n, "catalog: where");
		if (t && (c->where = bo__yaml_compile_at(r, n, t, &rs, "catalog: where")))
			c->where_text = bo__yaml_strdup(r, t);
	}
	if ((n = bo__yaml_get(m, "label"))) {
		const char *col = bo__yaml_text(r, n, "catalog: label");
		if (col)
			c->label = bo__yaml_strdup(r, col);
	}
	if (!(n = bo__yaml_want_map(r, bo__yaml_get(m, "columns"), "catalog: columns")))
		return;
	c->names = bo__calloc(n->n / 2 + 1, sizeof(char *));
	c->columns = bo__calloc(n->n / 2 + 1, sizeof(char *));
	if (!c->names || !c->columns) {
		r->nomem = 1;
		return;
	}
	for (i = 0; i + 1 < n->n && !r->nomem; i += 2) {
		const ynode *k = n->kids[i];
		const char *col;
		if (k->type != YN_SCALAR)
			continue;
		if (bo__study_find_param(r->s, k->str) < 0 && bo__study_find_metric(r->s, k->str) < 0) {
			DIAG(r, k, "catalog: columns: \"%s\" is not a parameter or a metric of the study",
			     bo__yaml_shown(k->str, buf));
			continue;
		}
		if (!(col = bo__yaml_text(r, n->kids[i + 1], "catalog: columns")))
			continue;
		c->names[c->ncolumns] = bo__yaml_strdup(r, k->str);
		c->columns[c->ncolumns] = bo__yaml_strdup(r, col);
		c->ncolumns++;
	}
}

int bo__study_compile(const bo_study *s, const char *text, const char *what, bo_expr **out)
{
	rd r;
	resolver rs;
	size_t off = 0;
	int rc;
	memset(&r, 0, sizeof r);
	r.s = (bo_study *)s;
	rs = bo__yaml_all_resolver(&r, what);
	rc = bo__expr_compile(out, text, resolve, &rs, &off);
	if (rc == 0) {
		const bo_expr *call = NULL;
		const char *fname, *why;
		char buf[400];
		if (!bo__expr_foreach_robust(*out, first_robust, &call))
			return 0;
		bo__expr_robust_info(call, NULL, NULL, NULL, &off, &fname);
		if (!(why = robust_misplaced(s, what, fname, buf, sizeof buf)))
			return 0;
		bo__expr_free(*out);
		*out = NULL;
		return bo__error(BO_EINVAL, "%s: column %zu: %s", what, off + 1, why);
	}
	if (rc == BO_ENOMEM)
		return rc;
	{
		char msg[1024];
		snprintf(msg, sizeof msg, "%s", bo_error_last());
		return bo__error(BO_EINVAL, "%s: column %zu: %s", what, off + 1, msg);
	}
}

static void read_study(rd *r)
{
	const ynode *top = r->root;
	const ynode *n;
	if (top->type != YN_MAP) {
		DIAG(r, top, "a study file must be a mapping of keys (name:, space:, evaluator:, "
			     "...), found %s", bo__yaml_kind(top));
		return;
	}
	bo__yaml_check_keys(r, top, TOP_KEYS, "the study");
	read_name(r, top);
	read_sampler_storage_seed(r, top);
	bo__study_read_space(r, top);
	bo__study_read_inputs(r, top);
	bo__study_read_pricebook(r, top);
	bo__study_read_scenarios(r, top);
	bo__study_read_metrics(r, top);
	bo__study_read_derived_names(r, top);
	if (r->nomem)
		return;
	bo__study_check_clashes(r);
	bo__study_read_space_when(r, top);
	bo__study_read_constraints(r, top);
	bo__study_compile_derived(r, top);
	bo__study_read_objectives(r, top);
	bo__study_read_guardrails(r, top);
	bo__study_read_score(r, top);
	bo__study_read_budget(r, top);
	bo__study_read_guard(r, top);
	bo__study_read_evaluator(r, top);
	read_catalog(r, top);
	bo__study_read_pruner(r, top);
	bo__study_read_fidelity(r, top);
	(void)n;
}

static char *absolute_dir(const char *dir)
{
	char cwd[4096];
	bo_strbuf sb = BO_STRBUF_INIT;
	if (dir && dir[0] == '/')
		return bo__strdup(dir);
	if (!getcwd(cwd, sizeof cwd))
		strcpy(cwd, "/");
	if (!dir || !*dir || strcmp(dir, ".") == 0)
		return bo__strdup(cwd);
	bo__sb_puts(&sb, cwd);
	if (sb.len && sb.s[sb.len - 1] != '/')
		bo__sb_putc(&sb, '/');
	bo__sb_puts(&sb, dir);
	if (sb.failed) {
		bo__sb_clear(&sb);
		return NULL;
	}
	return bo__sb_take(&sb);
}

static int parse_impl(bo_study **out, const char *text, size_t len, const char *path,
		      const char *dir, bo_diags **diagsp)
{
	rd r;
	bo_study *s = NULL;
	int rc = 0;

	*out = NULL;
	if (diagsp)
		*diagsp = NULL;
	memset(&r, 0, sizeof r);
	r.file = path;
	r.text = text;
	r.len = len;
	r.diags = bo__calloc(1, sizeof *r.diags);
	if (!r.diags) {
		rc = BO_ENOMEM;
		goto done;
	}
	s = bo__calloc(1, sizeof *s);
	if (!s) {
		rc = BO_ENOMEM;
		goto done;
	}
	r.s = s;
	s->budget.money = NAN;
	s->budget.time_s = NAN;
	s->budget.trial_money = NAN;
	s->budget.trial_time_s = NAN;
	bo__study_guard_defaults(s);
	s->evaluator.parallel = 1;
	s->evaluator.timeout_s = NAN;
	s->evaluator.slurm.time_s = NAN;
	s->score_goal = 1;
	s->fidelity.param = -1;
	s->repeats = 1;
	s->path = bo__strdup(path);
	s->dir = absolute_dir(dir);
	s->text = bo__strndup(text ? text : "", text ? len : 0);
	if (!s->path || !s->dir || !s->text) {
		rc = BO_ENOMEM;
		goto done;
	}
	s->text_len = len;
	if (len > BO_STUDY_MAX_BYTES) {
		bo__yaml_diag_at(&r, 1, 1, "the study file is larger than 16 MiB (%zu bytes)", len);
	} else if (bo__yaml_build_tree(&r) == 0) {
		read_study(&r);
	}
	if (r.nomem) {
		rc = BO_ENOMEM;
		goto done;
	}
	if (r.diags->n) {
		bo__yaml_diags_sort(r.diags);
		rc = BO_EINVAL;
		goto done;
	}
	bo__sha256_hex(s->text, s->text_len, s->hash);
	rc = space_hash(s);
done:
	bo__yaml_tree_free(&r);
	if (rc == BO_ENOMEM || (r.diags && r.nomem)) {
		rc = bo__error(BO_ENOMEM, "%s: out of memory", path);
	} else if (rc == BO_EINVAL) {
		bo__error(BO_EINVAL, "%s", r.diags->lines[0]);
	}
	if (rc == 0) {
		*out = s;
		s = NULL;
	}
	bo_study_free(s);
	if (diagsp && rc == BO_EINVAL) {
		*diagsp = r.diags;
		r.diags = NULL;
	}
	bo_diags_free(r.diags);
	return rc;
}

int bo_study_parse(bo_study **out, const char *text, size_t len, const char *name,
		   const char *dir, bo_diags **diags)
{
	if (!out)
		return bo__error(BO_EMISUSE, "bo_study_parse: out is NULL");
	if (!text && len)
		return bo__error(BO_EMISUSE, "bo_study_parse: text is NULL");
	return parse_impl(out, text ? text : "", len, name ? name : "<string>", dir, diags);
}

/* Adds one diagnostic without a position (file could not be read). */
static int io_problem(bo_diags **diagsp, int code, const char *msg)
{
	bo_diags *d;
	bo__error(code, "%s", msg);
	if (!diagsp)
		return code;
	d = bo__calloc(1, sizeof *d);
	if (!d)
		return bo__error(BO_ENOMEM, "out of memory");
	d->lines = bo__calloc(1, sizeof(char *));
	if (d->lines)
		d->lines[0] = bo__strdup(msg);
	if (!d->lines || !d->lines[0]) {
		bo_diags_free(d);
		return bo__error(BO_ENOMEM, "out of memory");
	}
	d->n = d->cap = 1;
	*diagsp = d;
	bo__error(code, "%s", msg);
	return code;
}

int bo_study_load(bo_study **out, const char *path, bo_diags **diags)
{
	FILE *f = NULL;
	char *buf = NULL, *dir = NULL, *slash;
	struct stat st;
	size_t len = 0, cap;
	char msg[1200];
	int rc;

	if (!out)
		return bo__error(BO_EMISUSE, "bo_study_load: out is NULL");
	*out = NULL;
	if (diags)
		*diags = NULL;
	if (!path)
		return bo__error(BO_EMISUSE, "bo_study_load: path is NULL");
	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &st) != 0) {
		snprintf(msg, sizeof msg, "%s: cannot open: %s", path, strerror(errno));
		rc = io_problem(diags, BO_EIO, msg);
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(msg, sizeof msg, "%s: is a folder, not a study file", path);
		rc = io_problem(diags, BO_EIO, msg);
		goto done;
	}
	if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > BO_STUDY_MAX_BYTES) {
		snprintf(msg, sizeof msg, "%s:1:1: the study file is larger than 16 MiB (%jd bytes)",
			 path, (intmax_t)st.st_size);
		rc = io_problem(diags, BO_EINVAL, msg);
		goto done;
	}
	/* read at most one byte past the limit (pipes have no size) */
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
	buf = bo__malloc(cap);
	if (!buf) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (;;) {
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (len > BO_STUDY_MAX_BYTES)
			break;
		if (got == 0 || len < cap) {
			if (ferror(f)) {
				snprintf(msg, sizeof msg, "%s: cannot read: %s", path, strerror(errno));
				rc = io_problem(diags, BO_EIO, msg);
				goto done;
			}
			if (feof(f) || got == 0)
				break;
			continue;
		}
		{
			char *nb = bo__realloc(buf, cap * 2, 1);
			if (!nb) {
				rc = BO_ENOMEM;
				goto done;
			}
			buf = nb;
			cap *= 2;
		}
	}
	dir = bo__strdup(path);
	if (!dir) {
		rc = BO_ENOMEM;
		goto done;
	}
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	rc = parse_impl(out, buf, len, path, dir, diags);
	if (rc == 0) {
		/* resolve symbolic links and ".." for a stable folder */
		char *real = realpath((*out)->dir, NULL);
		if (real) {
			char *copy = bo__strdup(real);
			free(real);
			if (!copy) {
				bo_study_free(*out);
				*out = NULL;
				rc = BO_ENOMEM;
				goto done;
			}
			bo__free((*out)->dir);
			(*out)->dir = copy;
		}
	}
done:
	if (f)
		fclose(f);
	bo__free(buf);
	bo__free(dir);
	return rc;
}

/* ---- for the readers of core/study_yaml_int.h -------------------------- */

const char *bo__yaml_suggest(const char *name, const char *const *cands, size_t n, char buf[128])
{
	suggest sg;
	size_t i;
	bo__suggest_init(&sg, name);
	for (i = 0; i < n; i++)
		bo__suggest_try(&sg, cands[i]);
	return bo__suggest_hint(&sg, buf);
}
