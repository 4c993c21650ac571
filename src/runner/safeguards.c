/*
 * runner/safeguards.c - spend-rate limit, budget alerts and their hook,
 * anomaly stop, most trials per value (runner/safeguards.h).
 *
 * The rules take the clock as an argument and touch nothing; the state of
 * a run calls back into the runner for events and notes. The hook command
 * runs without a shell, never blocks the loop (it is reaped on each pass
 * and killed past its timeout), and whatever it does, the run goes on.
 */
#include "runner/safeguards.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/strbuf.h"
#include "core/trial.h"
#include "storage/storage.h"

extern char **environ;

#define HOOK_REAP_NAP_MS 20      /* between looks at hooks at the end of a run */
#define LIMIT_INT_TRIES 100000   /* int values tried around an excluded one */

/* ---- spend rate ---------------------------------------------------------- */

double bo__rate_window_sum(const bo_rate_charge *c, size_t n, double now, double per_s)
{
	double sum = 0.0;
	size_t i;
	for (i = 0; i < n; i++)
		if (c[i].t > now - per_s && isfinite(c[i].amount))
			sum += c[i].amount;
	return sum;
}

int bo__rate_allows(const bo_guard *g, double window, double held, size_t nrunning, double next)
{
	if (!isfinite(g->rate_money))
		return 1;
	if (!isfinite(next))
		next = 0;
	if (window + held + next <= g->rate_money * (1 + BO_GUARD_MONEY_EPS))
		return 1;
	return window <= 0 && nrunning == 0;
}

double bo__rate_free_at(const bo_guard *g, const bo_rate_charge *c, size_t n, double now,
			double held, size_t nrunning, double next)
{
	double window = bo__rate_window_sum(c, n, now, g->rate_per_s);
	double best = NAN;
	size_t i;
	if (bo__rate_allows(g, window, held, nrunning, next))
		return now;
	/* The charges leave the window at t + per, oldest first: the first
	 * moment at which what stays lets the trial launch. */
	for (i = 0; i < n; i++) {
		double at = c[i].t + g->rate_per_s;
		if (!(c[i].t > now - g->rate_per_s))
			continue;
		if (bo__rate_allows(g, bo__rate_window_sum(c, n, at, g->rate_per_s), held, nrunning, next) &&
		    (isnan(best) || at < best))
			best = at;
	}
	return best;
}

/* ---- alerts -------------------------------------------------------------- */

size_t bo__alerts_due(const bo_guard *g, double budget, double spent, unsigned fired, size_t *out)
{
	size_t i, n = 0;
	if (!(isfinite(budget) && budget > 0) || !isfinite(spent))
		return 0;
	for (i = 0; i < g->nalerts; i++)
		if (!(fired & (1u << i)) && spent >= g->alerts[i] * budget * (1 - BO_GUARD_MONEY_EPS))
			out[n++] = i;
	return n;
}

void bo__alert_detail(double at, double spent, double budget, const char *currency, char *buf,
		      size_t size)
{
	snprintf(buf, size, "budget alert %.15g%%: spent %.6g of %.6g %s", at * 100.0, spent, budget,
		 currency ? currency : "");
}

void bo__alert_key(double at, char *buf, size_t size)
{
	/* bo__alert_detail's text up to its colon */
	snprintf(buf, size, "budget alert %.15g%%:", at * 100.0);
}

int bo__alert_mark_fired(const bo_guard *g, const char *detail, unsigned *fired)
{
	double pct;
	size_t i;
	if (!detail || sscanf(detail, "budget alert %lf%%", &pct) != 1)
		return 0;
	for (i = 0; i < g->nalerts; i++)
		if (fabs(pct / 100.0 - g->alerts[i]) <= 1e-9) {
			*fired |= 1u << i;
			return 1;
		}
	return 0;
}

/* ---- anomaly ------------------------------------------------------------- */

int bo__anomaly_exceeds(double k, double predicted, double cost_so_far)
{
	if (!(k > 0) || !(isfinite(predicted) && predicted > 0) || !isfinite(cost_so_far))
		return 0;
	return cost_so_far > k * predicted;
}

/* ---- most trials per value ------------------------------------------------ */

static size_t count_find(const bo_limit_count *c, double v)
{
	size_t i;
	for (i = 0; i < c->n; i++)
		if (c->items[i].value == v)
			return i;
	return c->n;
}

int bo__limit_count_add(bo_limit_count *c, double v)
{
	size_t i;
	if (isnan(v))
		return 0;
	i = count_find(c, v);
	if (i == c->n) {
		if (bo__grow(&c->items, &c->cap, c->n + 1, sizeof *c->items) < 0)
			return BO_ENOMEM;
		c->items[c->n].value = v;
		c->items[c->n].count = 0;
		c->n++;
	}
	c->items[i].count++;
	return 0;
}

int64_t bo__limit_count_get(const bo_limit_count *c, double v)
{
	size_t i = count_find(c, v);
	return i < c->n ? c->items[i].count : 0;
}

void bo__limit_count_clear(bo_limit_count *c)
{
	if (!c)
		return;
	bo__free(c->items);
	memset(c, 0, sizeof *c);
}

/* Tries value v for parameter p of x: 1 when it is under its limit and x
 * stays valid with it (x then holds it), else 0 (x unchanged). */
static int try_value(const bo_study *s, const bo_trial_limit *l, const bo_limit_count *c, double *x,
		     double v)
{
	double old = x[l->param];
	char why[8];
	if (bo__limit_count_get(c, v) >= l->max)
		return 0;
	x[l->param] = v;
	if (bo__study_check_config(s, x, why, sizeof why) == 0)
		return 1;
	x[l->param] = old;
	return 0;
}

int bo__limits_apply(const bo_study *s, const bo_limit_count *counts, double *x, char *why,
		     size_t size)
{
	const bo_guard *g = &s->guard;
	size_t i;
	int changed = 0;
	if (size)
		why[0] = '\0';
	for (i = 0; i < g->nlimits; i++) {
		const bo_trial_limit *l = &g->limits[i];
		const bo_param *p = &s->params[l->param];
		double v = x[l->param];
		char was[64], now[64];
		int ok = 0;
		if (isnan(v) || bo__limit_count_get(&counts[i], v) < l->max)
			continue;
		bo__param_format(p, v, was, sizeof was);
		if (p->type == BO_PT_CHOICE || p->type == BO_PT_ORDINAL) {
			size_t k;
			for (k = 1; k < p->nchoices && !ok; k++)
				ok = try_value(s, l, &counts[i], x, fmod(v + (double)k, (double)p->nchoices));
		} else {
			double step = p->step > 0 ? p->step : 1.0;
			long d;
			for (d = 1; d <= LIMIT_INT_TRIES && !ok; d++) {
				double up = v + (double)d * step, down = v - (double)d * step;
				if (up > p->hi && down < p->lo)
					break;
				if (up <= p->hi)
					ok = try_value(s, l, &counts[i], x, up);
				if (!ok && down >= p->lo)
					ok = try_value(s, l, &counts[i], x, down);
			}
		}
		if (!ok) {
			snprintf(why, size, "limits: every value of %s that the configuration allows has had its "
				 "%lld trials (max_trials_per)", p->name, (long long)l->max);
			return BO_DONE;
		}
		bo__param_format(p, x[l->param], now, sizeof now);
		snprintf(why + strlen(why), size - strlen(why), "%s%s = %s has had its %lld trials "
			 "(max_trials_per); %s instead", changed ? "; " : "", p->name, was,
			 (long long)l->max, now);
		changed = 1;
	}
	return changed ? BO_LIMIT_CHANGED : 0;
}

/* ---- rollback ------------------------------------------------------------------ */

int bo__rollback_demotes(int goal, double recorded, double reeval, double noise)
{
	if (!isfinite(recorded) || !isfinite(reeval))
		return 0;
	if (!(noise >= 0))
		noise = 0;
	return goal < 0 ? reeval - recorded > noise : recorded - reeval > noise;
}

struct bo_guard_inc {
	int64_t id;
	double score;
	double *x;
	int demoted;
};

/* The best trial not demoted (ties: the earlier one), or NULL. */
static struct bo_guard_inc *incumbent(bo_safeguards *g)
{
	struct bo_guard_inc *best = NULL;
	int goal = g->s->score_goal < 0 ? -1 : 1;
	size_t i;
	for (i = 0; i < g->nincs; i++) {
		struct bo_guard_inc *c = &g->incs[i];
		if (c->demoted)
			continue;
		if (!best || (goal > 0 ? c->score > best->score : c->score < best->score))
			best = c;
	}
	return best;
}

static int add_inc(bo_safeguards *g, int64_t id, const double *x, double score)
{
	size_t np = g->s->nparams;
	double *cx;
	if (!(cx = bo__calloc(np + 1, sizeof *cx)))
		return BO_ENOMEM;
	memcpy(cx, x, np * sizeof *cx);
	if (bo__grow(&g->incs, &g->capincs, g->nincs + 1, sizeof *g->incs) < 0) {
		bo__free(cx);
		return BO_ENOMEM;
	}
	g->incs[g->nincs].id = id;
	g->incs[g->nincs].score = score;
	g->incs[g->nincs].x = cx;
	g->incs[g->nincs].demoted = 0;
	g->nincs++;
	return 0;
}

static struct bo_guard_inc *find_inc(bo_safeguards *g, int64_t id)
{
	size_t i;
	for (i = 0; i < g->nincs; i++)
		if (g->incs[i].id == id)
			return &g->incs[i];
	return NULL;
}

/* ---- the hook -------------------------------------------------------------- */

static void fmt_num(double v, char *buf, size_t size)
{
	snprintf(buf, size, "%.15g", v);
}

/* The value of placeholder name (n bytes), or NULL when it is not one. */
static const char *field(const bo_alert_figures *f, const char *name, size_t n, char *num,
			 size_t size)
{
	if (n == 9 && !strncmp(name, "threshold", n)) {
		fmt_num(f->threshold, num, size);
		return num;
	}
	if (n == 5 && !strncmp(name, "spent", n)) {
		fmt_num(f->spent, num, size);
		return num;
	}
	if (n == 6 && !strncmp(name, "budget", n)) {
		fmt_num(f->budget, num, size);
		return num;
	}
	if (n == 8 && !strncmp(name, "currency", n))
		return f->currency ? f->currency : "";
	if (n == 5 && !strncmp(name, "study", n))
		return f->study ? f->study : "";
	return NULL;
}

/* arg with its {placeholders} replaced: one argument, whatever they hold. */
static char *expand(const char *arg, const bo_alert_figures *f)
{
	bo_strbuf sb = BO_STRBUF_INIT;
	const char *p = arg;
	char num[64];
	while (*p) {
		const char *e = *p == '{' ? strchr(p, '}') : NULL;
		const char *val = e ? field(f, p + 1, (size_t)(e - p - 1), num, sizeof num) : NULL;
		if (val) {
			bo__sb_puts(&sb, val);
			p = e + 1;
		} else {
			bo__sb_putc(&sb, *p++);
		}
	}
	if (sb.failed || !sb.s) {
		if (!sb.failed)
			return bo__strdup("");
		bo__sb_clear(&sb);
		return NULL;
	}
	return bo__sb_take(&sb);
}

static char *env_pair(const char *k, const char *v)
{
	bo_strbuf sb = BO_STRBUF_INIT;
	bo__sb_printf(&sb, "%s=%s", k, v ? v : "");
	if (sb.failed) {
		bo__sb_clear(&sb);
		return NULL;
	}
	return bo__sb_take(&sb);
}

static void free_strv(char **v)
{
	size_t i;
	for (i = 0; v && v[i]; i++)
		bo__free(v[i]);
	bo__free(v);
}

int bo__alert_hook_start(const bo_guard *g, const bo_alert_figures *f, const char *dir,
			 const char *log_path, pid_t *pid)
{
	char **argv = NULL, **envp = NULL;
	char *prog = NULL;
	size_t i, nenv = 0, k = 0;
	char num[64];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int have_fa = 0, have_at = 0, e, rc = 0;

	*pid = -1;
	if (!g->alert_argv || !g->alert_argc)
		return bo__error(BO_EMISUSE, "alerts: no command");
	while (environ && environ[nenv])
		nenv++;
	argv = bo__calloc(g->alert_argc + 1, sizeof *argv);
	envp = bo__calloc(nenv + 6, sizeof *envp);
	if (!argv || !envp)
		goto nomem;
	for (i = 0; i < g->alert_argc; i++)
		if (!(argv[i] = expand(g->alert_argv[i], f)))
			goto nomem;
	for (i = 0; i < nenv; i++) {
		/* ours replace any inherited ones */
		if (!strncmp(environ[i], "BUDGETOPT_ALERT_", 16))
			continue;
		if (!(envp[k++] = bo__strdup(environ[i])))
			goto nomem;
	}
	fmt_num(f->threshold, num, sizeof num);
	if (!(envp[k++] = env_pair("BUDGETOPT_ALERT_THRESHOLD", num)))
		goto nomem;
	fmt_num(f->spent, num, sizeof num);
	if (!(envp[k++] = env_pair("BUDGETOPT_ALERT_SPENT", num)))
		goto nomem;
	fmt_num(f->budget, num, sizeof num);
	if (!(envp[k++] = env_pair("BUDGETOPT_ALERT_BUDGET", num)) ||
	    !(envp[k++] = env_pair("BUDGETOPT_ALERT_CURRENCY", f->currency)) ||
	    !(envp[k++] = env_pair("BUDGETOPT_ALERT_STUDY", f->study)))
		goto nomem;
	if (argv[0][0] != '/' && strchr(argv[0], '/') && dir) {
		bo_strbuf sb = BO_STRBUF_INIT;
		bo__sb_printf(&sb, "%s/%s", dir, argv[0]);
		if (sb.failed) {
			bo__sb_clear(&sb);
			goto nomem;
		}
		prog = bo__sb_take(&sb);
	}
	if ((e = posix_spawn_file_actions_init(&fa)) != 0)
		goto spawn_failed;
	have_fa = 1;
	if ((e = posix_spawnattr_init(&at)) != 0)
		goto spawn_failed;
	have_at = 1;
	if ((e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)) != 0 ||
	    (e = posix_spawn_file_actions_addopen(&fa, 1, log_path ? log_path : "/dev/null",
						  O_WRONLY | O_CREAT | O_APPEND, 0600)) != 0 ||
	    (e = posix_spawn_file_actions_adddup2(&fa, 1, 2)) != 0)
		goto spawn_failed;
	/* its own process group: a timeout kills whatever it started too */
	if ((e = posix_spawnattr_setpgroup(&at, 0)) != 0 ||
	    (e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP)) != 0)
		goto spawn_failed;
	e = prog ? posix_spawn(pid, prog, &fa, &at, argv, envp)
		 : posix_spawnp(pid, argv[0], &fa, &at, argv, envp);
	if (e != 0)
		goto spawn_failed;
	rc = 0;
	goto done;
spawn_failed:
	*pid = -1;
	rc = bo__error(BO_EIO, "alerts: cannot start %s: %s", g->alert_argv[0], strerror(e));
	goto done;
nomem:
	rc = bo__error(BO_ENOMEM, "out of memory");
done:
	if (have_fa)
		posix_spawn_file_actions_destroy(&fa);
	if (have_at)
		posix_spawnattr_destroy(&at);
	free_strv(argv);
	free_strv(envp);
	bo__free(prog);
	return rc;
}

/* ---- the state of one run --------------------------------------------------- */

static void ev(bo_safeguards *g, int64_t trial, const char *kind, double amount, const char *fmt, ...)
	BO__PRINTF(5, 6);

static void ev(bo_safeguards *g, int64_t trial, const char *kind, double amount, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	if (g->cb.event)
		g->cb.event(g->cb.ud, trial, kind, amount, detail);
}

static void note(bo_safeguards *g, const char *msg)
{
	if (g->cb.note)
		g->cb.note(g->cb.ud, msg);
}

int bo__guard_init(bo_safeguards *g, const bo_study *s, const bo_guard_cb *cb, const char *hook_log)
{
	memset(g, 0, sizeof *g);
	g->s = s;
	if (cb)
		g->cb = *cb;
	if (hook_log && !(g->hook_log = bo__strdup(hook_log)))
		return BO_ENOMEM;
	if (s->guard.nlimits &&
	    !(g->counts = bo__calloc(s->guard.nlimits, sizeof *g->counts)))
		return BO_ENOMEM;
	return 0;
}

static int count_config(bo_safeguards *g, const double *x)
{
	size_t i;
	for (i = 0; i < g->s->guard.nlimits; i++)
		if (bo__limit_count_add(&g->counts[i], x[g->s->guard.limits[i].param]) < 0)
			return BO_ENOMEM;
	return 0;
}

static int add_charge(bo_safeguards *g, double t, double amount, double now)
{
	const bo_guard *gd = &g->s->guard;
	size_t i, k = 0;
	if (!isfinite(gd->rate_money) || !(amount > 0))
		return 0;
	/* forget what left the window */
	for (i = 0; i < g->ncharges; i++)
		if (g->charges[i].t > now - gd->rate_per_s)
			g->charges[k++] = g->charges[i];
	g->ncharges = k;
	if (!(t > now - gd->rate_per_s))
		return 0;
	if (bo__grow(&g->charges, &g->capcharges, g->ncharges + 1, sizeof *g->charges) < 0)
		return BO_ENOMEM;
	g->charges[g->ncharges].t = t;
	g->charges[g->ncharges].amount = amount;
	g->ncharges++;
	return 0;
}

static void fire_alerts(bo_safeguards *g, double spent, double now_mono)
{
	const bo_study *s = g->s;
	size_t due[BO_ALERTS_MAX], n, i;
	n = bo__alerts_due(&s->guard, s->budget.money, spent, g->fired, due);
	for (i = 0; i < n; i++) {
		double at = s->guard.alerts[due[i]];
		char detail[256], key[64];
		bo__alert_detail(at, spent, s->budget.money, s->prices.currency, detail, sizeof detail);
		if (g->cb.alert_once) {
			/* several processes on one study: the one whose event the
			 * ledger takes first fires it (note and hook); the others
			 * only learn that it fired. A failed write fires nothing
			 * and is tried again at the next charge. */
			int rc;
			bo__alert_key(at, key, sizeof key);
			rc = g->cb.alert_once(g->cb.ud, key, spent, detail);
			if (rc < 0) {
				char msg[600];
				snprintf(msg, sizeof msg, "%s: %s (tried again at the next charge)", detail,
					 bo_error_last());
				note(g, msg);
				continue;
			}
			g->fired |= 1u << due[i];
			if (rc == 0)
				continue;
		} else {
			g->fired |= 1u << due[i];
			ev(g, 0, "alert", spent, "%s", detail);
		}
		note(g, detail);
		if (s->guard.alert_argv && g->nhooks < BO_ALERTS_MAX) {
			bo_alert_figures f;
			pid_t pid;
			f.threshold = at;
			f.spent = spent;
			f.budget = s->budget.money;
			f.currency = s->prices.currency;
			f.study = s->name;
			if (bo__alert_hook_start(&s->guard, &f, s->dir, g->hook_log, &pid) < 0) {
				ev(g, 0, "alert_hook", NAN, "alert %.15g%%: %s", at * 100.0, bo_error_last());
				note(g, bo_error_last());
				continue;
			}
			g->hooks[g->nhooks].pid = pid;
			g->hooks[g->nhooks].started = now_mono;
			g->hooks[g->nhooks].threshold = at;
			g->hooks[g->nhooks].killed = 0;
			g->nhooks++;
		}
	}
}

int bo__guard_start(bo_safeguards *g, struct bo_storage *st, double spent, double now_mono,
		    double now)
{
	const bo_study *s = g->s;
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	bo_trial_rec *t = NULL;
	bo_event *e = NULL;
	size_t n = 0, ne = 0, i, k;
	double *x = NULL;
	int rc;

	if ((rc = st->ops->trials(st, &q, &t, &n)) < 0)
		goto done;
	if (!(x = bo__calloc(s->nparams + 1, sizeof *x))) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (t[i].ended_at > 0 && (rc = add_charge(g, t[i].ended_at, t[i].cost, now)) < 0)
			goto done;
		if (s->guard.nlimits || s->guard.rollback_every) {
			for (k = 0; k < s->nparams; k++)
				x[k] = bo__kv_get(t[i].params, t[i].nparams, s->params[k].name);
			if ((rc = count_config(g, x)) < 0)
				goto done;
			if (s->guard.rollback_every && t[i].state == BO_TRIAL_COMPLETE &&
			    t[i].feasible == 1 && isfinite(t[i].score) &&
			    (rc = add_inc(g, t[i].id, x, t[i].score)) < 0)
				goto done;
		}
	}
	g->last_reeval = (int64_t)n;
	if ((rc = st->ops->events(st, &e, &ne)) < 0)
		goto done;
	for (i = 0; i < ne; i++) {
		struct bo_guard_inc *inc;
		if (e[i].kind && !strcmp(e[i].kind, "alert"))
			bo__alert_mark_fired(&s->guard, e[i].detail, &g->fired);
		if (e[i].kind && !strcmp(e[i].kind, "rollback") && (inc = find_inc(g, e[i].trial_id))) {
			/* every trial of the demoted configuration */
			for (k = 0; k < g->nincs; k++)
				if (bo__trial_same_point(g->incs[k].x, inc->x, s->nparams))
					g->incs[k].demoted = 1;
		}
	}
	fire_alerts(g, spent, now_mono);
	rc = 0;
done:
	bo__trial_rec_free_array(t, n);
	bo__event_free_array(e, ne);
	bo__free(x);
	return rc;
}

/* One "rate_wait" event (and note) per wait. */
static void rate_wait_event(bo_safeguards *g, double window, double held, const char *held_what,
			    double need, const char *when)
{
	const bo_guard *gd = &g->s->guard;
	char msg[480];
	g->rate_waiting = 1;
	snprintf(msg, sizeof msg,
		 "spend rate: %.6g charged in the last %g s, %.6g %s and %.6g for the next would "
		 "pass %.6g %s per %g s; launches wait (%s)",
		 window, gd->rate_per_s, held, held_what, isfinite(need) ? need : 0.0, gd->rate_money,
		 g->s->prices.currency, gd->rate_per_s, when);
	ev(g, 0, "rate_wait", need, "%s", msg);
	note(g, msg);
}

int bo__guard_rate_ok(bo_safeguards *g, double need, size_t nrunning, double now)
{
	const bo_guard *gd = &g->s->guard;
	double window, held = 0.0;
	size_t i;
	if (!isfinite(gd->rate_money))
		return 1;
	window = bo__rate_window_sum(g->charges, g->ncharges, now, gd->rate_per_s);
	for (i = 0; i < g->nholds; i++)
		if (isfinite(g->holds[i].amount))
			held += g->holds[i].amount;
	if (bo__rate_allows(gd, window, held, nrunning, need)) {
		g->rate_waiting = 0;
		return 1;
	}
	if (!g->rate_waiting) {
		char when[64] = "when running trials end";
		double free_at = bo__rate_free_at(gd, g->charges, g->ncharges, now, held, nrunning, need);
		if (isfinite(free_at))
			snprintf(when, sizeof when, "for %.3g s at most", free_at - now);
		rate_wait_event(g, window, held, "predicted for running trials", need, when);
	}
	return 0;
}

void bo__guard_rate_shared(bo_safeguards *g, int waits, double window, double held, double need)
{
	if (!waits) {
		g->rate_waiting = 0;
		return;
	}
	if (!g->rate_waiting)
		rate_wait_event(g, window, held, "reserved by running trials of every worker", need,
				"until charges leave the window or running trials end");
}

int bo__guard_limits(bo_safeguards *g, int64_t number, double *x)
{
	char why[512];
	int rc;
	if (!g->s->guard.nlimits)
		return 0;
	rc = bo__limits_apply(g->s, g->counts, x, why, sizeof why);
	if (rc == BO_DONE)
		return bo__error(BO_DONE, "%s", why);
	if (rc == BO_LIMIT_CHANGED)
		ev(g, 0, "limit", NAN, "trial %lld: %s", (long long)number + 1, why);
	return rc < 0 ? rc : 0;
}

int bo__guard_launched(bo_safeguards *g, int64_t id, const double *x, double need)
{
	int rc;
	if (x && (rc = count_config(g, x)) < 0)
		return rc;
	if (g->reeval_of) {
		/* the held re-evaluation, unless a cheaper configuration replaced it */
		if (x && bo__trial_same_point(x, g->reeval_x, g->s->nparams)) {
			g->reeval_trial = id;
			g->reeval_target = g->reeval_of;
			ev(g, id, "reeval", NAN, "trial %lld re-evaluates the incumbent, trial %lld",
			   (long long)id, (long long)g->reeval_of);
		}
		g->reeval_of = 0;
		g->reeval_x = NULL;
	}
	if (!isfinite(g->s->guard.rate_money))
		return 0;
	if (bo__grow(&g->holds, &g->capholds, g->nholds + 1, sizeof *g->holds) < 0)
		return BO_ENOMEM;
	g->holds[g->nholds].id = id;
	g->holds[g->nholds].amount = isfinite(need) ? need : 0.0;
	g->nholds++;
	return 0;
}

int bo__guard_charged(bo_safeguards *g, int64_t id, double cost, double spent, double now_mono,
		      double now)
{
	size_t i;
	for (i = 0; i < g->nholds; i++)
		if (g->holds[i].id == id) {
			g->holds[i] = g->holds[--g->nholds];
			break;
		}
	if (add_charge(g, now, cost, now) < 0)
		return BO_ENOMEM;
	fire_alerts(g, spent, now_mono);
	return 0;
}

int bo__guard_reeval_due(bo_safeguards *g, int64_t ntrials, double **x)
{
	const bo_guard *gd = &g->s->guard;
	struct bo_guard_inc *inc;
	*x = NULL;
	if (!gd->rollback_every || g->reeval_of || g->reeval_trial ||
	    ntrials - g->last_reeval < gd->rollback_every)
		return 0;
	if (!(inc = incumbent(g)))
		return 0;
	if (!(*x = bo__calloc(g->s->nparams + 1, sizeof **x)))
		return BO_ENOMEM;
	memcpy(*x, inc->x, g->s->nparams * sizeof **x);
	g->last_reeval = ntrials;
	g->reeval_of = inc->id;
	g->reeval_x = inc->x;
	return 1;
}

int bo__guard_trial_done(bo_safeguards *g, int64_t id, const double *x, int state, double score,
			 int feasible)
{
	int ok = state == BO_TRIAL_COMPLETE && feasible && isfinite(score);
	if (g->reeval_trial && id == g->reeval_trial) {
		struct bo_guard_inc *inc = find_inc(g, g->reeval_target);
		int goal = g->s->score_goal < 0 ? -1 : 1;
		double noise = g->s->guard.rollback_noise;
		g->reeval_trial = 0;
		/* complete but past a guardrail: worse than any score */
		int infeasible = state == BO_TRIAL_COMPLETE && !feasible;
		if (inc && !inc->demoted &&
		    (infeasible || bo__rollback_demotes(goal, inc->score, ok ? score : NAN, noise))) {
			char msg[400];
			size_t k;
			for (k = 0; k < g->nincs; k++)   /* every trial of its configuration */
				if (bo__trial_same_point(g->incs[k].x, inc->x, g->s->nparams))
					g->incs[k].demoted = 1;
			if (infeasible)
				snprintf(msg, sizeof msg, "trial %lld demoted: its re-evaluation (trial %lld) "
					 "no longer meets the guardrails", (long long)inc->id, (long long)id);
			else
				snprintf(msg, sizeof msg, "trial %lld demoted: its re-evaluation (trial %lld) "
					 "scored %.6g, %s its recorded %.6g by more than its noise %g",
					 (long long)inc->id, (long long)id, score, goal > 0 ? "below" : "above",
					 inc->score, noise);
			ev(g, inc->id, "rollback", NAN, "%s", msg);
			note(g, msg);
			return 0;   /* its configuration is demoted: not a candidate either */
		}
		if (inc && !ok)
			ev(g, inc->id, "reeval", NAN, "trial %lld re-evaluated as trial %lld, which ended "
			   "without a score: kept", (long long)inc->id, (long long)id);
		else if (inc)
			ev(g, inc->id, "reeval", NAN, "trial %lld re-evaluated as trial %lld: score %.6g "
			   "(recorded %.6g, noise %g): kept", (long long)inc->id, (long long)id, score,
			   inc->score, noise);
	}
	if (ok && g->s->guard.rollback_every && x)
		return add_inc(g, id, x, score);
	return 0;
}

static void reap(bo_safeguards *g, size_t i, double now_mono)
{
	bo_guard_hook *h = &g->hooks[i];
	double timeout = g->s->guard.alert_timeout_s;
	int ws;
	pid_t r = waitpid(h->pid, &ws, WNOHANG);
	if (r == 0) {
		if (!h->killed && now_mono - h->started >= timeout) {
			h->killed = 1;
			kill(-h->pid, SIGKILL);
			ev(g, 0, "alert_hook", NAN, "alert %.15g%%: the hook ran past its timeout (%g s) and was killed",
			   h->threshold * 100.0, timeout);
		}
		return;
	}
	if (r < 0 && errno == EINTR)
		return;
	if (r > 0 && !h->killed) {
		if (WIFEXITED(ws) && WEXITSTATUS(ws) != 0)
			ev(g, 0, "alert_hook", NAN, "alert %.15g%%: the hook exited with status %d",
			   h->threshold * 100.0, WEXITSTATUS(ws));
		else if (WIFSIGNALED(ws))
			ev(g, 0, "alert_hook", NAN, "alert %.15g%%: the hook was killed by signal %d",
			   h->threshold * 100.0, WTERMSIG(ws));
	}
	g->hooks[i] = g->hooks[--g->nhooks];
}

void bo__guard_tick(bo_safeguards *g, double now_mono)
{
	size_t i = g->nhooks;
	while (i-- > 0)
		reap(g, i, now_mono);
}

void bo__guard_clear(bo_safeguards *g, double now_mono)
{
	double t0 = bo__clock_mono();
	size_t i;
	if (!g)
		return;
	while (g->nhooks) {
		struct timespec nap = {0, HOOK_REAP_NAP_MS * 1000000L};
		/* the caller's clock, moved on by the time waited here */
		bo__guard_tick(g, now_mono + (bo__clock_mono() - t0));
		if (g->nhooks)
			nanosleep(&nap, NULL);
	}
	for (i = 0; g->counts && i < g->s->guard.nlimits; i++)
		bo__limit_count_clear(&g->counts[i]);
	for (i = 0; i < g->nincs; i++)
		bo__free(g->incs[i].x);
	bo__free(g->incs);
	bo__free(g->counts);
	bo__free(g->charges);
	bo__free(g->holds);
	bo__free(g->hook_log);
	memset(g, 0, sizeof *g);
}
