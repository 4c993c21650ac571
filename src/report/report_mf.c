/*
 * report/report_mf.c - the tables of the report's "Multi-fidelity and
 * pruning" section: the rungs and their promotions, and what the pruner
 * stopped and saved. The section itself, with its learning curves, is
 * in report.c.
 *
 * Pure: builds text, no I/O.
 */
#include "report/report_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/svg.h"

#define REPORT_MAX_PROMOTIONS 200   /* rows of the promotions table */
#define REPORT_MAX_PRUNED 500       /* rows of the pruned-trials table */

static void money_cell(out *o, const bo_report_input *in, double v)
{
	char buf[64];
	bo__svg_fmt_money(v, in->chart.currency, buf, sizeof buf);
	bo__report_cell(o, "num", buf);
}

static void count_cell(out *o, int64_t v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%lld", (long long)v);
	bo__report_cell(o, "num", buf);
}

/* A row of the pruning summary: what, how many trials, the money. */
static void count_row(out *o, const bo_report_input *in, const char *what, int64_t n, double money)
{
	bo__report_row_begin(o);
	bo__report_cell(o, NULL, what);
	count_cell(o, n);
	money_cell(o, in, money);
	bo__report_row_end(o);
}

void bo__report_rungs_part(out *o, const bo_report_input *in)
{
	const bo_study *s = in->chart.c->s;
	const bo_rungs *r = in->rungs;
	const char *param = s->params[s->fidelity.param].name;
	char best_head[160], value_head[160], buf[160];
	const char *head[10];
	size_t i, shown = 0;
	int k;
	bo__report_heading(o, 3, "rungs", "Rungs");
	bo__report_para_begin(o, NULL);
	bo__report_putf(o, "Multi-fidelity over %s: %d rung%s from %g to %g (eta %g), scheduled by %s. A trial runs one "
		"configuration at one rung; a promotion runs a configuration again at the next rung (%lld "
		"promotion%s in all). Rungs rank their trials by %s.",
	     param, r->nrungs, r->nrungs == 1 ? "" : "s", r->nrungs ? r->rungs[0].value : NAN,
	     r->nrungs ? r->rungs[r->nrungs - 1].value : NAN, s->fidelity.eta,
	     s->fidelity.schedule == BO_FIDELITY_HYPERBAND ? "Hyperband (Li et al. 2018)"
	     : s->fidelity.schedule == BO_FIDELITY_GP ? "a multi-fidelity GP (cost-aware, schedule: gp)"
						      : "ASHA (Li et al. 2020)",
	     (long long)r->promotions, r->promotions == 1 ? "" : "s", r->ranked_by ? r->ranked_by : "nothing");
	if (r->off_rung)
		bo__report_putf(o, " %lld trial%s ran at a value of %s on no rung (the study's fidelity changed) and %s left out.",
		     (long long)r->off_rung, r->off_rung == 1 ? "" : "s", param, r->off_rung == 1 ? "is" : "are");
	bo__report_para_end(o);
	snprintf(value_head, sizeof value_head, "%s", param);
	snprintf(best_head, sizeof best_head, "best %s (trial)", r->ranked_by ? r->ranked_by : "");
	head[0] = "rung";
	head[1] = value_head;
	head[2] = "trials";
	head[3] = "complete";
	head[4] = "running";
	head[5] = "failed";
	head[6] = "pruned";
	head[7] = "promoted";
	head[8] = best_head;
	head[9] = "spent";
	bo__report_table_begin(o, head, 10);
	for (k = 0; k < r->nrungs; k++) {
		const bo_rung_row *w = &r->rungs[k];
		bo__report_row_begin(o);
		count_cell(o, k);
		bo__report_num(w->value, buf, sizeof buf);
		bo__report_cell(o, "num", buf);
		count_cell(o, w->trials);
		count_cell(o, w->complete);
		count_cell(o, w->running);
		count_cell(o, w->failed);
		count_cell(o, w->pruned);
		count_cell(o, w->promoted);
		if (w->best_trial > 0)
			snprintf(buf, sizeof buf, "%.6g (%lld)", w->best, (long long)w->best_trial);
		else
			snprintf(buf, sizeof buf, "-");
		bo__report_cell(o, "num", buf);
		money_cell(o, in, w->spent);
		bo__report_row_end(o);
	}
	bo__report_table_end(o);
	if (!r->promotions)
		return;
	bo__report_heading(o, 3, "promotions", "Promotions");
	bo__report_para_begin(o, NULL);
	if (r->promotions > REPORT_MAX_PROMOTIONS)
		bo__report_putf(o, "The first %d promotions as the runner recorded them (promote events):", REPORT_MAX_PROMOTIONS);
	else
		bo__report_put(o, "Each promotion as the runner recorded it (its promote event):");
	bo__report_para_end(o);
	head[0] = "trial";
	head[1] = "promotion";
	bo__report_table_begin(o, head, 2);
	for (i = 0; i < in->nevents && shown < REPORT_MAX_PROMOTIONS; i++) {
		if (!in->events[i].kind || strcmp(in->events[i].kind, "promote"))
			continue;
		bo__report_row_begin(o);
		count_cell(o, in->events[i].trial_id);
		bo__report_cell(o, NULL, in->events[i].detail);
		bo__report_row_end(o);
		shown++;
	}
	bo__report_table_end(o);
}

void bo__report_pruning_part(out *o, const bo_report_input *in)
{
	const bo_rungs *r = in->rungs;
	static const char *const mhead[] = {"trials", "count", "spent"};
	static const char *const phead[] = {"trial", "step", "last step reported", "rule", "figures that decided",
					    "cost", "estimated cost at full length"};
	int64_t i;
	bo__report_heading(o, 3, "pruning", "Pruning");
	bo__report_para_begin(o, NULL);
	bo__report_putf(o, "Pruner: %s. %lld trial%s stopped early by it, %lld complete.", r->pruner, (long long)r->npruned,
	     r->npruned == 1 ? "" : "s", (long long)r->ncomplete);
	bo__report_para_end(o);
	bo__report_table_begin(o, mhead, 3);
	count_row(o, in, "complete", r->ncomplete, r->spent_complete);
	count_row(o, in, "pruned", r->npruned, r->spent_pruned);
	count_row(o, in, "failed", r->nfailed, r->spent_failed);
	count_row(o, in, "pruned, estimated at full length", r->nestimated, r->nestimated ? r->est_full_cost : NAN);
	count_row(o, in, "estimated saving", r->nestimated, r->nestimated ? r->est_saved : NAN);
	bo__report_table_end(o);
	bo__report_para_begin(o, NULL);
	if (r->full_steps > 0)
		bo__report_putf(o, "The saving is an estimate: a pruned trial that reported steps up to k and cost c would "
			"have cost c \u00d7 K / k at full length K = %lld (%s), at the cost per step it had so far; the "
			"saving is the sum of c \u00d7 K / k \u2212 c over the pruned trials with a cost and a step of "
			"at least 1 (%lld of %lld). Learning curves flatten but the cost per step mostly does not, so "
			"the estimate is of the money, not of what the trials would have reached.",
		     (long long)r->full_steps,
		     !strcmp(r->full_steps_from, "max_step") ? "the pruner's max_step"
							     : "the highest step a complete trial reported",
		     (long long)r->nestimated, (long long)r->npruned);
	else
		bo__report_put(o, "No saving is estimated: the pruner has no max_step and no complete trial reported a step, "
		       "so the full length of a trial is not known.");
	bo__report_para_end(o);
	if (!r->npruned)
		return;
	bo__report_para_begin(o, NULL);
	if (r->npruned > REPORT_MAX_PRUNED)
		bo__report_putf(o, "The first %d pruned trials", REPORT_MAX_PRUNED);
	else
		bo__report_put(o, "The pruned trials");
	bo__report_put(o, ", with the step that decided, the rule and the figures it compared (as recorded in each "
	       "trial's reason):");
	bo__report_para_end(o);
	bo__report_table_begin(o, phead, 7);
	for (i = 0; i < r->npruned && i < REPORT_MAX_PRUNED; i++) {
		const bo_pruned_row *p = &r->pruned[i];
		bo__report_row_begin(o);
		count_cell(o, p->id);
		if (p->step >= 0)
			count_cell(o, p->step);
		else
			bo__report_cell(o, "num", "-");
		if (p->steps_done >= 0)
			count_cell(o, p->steps_done);
		else
			bo__report_cell(o, "num", "-");
		bo__report_cell(o, NULL, p->rule[0] ? p->rule : "-");
		bo__report_cell(o, NULL, p->detail ? p->detail : "-");
		money_cell(o, in, p->cost);
		money_cell(o, in, p->full_cost);
		bo__report_row_end(o);
	}
	bo__report_table_end(o);
}
