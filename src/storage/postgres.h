/*
 * storage/postgres.h - what the PostgreSQL ledger (storage/postgres.c)
 * offers beyond bo_storage_ops: the shared budget and workers.
 */
#ifndef BO_STORAGE_POSTGRES_H
#define BO_STORAGE_POSTGRES_H

#include <stdint.h>
#include <libpq-fe.h>

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

/* The spend-rate limit of the whole study, checked with the money under
 * the budget row's lock when rate is passed to bo__pg_trial_insert: the
 * start is refused (BO_DONE, refused set) when what every process charged
 * after since, plus every running trial's reservation (the budget row's),
 * plus need (the new trial's predicted cost; NaN: 0) passes money, unless
 * nothing was charged in the window and nothing runs (a trial above the
 * whole rate could never start otherwise: runner/safeguards.h's rule). */
typedef struct bo_pg_rate {
	double money;         /* NaN: no rate limit */
	double since;         /* unix time: now - the window */
	double need;
	int refused;          /* out: the rate refused the start */
	double window, held;  /* out: what was compared, for the wait's event */
} bo_pg_rate;

/* trial_start with a money limit and a trial budget:
 * under the budget row's lock, when limit is not NaN and spent + reserved
 * + t->reserved would pass it, or max_trials > 0 and the ledger already
 * holds that many trials (queued ones aside), nothing is written and
 * BO_DONE returned (workers check both before asking, but another worker
 * may have started a trial since: only the lock makes the check hold);
 * else the trial is inserted and t->reserved added to the reserved sum,
 * all in one transaction. A running trial with the same folder already
 * there is returned instead (t->id), so a retry after a lost reply never
 * inserts it twice. rate (NULL: none) adds the spend-rate check. */
int bo__pg_trial_insert(bo_storage *st, bo_trial_rec *t, double limit, int64_t max_trials,
			bo_pg_rate *rate);

/* The study's money as the budget row holds it: spent (sum of charged
 * costs) and reserved (running trials' reservations). */
int bo__pg_budget(bo_storage *st, double *spent, double *reserved);

/* The connection of st (reset first when the server dropped it), and the
 * URI for messages in *label; NULL when st is not a PostgreSQL ledger. */
PGconn *bo__pg_conn(bo_storage *st, const char **label);

/* What a worker reads before each decision, in one statement. */
typedef struct bo_pg_sync {
	int64_t ntrials;      /* trials not queued */
	int64_t nqueued;      /* configurations waiting to be claimed */
	int64_t nfinal;       /* complete, pruned or failed */
	int64_t nrunning;
	double spent, reserved;
} bo_pg_sync;
int bo__pg_sync(bo_storage *st, bo_pg_sync *out);

/* Registers a worker: a runs row (no single-runner refusal). */
int bo__pg_worker_begin(bo_storage *st, int64_t version, int64_t pid, const char *host,
			uint64_t seed, const char *sampler, double now, int64_t *run_id);

/* Claims the oldest queued trial (FOR UPDATE SKIP LOCKED) for run_id,
 * reserving t->reserved under the budget lock and limit as
 * bo__pg_trial_insert does: 0 and t->id, t->params (caller frees with
 * bo__kv_free), t->params_json (caller frees); BO_DONE when none is
 * queued or the limit refuses, or rate (NULL: none) refuses as for
 * bo__pg_trial_insert (rate->need: t->reserved, no prediction). Other
 * fields of t are stored. */
int bo__pg_claim_queued(bo_storage *st, bo_trial_rec *t, double limit, bo_pg_rate *rate);

/* Raises running trial id's reservation to held (its live cost, when that
 * passed what it reserved: only trials without a cap can), in the trial
 * row and the budget row under the budget row's lock, with a `hold` event,
 * so that every worker's next check counts the money that trial already
 * holds. *reserved gets the trial's reservation after the call (unchanged
 * when held is not above it or the trial no longer runs). */
int bo__pg_trial_hold(bo_storage *st, int64_t id, int64_t run_id, double held, double *reserved);

/* Records a budget alert's event (kind "alert", amount, detail, at unix
 * time now, session run_id, 0: none) unless one whose detail starts with
 * key is in the ledger, deciding under the budget row's lock, so the
 * threshold fires once per study however many workers cross it together.
 * Returns 1 (recorded), 0 (recorded already, by any process), or an
 * error (BO_EIO: the server; nothing was recorded). */
int bo__pg_alert_once(bo_storage *st, int64_t run_id, const char *key, double amount,
		      const char *detail, double now);

/* The money every process charged after unix time since (trials ended
 * since, by their cost): a spend-rate window of the whole study. */
int bo__pg_rate_window(bo_storage *st, double since, double *window);
#define BO_PG_SQL_RATE_WINDOW                                                                  \
	"SELECT COALESCE(SUM(cost), 0) FROM trials WHERE ended_at > $1::double precision "   \
	"AND state IN ('complete', 'pruned', 'failed') AND cost > 0"

/* Prices an orphan's last stored usage, at most cap. */
typedef double (*bo_pg_charge_fn)(void *ud, int64_t id, const bo_kv *usage, size_t n, double cap);

/* Fails, as orphaned, every running trial of a session whose heartbeat
 * is older than now - timeout_s, charging what charge prices from its
 * usage at its last heartbeat, and queues its configuration again unless
 * it was itself a re-queue; ends such sessions. *nreaped counts trials. */
int bo__pg_reap(bo_storage *st, double now, double timeout_s, bo_pg_charge_fn charge, void *ud,
		int64_t *nreaped);

/* Waking idle workers (storage/postgres_notify.c). Every transaction
 * that changes what a waiting worker waits on (a trial started, claimed
 * from the queue or finished, a configuration queued again) sends a
 * notification on BO_PG_CHANNEL before its COMMIT: PostgreSQL delivers it
 * when, and only if, that transaction commits, to every session listening
 * on the channel, so a wake never comes before the change it announces
 * is visible. Its text starts with the study's schema (current_schema()):
 * studies in other schemas of the database are not woken by it. */
#define BO_PG_CHANNEL "budgetopt"
/* The notification, queued before the COMMIT of the transaction that
 * changed the study; its one value says what changed (for a person
 * reading the server's log or a test). */
#define BO_PG_SQL_NOTIFY \
	"SELECT pg_notify('" BO_PG_CHANNEL "', current_schema() || ' ' || $1::text)"

/* What bo__pg_wait returns besides an error. */
enum {
	BO_PG_TIMEOUT = 0,    /* nothing came: the caller's poll */
	BO_PG_WOKEN = 1,      /* another session changed the study */
	BO_PG_LISTENING = 2   /* LISTEN was (re)started on this session just
				 now (the first call, or after a reconnect):
				 what changed before it was not announced, so
				 the caller looks again before it waits */
};

/* Waits, at most timeout_ms (0: only looks), until another session's
 * transaction that changed the study commits (its notification arrives on
 * the connection's socket), listening first when this session does not.
 * A notification of this session's own transactions does not wake it.
 * Returns BO_PG_WOKEN, BO_PG_TIMEOUT (also when a signal interrupted the
 * wait), BO_PG_LISTENING, or BO_EIO (the connection is lost: the next
 * call reconnects) after sleeping out timeout_ms.
 *
 * A lost notification never hangs a caller: the timeout is the poll it
 * falls back to. That also covers a server reached through a pooler that
 * does not deliver notifications (pgbouncer in transaction or statement
 * mode: LISTEN runs on whichever server session serves it, and the
 * notifications go there, not to this client), where every wait ends by
 * its timeout. Call it outside a transaction. */
int bo__pg_wait(bo_storage *st, int timeout_ms);

/* Workers (sessions) as a table for status: one row each, newest first. */
typedef struct bo_pg_worker {
	int64_t id, pid, ntrials;
	char host[256];
	double started_at, heartbeat_at, ended_at;   /* ended_at 0 while live */
} bo_pg_worker;
int bo__pg_workers(bo_storage *st, bo_pg_worker **out, size_t *n);

#endif
