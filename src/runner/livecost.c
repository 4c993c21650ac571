/*
 * runner/livecost.c - the reported usage of a trial so far, and its price
 * (runner/livecost.h). Pure: reads a report, never a process or a clock.
 */
#include "runner/livecost.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

static int add(bo_kv **kv, size_t *n, size_t *cap, const char *name, double a)
{
	size_t i;
	char why[120];
	if (bo__usage_check(a, why, sizeof why) < 0)
		return 0;
	for (i = 0; i < *n; i++) {
		if (!strcmp((*kv)[i].name, name)) {
			(*kv)[i].value += a;
			return 0;
		}
	}
	return bo__kv_push(kv, n, cap, name, a);
}

int bo__report_charged_usage(const bo_report *rep, bo_kv **kv, size_t *n, size_t *cap)
{
	size_t i;
	int rc;
	for (i = 0; rep->has_final && i < rep->nusage; i++)
		if ((rc = add(kv, n, cap, rep->usage[i].name, rep->usage[i].value)) < 0)
			return rc;
	for (i = 0; i < rep->nstep_usage; i++) {
		if (rep->has_final && !isnan(bo__kv_get(rep->usage, rep->nusage, rep->step_usage[i].name)))
			continue;
		if ((rc = add(kv, n, cap, rep->step_usage[i].name, rep->step_usage[i].value)) < 0)
			return rc;
	}
	return 0;
}

double bo__report_live_cost(const bo_pricebook *pb, const bo_report *rep)
{
	bo_kv *kv = NULL;
	size_t n = 0, cap = 0;
	double c = 0.0;
	if (bo__report_charged_usage(rep, &kv, &n, &cap) == 0)
		c = bo__pricebook_cost(pb, kv, n);
	bo__kv_free(kv, n);
	return isfinite(c) ? c : 0.0;
}
