/*
 * report/confirm_info.c - a ledger's last confirmation phase read from its
 * events and trials, and as JSON (see report/confirm_info.h). Moved from
 * cli/select_confirm.c so that the dashboard says what status says.
 */
#include "report/confirm_info.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

void bo__confirm_info_clear(bo_confirm_info *info)
{
	size_t i;
	if (!info)
		return;
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

int bo__confirm_read(bo_confirm_info *info, const bo_event *e, size_t n, const bo_trial_rec *t, size_t nt)
{
	size_t i, start = (size_t)-1;
	memset(info, 0, sizeof *info);
	for (i = 0; i < n; i++)
		if (e[i].kind && !strcmp(e[i].kind, "confirm_start"))
			start = i;
	if (start == (size_t)-1)
		return 0;
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
	return 0;
nomem:
	bo__confirm_info_clear(info);
	return bo__error(BO_ENOMEM, "out of memory");
}

void bo__confirm_drop_rule(const char *detail, char *buf, size_t size)
{
	const char *r = strstr(detail, "(rule "), *e = r ? strchr(r, ')') : NULL;
	snprintf(buf, size, "%.*s", r && e ? (int)(e - r - 6) : 0, r && e ? r + 6 : "");
}

json_t *bo__confirm_json(const bo_confirm_info *info)
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
		bo__confirm_drop_rule(info->drops[k], rule, sizeof rule);
		if (json_array_append_new(a, json_pack("{sIssss}", "id", (json_int_t)info->drop_ids[k], "rule", rule,
						       "detail", info->drops[k])) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}
