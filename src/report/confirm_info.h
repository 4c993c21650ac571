/*
 * report/confirm_info.h - what a ledger's events and trials say of its
 * last confirmation phase (runner/confirm.h: events confirm_start,
 * confirm_drop, confirm_end; re-evaluations marked by the sampler column
 * "confirm"), and that as JSON. Shared by select, status, the report and
 * the dashboard's /api/status (report/confirm_info.c).
 *
 * Pure: no I/O. The caller reads the ledger.
 */
#ifndef BO_REPORT_CONFIRM_INFO_H
#define BO_REPORT_CONFIRM_INFO_H

#include <jansson.h>
#include <stddef.h>

#include "core/trial.h"
#include "storage/storage.h"

typedef struct bo_confirm_info {
	int found;             /* a confirm_start event exists */
	int open;              /* no confirm_end after it (a run was stopped during it) */
	long long ntrials;     /* its re-evaluations */
	double spent;          /* what they cost */
	long long winner;      /* the trial the end names, 0 while open */
	double limit;
	char *start;           /* the start event's detail */
	char *end;             /* the end event's detail, or NULL */
	size_t ndrops;
	long long *drop_ids;
	char **drops;          /* each drop event's detail */
} bo_confirm_info;

/* Fills info (which the caller clears with bo__confirm_info_clear) from
 * the ledger's events e[0..ne) and trials t[0..nt); info->found is 0 when
 * no phase began. Returns 0 or BO_ENOMEM (info cleared). */
int bo__confirm_read(bo_confirm_info *info, const bo_event *e, size_t ne, const bo_trial_rec *t, size_t nt);
void bo__confirm_info_clear(bo_confirm_info *info);

/* The rule a drop's detail names ("trial 7 (rule noise): ..." gives
 * "noise"), into buf; "" when it names none. */
void bo__confirm_drop_rule(const char *detail, char *buf, size_t size);

/* The phase as JSON: {"open", "trials", "spent", "limit", "leader",
 * "dropped": [{"id", "rule", "detail"}]}; NULL when none was found or out
 * of memory. */
json_t *bo__confirm_json(const bo_confirm_info *info);

#endif
