/*
 * storage/sqlite_read.c - what the SQLite ledger reads: totals,
 * trials (one or all, with their parameters, metrics and usage), events,
 * steps and the study's text. Reads that span several statements run in
 * one read transaction, so they see one snapshot.
 *
 * Part of the SQLite ledger: storage/sqlite.c holds the statements and the
 * shared helpers (storage/sqlite_int.h), and says what the ledger
 * promises (durability, concurrency, safety) and its schema.
 *
 * Must never print, exit, abort, or format a value into SQL text.
 */
#include "storage/sqlite_int.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Up to this many trials, trials() loads params/metrics/usage with one
 * indexed query per trial; above it, with one scan of each table. */
#define PER_TRIAL_LOAD_MAX 64

/* ---- reading ------------------------------------------------------------ */

int bo__sqlite_totals(bo_storage *st, bo_ledger_totals *out)
{
	sq *q = (sq *)st;
	sqlite3_stmt *s;
	bo_ledger_totals t;
	int rc;
	const char *what = "reading totals";
	if (!q || !out)
		return bo__error(BO_EMISUSE, "totals: missing argument");
	memset(&t, 0, sizeof t);
	if ((rc = bo__sqlite_begin_read(q, what)))
		goto done;

	if ((rc = bo__sqlite_get(q, S_TOT_SPENT, &s)))
		goto done;
	if ((rc = bo__sqlite_next_row(q, s, what)) < 0)
		goto done;
	if (rc == 1) {
		t.spent = sqlite3_column_double(s, 0);
		t.ntrials = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);

	if ((rc = bo__sqlite_get(q, S_TOT_STATES, &s)))
		goto done;
	while ((rc = bo__sqlite_next_row(q, s, what)) == 1) {
		int k = bo__trial_state_parse((const char *)sqlite3_column_text(s, 0));
		if (k >= 0)
			t.by_state[k] = sqlite3_column_int64(s, 1);
	}
	if (rc < 0)
		goto done;
	sqlite3_reset(s);

	if ((rc = bo__sqlite_get(q, S_TOT_RUNS, &s)))
		goto done;
	if ((rc = bo__sqlite_next_row(q, s, what)) < 0)
		goto done;
	if (rc == 1) {
		t.elapsed_s = sqlite3_column_double(s, 0);
		t.first_start = sqlite3_column_double(s, 1);
	}
	sqlite3_reset(s);

	if ((rc = bo__sqlite_get(q, S_TOT_VERSIONS, &s)))
		goto done;
	if ((rc = bo__sqlite_next_row(q, s, what)) < 0)
		goto done;
	if (rc == 1)
		t.nversions = sqlite3_column_int64(s, 0);
	rc = 0;
	*out = t;
done:
	bo__sqlite_end_tx(q);
	return rc;
}

/* Fills r from a row of TRIAL_COLS; r must be zeroed. */
static int read_trial(sq *q, sqlite3_stmt *s, bo_trial_rec *r)
{
	int rc;
	r->id = sqlite3_column_int64(s, 0);
	r->state = bo__trial_state_parse((const char *)sqlite3_column_text(s, 1));
	r->version = sqlite3_column_int64(s, 2);
	r->run_id = sqlite3_column_int64(s, 3);
	r->cost = bo__sqlite_col_real(s, 6);
	r->reserved = bo__sqlite_col_real(s, 7);
	r->score = bo__sqlite_col_real(s, 10);
	r->feasible = sqlite3_column_int(s, 11);
	r->created_at = bo__sqlite_col_time(s, 12);
	r->started_at = bo__sqlite_col_time(s, 13);
	r->ended_at = bo__sqlite_col_time(s, 14);
	r->exit_code = sqlite3_column_int(s, 15);
	r->term_signal = sqlite3_column_int(s, 16);
	r->pid = sqlite3_column_int64(s, 17);
	r->pid_start = sqlite3_column_int64(s, 20);
	r->repeat = sqlite3_column_int64(s, 23);
	if ((rc = bo__sqlite_col_str(q, s, 4, &r->sampler)) || (rc = bo__sqlite_col_str(q, s, 5, &r->params_json)) ||
	    (rc = bo__sqlite_col_str(q, s, 8, &r->price_version)) || (rc = bo__sqlite_col_str(q, s, 9, &r->reason)) ||
	    (rc = bo__sqlite_col_str(q, s, 18, &r->host)) || (rc = bo__sqlite_col_str(q, s, 19, &r->folder)) ||
	    (rc = bo__sqlite_col_str(q, s, 21, &r->cgroup)) ||
	    (rc = bo__sqlite_col_str(q, s, 22, &r->scenario)))
		return rc;
	return 0;
}

/* Which list of a record a child table fills. */
enum { KV_PARAMS, KV_METRICS, KV_USAGE };

static void kv_slot(bo_trial_rec *r, int which, bo_kv ***arr, size_t **n)
{
	switch (which) {
	case KV_PARAMS: *arr = &r->params; *n = &r->nparams; break;
	case KV_METRICS: *arr = &r->metrics; *n = &r->nmetrics; break;
	default: *arr = &r->usage; *n = &r->nusage; break;
	}
}

/* Appends the (name, value) of columns 1, 2 of s to r's list which. */
static int append_kv(sq *q, sqlite3_stmt *s, bo_trial_rec *r, int which, size_t *cap)
{
	bo_kv **arr;
	size_t *n;
	int rc;
	kv_slot(r, which, &arr, &n);
	if ((rc = bo__grow(arr, cap, *n + 1, sizeof **arr)))
		return rc;
	if ((rc = bo__sqlite_col_str(q, s, 1, &(*arr)[*n].name)))
		return rc;
	if (!(*arr)[*n].name)
		(*arr)[*n].name = bo__strdup("");
	if (!(*arr)[*n].name)
		return BO_ENOMEM;
	(*arr)[*n].value = bo__sqlite_col_real(s, 2);
	(*n)++;
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

/*
 * Loads params, metrics and usage of the n records r. Few records: one
 * indexed query per record and table. Many: one scan per table, each row
 * routed to its record through a sorted id index, so 100k trials cost
 * three scans rather than 300k queries.
 */
static int load_children(sq *q, bo_trial_rec *r, size_t n)
{
	static const int of_sid[3] = {S_PARAMS_OF, S_METRICS_OF, S_USAGE_OF};
	static const int all_sid[3] = {S_PARAMS_ALL, S_METRICS_ALL, S_USAGE_ALL};
	const char *what = "reading trials";
	size_t *caps = NULL;
	id_index *idx = NULL;
	sqlite3_stmt *s;
	size_t i;
	int which, rc = 0, b;
	if (n == 0)
		return 0;
	if (!(caps = bo__calloc(n, sizeof *caps))) {
		rc = BO_ENOMEM;
		goto done;
	}
	if (n > PER_TRIAL_LOAD_MAX) {
		if (!(idx = bo__calloc(n, sizeof *idx))) {
			rc = BO_ENOMEM;
			goto done;
		}
		for (i = 0; i < n; i++) {
			idx[i].id = r[i].id;
			idx[i].i = i;
		}
		qsort(idx, n, sizeof *idx, cmp_id_index);
	}
	for (which = KV_PARAMS; which <= KV_USAGE; which++) {
		memset(caps, 0, n * sizeof *caps);
		if (!idx) {
			if ((rc = bo__sqlite_get(q, of_sid[which], &s)))
				goto done;
			for (i = 0; i < n; i++) {
				if ((b = sqlite3_bind_int64(s, 1, r[i].id)) != SQLITE_OK) {
					rc = bo__sqlite_db_error(q, b, what);
					goto done;
				}
				while ((rc = bo__sqlite_next_row(q, s, what)) == 1)
					if ((rc = append_kv(q, s, &r[i], which, &caps[i])))
						goto done;
				if (rc < 0)
					goto done;
				sqlite3_reset(s);
			}
			continue;
		}
		if ((rc = bo__sqlite_get(q, all_sid[which], &s)))
			goto done;
		while ((rc = bo__sqlite_next_row(q, s, what)) == 1) {
			id_index key, *hit;
			key.id = sqlite3_column_int64(s, 0);
			key.i = 0;
			hit = bsearch(&key, idx, n, sizeof *idx, cmp_id_index);
			if (hit && (rc = append_kv(q, s, &r[hit->i], which, &caps[hit->i])))
				goto done;
		}
		if (rc < 0)
			goto done;
		sqlite3_reset(s);
	}
	rc = 0;
done:
	bo__free(caps);
	bo__free(idx);
	return rc;
}

/* The ORDER BY key of a sort name: a column of trials or a metric. */
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

int bo__sqlite_trials(bo_storage *st, const bo_trial_query *qry, bo_trial_rec **out, size_t *nout)
{
	static const bo_trial_query defaults = BO_TRIAL_QUERY_INIT;
	sq *q = (sq *)st;
	const char *what = "reading trials";
	bo_strbuf sql = BO_STRBUF_INIT;
	sqlite3_stmt *s = NULL;
	bo_trial_rec *recs = NULL;
	size_t n = 0, cap = 0;
	const char *sort, *key;
	int desc = 0, metric, rc, b;
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

	/* Only constant fragments go into the text; the metric name is ?2. */
	bo__sb_puts(&sql, "SELECT " TRIAL_COLS " FROM trials t");
	if (metric)
		bo__sb_puts(&sql, " LEFT JOIN trial_metrics m ON m.trial_id = t.id AND m.name = ?2");
	bo__sb_puts(&sql, " WHERE (?1 IS NULL OR t.state = ?1) AND t.id >= ?4 ORDER BY (");
	bo__sb_puts(&sql, key);
	bo__sb_puts(&sql, " IS NULL), ");
	bo__sb_puts(&sql, key);
	bo__sb_puts(&sql, desc ? " DESC" : " ASC");
	bo__sb_puts(&sql, ", t.id ASC LIMIT ?3");
	if (!bo__sb_str(&sql)) {
		rc = BO_ENOMEM;
		goto done;
	}

	if ((rc = bo__sqlite_begin_read(q, what)))
		goto done;
	rc = sqlite3_prepare_v2(q->db, bo__sb_str(&sql), -1, &s, NULL);
	if (rc != SQLITE_OK) {
		rc = bo__sqlite_db_error(q, rc, what);
		goto done;
	}
	b = qry->state >= 0 ? sqlite3_bind_text(s, 1, bo__trial_state_name(qry->state), -1,
						 SQLITE_STATIC)
			    : sqlite3_bind_null(s, 1);
	if (metric)
		b |= sqlite3_bind_text(s, 2, sort, -1, SQLITE_STATIC);
	b |= sqlite3_bind_int64(s, 3, qry->limit > 0 ? qry->limit : -1);
	b |= sqlite3_bind_int64(s, 4, qry->min_id);
	if (b != SQLITE_OK) {
		rc = bo__sqlite_db_error(q, b, what);
		goto done;
	}
	while ((rc = bo__sqlite_next_row(q, s, what)) == 1) {
		if ((rc = bo__grow(&recs, &cap, n + 1, sizeof *recs)))
			goto done;
		memset(&recs[n], 0, sizeof recs[n]);
		n++;
		if ((rc = read_trial(q, s, &recs[n - 1])))
			goto done;
	}
	if (rc < 0)
		goto done;
	sqlite3_finalize(s);
	s = NULL;
	if ((rc = load_children(q, recs, n)))
		goto done;
	*out = recs;
	*nout = n;
	recs = NULL;
	n = 0;
done:
	sqlite3_finalize(s);
	bo__trial_rec_free_array(recs, n);
	bo__sb_clear(&sql);
	bo__sqlite_end_tx(q);
	return rc;
}

int bo__sqlite_trial_get(bo_storage *st, int64_t id, bo_trial_rec *out)
{
	sq *q = (sq *)st;
	sqlite3_stmt *s;
	int rc, b;
	const char *what = "reading a trial";
	if (!q || !out)
		return bo__error(BO_EMISUSE, "trial_get: missing argument");
	memset(out, 0, sizeof *out);
	if ((rc = bo__sqlite_begin_read(q, what)))
		goto done;
	if ((rc = bo__sqlite_get(q, S_TRIAL_GET, &s)))
		goto done;
	if ((b = sqlite3_bind_int64(s, 1, id)) != SQLITE_OK) {
		rc = bo__sqlite_db_error(q, b, what);
		goto done;
	}
	if ((rc = bo__sqlite_next_row(q, s, what)) < 0)
		goto done;
	if (rc == 0) {
		rc = bo__error(BO_ENOTFOUND, "%s: no trial %lld in the ledger", q->path,
			       (long long)id);
		goto done;
	}
	if ((rc = read_trial(q, s, out)))
		goto done;
	sqlite3_reset(s);
	rc = load_children(q, out, 1);
done:
	if (rc)
		bo__trial_rec_clear(out);
	bo__sqlite_end_tx(q);
	return rc;
}

int bo__sqlite_events(bo_storage *st, bo_event **out, size_t *nout)
{
	sq *q = (sq *)st;
	sqlite3_stmt *s;
	bo_event *ev = NULL;
	size_t n = 0, cap = 0;
	int rc;
	const char *what = "reading events";
	if (out)
		*out = NULL;
	if (nout)
		*nout = 0;
	if (!q || !out || !nout)
		return bo__error(BO_EMISUSE, "events: missing argument");
	if ((rc = bo__sqlite_get(q, S_EVENTS, &s)))
		goto done;
	while ((rc = bo__sqlite_next_row(q, s, what)) == 1) {
		bo_event *e;
		if ((rc = bo__grow(&ev, &cap, n + 1, sizeof *ev)))
			goto done;
		e = &ev[n++];
		memset(e, 0, sizeof *e);
		e->id = sqlite3_column_int64(s, 0);
		e->t = sqlite3_column_double(s, 1);
		e->run_id = sqlite3_column_int64(s, 2);
		e->trial_id = sqlite3_column_int64(s, 3);
		e->amount = bo__sqlite_col_real(s, 5);
		if ((rc = bo__sqlite_col_str(q, s, 4, &e->kind)) || (rc = bo__sqlite_col_str(q, s, 6, &e->detail)))
			goto done;
	}
	if (rc < 0)
		goto done;
	*out = ev;
	*nout = n;
	ev = NULL;
	n = 0;
done:
	bo__event_free_array(ev, n);
	bo__sqlite_reset_used(q);
	return rc;
}

int bo__sqlite_steps(bo_storage *st, bo_step_row **out, size_t *nout)
{
	sq *q = (sq *)st;
	sqlite3_stmt *s;
	bo_step_row *v = NULL;
	size_t n = 0, cap = 0;
	int rc;
	const char *what = "reading intermediate reports";
	if (out)
		*out = NULL;
	if (nout)
		*nout = 0;
	if (!q || !out || !nout)
		return bo__error(BO_EMISUSE, "steps: missing argument");
	if ((rc = bo__sqlite_get(q, S_STEPS, &s)))
		goto done;
	while ((rc = bo__sqlite_next_row(q, s, what)) == 1) {
		bo_step_row *e;
		if ((rc = bo__grow(&v, &cap, n + 1, sizeof *v)))
			goto done;
		e = &v[n++];
		memset(e, 0, sizeof *e);
		e->trial_id = sqlite3_column_int64(s, 0);
		e->step = sqlite3_column_int64(s, 1);
		e->value = bo__sqlite_col_real(s, 3);
		if ((rc = bo__sqlite_col_str(q, s, 2, &e->name)))
			goto done;
	}
	if (rc < 0)
		goto done;
	*out = v;
	*nout = n;
	v = NULL;
	n = 0;
done:
	bo__step_rows_free(v, n);
	bo__sqlite_reset_used(q);
	return rc;
}

int bo__sqlite_study_text(bo_storage *st, char **text)
{
	sq *q = (sq *)st;
	sqlite3_stmt *s;
	int rc;
	if (text)
		*text = NULL;
	if (!q || !text)
		return bo__error(BO_EMISUSE, "study_text: missing argument");
	if ((rc = bo__sqlite_get(q, S_STUDY_TEXT, &s)))
		goto done;
	if ((rc = bo__sqlite_next_row(q, s, "reading the study")) < 0)
		goto done;
	rc = rc == 1 ? bo__sqlite_col_str(q, s, 0, text) : 0;
done:
	bo__sqlite_reset_used(q);
	return rc;
}
