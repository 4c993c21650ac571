/*
 * cli/decide.c - loading the configurations frontier and select look at.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/expr.h"
#include "decide.h"

/* --draws, --mc-seed, --quantiles, --confidence. */
static int mc_option(cli_decide *d, int c, const char *arg)
{
	char *end;
	double v;
	if (!d->mco_set) {
		bo_mc_options init = BO_MC_OPTIONS_INIT;
		d->mco = init;
		d->mco_set = 1;
	}
	if (c == 1010) {
		const char *p = arg;
		d->mco.nq = 0;
		while (*p) {
			v = strtod(p, &end);
			if (end == p || !(v > 0 && v < 1) || (*end && *end != ',') ||
			    d->mco.nq == BO_MC_MAX_QUANTILES) {
				cli_error("--quantiles: give up to %d numbers between 0 and 1 (exclusive), "
					  "separated by commas, such as 0.05,0.5,0.95; not \"%s\"",
					  BO_MC_MAX_QUANTILES, arg);
				return -1;
			}
			d->mco.q[d->mco.nq++] = v;
			p = *end ? end + 1 : end;
		}
		if (!d->mco.nq) {
			cli_error("--quantiles: give at least one quantile, such as 0.05,0.5,0.95");
			return -1;
		}
		return 1;
	}
	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end || errno) {
		cli_error("--%s needs a number, not \"%s\"",
			  c == 1008 ? "draws" : c == 1009 ? "mc-seed" : "confidence", arg);
		return -1;
	}
	if (c == 1008) {
		if (!(v >= 1 && v <= 1e8 && v == floor(v))) {
			cli_error("--draws must be a whole number from 1 to 100000000, not \"%s\"", arg);
			return -1;
		}
		d->mco.draws = (size_t)v;
	} else if (c == 1009) {
		if (!(v >= 0 && v <= 4294967295.0 && v == floor(v))) {
			cli_error("--mc-seed must be a whole number from 0 to 4294967295, not \"%s\"", arg);
			return -1;
		}
		d->mco.seed = (uint64_t)v;
	} else {
		if (!(v > 0 && v < 1)) {
			cli_error("--confidence must be between 0 and 1 (exclusive), such as 0.95, not \"%s\"",
				  arg);
			return -1;
		}
		d->mco.confidence = v;
	}
	return 1;
}

int cli_decide_option(cli_decide *d, int c, const char *arg)
{
	switch (c) {
	case 1001: d->catalog = arg; return 1;
	case 1002: d->study_path = arg; return 1;
	case 1003: d->storage = arg; return 1;
	case 1004: d->where = arg; return 1;
	case 1005:
		if (d->nguardrails >= CLI_MAX_GUARDRAILS) {
			cli_error("at most %d --guardrail options", CLI_MAX_GUARDRAILS);
			return -1;
		}
		d->guardrails[d->nguardrails++] = arg;
		return 1;
	case 1007: d->score = arg; return 1;
	case 1008:
	case 1009:
	case 1010:
	case 1011:
		return mc_option(d, c, arg);
	case 1006:
		if (strcmp(arg, "text") && strcmp(arg, "csv") && strcmp(arg, "json")) {
			cli_error("unknown format \"%s\" (text, csv or json)", arg);
			return -1;
		}
		d->format = arg;
		cli_json_errors(!strcmp(arg, "json"));
		return 1;
	}
	return 0;
}

/* --score EXPR: compiled against the study like its own score, and put in
 * its place, so that everything judged afterwards uses it. */
static int set_score(bo_study *s, const char *text)
{
	bo_expr *e = NULL;
	char *copy;
	int goal = 1;
	if (!strncmp(text, "min:", 4) || !strncmp(text, "max:", 4)) {
		goal = text[1] == 'i' ? -1 : 1;
		text += 4;
		while (*text == ' ')
			text++;
	}
	if (bo__study_compile(s, text, "--score", &e) < 0) {
		cli_error("%s", bo_error_last());
		return -1;
	}
	if (!(copy = bo__strdup(text))) {
		bo__expr_free(e);
		cli_error("out of memory");
		return -1;
	}
	bo__expr_free(s->score);
	bo__free(s->score_text);
	s->score = e;
	s->score_text = copy;
	s->score_goal = goal;
	return 0;
}

static int demote_rolled_back(cli_decide *d, bo_storage *st);
static int demote(cli_decide *d, const char *pj, const char *why);

/* A study with scenarios: the trials of one configuration under different
 * scenarios are not repeats. Each scenario's trials are judged under that
 * scenario's inputs and prices, repeats within a scenario folded, and the
 * configuration's values are the weighted mean across scenarios
 * (analysis/scenarios.h); its guardrails must hold under every scenario. */
static int fold_scenarios(cli_decide *d)
{
	int rc;
	if ((rc = bo__scen_table_build(&d->scen, d->s, d->trials, d->ntrials, d->guardrails, d->nguardrails,
				       d->where)) < 0)
		return rc;
	d->scen_on = 1;
	if ((rc = bo__scen_fold_default(&d->scen, &d->c)) < 0)
		return rc;
	snprintf(d->fold, sizeof d->fold, "%s", BO_SCEN_DEFAULT_FOLD);
	return 0;
}

void cli_json_per_scenario(FILE *f, const cli_decide *d, size_t i, const bo_axis *ax, size_t nax)
{
	size_t k, a;
	if (!d->scen_on || i >= d->scen.nrow)
		return;
	fputs(", \"per_scenario\": {", f);
	for (k = 0; k < d->scen.nsc; k++) {
		size_t at = d->scen.at[i * d->scen.nsc + k];
		const bo_configs *cs = &d->scen.cs[k];
		const bo_config *c = bo__scen_cell(&d->scen, i, k);
		fputs(k ? ", " : "", f);
		cli_json_string(f, bo__scenario_name(d->s, k));
		fputs(": {\"score\": ", f);
		cli_json_num(f, c ? c->score : NAN);
		fputs(", \"cost\": ", f);
		cli_json_num(f, at == BO_SCEN_NONE ? NAN : cs->v[at].cost);
		for (a = 0; a < nax; a++) {
			if (ax[a].kind == BO_AXIS_SCORE || (ax[a].kind == BO_AXIS_COST && !strcmp(ax[a].name, "cost")))
				continue;
			fputs(", ", f);
			cli_json_string(f, ax[a].name);
			fputs(": ", f);
			cli_json_num(f, c ? bo__axis_value(cs, (size_t)(c - cs->v), &ax[a]) : NAN);
		}
		fputc('}', f);
	}
	fputc('}', f);
}

const char *cli_fold_note(const cli_decide *d, char *buf, size_t size)
{
	if (!d->scen_on)
		snprintf(buf, size, "%s", "");
	else
		bo__scen_note(&d->scen, d->fold, buf, size);
	return buf;
}

void cli_json_fold(FILE *f, const cli_decide *d)
{
	size_t k;
	if (!d->scen_on)
		return;
	fputs(", \"scenarios\": {\"aggregate\": ", f);
	cli_json_string(f, d->fold);
	fputs(", \"weights\": {", f);
	for (k = 0; k < d->scen.nsc; k++) {
		fputs(k ? ", " : "", f);
		cli_json_string(f, bo__scenario_name(d->s, k));
		fputs(": ", f);
		cli_json_num(f, d->scen.w[k]);
	}
	fputc('}', f);
	if (d->s->scenario_policy == BO_SCEN_POLICY_PROMOTE) {
		size_t all, only, partial;
		bo__scen_coverage(&d->scen, d->s->promote.base, &all, &only, &partial);
		fprintf(f, ", \"promote\": {\"base\": ");
		cli_json_string(f, bo__scenario_name(d->s, d->s->promote.base));
		fprintf(f, ", \"every_scenario\": %zu, \"base_only\": %zu, \"partial\": %zu}", all, only,
			partial - only);
	}
	fputc('}', f);
}

double cli_repriced_cost(const bo_study *s, const bo_trial_rec *t)
{
	return bo__budget_charge(&s->budget, bo__pricebook_cost(&s->prices, t->usage, t->nusage));
}

int cli_decide_load(cli_decide *d, int argc, char **argv, int optind_)
{
	if (!d->format)
		d->format = "text";
	if (optind_ == argc - 1 && !d->study_path)
		d->study_path = argv[optind_];
	else if (optind_ != argc) {
		cli_error("give the study file once, with --study or as the last argument");
		return EXIT_USAGE;
	}
	if (!d->study_path) {
		cli_error("no study file (give it as the last argument, or --study FILE with --catalog)");
		return EXIT_USAGE;
	}
	if (!(d->s = cli_load_study(d->study_path)))
		return EXIT_USAGE;
	if (d->score && set_score(d->s, d->score) < 0)
		return EXIT_USAGE;
	if (d->edit && d->edit(d->s, d->edit_ud) < 0)
		return EXIT_USAGE;
	if (bo__configs_init(&d->c, d->s, d->guardrails, d->nguardrails, d->where) < 0) {
		cli_error("%s", bo_error_last());
		return EXIT_USAGE;
	}
	if (d->catalog) {
		size_t len = 0;
		char *text = cli_read_file(d->catalog, &len);
		bo_csv *csv = NULL;
		int rc;
		if (!text) {
			cli_error("cannot read catalog %s: %s", d->catalog, strerror(errno));
			return EXIT_USAGE;
		}
		rc = bo__csv_parse(&csv, text, len, d->catalog);
		free(text);
		if (rc == 0)
			rc = bo__study_catalog_labels(d->s, csv, d->catalog);
		if (rc == 0)
			rc = bo__configs_add_csv(&d->c, csv, d->catalog);
		bo__csv_free(csv);
		if (rc < 0) {
			cli_error("%s", bo_error_last());
			return rc == BO_EINVAL ? EXIT_USAGE : EXIT_RUN_FAILED;
		}
	} else {
		bo_storage *st = cli_open_ledger(d->s, d->storage, 0);
		bo_trial_query q = BO_TRIAL_QUERY_INIT;
		int rc;
		if (!st)
			return cli_ledger_failure();
		/* observed prices and inputs update the study before anything is judged */
		if (!d->no_observe && cli_apply_observations(d->s, st, &d->nobserved, d->observed_last,
								sizeof d->observed_last) < 0) {
			bo__storage_close(st);
			return EXIT_RUN_FAILED;
		}
		rc = st->ops->trials(st, &q, &d->trials, &d->ntrials);
		if (rc == 0)
			rc = st->ops->study_text(st, &d->stored_text);
		if (rc == 0 && d->reprice) {
			size_t i;
			for (i = 0; i < d->ntrials; i++)
				d->trials[i].cost = cli_repriced_cost(d->s, &d->trials[i]);
		}
		if (rc == 0)
			rc = bo__configs_add_trials(&d->c, d->trials, d->ntrials);
		if (rc == 0 && d->s->nscenarios > 0)
			rc = fold_scenarios(d);
		if (rc == 0)
			rc = demote_rolled_back(d, st);
		if (rc < 0)
			cli_error("%s", bo_error_last());
		bo__storage_close(st);
		if (rc < 0)
			return EXIT_RUN_FAILED;
	}
	if (!d->quiet)
		cli_warn_certain_chance(d->s);
	/* repeats are folded before the Monte Carlo run, which then sees one
	 * entry (the means) per configuration */
	if (d->scen_on) {
		d->grouped = 1;   /* folded with the scenarios */
	} else if (d->repeats == CLI_REPEATS_GROUP || (d->repeats == CLI_REPEATS_AUTO && !d->catalog)) {
		if (bo__configs_group(&d->c) < 0) {
			cli_error("%s", bo_error_last());
			return EXIT_RUN_FAILED;
		}
		d->grouped = 1;
	}
	if (!d->mco_set) {
		bo_mc_options init = BO_MC_OPTIONS_INIT;
		d->mco = init;
		d->mco_set = 1;
	}
	if (bo__mc_wanted(&d->c) || d->mco.confidence > 0) {
		/* quantiles only of the configurations a command shows */
		d->mco.on_demand = 1;
		if (bo__mc_run(&d->mc, &d->c, &d->mco) < 0) {
			cli_error("%s", bo_error_last());
			return EXIT_RUN_FAILED;
		}
		d->mc_on = 1;
	}
	return 0;
}

/* Marks the configuration with parameters pj not usable, saying why. */
static int demote(cli_decide *d, const char *pj, const char *why)
{
	size_t k;
	for (k = 0; k < d->c.n; k++) {
		bo_config *c = &d->c.v[k];
		if (!c->params_json || strcmp(c->params_json, pj) != 0)
			continue;
		c->usable = 0;
		bo__free(c->why);
		if (!(c->why = bo__strdup(why)))
			return BO_ENOMEM;
	}
	return 0;
}

int cli_decide_refold(cli_decide *d, const bo_robust *agg, const int *mgoal, const int *dgoal, const char *label)
{
	size_t i;
	int rc;
	if (!d->scen_on)
		return bo__error(BO_EMISUSE, "no scenarios to fold");
	if ((rc = bo__scen_fold(&d->scen, agg, mgoal, dgoal, &d->c)) < 0)
		return rc;
	for (i = 0; i < d->ndemoted; i++)
		if ((rc = demote(d, d->demoted[2 * i], d->demoted[2 * i + 1])) < 0)
			return bo__error(rc, "out of memory");
	snprintf(d->fold, sizeof d->fold, "%s", label);
	return 0;
}

/* rollback (runner/safeguards.c): a configuration a "rollback" event
 * demoted is never recommended again: its trials are not usable, and say
 * why. */
static int demote_rolled_back(cli_decide *d, bo_storage *st)
{
	bo_event *e = NULL;
	size_t n = 0, i, k;
	int rc = st->ops->events(st, &e, &n);
	if (rc < 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		const char *pj = NULL;
		char *own = NULL;
		if (!e[i].kind || strcmp(e[i].kind, "rollback") != 0)
			continue;
		if ((k = bo__configs_find(&d->c, e[i].trial_id)) != (size_t)-1)
			pj = d->c.v[k].params_json;
		/* folded (scenarios) or a later repeat: the trial's configuration,
		 * by its parameters */
		for (k = 0; !pj && k < d->ntrials; k++) {
			size_t q;
			double *x;
			if (d->trials[k].id != e[i].trial_id)
				continue;
			if (!(x = bo__calloc(d->s->nparams + 1, sizeof *x))) {
				rc = BO_ENOMEM;
				break;
			}
			for (q = 0; q < d->s->nparams; q++)
				x[q] = bo__kv_get(d->trials[k].params, d->trials[k].nparams, d->s->params[q].name);
			pj = own = bo__study_params_json(d->s, x);
			bo__free(x);
			if (!own)
				rc = BO_ENOMEM;
		}
		if (pj && d->scen_on && rc == 0) {
			char **grown = realloc(d->demoted, (d->ndemoted + 1) * 2 * sizeof *grown);
			if (!grown) {
				rc = BO_ENOMEM;
			} else {
				d->demoted = grown;
				grown[2 * d->ndemoted] = bo__strdup(pj);
				grown[2 * d->ndemoted + 1] = bo__strdup(e[i].detail ? e[i].detail
									 : "demoted by a re-evaluation");
				d->ndemoted++;
				if (!grown[2 * d->ndemoted - 2] || !grown[2 * d->ndemoted - 1])
					rc = BO_ENOMEM;
			}
		}
		if (pj && rc == 0)
			rc = demote(d, pj, e[i].detail ? e[i].detail : "demoted by a re-evaluation");
		bo__free(own);
	}
	bo__event_free_array(e, n);
	return rc;
}

void cli_warn_certain_chance(const bo_study *s)
{
	size_t k;
	for (k = 0; k < s->nguardrails; k++) {
		const bo_guardrail *g = &s->guardrails[k];
		if (g->prob > 0 && !bo__mc_expr_uncertain(s, g->expr))
			cli_warn("%s:%d:%d: guardrail \"%s\" says \"with probability >= %g\" but nothing "
				 "in it is uncertain: it holds with probability 0 or 1 (give an input or "
				 "price a distribution, or drop the probability)",
				 s->path, g->pos.line, g->pos.col, g->text, g->prob);
	}
}

void cli_json_uncertain(FILE *f, const cli_decide *d, size_t i)
{
	const bo_mc *mc = &d->mc;
	size_t q, k;
	if (!d->mc_on)
		return;
	if (bo__mc_quantiles(mc, i) < 0)
		cli_warn("quantiles of configuration %lld: %s", (long long)d->c.v[i].id, bo_error_last());
	fprintf(f, ", \"uncertain\": {\"draws\": %zu, \"seed\": %llu, \"confidence\": ", mc->o.draws,
		(unsigned long long)mc->o.seed);
	cli_json_num(f, mc->o.confidence > 0 ? mc->o.confidence : NAN);
	fputs(", \"values\": {", f);
	for (q = 0; q < mc->nqty; q++) {
		fputs(q ? ", " : "", f);
		cli_json_string(f, mc->qty[q].name);
		fputs(": {\"mean\": ", f);
		cli_json_num(f, mc->mean[i * mc->nqty + q]);
		fputs(", \"ranked_on\": ", f);
		cli_json_num(f, mc->used[i * mc->nqty + q]);
		fputs(", \"quantiles\": {", f);
		for (k = 0; k < mc->o.nq; k++) {
			char key[40];
			snprintf(key, sizeof key, "%g", mc->o.q[k]);
			fputs(k ? ", " : "", f);
			cli_json_string(f, key);
			fputs(": ", f);
			cli_json_num(f, mc->quant[(i * mc->nqty + q) * mc->o.nq + k]);
		}
		fputs("}}", f);
	}
	fputs("}, \"guardrails\": [", f);
	for (k = 0; k < mc->ng; k++) {
		fputs(k ? ", " : "", f);
		fputs("{\"text\": ", f);
		cli_json_string(f, d->c.guardrails[k].text);
		fputs(", \"probability\": ", f);
		cli_json_num(f, mc->prob[i * mc->ng + k]);
		fputs(", \"required\": ", f);
		cli_json_num(f, mc->g_need[k] > 0 ? mc->g_need[k] : NAN);
		fprintf(f, ", \"uncertain\": %s}", mc->g_uncertain[k] ? "true" : "false");
	}
	fputs("]}", f);
}

FILE *cli_member_open(cli_member *m)
{
	m->buf = NULL;
	m->len = 0;
	if ((m->f = open_memstream(&m->buf, &m->len)) != NULL)
		fputs("{\"x\": 0", m->f);
	return m->f;
}

json_t *cli_member_close(cli_member *m, const char *key)
{
	json_t *o, *u = NULL;
	fputc('}', m->f);
	if (fclose(m->f) != 0) {
		free(m->buf);
		return NULL;
	}
	if ((o = json_loads(m->buf, 0, NULL)) != NULL) {
		u = json_object_get(o, key);
		json_incref(u);
		json_decref(o);
	}
	free(m->buf);
	return u;
}

json_t *cli_uncertain_json(const cli_decide *d, size_t i)
{
	cli_member m;
	if (!cli_member_open(&m))
		return NULL;
	cli_json_uncertain(m.f, d, i);
	return cli_member_close(&m, "uncertain");
}

void cli_text_uncertain(FILE *f, const cli_decide *d, size_t i, const char *prefix)
{
	const bo_mc *mc = &d->mc;
	size_t q, k;
	if (!d->mc_on)
		return;
	if (bo__mc_quantiles(mc, i) < 0)
		cli_warn("quantiles of configuration %lld: %s", (long long)d->c.v[i].id, bo_error_last());
	for (q = 0; q < mc->nqty; q++) {
		fprintf(f, "%s%s under uncertainty (%zu draws): mean %.6g", prefix, mc->qty[q].name,
			mc->o.draws, mc->mean[i * mc->nqty + q]);
		for (k = 0; k < mc->o.nq; k++)
			fprintf(f, ", %g%%: %.6g", mc->o.q[k] * 100,
				mc->quant[(i * mc->nqty + q) * mc->o.nq + k]);
		if (mc->o.confidence > 0 && mc->qty[q].goal)
			fprintf(f, "; ranked on its %g%% quantile, %.6g",
				bo__mc_level(mc->qty[q].goal, mc->o.confidence) * 100,
				mc->used[i * mc->nqty + q]);
		fputc('\n', f);
	}
	for (k = 0; k < mc->ng; k++) {
		if (!mc->g_uncertain[k] && !(mc->g_need[k] > 0))
			continue;
		fprintf(f, "%sholds %s with probability %.4g", prefix, d->c.guardrails[k].text,
			mc->prob[i * mc->ng + k]);
		if (mc->g_need[k] > 0)
			fprintf(f, " (required >= %g)", mc->g_need[k]);
		fputc('\n', f);
	}
}

void cli_decide_free(cli_decide *d)
{
	size_t i;
	bo__mc_clear(&d->mc);
	d->mc_on = 0;
	bo__configs_clear(&d->c);
	bo__scen_table_clear(&d->scen);
	d->scen_on = 0;
	for (i = 0; i < 2 * d->ndemoted; i++)
		bo__free(d->demoted[i]);
	free(d->demoted);
	d->demoted = NULL;
	d->ndemoted = 0;
	bo__trial_rec_free_array(d->trials, d->ntrials);
	d->trials = NULL;
	d->ntrials = 0;
	bo__free(d->stored_text);
	d->stored_text = NULL;
	bo_study_free(d->s);
	d->s = NULL;
}

void cli_json_num(FILE *f, double v)
{
	if (isfinite(v))
		cli_print_num(f, v);
	else
		fputs("null", f);
}

void cli_json_metrics(FILE *f, const cli_decide *d, size_t i)
{
	const bo_study *s = d->s;
	const bo_config *c = &d->c.v[i];
	size_t k;
	int first = 1;
	fputc('{', f);
	for (k = 0; k < s->nmetrics; k++) {
		fputs(first ? "" : ", ", f);
		first = 0;
		cli_json_string(f, s->metrics[k].name);
		fputs(": ", f);
		cli_json_num(f, c->m[k]);
	}
	for (k = 0; k < s->nderived; k++) {
		fputs(first ? "" : ", ", f);
		first = 0;
		cli_json_string(f, s->derived[k].name);
		fputs(": ", f);
		cli_json_num(f, c->dv[k]);
	}
	fputc('}', f);
}

size_t cli_decide_pick(cli_decide *d)
{
	return bo__select_default(&d->c, d->grouped, CLI_NOISE_CONFIDENCE);
}

/* The id of select's default recommendation (-1: none). */
static int64_t recommended(cli_decide *d)
{
	size_t i = cli_decide_pick(d);
	return i == (size_t)-1 ? -1 : d->c.v[i].id;
}

int cli_observed_change(bo_storage *st, const char *study_path, const char *storage, char *out, size_t outlen)
{
	cli_decide d[2];
	char *argv[1] = {NULL};
	int64_t id[2] = {-1, -1};
	bo_event *e = NULL;
	size_t ne = 0, j;
	int k, ret = 0, any = 0;
	out[0] = '\0';
	memset(d, 0, sizeof d);
	/* the configurations are judged twice only when there is something to compare */
	if (st->ops->events(st, &e, &ne) < 0) {
		cli_error("%s", bo_error_last());
		return -1;
	}
	for (j = 0; j < ne && !any; j++)
		any = !strcmp(e[j].kind, "observe");
	bo__event_free_array(e, ne);
	if (!any)
		return 0;
	for (k = 0; k < 2; k++) {
		d[k].study_path = study_path;
		d[k].storage = storage;
		d[k].quiet = 1;
		d[k].no_observe = k == 0;
		d[k].repeats = CLI_REPEATS_AUTO;   /* as select groups them */
		if (cli_decide_load(&d[k], 0, argv, 0) != 0) {
			ret = -1;
			goto done;
		}
		id[k] = recommended(&d[k]);
	}
	if (!d[1].nobserved)
		goto done;
	if (!d[1].s->score)
		snprintf(out, outlen, "%zu observation%s (newest: %s); no default recommendation (the study has "
			 "no score)", d[1].nobserved, d[1].nobserved == 1 ? "" : "s", d[1].observed_last);
	else if (id[0] == id[1])
		snprintf(out, outlen, "%zu observation%s (newest: %s); the recommendation is unchanged: %s%lld",
			 d[1].nobserved, d[1].nobserved == 1 ? "" : "s", d[1].observed_last,
			 id[1] < 0 ? "none" : "trial ", (long long)id[1]);
	else
		snprintf(out, outlen, "%zu observation%s (newest: %s); the recommendation changed: trial %lld "
			 "before them, trial %lld with them", d[1].nobserved, d[1].nobserved == 1 ? "" : "s",
			 d[1].observed_last, (long long)id[0], (long long)id[1]);
done:
	cli_decide_free(&d[0]);
	cli_decide_free(&d[1]);
	return ret;
}
