/*
 * storage/postgres_read.c - what the PostgreSQL ledger reads: totals,
 * trials (one or all, with their parameters, metrics and usage), events,
 * steps and the study's text, each in one REPEATABLE READ snapshot.
 *
 * Part of the PostgreSQL ledger: storage/postgres.c holds the shared
 * helpers (storage/postgres_int.h) and says what the ledger promises
 * (durability, connections, safety); the schema is sqlite.c's.
 *
 * Must never print, exit, abort, or format a value into SQL text.
 */
#include "storage/postgres_int.h"
#include "storage/postgres.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"

#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRIAL_COLS \
	"t.id, t.state, t.version, t.run_id, t.sampler, t.params_json, t.cost, " \
	"t.reserved, t.price_version, t.reason, t.score, t.feasible, " \
	"t.created_at, t.started_at, t.ended_at, t.exit_code, t.term_signal, " \
	"t.pid, t.host, t.folder, t.pid_start, t.cgroup, t.scenario, t.repeat_index"

/* ---- reading ------------------------------------------------------------ */

/* Reads in one snapshot: REPEATABLE READ, read only. */
static int begin_read(pg *q, const char *what)
{
	int rc;
	if ((rc = bo__pg_ensure_conn(q, what)))
		return rc;
	if ((rc = bo__pg_exec_simple(q, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", what)) == 0)
		q->in_tx = 1;
	return rc;
}

int bo__pg_totals(bo_storage *st, bo_ledger_totals *out)
{
	pg *q = (pg *)st;
	const char *what = "reading totals";
	PGresult *r = NULL;
	bo_ledger_totals t;
	int rc, i;
	if (!q || !out)
		return bo__error(BO_EMISUSE, "totals: missing argument");
	memset(&t, 0, sizeof t);
	if ((rc = begin_read(q, what)))
		goto done;
	if ((rc = bo__pg_exec(q, "SELECT COALESCE(SUM(cost), 0.0), COUNT(*) FROM trials", NULL, &r, what)))
		goto done;
	t.spent = bo__pg_col_real(r, 0, 0);
	t.ntrials = bo__pg_col_int(r, 0, 1);
	PQclear(r);
	if ((rc = bo__pg_exec(q, "SELECT state, COUNT(*) FROM trials GROUP BY state", NULL, &r, what)))
		goto done;
	for (i = 0; i < PQntuples(r); i++) {
		int k = bo__trial_state_parse(PQgetvalue(r, i, 0));
		if (k >= 0)
			t.by_state[k] = bo__pg_col_int(r, i, 1);
	}
	PQclear(r);
	if ((rc = bo__pg_exec(q, "SELECT COALESCE(SUM(COALESCE(ended_at, heartbeat_at) - started_at), "
			  "0.0), COALESCE(MIN(started_at), 0.0) FROM runs",
		       NULL, &r, what)))
		goto done;
	t.elapsed_s = bo__pg_col_real(r, 0, 0);
	t.first_start = bo__pg_col_real(r, 0, 1);
	PQclear(r);
	if ((rc = bo__pg_exec(q, "SELECT COUNT(*) FROM study_versions", NULL, &r, what)))
		goto done;
	t.nversions = bo__pg_col_int(r, 0, 0);
	rc = bo__pg_commit(q, what);
	if (rc == 0)
		*out = t;
done:
	PQclear(r);
	bo__pg_end_tx(q);
	return rc;
}

static int read_trial(const PGresult *r, int row, bo_trial_rec *t)
{
	int rc;
	t->id = bo__pg_col_int(r, row, 0);
	t->state = bo__trial_state_parse(PQgetvalue(r, row, 1));
	t->version = bo__pg_col_int(r, row, 2);
	t->run_id = bo__pg_col_int(r, row, 3);
	t->cost = bo__pg_col_real(r, row, 6);
	t->reserved = bo__pg_col_real(r, row, 7);
	t->score = bo__pg_col_real(r, row, 10);
	t->feasible = (int)bo__pg_col_int(r, row, 11);
	t->created_at = bo__pg_col_time(r, row, 12);
	t->started_at = bo__pg_col_time(r, row, 13);
	t->ended_at = bo__pg_col_time(r, row, 14);
	t->exit_code = (int)bo__pg_col_int(r, row, 15);
	t->term_signal = (int)bo__pg_col_int(r, row, 16);
	t->pid = bo__pg_col_int(r, row, 17);
	t->pid_start = bo__pg_col_int(r, row, 20);
	t->repeat = bo__pg_col_int(r, row, 23);
	if ((rc = bo__pg_col_str(r, row, 4, &t->sampler)) || (rc = bo__pg_col_str(r, row, 5, &t->params_json)) ||
	    (rc = bo__pg_col_str(r, row, 8, &t->price_version)) || (rc = bo__pg_col_str(r, row, 9, &t->reason)) ||
	    (rc = bo__pg_col_str(r, row, 18, &t->host)) || (rc = bo__pg_col_str(r, row, 19, &t->folder)) ||
	    (rc = bo__pg_col_str(r, row, 21, &t->cgroup)) ||
	    (rc = bo__pg_col_str(r, row, 22, &t->scenario)))
		return rc;
	return 0;
}

typedef struct id_index {
	int64_t id;
	size_t i;
} id_index;

static int cmp_id_index(const void *a, const void *b)
{
	int64_t x = ((const id_index *)a)->id, y = ((const id_index *)b)->id;
	return (x > y) - (x < y);
}

/* Loads params, metrics and usage of the n records: one query per table
 * (of one trial, or of all), rows routed through a sorted id index. */
static int load_children(pg *q, bo_trial_rec *recs, size_t n)
{
	static const char *const one[3] = {
		"SELECT trial_id, name, value FROM trial_params WHERE trial_id = $1 ORDER BY seq",
		"SELECT trial_id, name, value FROM trial_metrics WHERE trial_id = $1 ORDER BY seq",
		"SELECT trial_id, resource, amount FROM trial_usage WHERE trial_id = $1 ORDER BY seq"};
	/* from the smallest id on: a worker catching up reads the tail */
	static const char *const all[3] = {
		"SELECT trial_id, name, value FROM trial_params WHERE trial_id >= $1 ORDER BY seq",
		"SELECT trial_id, name, value FROM trial_metrics WHERE trial_id >= $1 ORDER BY seq",
		"SELECT trial_id, resource, amount FROM trial_usage WHERE trial_id >= $1 ORDER BY seq"};
	const char *what = "reading trials";
	id_index *idx = NULL;
	size_t *caps = NULL, i;
	PGresult *r = NULL;
	params p;
	int which, rc = 0, row;
	if (n == 0)
		return 0;
	bo__pg_p_init(&p);
	if (!(idx = bo__calloc(n, sizeof *idx)) || !(caps = bo__calloc(n * 3, sizeof *caps))) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++) {
		idx[i].id = recs[i].id;
		idx[i].i = i;
	}
	qsort(idx, n, sizeof *idx, cmp_id_index);
	bo__pg_p_int(&p, idx[0].id);
	for (which = 0; which < 3; which++) {
		if ((rc = bo__pg_exec(q, n == 1 ? one[which] : all[which], &p, &r, what)))
			goto done;
		for (row = 0; row < PQntuples(r); row++) {
			id_index key, *hit;
			bo_trial_rec *t;
			bo_kv **arr;
			size_t *cnt;
			key.id = bo__pg_col_int(r, row, 0);
			key.i = 0;
			if (!(hit = bsearch(&key, idx, n, sizeof *idx, cmp_id_index)))
				continue;
			t = &recs[hit->i];
			arr = which == 0 ? &t->params : which == 1 ? &t->metrics : &t->usage;
			cnt = which == 0 ? &t->nparams : which == 1 ? &t->nmetrics : &t->nusage;
			if ((rc = bo__kv_push(arr, cnt, &caps[hit->i * 3 + (size_t)which],
					      PQgetvalue(r, row, 1), bo__pg_col_real(r, row, 2))))
				goto done;
		}
		PQclear(r);
		r = NULL;
	}
done:
	PQclear(r);
	bo__pg_p_clear(&p);
	bo__free(idx);
	bo__free(caps);
	return rc;
}

static const char *sort_key(const char *name, int *metric)
{
	*metric = 0;
	if (!*name || strcmp(name, "id") == 0)
		return "t.id";
	if (strcmp(name, "cost") == 0)
		return "t.cost";
	if (strcmp(name, "score") == 0)
		return "t.score";
	*metric = 1;
	return "m.value";
}

int bo__pg_trials(bo_storage *st, const bo_trial_query *qry, bo_trial_rec **out, size_t *nout)
{
	static const bo_trial_query defaults = BO_TRIAL_QUERY_INIT;
	pg *q = (pg *)st;
	const char *what = "reading trials";
	bo_strbuf sql = BO_STRBUF_INIT;
	bo_trial_rec *recs = NULL;
	PGresult *r = NULL;
	size_t n = 0;
	const char *sort, *key;
	params p;
	int desc = 0, metric, rc, i;
	if (out)
		*out = NULL;
	if (nout)
		*nout = 0;
	if (!q || !out || !nout)
		return bo__error(BO_EMISUSE, "trials: missing argument");
	if (!qry)
		qry = &defaults;
	if (qry->state < -1 || qry->state > BO_TRIAL_FAILED)
		return bo__error(BO_EINVAL, "trials: unknown state %d", qry->state);
	sort = qry->sort ? qry->sort : "id";
	if (sort[0] == '-') {
		desc = 1;
		sort++;
	}
	key = sort_key(sort, &metric);
	bo__pg_p_init(&p);
	bo__pg_p_text(&p, qry->state >= 0 ? bo__trial_state_name(qry->state) : NULL);
	if (qry->limit > 0)
		bo__pg_p_int(&p, qry->limit);
	else
		bo__pg_p_text(&p, NULL);
	bo__pg_p_int(&p, qry->min_id);
	bo__sb_puts(&sql, "SELECT " TRIAL_COLS " FROM trials t");
	if (metric) {
		bo__sb_puts(&sql, " LEFT JOIN trial_metrics m ON m.trial_id = t.id AND m.name = $4");
		bo__pg_p_text(&p, sort);
	}
	bo__sb_puts(&sql, " WHERE ($1::text IS NULL OR t.state = $1) AND t.id >= $3 ORDER BY (");
	bo__sb_puts(&sql, key);
	bo__sb_puts(&sql, " IS NULL), ");
	bo__sb_puts(&sql, key);
	bo__sb_puts(&sql, desc ? " DESC" : " ASC");
	bo__sb_puts(&sql, ", t.id ASC LIMIT $2::bigint");
	if (!bo__sb_str(&sql)) {
		rc = BO_ENOMEM;
		goto done;
	}
	if ((rc = begin_read(q, what)) || (rc = bo__pg_exec(q, bo__sb_str(&sql), &p, &r, what)))
		goto done;
	if (PQntuples(r) > 0) {
		if (!(recs = bo__calloc((size_t)PQntuples(r), sizeof *recs))) {
			rc = BO_ENOMEM;
			goto done;
		}
		for (i = 0; i < PQntuples(r); i++) {
			n++;
			if ((rc = read_trial(r, i, &recs[i])))
				goto done;
		}
	}
	if ((rc = load_children(q, recs, n)) || (rc = bo__pg_commit(q, what)))
		goto done;
	*out = recs;
	*nout = n;
	recs = NULL;
	n = 0;
done:
	PQclear(r);
	bo__pg_p_clear(&p);
	bo__trial_rec_free_array(recs, n);
	bo__sb_clear(&sql);
	bo__pg_end_tx(q);
	return rc;
}

int bo__pg_trial_get(bo_storage *st, int64_t id, bo_trial_rec *out)
{
	pg *q = (pg *)st;
	const char *what = "reading a trial";
	PGresult *r = NULL;
	params p;
	int rc;
	if (!q || !out)
		return bo__error(BO_EMISUSE, "trial_get: missing argument");
	memset(out, 0, sizeof *out);
	bo__pg_p_init(&p);
	bo__pg_p_int(&p, id);
	if ((rc = begin_read(q, what)) ||
	    (rc = bo__pg_exec(q, "SELECT " TRIAL_COLS " FROM trials t WHERE t.id = $1", &p, &r, what)))
		goto done;
	if (PQntuples(r) == 0) {
		rc = bo__error(BO_ENOTFOUND, "%s: no trial %lld in the ledger", q->label,
			       (long long)id);
		goto done;
	}
	if ((rc = read_trial(r, 0, out)) || (rc = load_children(q, out, 1)))
		goto done;
	rc = bo__pg_commit(q, what);
done:
	PQclear(r);
	bo__pg_p_clear(&p);
	if (rc)
		bo__trial_rec_clear(out);
	bo__pg_end_tx(q);
	return rc;
}

int bo__pg_events(bo_storage *st, bo_event **out, size_t *nout)
{
	pg *q = (pg *)st;
	const char *what = "reading events";
	PGresult *r = NULL;
	bo_event *ev = NULL;
	size_t n = 0;
	int rc, i;
	if (out)
		*out = NULL;
	if (nout)
		*nout = 0;
	if (!q || !out || !nout)
		return bo__error(BO_EMISUSE, "events: missing argument");
	if ((rc = bo__pg_ensure_conn(q, what)) ||
	    (rc = bo__pg_exec(q, "SELECT id, t, run_id, trial_id, kind, amount, detail FROM events "
			  "ORDER BY id", NULL, &r, what)))
		goto done;
	if (PQntuples(r) > 0 && !(ev = bo__calloc((size_t)PQntuples(r), sizeof *ev))) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < PQntuples(r); i++) {
		bo_event *e = &ev[n++];
		e->id = bo__pg_col_int(r, i, 0);
		e->t = bo__pg_col_real(r, i, 1);
		e->run_id = bo__pg_col_int(r, i, 2);
		e->trial_id = bo__pg_col_int(r, i, 3);
		e->amount = bo__pg_col_real(r, i, 5);
		if ((rc = bo__pg_col_str(r, i, 4, &e->kind)) || (rc = bo__pg_col_str(r, i, 6, &e->detail)))
			goto done;
	}
	*out = ev;
	*nout = n;
	ev = NULL;
	n = 0;
done:
	PQclear(r);
	bo__event_free_array(ev, n);
	return rc;
}

int bo__pg_steps(bo_storage *st, bo_step_row **out, size_t *nout)
{
	pg *q = (pg *)st;
	const char *what = "reading intermediate reports";
	PGresult *r = NULL;
	bo_step_row *v = NULL;
	size_t n = 0;
	int rc, i;
	if (out)
		*out = NULL;
	if (nout)
		*nout = 0;
	if (!q || !out || !nout)
		return bo__error(BO_EMISUSE, "steps: missing argument");
	if ((rc = bo__pg_ensure_conn(q, what)) ||
	    (rc = bo__pg_exec(q, "SELECT trial_id, step, name, value FROM trial_steps "
			  "ORDER BY trial_id, step, name", NULL, &r, what)))
		goto done;
	if (PQntuples(r) > 0 && !(v = bo__calloc((size_t)PQntuples(r), sizeof *v))) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < PQntuples(r); i++) {
		bo_step_row *e = &v[n++];
		e->trial_id = bo__pg_col_int(r, i, 0);
		e->step = bo__pg_col_int(r, i, 1);
		e->value = bo__pg_col_real(r, i, 3);
		if ((rc = bo__pg_col_str(r, i, 2, &e->name)))
			goto done;
	}
	*out = v;
	*nout = n;
	v = NULL;
	n = 0;
done:
	PQclear(r);
	bo__step_rows_free(v, n);
	return rc;
}

int bo__pg_study_text(bo_storage *st, char **text)
{
	pg *q = (pg *)st;
	PGresult *r = NULL;
	int rc;
	if (text)
		*text = NULL;
	if (!q || !text)
		return bo__error(BO_EMISUSE, "study_text: missing argument");
	if ((rc = bo__pg_ensure_conn(q, "reading the study")) ||
	    (rc = bo__pg_exec(q, "SELECT text FROM study_versions ORDER BY id DESC LIMIT 1", NULL, &r,
		       "reading the study")))
		goto done;
	rc = PQntuples(r) == 1 ? bo__pg_col_str(r, 0, 0, text) : 0;
done:
	PQclear(r);
	return rc;
}
