/*
 * runner/import_optuna.h - an Optuna study (storage/optuna.h) turned into a
 * budgetopt study file and ledger (`budgetopt import-optuna`).
 *
 * Two steps, so the caller can write the study file between them:
 * bo__optuna_prepare reads the Optuna storage and builds (and checks, by
 * parsing it) the study file text; bo__optuna_write_ledger writes every
 * trial into a new ledger through the storage interface, so its spend
 * journal, run session and events are those of any ledger.
 *
 * Must never print or exit: notes for people go into a buffer.
 */
#ifndef BO_RUNNER_IMPORT_OPTUNA_H
#define BO_RUNNER_IMPORT_OPTUNA_H

#include <stddef.h>

#include "core/model.h"
#include "core/strbuf.h"
#include "storage/optuna.h"

typedef struct bo_optuna_map {
	const char *from;     /* user attribute (usage) or resource (price) */
	const char *to;       /* resource name, or the price as text */
} bo_optuna_map;

typedef struct bo_optuna_import_options {
	const char *source;      /* the Optuna storage: sqlite:///path, sqlite:path or a path */
	const char *study;       /* the Optuna study's name */
	const char *to;          /* the study file to write (its folder is the study's) */
	const char *name;        /* budgetopt study name; NULL: Optuna's, cleaned */
	const char *storage;     /* ledger URI or path; NULL: the study's default */
	const char *cost_attr;   /* user attribute holding each trial's cost; NULL: "cost" */
	const char *currency;    /* NULL: "USD" */
	size_t nusage;
	const bo_optuna_map *usage;   /* user attribute -> usage resource */
	size_t nprices;
	const bo_optuna_map *prices;  /* resource -> unit price (text) */
} bo_optuna_import_options;

#define BO_OPTUNA_IMPORT_OPTIONS_INIT {NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, 0, NULL}

typedef struct bo_optuna_import {
	bo_optuna_study optuna;  /* as read */
	char *yaml;              /* the study file text */
	bo_study *study;         /* yaml, parsed */
	char ledger[4096];       /* the ledger's file */
	/* per study parameter: its Optuna name */
	size_t nparams;
	char **optuna_names;
	char *cost_res;          /* the resource the cost attribute became, or NULL */
	size_t ntrials;          /* trials written by bo__optuna_write_ledger */
	double spent;            /* their cost */
} bo_optuna_import;

/* Reads o->source and builds the study file. Returns 0 and fills *out
 * (free with bo__optuna_import_clear), BO_EINVAL (bad options, a study that
 * cannot be expressed: the message says why), or what bo__optuna_read
 * returns. notes gets one line per thing a person should know (renamed
 * parameters, attributes not imported). */
int bo__optuna_prepare(bo_optuna_import *out, const bo_optuna_import_options *o, bo_strbuf *notes);

/* Writes every trial of imp into a new ledger imp->ledger (built beside it
 * and renamed into place when complete, so a failed import leaves
 * nothing). BO_ECONFLICT when a ledger or its journal is already there. */
int bo__optuna_write_ledger(bo_optuna_import *imp, const bo_optuna_import_options *o);

void bo__optuna_import_clear(bo_optuna_import *imp);

/* The file of an Optuna storage URL: "sqlite:///abs.db" gives "/abs.db",
 * "sqlite:///rel.db" (Optuna's relative form) "rel.db"; other schemes are
 * BO_EINVAL. A plain path is itself. */
int bo__optuna_source_path(const char *url, char *buf, size_t size);

#endif
