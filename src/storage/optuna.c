/*
 * storage/optuna.c - one study out of an Optuna RDB storage file (see
 * optuna.h).
 *
 * Schemas read: Optuna's alembic revisions v2.4.0.a to v3.0.0.d (Optuna
 * 2.4 to 3.x: objectives in trial_values, distributions as JSON). Older
 * files (a value column on trials) and newer revisions are refused with
 * the revision named, since a guess could import wrong numbers.
 *
 * Must never write to the file, print or exit; SQL text is constant and
 * every value is bound.
 */
#include "storage/optuna.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const known_schemas[] = {
	"v2.4.0.a", "v2.6.0.a", "v3.0.0.a", "v3.0.0.b", "v3.0.0.c", "v3.0.0.d",
};

typedef struct reader {
	sqlite3 *db;
	const char *path;
	int has_value_type;        /* trial_values.value_type (v3.0.0.c on) */
	int has_step_type;         /* trial_intermediate_values.intermediate_value_type */
} reader;

static int db_err(reader *r, const char *what)
{
	return bo__error(BO_EIO, "%s: %s: %s", r->path, what, sqlite3_errmsg(r->db));
}

static int prepare(reader *r, const char *sql, sqlite3_stmt **s, const char *what)
{
	if (sqlite3_prepare_v2(r->db, sql, -1, s, NULL) != SQLITE_OK) {
		*s = NULL;
		return db_err(r, what);
	}
	return 0;
}

static void dist_clear(bo_optuna_dist *d)
{
	json_decref(d->choices);
	d->choices = NULL;
}

static void trial_clear(bo_optuna_trial *t)
{
	size_t i;
	for (i = 0; i < t->nparams; i++) {
		bo__free(t->params[i].name);
		dist_clear(&t->params[i].dist);
	}
	bo__free(t->params);
	bo__free(t->values);
	bo__free(t->steps);
	json_decref(t->user_attrs);
	json_decref(t->constraints);
	bo__free(t->fail_reason);
	memset(t, 0, sizeof *t);
}

void bo__optuna_study_clear(bo_optuna_study *s)
{
	size_t i;
	if (!s)
		return;
	for (i = 0; i < s->ntrials; i++)
		trial_clear(&s->trials[i]);
	bo__free(s->trials);
	bo__free(s->directions);
	bo__free(s->name);
	bo__free(s->schema);
	bo__free(s->library_version);
	memset(s, 0, sizeof *s);
}

double bo__optuna_time_parse(const char *text)
{
	struct tm tm;
	int y, mo, d, h, mi, n = 0;
	double sec, frac = 0;
	time_t t;
	if (!text)
		return NAN;
	memset(&tm, 0, sizeof tm);
	if (sscanf(text, "%4d-%2d-%2d%*1[ T]%2d:%2d:%lf%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
	    text[n] != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || !(sec >= 0 && sec < 61))
		return NAN;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = (int)sec;
	frac = sec - floor(sec);
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return NAN;
	/* Microseconds, as Optuna writes them: round so a double keeps them. */
	return (double)t + round(frac * 1e6) / 1e6;
}

static int num(json_t *attrs, const char *key, double *out, int required)
{
	json_t *v = json_object_get(attrs, key);
	if (!v || json_is_null(v)) {
		*out = NAN;
		return required ? -1 : 0;
	}
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return isfinite(*out) ? 0 : -1;
}

static int flag(json_t *attrs, const char *key, int *out)
{
	json_t *v = json_object_get(attrs, key);
	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return -1;
	*out = json_is_true(v);
	return 0;
}

int bo__optuna_dist_parse(const char *text, bo_optuna_dist *d)
{
	json_t *root = NULL, *attrs;
	const char *name;
	int rc = BO_EINVAL, bad = 0;
	memset(d, 0, sizeof *d);
	if (!text || !(root = json_loads(text, 0, NULL)) || !json_is_object(root))
		goto done;
	name = json_string_value(json_object_get(root, "name"));
	attrs = json_object_get(root, "attributes");
	if (!name || !json_is_object(attrs))
		goto done;
	if (!strcmp(name, "CategoricalDistribution")) {
		json_t *c = json_object_get(attrs, "choices");
		if (!json_is_array(c) || json_array_size(c) == 0)
			goto done;
		d->kind = BO_OPTUNA_CATEGORICAL;
		d->choices = json_incref(c);
		rc = 0;
		goto done;
	}
	bad |= num(attrs, "low", &d->low, 1) | num(attrs, "high", &d->high, 1);
	if (!strcmp(name, "FloatDistribution")) {
		d->kind = BO_OPTUNA_FLOAT;
		bad |= num(attrs, "step", &d->step, 0) | flag(attrs, "log", &d->log);
		if (isnan(d->step))
			d->step = 0;
	} else if (!strcmp(name, "UniformDistribution")) {
		d->kind = BO_OPTUNA_FLOAT;
	} else if (!strcmp(name, "LogUniformDistribution")) {
		d->kind = BO_OPTUNA_FLOAT;
		d->log = 1;
	} else if (!strcmp(name, "DiscreteUniformDistribution")) {
		d->kind = BO_OPTUNA_FLOAT;
		bad |= num(attrs, "q", &d->step, 1);
	} else if (!strcmp(name, "IntDistribution") || !strcmp(name, "IntUniformDistribution") ||
		   !strcmp(name, "IntLogUniformDistribution")) {
		d->kind = BO_OPTUNA_INT;
		bad |= num(attrs, "step", &d->step, 0);
		if (!strcmp(name, "IntDistribution"))
			bad |= flag(attrs, "log", &d->log);
		else
			d->log = !strcmp(name, "IntLogUniformDistribution");
		if (isnan(d->step))
			d->step = 1;
	} else {
		goto done;
	}
	if (bad || d->low > d->high || d->step < 0 || (d->log && d->low <= 0))
		goto done;
	rc = 0;
done:
	json_decref(root);
	if (rc)
		dist_clear(d);
	return rc;
}

/* The schema revision; refuses files that are not Optuna storages or are
 * of a revision not read here. */
static int check_schema(reader *r, bo_optuna_study *out)
{
	sqlite3_stmt *s = NULL;
	size_t i;
	int rc = 0, known = 0;
	const char *v;
	if (sqlite3_prepare_v2(r->db, "SELECT schema_version, library_version FROM version_info", -1, &s,
			       NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		rc = bo__error(BO_EINVAL, "%s is not an Optuna storage (%s)", r->path,
			       sqlite3_errmsg(r->db));
		goto done;
	}
	v = (const char *)sqlite3_column_text(s, 1);
	if (!(out->library_version = bo__strdup(v ? v : "unknown"))) {
		rc = BO_ENOMEM;
		goto done;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_prepare_v2(r->db, "SELECT version_num FROM alembic_version", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW || !(v = (const char *)sqlite3_column_text(s, 0))) {
		rc = bo__error(BO_EINVAL, "%s: an Optuna storage without a schema revision "
				  "(alembic_version): written by Optuna %s, not read here",
			       r->path, out->library_version);
		goto done;
	}
	for (i = 0; i < sizeof known_schemas / sizeof known_schemas[0]; i++)
		known |= !strcmp(v, known_schemas[i]);
	if (!known) {
		rc = bo__error(BO_EINVAL, "%s: unsupported Optuna schema revision \"%.40s\" (written by "
				  "Optuna %.40s); this reads %s to %s (Optuna 2.4 to 3.x)",
			       r->path, v, out->library_version, known_schemas[0],
			       known_schemas[sizeof known_schemas / sizeof known_schemas[0] - 1]);
		goto done;
	}
	if (!(out->schema = bo__strdup(v)))
		rc = BO_ENOMEM;
done:
	sqlite3_finalize(s);
	return rc;
}

static int has_column(reader *r, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int ok = sqlite3_prepare_v2(r->db, sql, -1, &s, NULL) == SQLITE_OK;
	sqlite3_finalize(s);
	return ok;
}

/* The study's id, or BO_ENOTFOUND listing the studies the file holds. */
static int find_study(reader *r, const char *name, int64_t *id)
{
	sqlite3_stmt *s = NULL;
	bo_strbuf names = BO_STRBUF_INIT;
	int rc, n = 0;
	if ((rc = prepare(r, "SELECT study_id FROM studies WHERE study_name = ?1", &s, "finding the study")))
		return rc;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		return 0;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_err(r, "finding the study");
	if ((rc = prepare(r, "SELECT study_name FROM studies ORDER BY study_id", &s, "listing studies")))
		return rc;
	while (sqlite3_step(s) == SQLITE_ROW && n < 20) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		bo__sb_printf(&names, "%s\"%.100s\"", n++ ? ", " : "", v ? v : "");
	}
	sqlite3_finalize(s);
	rc = bo__error(BO_ENOTFOUND, "%s: no Optuna study named \"%.200s\" (%s%s)", r->path, name,
		       n ? "it holds " : "it holds no study", n ? bo__sb_str(&names) : "");
	bo__sb_clear(&names);
	return rc;
}

static int read_directions(reader *r, int64_t sid, bo_optuna_study *out)
{
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	int rc;
	if ((rc = prepare(r, "SELECT objective, direction FROM study_directions WHERE study_id = ?1 "
			     "ORDER BY objective", &s, "reading the study's directions")))
		return rc;
	sqlite3_bind_int64(s, 1, sid);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(s, 1);
		if (sqlite3_column_int64(s, 0) != (int64_t)out->nobjectives) {
			rc = bo__error(BO_EINVAL, "%s: study \"%s\": objectives are not numbered 0, 1, ...",
				       r->path, out->name);
			goto done;
		}
		if (bo__grow(&out->directions, &cap, out->nobjectives + 1, sizeof *out->directions) < 0) {
			rc = BO_ENOMEM;
			goto done;
		}
		out->directions[out->nobjectives++] = d && !strcmp(d, "MAXIMIZE") ? 1 : -1;
	}
	if (rc != SQLITE_DONE) {
		rc = db_err(r, "reading the study's directions");
		goto done;
	}
	rc = out->nobjectives ? 0 : bo__error(BO_EINVAL, "%s: study \"%s\" has no direction", r->path, out->name);
done:
	sqlite3_finalize(s);
	return rc;
}

/* A JSON column's value; NULL (and *bad) when it does not parse. */
static json_t *json_col(sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);
	return v ? json_loads(v, JSON_DECODE_ANY, NULL) : NULL;
}

/* A FINITE/INF_POS/INF_NEG/NAN typed number column pair. */
static double typed(sqlite3_stmt *s, int vi, int ti, int has_type)
{
	const char *t = has_type ? (const char *)sqlite3_column_text(s, ti) : NULL;
	if (t && !strcmp(t, "INF_POS"))
		return INFINITY;
	if (t && !strcmp(t, "INF_NEG"))
		return -INFINITY;
	if (t && !strcmp(t, "NAN"))
		return NAN;
	return sqlite3_column_type(s, vi) == SQLITE_NULL ? NAN : sqlite3_column_double(s, vi);
}

static int read_trial(reader *r, int64_t tid, bo_optuna_study *st, bo_optuna_trial *t)
{
	sqlite3_stmt *s = NULL;
	size_t cap = 0, i;
	int rc;
	char what[96];
	snprintf(what, sizeof what, "reading trial %lld", (long long)t->number);

	if (!(t->values = bo__calloc(st->nobjectives, sizeof *t->values)))
		return BO_ENOMEM;
	for (i = 0; i < st->nobjectives; i++)
		t->values[i] = NAN;
	t->nvalues = st->nobjectives;
	if ((rc = prepare(r, r->has_value_type ?
			     "SELECT objective, value, value_type FROM trial_values WHERE trial_id = ?1" :
			     "SELECT objective, value, NULL FROM trial_values WHERE trial_id = ?1", &s, what)))
		return rc;
	sqlite3_bind_int64(s, 1, tid);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t k = sqlite3_column_int64(s, 0);
		if (k >= 0 && (uint64_t)k < st->nobjectives)
			t->values[k] = typed(s, 1, 2, r->has_value_type);
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rc != SQLITE_DONE)
		return db_err(r, what);

	if ((rc = prepare(r, "SELECT param_name, param_value, distribution_json FROM trial_params "
			     "WHERE trial_id = ?1 ORDER BY param_id", &s, what)))
		return rc;
	sqlite3_bind_int64(s, 1, tid);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		bo_optuna_param *p;
		const char *name = (const char *)sqlite3_column_text(s, 0);
		if (bo__grow(&t->params, &cap, t->nparams + 1, sizeof *t->params) < 0) {
			rc = BO_ENOMEM;
			goto done;
		}
		p = &t->params[t->nparams];
		memset(p, 0, sizeof *p);
		if (!name || !name[0]) {
			rc = bo__error(BO_EINVAL, "%s: trial %lld: a parameter without a name", r->path,
				       (long long)t->number);
			goto done;
		}
		if (bo__optuna_dist_parse((const char *)sqlite3_column_text(s, 2), &p->dist) < 0) {
			rc = bo__error(BO_EINVAL, "%s: trial %lld: parameter \"%.100s\": distribution %.200s "
					  "is not one this reads", r->path, (long long)t->number, name,
				       sqlite3_column_text(s, 2) ? (const char *)sqlite3_column_text(s, 2) : "NULL");
			goto done;
		}
		p->value = sqlite3_column_double(s, 1);
		if (!(p->name = bo__strdup(name))) {
			dist_clear(&p->dist);
			rc = BO_ENOMEM;
			goto done;
		}
		t->nparams++;
		if (sqlite3_column_type(s, 1) == SQLITE_NULL || !isfinite(p->value) ||
		    (p->dist.kind == BO_OPTUNA_CATEGORICAL &&
		     (p->value < 0 || p->value != floor(p->value) ||
		      p->value >= (double)json_array_size(p->dist.choices)))) {
			rc = bo__error(BO_EINVAL, "%s: trial %lld: parameter \"%.100s\" has no valid value",
				       r->path, (long long)t->number, name);
			goto done;
		}
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rc != SQLITE_DONE)
		return db_err(r, what);

	if (!(t->user_attrs = json_object()))
		return BO_ENOMEM;
	if ((rc = prepare(r, "SELECT key, value_json FROM trial_user_attributes WHERE trial_id = ?1 "
			     "ORDER BY trial_user_attribute_id", &s, what)))
		return rc;
	sqlite3_bind_int64(s, 1, tid);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s, 0);
		json_t *v = json_col(s, 1);
		if (key && v)
			json_object_set_new(t->user_attrs, key, v);
		else
			json_decref(v);   /* an attribute that does not parse is not a number: skipped */
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rc != SQLITE_DONE)
		return db_err(r, what);

	if ((rc = prepare(r, "SELECT key, value_json FROM trial_system_attributes WHERE trial_id = ?1 "
			     "AND key IN ('constraints', 'fail_reason')", &s, what)))
		return rc;
	sqlite3_bind_int64(s, 1, tid);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s, 0);
		json_t *v = json_col(s, 1);
		if (key && !strcmp(key, "constraints") && json_is_array(v) && !t->constraints) {
			t->constraints = v;
			v = NULL;
		} else if (key && !strcmp(key, "fail_reason") && json_is_string(v) && !t->fail_reason &&
			   !(t->fail_reason = bo__strdup(json_string_value(v)))) {
			json_decref(v);
			rc = BO_ENOMEM;
			goto done;
		}
		json_decref(v);
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rc != SQLITE_DONE)
		return db_err(r, what);

	cap = 0;
	if ((rc = prepare(r, r->has_step_type ?
			     "SELECT step, intermediate_value, intermediate_value_type FROM "
			     "trial_intermediate_values WHERE trial_id = ?1 ORDER BY step" :
			     "SELECT step, intermediate_value, NULL FROM trial_intermediate_values "
			     "WHERE trial_id = ?1 ORDER BY step", &s, what)))
		return rc;
	sqlite3_bind_int64(s, 1, tid);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (bo__grow(&t->steps, &cap, t->nsteps + 1, sizeof *t->steps) < 0) {
			rc = BO_ENOMEM;
			goto done;
		}
		t->steps[t->nsteps].step = sqlite3_column_int64(s, 0);
		t->steps[t->nsteps++].value = typed(s, 1, 2, r->has_step_type);
	}
	rc = rc == SQLITE_DONE ? 0 : db_err(r, what);
done:
	sqlite3_finalize(s);
	return rc;
}

int bo__optuna_read(bo_optuna_study *out, const char *path, const char *name)
{
	reader r;
	sqlite3_stmt *s = NULL;
	int64_t sid = 0, *tids = NULL;
	size_t cap = 0, tcap = 0, i;
	int rc;

	memset(out, 0, sizeof *out);
	memset(&r, 0, sizeof r);
	r.path = path;
	if (access(path, R_OK) != 0)
		return bo__error(BO_ENOTFOUND, "%s: no such Optuna storage (or it cannot be read)", path);
	if (sqlite3_open_v2(path, &r.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rc = db_err(&r, "opening read-only");
		goto done;
	}
	sqlite3_busy_timeout(r.db, 5000);
	/* One snapshot for the whole read, while Optuna may still write. */
	if (sqlite3_exec(r.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_err(&r, "starting a read");
		goto done;
	}
	if ((rc = check_schema(&r, out)))
		goto done;
	r.has_value_type = has_column(&r, "SELECT value_type FROM trial_values LIMIT 0");
	r.has_step_type = has_column(&r, "SELECT intermediate_value_type FROM trial_intermediate_values LIMIT 0");
	if ((rc = find_study(&r, name, &sid)))
		goto done;
	if (!(out->name = bo__strdup(name))) {
		rc = BO_ENOMEM;
		goto done;
	}
	if ((rc = read_directions(&r, sid, out)))
		goto done;
	if ((rc = prepare(&r, "SELECT trial_id, number, state, datetime_start, datetime_complete "
			      "FROM trials WHERE study_id = ?1 ORDER BY number, trial_id", &s, "reading trials")))
		goto done;
	sqlite3_bind_int64(s, 1, sid);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		bo_optuna_trial *t;
		const char *state = (const char *)sqlite3_column_text(s, 2);
		if (bo__grow(&out->trials, &cap, out->ntrials + 1, sizeof *out->trials) < 0 ||
		    bo__grow(&tids, &tcap, out->ntrials + 1, sizeof *tids) < 0) {
			rc = BO_ENOMEM;
			goto done;
		}
		t = &out->trials[out->ntrials];
		memset(t, 0, sizeof *t);
		tids[out->ntrials] = sqlite3_column_int64(s, 0);
		t->number = sqlite3_column_int64(s, 1);
		snprintf(t->state, sizeof t->state, "%s", state ? state : "");
		t->start = bo__optuna_time_parse((const char *)sqlite3_column_text(s, 3));
		t->complete = bo__optuna_time_parse((const char *)sqlite3_column_text(s, 4));
		out->ntrials++;
		if (strcmp(t->state, "COMPLETE") && strcmp(t->state, "PRUNED") && strcmp(t->state, "FAIL") &&
		    strcmp(t->state, "RUNNING") && strcmp(t->state, "WAITING")) {
			rc = bo__error(BO_EINVAL, "%s: trial %lld: unknown state \"%.20s\"", path,
				       (long long)t->number, state ? state : "NULL");
			goto done;
		}
	}
	if (rc != SQLITE_DONE) {
		rc = db_err(&r, "reading trials");
		goto done;
	}
	sqlite3_finalize(s);
	s = NULL;
	rc = 0;
	for (i = 0; i < out->ntrials; i++)
		if ((rc = read_trial(&r, tids[i], out, &out->trials[i])))
			goto done;
done:
	sqlite3_finalize(s);
	if (r.db) {
		sqlite3_exec(r.db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(r.db);
	}
	bo__free(tids);
	if (rc)
		bo__optuna_study_clear(out);
	return rc;
}
