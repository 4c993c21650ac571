/*
 * core/study_info.c - what a study declares, for callers of the public API
 * that need to enumerate it (bindings, tools): parameters with their kind
 * and labels, metrics, objectives, the currency and the money budget.
 * Read-only views of the study; nothing is copied.
 */
#include <math.h>
#include <stddef.h>

#include "budgetopt/study.h"
#include "core/model.h"

size_t bo_study_nparams(const bo_study *s)
{
	return s ? s->nparams : 0;
}

const char *bo_study_param_name(const bo_study *s, size_t i)
{
	return s && i < s->nparams ? s->params[i].name : NULL;
}

const char *bo_study_param_type(const bo_study *s, size_t i)
{
	if (!s || i >= s->nparams)
		return NULL;
	switch (s->params[i].type) {
	case BO_PT_FLOAT:
		return "float";
	case BO_PT_INT:
		return "int";
	case BO_PT_CHOICE:
		return "choice";
	case BO_PT_ORDINAL:
		return "ordinal";
	}
	return NULL;
}

size_t bo_study_nmetrics(const bo_study *s)
{
	return s ? s->nmetrics : 0;
}

const char *bo_study_metric_name(const bo_study *s, size_t i)
{
	return s && i < s->nmetrics ? s->metrics[i].name : NULL;
}

size_t bo_study_nobjectives(const bo_study *s)
{
	return s ? s->nobjectives : 0;
}

const char *bo_study_objective_name(const bo_study *s, size_t i)
{
	return s && i < s->nobjectives ? s->objectives[i].name : NULL;
}

int bo_study_objective_goal(const bo_study *s, size_t i)
{
	return s && i < s->nobjectives ? s->objectives[i].goal : 0;
}

const char *bo_study_currency(const bo_study *s)
{
	return s ? s->prices.currency : NULL;
}

double bo_study_budget_money(const bo_study *s)
{
	return s && isfinite(s->budget.money) ? s->budget.money : NAN;
}
