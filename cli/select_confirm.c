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
	bo__confirm_info_clear(info);
}

int cli_confirm_read(const bo_study *s, const char *storage, cli_confirm_info *info)
{
	bo_storage *st;
	bo_event *e = NULL;
	bo_trial_rec *t = NULL;
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	size_t n = 0, nt = 0;
	int rc = -1;
	memset(info, 0, sizeof *info);
	if (!(st = cli_open_ledger(s, storage, 0)))
		return -1;
	if (st->ops->events(st, &e, &n) < 0 || st->ops->trials(st, &q, &t, &nt) < 0 ||
	    bo__confirm_read(info, e, n, t, nt) < 0)
		cli_error("%s", bo_error_last());
	else
		rc = 0;
	bo__event_free_array(e, n);
	bo__trial_rec_free_array(t, nt);
	bo__storage_close(st);
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

json_t *cli_confirm_json(const cli_confirm_info *info)
{
	return bo__confirm_json(info);
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
		bo__confirm_drop_rule(info->drops[k], rule, sizeof rule);
		len += snprintf(buf + len, size - (size_t)len, "%s trial %lld (%s)", k ? "," : "; dropped",
				info->drop_ids[k], rule);
	}
}
