/*
 * cli/select_confirm.c - `budgetopt select --reserve MONEY` and what the
 * commands say of a ledger's confirmation phases (runner/confirm.h): the
 * phase runs through the library's run loop, exactly like `run`, so its
 * trials are reserved, capped and charged as any other; select then ranks
 * the ledger as it is, the re-evaluations folded as repeats.
 */
#include "select_confirm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budgetopt/run.h"
#include "storage/storage.h"

static void on_note(void *ud, const bo_run_progress *p)
{
	(void)ud;
	if (p->kind == BO_PROGRESS_NOTE)
		fprintf(stderr, "budgetopt: %s\n", p->message);
}

int cli_confirm_run(const char *path, const char *storage, double money, double confidence)
{
	bo_run_options opt = BO_RUN_OPTIONS_INIT;
	bo_run_summary sum;
	bo_study *s = cli_load_study(path);
	char spent[64];
	int rc;
	if (!s)
		return EXIT_USAGE;
	opt.storage = storage;
	opt.confirm_money = money;
	opt.confirm_confidence = confidence;
	opt.interrupts = cli_catch_interrupts();
	opt.progress = on_note;
	opt.crash_at = getenv("BUDGETOPT_TEST_CRASH_AT");
	rc = bo_run(s, &opt, &sum);
	if (rc < 0 && rc != BO_EINTR) {
		cli_error("%s", bo_error_last());
	} else {
		cli_fmt_money(sum.spent, s->prices.currency, spent, sizeof spent);
		fprintf(stderr, "budgetopt: confirmation: %lld re-evaluations run, %s spent in all; stopped: %s\n",
			(long long)sum.launched, spent, sum.stop_reason[0] ? sum.stop_reason : "done");
		if (rc == BO_EINTR)
			fprintf(stderr, "budgetopt: interrupted; run the same command again to resume the confirmation\n");
	}
	bo_study_free(s);
	return rc < 0 ? cli_exit_code(rc) : 0;
}

void cli_confirm_info_free(cli_confirm_info *info)
{
	size_t i;
	free(info->start);
	free(info->end);
	for (i = 0; i < info->ndrops; i++)
		free(info->drops[i]);
	free(info->drops);
	free(info->drop_ids);
	memset(info, 0, sizeof *info);
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

int cli_confirm_read(const bo_study *s, const char *storage, cli_confirm_info *info)
{
	bo_storage *st;
	bo_event *e = NULL;
	bo_trial_rec *t = NULL;
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	size_t n = 0, nt = 0, i, start = (size_t)-1;
	int rc = -1;
	memset(info, 0, sizeof *info);
	if (!(st = cli_open_ledger(s, storage, 0)))
		return -1;
	if (st->ops->events(st, &e, &n) < 0 || st->ops->trials(st, &q, &t, &nt) < 0) {
		cli_error("%s", bo_error_last());
		goto done;
	}
	for (i = 0; i < n; i++)
		if (e[i].kind && !strcmp(e[i].kind, "confirm_start"))
			start = i;
	rc = 0;
	if (start == (size_t)-1)
		goto done;
	info->found = info->open = 1;
	info->limit = e[start].amount;
	if (!(info->start = dup_or_empty(e[start].detail)))
		goto nomem;
	for (i = start + 1; i < n; i++) {
		if (!e[i].kind)
			continue;
		if (!strcmp(e[i].kind, "confirm_drop")) {
			char **d = realloc(info->drops, (info->ndrops + 1) * sizeof *d);
			long long *id = d ? realloc(info->drop_ids, (info->ndrops + 1) * sizeof *id) : NULL;
			if (d)
				info->drops = d;
			if (!d || !id)
				goto nomem;
			info->drop_ids = id;
			if (!(info->drops[info->ndrops] = dup_or_empty(e[i].detail)))
				goto nomem;
			info->drop_ids[info->ndrops++] = e[i].trial_id;
		} else if (!strcmp(e[i].kind, "confirm_end")) {
			info->open = 0;
			info->winner = e[i].trial_id;
			free(info->end);
			if (!(info->end = dup_or_empty(e[i].detail)))
				goto nomem;
		}
	}
	/* its re-evaluations: after its start, marked by the sampler column */
	for (i = 0; i < nt; i++)
		if (t[i].id > e[start].trial_id && t[i].sampler && !strcmp(t[i].sampler, "confirm")) {
			info->ntrials++;
			if (isfinite(t[i].cost))
				info->spent += t[i].cost;
		}
	goto done;
nomem:
	cli_error("out of memory");
	rc = -1;
done:
	bo__event_free_array(e, n);
	bo__trial_rec_free_array(t, nt);
	bo__storage_close(st);
	if (rc < 0)
		cli_confirm_info_free(info);
	return rc;
}

void cli_confirm_lines(const cli_confirm_info *info, const char *currency,
		       void (*add)(void *ud, const char *line), void *ud)
{
	char buf[1024];
	size_t k;
	if (!info->found)
		return;
	snprintf(buf, sizeof buf, "confirmed by %lld re-evaluation%s (%.6g %s)%s", info->ntrials,
		 info->ntrials == 1 ? "" : "s", info->spent, currency,
		 info->open ? "; the confirmation was stopped before it ended: run select --reserve (or run) "
			      "again to resume it"
			    : "");
	add(ud, buf);
	if (info->end) {
		const char *p = strstr(info->end, "; ");
		snprintf(buf, sizeof buf, "confirmation: trial %lld led when it ended: %s", info->winner,
			 p ? p + 2 : info->end);
		add(ud, buf);
	}
	for (k = 0; k < info->ndrops; k++) {
		snprintf(buf, sizeof buf, "dropped %s", info->drops[k]);
		add(ud, buf);
	}
}

/* The rule a drop's detail names: "trial 7 (rule noise): ...". */
static void drop_rule(const char *detail, char *buf, size_t size)
{
	const char *r = strstr(detail, "(rule "), *e = r ? strchr(r, ')') : NULL;
	snprintf(buf, size, "%.*s", r && e ? (int)(e - r - 6) : 0, r && e ? r + 6 : "");
}

json_t *cli_confirm_json(const cli_confirm_info *info)
{
	json_t *o, *a;
	size_t k;
	char rule[32];
	if (!info->found)
		return NULL;
	o = json_pack("{sbsIsfsf}", "open", info->open, "trials", (json_int_t)info->ntrials, "spent",
		      info->spent, "limit", info->limit);
	if (!o || json_object_set_new(o, "leader", info->open ? json_null() : json_integer(info->winner)) < 0 ||
	    !(a = json_array()) || json_object_set_new(o, "dropped", a) < 0) {
		json_decref(o);
		return NULL;
	}
	for (k = 0; k < info->ndrops; k++) {
		drop_rule(info->drops[k], rule, sizeof rule);
		if (json_array_append_new(a, json_pack("{sIssss}", "id", (json_int_t)info->drop_ids[k], "rule", rule,
						       "detail", info->drops[k])) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

void cli_confirm_status(const bo_study *s, const cli_confirm_info *info, char *buf, size_t size)
{
	char money[64], rule[32];
	size_t k;
	int len;
	buf[0] = '\0';
	if (!info->found) {
		if (s->budget.confirm > 0)
			snprintf(buf, size, "%g%% of the money budget kept back to confirm the best candidates "
				 "(not begun)", s->budget.confirm * 100);
		return;
	}
	cli_fmt_money(info->spent, s->prices.currency, money, sizeof money);
	if (info->open)
		len = snprintf(buf, size, "stopped during it: %lld re-evaluation%s so far (%s); run resumes it",
			       info->ntrials, info->ntrials == 1 ? "" : "s", money);
	else
		len = snprintf(buf, size, "trial %lld leads after %lld re-evaluation%s (%s)", info->winner,
			       info->ntrials, info->ntrials == 1 ? "" : "s", money);
	for (k = 0; k < info->ndrops && len > 0 && (size_t)len < size; k++) {
		drop_rule(info->drops[k], rule, sizeof rule);
		len += snprintf(buf + len, size - (size_t)len, "%s trial %lld (%s)", k ? "," : "; dropped",
				info->drop_ids[k], rule);
	}
}
