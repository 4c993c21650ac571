/*
 * storage/postgres.h - what the PostgreSQL ledger (storage/postgres.c)
 * offers beyond bo_storage_ops: the shared budget and workers.
 */
#ifndef BO_STORAGE_POSTGRES_H
#define BO_STORAGE_POSTGRES_H

#include <stdint.h>

#include "storage/storage.h"

/* Whether uri names a PostgreSQL ledger (postgresql:// or postgres://). */
int bo__storage_is_postgres(const char *uri);
/* Whether st was opened by bo__pg_open. */
int bo__storage_is_pg_handle(const bo_storage *st);

/* Opens the PostgreSQL ledger at uri (a libpq URI), migrating its schema
 * forward; with create 0, BO_ENOTFOUND when the database holds no ledger.
 * BO_EINVAL for a URI with a password (the message names PGPASSFILE and
 * PGSERVICE), BO_EIO when the server cannot be reached (libpq's text),
 * BO_ECONFLICT for a newer schema. */
int bo__pg_open(bo_storage **out, const char *uri, int create);

/* trial_start with the worker running it (0: none) and a money limit:
 * under the budget row's lock, when limit is not NaN and spent + reserved
 * + t->reserved would pass it, nothing is written and BO_DONE returned;
 * else the trial is inserted and t->reserved added to the reserved sum,
 * all in one transaction. */
int bo__pg_trial_insert(bo_storage *st, bo_trial_rec *t, int64_t worker_id, double limit);

/* The study's money as the budget row holds it: spent (sum of charged
 * costs) and reserved (running trials' reservations). */
int bo__pg_budget(bo_storage *st, double *spent, double *reserved);

#endif
