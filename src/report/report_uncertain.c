/*
 * report/report_uncertain.c - the part of the report's "Selected
 * configuration" section for uncertain inputs and prices: the selected
 * configuration's Monte Carlo quantiles and its and its runners-up's
 * chances of staying within each guardrail.
 *
 * Pure: builds text, no I/O.
 */
#include "report/report_int.h"

#include <stdio.h>

#include "analysis/uncertain.h"
#include "core/error.h"

#define REPORT_RUNNERS_UP 2       /* runners-up whose chances are stated */
#define REPORT_MAX_CHANCY 16      /* guardrail columns of the chances table */

/* Under uncertain inputs and prices: the selected configuration's
 * uncertain values (mean and quantiles), and the chance that it and its
 * runners-up stay within each guardrail that is uncertain or carries a
 * probability (the share of the Monte Carlo draws). */
void bo__report_uncertain_section(out *o, const bo_report_input *in, size_t sel)
{
	const bo_mc *mc = in->chart.mc;
	const bo_configs *c = in->chart.c;
	char names[REPORT_MAX_CHANCY + 1][200], qn[BO_MC_MAX_QUANTILES + 3][48], buf[128];
	const char *head[REPORT_MAX_CHANCY + BO_MC_MAX_QUANTILES + 3];
	size_t k, q, r, ng = 0, gk[REPORT_MAX_CHANCY];
	if (bo__mc_quantiles(mc, sel) < 0)
		bo_error_clear();   /* the quantiles stay "-" */
	bo__report_para_begin(o, NULL);
	bo__report_putf(o, "Under uncertain inputs and prices: %zu Monte Carlo draws (seed %llu, the same draws for "
		"every configuration)%s",
	     mc->o.draws, (unsigned long long)mc->o.seed, mc->nqty ? "; the selected configuration's "
								   "uncertain values:" : ".");
	if (mc->o.confidence > 0)
		bo__report_putf(o, " Ranked with --confidence %g: on the pessimistic %g-quantile of each uncertain "
			"objective, every guardrail required to hold with that probability.",
		     mc->o.confidence, mc->o.confidence);
	bo__report_para_end(o);
	if (mc->nqty) {
		head[0] = "value";
		head[1] = "mean";
		for (k = 0; k < mc->o.nq; k++) {
			snprintf(qn[k], sizeof qn[k], "%g%% quantile", 100 * mc->o.q[k]);
			head[2 + k] = qn[k];
		}
		head[2 + mc->o.nq] = "ranked on";
		bo__report_table_begin(o, head, mc->o.nq + 3);
		for (q = 0; q < mc->nqty; q++) {
			bo__report_row_begin(o);
			bo__report_cell(o, NULL, mc->qty[q].name);
			bo__report_num(mc->mean[sel * mc->nqty + q], buf, sizeof buf);
			bo__report_cell(o, "num", buf);
			for (k = 0; k < mc->o.nq; k++) {
				bo__report_num(mc->quant[(sel * mc->nqty + q) * mc->o.nq + k], buf, sizeof buf);
				bo__report_cell(o, "num", buf);
			}
			bo__report_num(mc->used[sel * mc->nqty + q], buf, sizeof buf);
			bo__report_cell(o, "num", buf);
			bo__report_row_end(o);
		}
		bo__report_table_end(o);
	}
	for (k = 0; k < mc->ng && ng < REPORT_MAX_CHANCY; k++)
		if (mc->g_uncertain[k] || mc->g_need[k] > 0)
			gk[ng++] = k;
	if (!ng)
		return;
	bo__report_para_begin(o, NULL);
	bo__report_put(o, "Chance of staying within each guardrail and budget (the share of the draws in which it "
	       "holds), for the selected configuration and its runners-up:");
	bo__report_para_end(o);
	head[0] = "configuration";
	for (k = 0; k < ng; k++) {
		const char *t = c->guardrails[gk[k]].text;
		if (mc->g_need[gk[k]] > 0)
			snprintf(names[k], sizeof names[k], "P(%s), required >= %g", t, mc->g_need[gk[k]]);
		else
			snprintf(names[k], sizeof names[k], "P(%s)", t);
		head[1 + k] = names[k];
	}
	bo__report_table_begin(o, head, ng + 1);
	for (r = 0; r < in->norder && r <= REPORT_RUNNERS_UP; r++) {
		size_t i = in->order[r];
		char nm[300];
		snprintf(nm, sizeof nm, "%s%lld%s%s", r ? "runner-up: " : "selected: ", (long long)c->v[i].id,
			 c->v[i].label ? " " : "", c->v[i].label ? c->v[i].label : "");
		bo__report_row_begin(o);
		bo__report_cell(o, NULL, nm);
		for (k = 0; k < ng; k++) {
			double p = mc->prob[i * mc->ng + gk[k]];
			bo__report_num(p, buf, sizeof buf);
			bo__report_cell(o, mc->g_need[gk[k]] > 0 ? (p >= mc->g_need[gk[k]] ? "num ok" : "num bad") : "num", buf);
		}
		bo__report_row_end(o);
	}
	bo__report_table_end(o);
}
