/*
 * serve/snapshot.h - what the dashboard answers with, built once per
 * ledger change from the ledger's trials, events and steps
 * (serve/snapshot.c); the server (serve/server.c) shares it between
 * requests by reference count.
 */
#ifndef BO_SERVE_SNAPSHOT_H
#define BO_SERVE_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/model.h"
#include "serve/route.h"
#include "storage/storage.h"

/* Everything a request may be answered with, built once per ledger change. */
typedef struct snapshot {
	int refs;                  /* under sv->lock */
	uint64_t gen;              /* 1, 2, ... */
	int64_t ntrials, nfinished;
	char *status, *trials, *frontier, *events, *charts;
	char *selection;     /* /api/selection: the selection's chances */
	char *curves;        /* /api/curves: the learning curves' data */
	char *svg[BO_NCHARTS];
} snapshot;

/* The snapshot of study s from n trials, nev events and nsteps step rows
 * (st: the ledger, for its workers; tot: its totals), refs 0. NULL when
 * out of memory or a part cannot be built. */
snapshot *bo__serve_snap_build(const bo_study *s, bo_storage *st, const bo_ledger_totals *tot,
				const bo_trial_rec *t, size_t n, const bo_event *ev, size_t nev,
				const bo_step_row *steps, size_t nsteps);

/* 1 when the dashboard shows learning curves for s (where the report does:
 * a fidelity or a pruner). */
int bo__serve_curves_shown(const bo_study *s);

/* v as indented JSON text (free()), taking v's reference; NULL for NULL. */
char *bo__serve_dump(json_t *v);

/* Frees sn and everything it holds (NULL: nothing). */
void bo__serve_snap_free(snapshot *sn);

#endif
