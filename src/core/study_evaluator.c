/*
 * core/study_evaluator.c - reads budget: and evaluator: of a study file (the
 * command, its placeholders, the executor and its Slurm options).
 *
 * Part of the study reader (core/study_yaml.c), whose tree and diagnostics
 * it shares (core/study_yaml_int.h). Must never print, exit or abort.
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

static void positive_money(rd *r, const ynode *n, const char *what, double *out)
{
	double v;
	char buf[48];
	if (bo__yaml_number(r, n, what, &v) < 0)
		return;
	if (!(v > 0)) {
		DIAG(r, n, "%s: must be more than 0, found %s", what, bo__yaml_shown(n->str, buf));
		return;
	}
	*out = v;
}

/* budget: confirm: SHARE, kept back from exploring to re-evaluate the top
 * candidates before recommending (runner/confirm.c). It races on the score,
 * so it needs one, a money budget to take its share of, and one evaluation
 * per configuration to repeat (not scenarios: for now). */
static void read_confirm(rd *r, const ynode *m)
{
	const ynode *n = bo__yaml_get(m, "confirm");
	double v;
	char buf[48];
	if (!n || bo__yaml_number(r, n, "budget: confirm", &v) < 0)
		return;
	if (!(v > 0 && v < 1)) {
		DIAG(r, n, "budget: confirm: the share of the money budget kept to confirm the best "
			   "candidates must be between 0 and 1 (exclusive), such as 0.2, found %s",
		     bo__yaml_shown(n->str, buf));
		return;
	}
	if (!bo__yaml_get(m, "money"))
		DIAG(r, n, "budget: confirm: is a share of the money budget, but the study has none "
			   "(add budget: money:)");
	else if (!r->s->score)
		DIAG(r, n, "budget: confirm: races the top candidates on the score, but the study "
			   "has none (add score:)");
	else if (r->s->nscenarios)
		DIAG(r, n, "budget: confirm: re-evaluates a configuration under one scenario; the "
			   "study lists scenarios (use scenario_policy, or drop confirm:)");
	else
		r->s->budget.confirm = v;
}

void bo__study_read_budget(rd *r, const ynode *top)
{
	static const char *const keys[] = {"money", "trials", "time", "per_trial", "rate",
					   "anomaly", "confirm", NULL};
	static const char *const pkeys[] = {"money", "time", NULL};
	const ynode *m = bo__yaml_want_map(r, bo__yaml_get(top, "budget"), "budget"), *n;
	bo_budget *b = &r->s->budget;
	long long t;
	char buf[48];
	if (!m)
		return;
	bo__yaml_check_keys(r, m, keys, "budget");
	if ((n = bo__yaml_get(m, "money")))
		positive_money(r, n, "budget: money", &b->money);
	if ((n = bo__yaml_get(m, "trials")) && bo__yaml_int(r, n, "budget: trials", 1, LLONG_MAX, &t) == 0)
		b->trials = t;
	if ((n = bo__yaml_get(m, "time")))
		bo__yaml_duration(r, n, "budget: time", &b->time_s);
	if ((n = bo__yaml_want_map(r, bo__yaml_get(m, "per_trial"), "budget: per_trial"))) {
		const ynode *x;
		bo__yaml_check_keys(r, n, pkeys, "budget: per_trial");
		if ((x = bo__yaml_get(n, "money")) && x->type == YN_SCALAR && x->plain && !strcmp(x->str, "none"))
			b->trial_money_none = 1;     /* no cap derived from the budget */
		else if (x && x->type == YN_SCALAR && x->plain && bo__yaml_num_syntax(x->str) == NUM_NO)
			DIAG(r, x, "budget: per_trial: money: expected a number > 0 or none, found \"%s\"",
			     bo__yaml_shown(x->str, buf));
		else if (x)
			positive_money(r, x, "budget: per_trial: money", &b->trial_money);
		if ((x = bo__yaml_get(n, "time")))
			bo__yaml_duration(r, x, "budget: per_trial: time", &b->trial_time_s);
	}
	bo__study_read_guard_budget(r, m);
	read_confirm(r, m);
}

/* Checks the {name} placeholders of one argument. */
static void check_placeholders(rd *r, const ynode *n, const char *arg)
{
	const char *p = arg;
	char buf[48], hint[128];
	while (*p) {
		if (p[0] == '{' && p[1] == '{') {
			p += 2;
			continue;
		}
		if (p[0] == '}' && p[1] == '}') {
			p += 2;
			continue;
		}
		if (*p == '}') {
			bo__yaml_diag_at(r, n->line, n->col + n->quote + (int)(p - arg),
				 "evaluator: a lone \"}\" in the command (write \"}}\" for a literal brace)");
			p++;
			continue;
		}
		if (*p == '{') {
			const char *e = strchr(p + 1, '}');
			char name[128];
			size_t len;
			if (!e) {
				bo__yaml_diag_at(r, n->line, n->col + n->quote + (int)(p - arg),
					 "evaluator: unclosed \"{\" in the command (write \"{{\" for a "
					 "literal brace)");
				return;
			}
			len = (size_t)(e - p - 1);
			if (len >= sizeof name)
				len = sizeof name - 1;
			memcpy(name, p + 1, len);
			name[len] = '\0';
			/* {scenario}, {repeat} and {seed} name the unit of the trial
			 * (a parameter of that name comes first) */
			if (bo__study_find_param(r->s, name) < 0 && strcmp(name, "scenario") != 0 &&
			    strcmp(name, "repeat") != 0 && strcmp(name, "seed") != 0) {
				suggest sg;
				size_t i;
				bo__suggest_init(&sg, name);
				for (i = 0; i < r->s->nparams; i++)
					bo__suggest_try(&sg, r->s->params[i].name);
				bo__suggest_try(&sg, "scenario");
				bo__suggest_try(&sg, "repeat");
				bo__suggest_try(&sg, "seed");
				bo__yaml_diag_at(r, n->line, n->col + n->quote + (int)(p - arg),
					 "evaluator: placeholder \"{%s}\" names no parameter%s",
					 bo__yaml_shown(name, buf), bo__suggest_hint(&sg, hint));
			}
			p = e + 1;
			continue;
		}
		p++;
	}
}

static char *join_path(rd *r, const char *dir, const char *rel)
{
	bo_strbuf sb = BO_STRBUF_INIT;
	if (rel[0] == '/')
		return bo__yaml_strdup(r, rel);
	bo__sb_puts(&sb, dir);
	if (sb.len && sb.s[sb.len - 1] != '/')
		bo__sb_putc(&sb, '/');
	bo__sb_puts(&sb, rel);
	if (sb.failed) {
		r->nomem = 1;
		bo__sb_clear(&sb);
		return NULL;
	}
	return bo__sb_take(&sb);
}

/* evaluator: slurm: (values checked by core/study_slurm.c). */
static void read_slurm(rd *r, const ynode *m, bo_slurm_opts *o)
{
	static const char *const keys[] = {"partition", "time", "cpus",  "gpus", "mem",
					   "account",   "extra", "poll", NULL};
	static const char *const texts[] = {"partition", "gpus", "mem", "account", NULL};
	char *const *dst[] = {&o->partition, &o->gpus, &o->mem, &o->account};
	const ynode *n;
	char why[256], buf[48];
	long long v;
	size_t i;
	bo__yaml_check_keys(r, m, keys, "evaluator: slurm");
	for (i = 0; texts[i]; i++) {
		const char *t;
		if (!(n = bo__yaml_get(m, texts[i])) || !(t = bo__yaml_text(r, n, "evaluator: slurm")))
			continue;
		if (bo__slurm_check(texts[i], t, why, sizeof why) < 0)
			DIAG(r, n, "evaluator: slurm: %s: expected %s, found \"%s\"", texts[i], why,
			     bo__yaml_shown(t, buf));
		else
			*(char **)dst[i] = bo__yaml_strdup(r, t);
	}
	if ((n = bo__yaml_get(m, "cpus")) && bo__yaml_int(r, n, "evaluator: slurm: cpus", 1, 1 << 20, &v) == 0)
		o->cpus = (int)v;
	if ((n = bo__yaml_get(m, "poll")))
		bo__yaml_duration(r, n, "evaluator: slurm: poll", &o->poll_s);
	if ((n = bo__yaml_get(m, "time"))) {
		/* Slurm's own "HH:MM:SS" / "D-HH", or a duration like timeout's. */
		if (n->type == YN_SCALAR && !bo__yaml_is_null(n) && strpbrk(n->str, ":-")) {
			if (bo__slurm_time_parse(n->str, &o->time_s) < 0)
				DIAG(r, n, "evaluator: slurm: time: expected \"HH:MM:SS\", \"D-HH:MM\" or a duration (\"30m\"), found \"%s\"",
				     bo__yaml_shown(n->str, buf));
		} else {
			bo__yaml_duration(r, n, "evaluator: slurm: time", &o->time_s);
		}
	}
	if ((n = bo__yaml_want_seq(r, bo__yaml_get(m, "extra"), "evaluator: slurm: extra"))) {
		if (!(o->extra = bo__calloc(n->n + 1, sizeof *o->extra))) {
			r->nomem = 1;
			return;
		}
		for (i = 0; i < n->n && !r->nomem; i++) {
			const char *t = bo__yaml_text(r, n->kids[i], "evaluator: slurm: extra");
			if (!t)
				continue;
			if (bo__slurm_check("extra", t, why, sizeof why) < 0)
				DIAG(r, n->kids[i], "evaluator: slurm: extra: \"%s\": %s", bo__yaml_shown(t, buf), why);
			else if ((o->extra[o->nextra] = bo__yaml_strdup(r, t)))
				o->nextra++;
		}
	}
}

static void read_executor(rd *r, const ynode *m, bo_evaluator *ev)
{
	const ynode *n, *sl = bo__yaml_get(m, "slurm");
	char buf[48];
	if ((n = bo__yaml_get(m, "executor"))) {
		const char *t = bo__yaml_text(r, n, "evaluator: executor");
		if (t && !strcmp(t, "slurm"))
			ev->executor = BO_EXECUTOR_SLURM;
		else if (t && strcmp(t, "local"))
			DIAG(r, n, "evaluator: executor: expected local or slurm, found \"%s\"", bo__yaml_shown(t, buf));
	}
	if (!sl)
		return;
	if (ev->executor != BO_EXECUTOR_SLURM && (!n || n->type == YN_SCALAR))
		DIAG(r, sl, "evaluator: slurm: options given, but the executor is local (add executor: slurm)");
	if (bo__yaml_want_map(r, sl, "evaluator: slurm"))
		read_slurm(r, sl, &ev->slurm);
}

void bo__study_read_evaluator(rd *r, const ynode *top)
{
	static const char *const keys[] = {"command", "parallel", "timeout", "workdir",
					   "shell",   "env",      "executor", "slurm", NULL};
	const ynode *m = bo__yaml_get(top, "evaluator"), *cmd, *n;
	bo_evaluator *ev = &r->s->evaluator;
	long long par;
	size_t i;
	char buf[48];

	if (!m) {
		/* A catalog study (catalog:) may have none: run refuses it then. */
		if (!bo__yaml_get(top, "catalog"))
			bo__yaml_diag_at(r, top->line, top->col,
				 "missing required key \"evaluator\" (the command that runs one trial; "
				 "only a study with a catalog: section may omit it)");
		return;
	}
	if (!bo__yaml_want_map(r, m, "evaluator"))
		return;
	ev->pos.line = m->line;
	ev->pos.col = m->col;
	bo__yaml_check_keys(r, m, keys, "evaluator");
	read_executor(r, m, ev);
	if ((n = bo__yaml_get(m, "shell")))
		bo__yaml_bool(r, n, "evaluator: shell", &ev->shell);
	if ((n = bo__yaml_get(m, "parallel")) &&
	    bo__yaml_int(r, n, "evaluator: parallel", 1, INT_MAX, &par) == 0)
		ev->parallel = (int)par;
	if ((n = bo__yaml_get(m, "timeout")))
		bo__yaml_duration(r, n, "evaluator: timeout", &ev->timeout_s);
	if ((n = bo__yaml_get(m, "workdir"))) {
		const char *t = bo__yaml_text(r, n, "evaluator: workdir");
		if (t && !*t)
			DIAG(r, n, "evaluator: workdir is empty");
		else if (t)
			ev->workdir = join_path(r, r->s->dir, t);
	}
	if ((n = bo__yaml_want_map(r, bo__yaml_get(m, "env"), "evaluator: env"))) {
		ev->env = bo__calloc(n->n / 2 + 1, sizeof(char *));
		if (!ev->env) {
			r->nomem = 1;
			return;
		}
		for (i = 0; i + 1 < n->n && !r->nomem; i += 2) {
			const ynode *k = n->kids[i];
			const char *v;
			bo_strbuf sb = BO_STRBUF_INIT;
			if (k->type != YN_SCALAR)
				continue;
			if (!bo__yaml_is_ident(k->str, 0)) {
				DIAG(r, k, "evaluator: invalid environment variable name \"%s\"",
				     bo__yaml_shown(k->str, buf));
				continue;
			}
			v = bo__yaml_text(r, n->kids[i + 1], "evaluator: env");
			if (!v)
				continue;
			bo__sb_puts(&sb, k->str);
			bo__sb_putc(&sb, '=');
			bo__sb_puts(&sb, v);
			if (sb.failed) {
				r->nomem = 1;
				bo__sb_clear(&sb);
				return;
			}
			ev->env[ev->nenv++] = bo__sb_take(&sb);
		}
	}
	cmd = bo__yaml_get(m, "command");
	if (!cmd) {
		DIAG(r, m, "evaluator: missing required key \"command\" (the argv list: [python3, "
			   "evaluate.py, \"{param}\"])");
		return;
	}
	if (cmd->type == YN_SCALAR && !bo__yaml_is_null(cmd) && !ev->shell) {
		DIAG(r, cmd, "evaluator: command must be a list of strings (the argv), found a string "
			     "(write [prog, arg, ...], or set shell: true to run it with /bin/sh -c)");
		return;
	}
	if (cmd->type == YN_MAP || bo__yaml_is_null(cmd)) {
		DIAG(r, cmd, "evaluator: command must be a list of strings (the argv), found %s",
		     bo__yaml_kind(cmd));
		return;
	}
	if (cmd->type == YN_SEQ && cmd->n == 0) {
		DIAG(r, cmd, "evaluator: command is empty");
		return;
	}
	if (cmd->type == YN_SEQ && ev->shell && cmd->n != 1) {
		DIAG(r, cmd, "evaluator: with shell: true, command must be a single string");
		return;
	}
	{
		size_t na = cmd->type == YN_SEQ ? cmd->n : 1;
		ev->argv = bo__calloc(na + 1, sizeof(char *));
		if (!ev->argv) {
			r->nomem = 1;
			return;
		}
		for (i = 0; i < na && !r->nomem; i++) {
			const ynode *a = cmd->type == YN_SEQ ? cmd->kids[i] : cmd;
			const char *t = bo__yaml_text(r, a, "evaluator: command");
			if (!t)
				continue;
			check_placeholders(r, a, t);
			ev->argv[ev->argc] = bo__yaml_strdup(r, t);
			if (ev->argv[ev->argc])
				ev->argc++;
		}
	}
}
