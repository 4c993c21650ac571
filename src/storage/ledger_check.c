/*
 * storage/ledger_check.c - opening a ledger only when it agrees with its
 * spend journal and trial folders (the rules: ledger_check.h).
 *
 * This is the one place every command's ledger goes through
 * (bo__storage_open_ex), so no command can show an emptied ledger as a
 * fresh study or spend a budget a second time. Doctor alone opens
 * unchecked.
 *
 * Must never print or exit, and never change a ledger it refuses.
 */
#include "storage/ledger_check.h"
#include "storage/storage.h"
#include "storage/postgres.h"
#include "core/alloc.h"
#include "core/error.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Money compared with this relative slack (the journal prints %.17g, so
 * equal values read back equal; the slack only forgives a last bit). */
#define COST_RTOL 1e-9

static int same_cost(double a, double b)
{
	return fabs(a - b) <= COST_RTOL * fmax(1.0, fmax(fabs(a), fabs(b)));
}

static int is_final(int state)
{
	return state == BO_TRIAL_COMPLETE || state == BO_TRIAL_PRUNED || state == BO_TRIAL_FAILED;
}

void bo__ledger_compare(const bo_journal *j1, const bo_trial_rec *t, size_t n,
			const bo_journal *j2, bo_ledger_diff *d)
{
	size_t i;
	memset(d, 0, sizeof *d);
	d->ledger_trials = (int64_t)n;
	for (i = 0; i < n; i++)
		if (isfinite(t[i].cost))
			d->ledger_spent += t[i].cost;
	d->journal_exists = j2->exists;
	d->journal_trials = (int64_t)j2->n;
	d->journal_spent = bo__journal_spent(j2);
	d->journal_bad = j2->nbad ? j2->nbad : j1->nbad;
	d->first_bad = j2->nbad ? j2->first_bad : j1->first_bad;
	/* Everything the first read of the journal holds was committed first. */
	for (i = 0; i < j1->n; i++) {
		const bo_journal_trial *e = &j1->t[i];
		const bo_trial_rec *r = bo__trial_find(t, n, e->id);
		int lost = 0;
		if (!r) {
			d->missing++;
			lost = 1;
		} else if (e->charged && !is_final(r->state)) {
			d->rolled_back++;
			lost = 1;
		} else if (e->charged && !same_cost(e->cost, r->cost)) {
			d->cost_differs++;
			lost = 1;
		}
		if (lost && (!d->first_lost || e->id < d->first_lost))
			d->first_lost = e->id;
	}
	/* Everything the ledger holds is in the second read, but one record. */
	for (i = 0; i < n; i++) {
		const bo_journal_trial *e = bo__journal_find(j2, t[i].id);
		if (!e || !e->started) {
			d->lag++;
			d->lag_id = t[i].id;
			d->lag_charge = 0;
		}
		if (is_final(t[i].state) && (!e || !e->charged)) {
			d->lag++;
			d->lag_id = t[i].id;
			d->lag_charge = 1;
		}
	}
}

int bo__ledger_diff_damaged(const bo_ledger_diff *d)
{
	return d->missing || d->rolled_back || d->cost_differs || d->journal_bad || d->lag > 1;
}

static void doctor_hint(char *buf, size_t size, const char *study_path)
{
	if (study_path)
		snprintf(buf, size, "run `budgetopt doctor %s`", study_path);
	else
		snprintf(buf, size, "run `budgetopt doctor` on the study file");
}

static void money(char *buf, size_t size, double v, const char *currency)
{
	snprintf(buf, size, "%.2f%s%s", v, currency ? " " : "", currency ? currency : "");
}

int bo__ledger_diff_error(const bo_ledger_diff *d, const char *ledger, const char *journal,
			  const char *study_path, const char *currency)
{
	char hint[PATH_MAX + 64], ls[64], js[64];
	doctor_hint(hint, sizeof hint, study_path);
	money(ls, sizeof ls, d->ledger_spent, currency);
	money(js, sizeof js, d->journal_spent, currency);
	if (d->missing || d->rolled_back || d->cost_differs)
		return bo__error(BO_ECONFLICT,
				 "ledger %s holds %lld trials and %s spent but its spend journal %s "
				 "records %lld trials and %s (trial %lld%s is lost or rolled back): the "
				 "write-ahead log (%s-wal) may have been lost or damaged; %s",
				 ledger, (long long)d->ledger_trials, ls, journal,
				 (long long)d->journal_trials, js, (long long)d->first_lost,
				 d->missing + d->rolled_back + d->cost_differs > 1 ? " and others" : "",
				 ledger, hint);
	if (d->journal_bad)
		return bo__error(BO_ECONFLICT,
				 "spend journal %s is damaged at line %zu (%zu bad lines): it cannot vouch "
				 "for ledger %s; %s",
				 journal, d->first_bad, d->journal_bad, ledger, hint);
	if (!d->journal_exists)
		return bo__error(BO_ECONFLICT,
				 "ledger %s holds %lld trials and %s spent but its spend journal %s is "
				 "missing: it may have been deleted, or the ledger copied without it; %s",
				 ledger, (long long)d->ledger_trials, ls, journal, hint);
	return bo__error(BO_ECONFLICT,
			 "ledger %s holds %lld trials and %s spent but its spend journal %s records "
			 "only %lld trials and %s: the journal was cut or replaced; %s",
			 ledger, (long long)d->ledger_trials, ls, journal,
			 (long long)d->journal_trials, js, hint);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int bo__trial_folders(const char *dir, int64_t **out, size_t *n)
{
	DIR *d;
	struct dirent *e;
	int64_t *v = NULL;
	size_t nv = 0, cap = 0;
	int rc = 0;
	*out = NULL;
	*n = 0;
	if (!(d = opendir(dir))) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return bo__error(BO_EIO, "%s: cannot read the trial folders: %s", dir, strerror(errno));
	}
	while ((e = readdir(d))) {
		size_t i, len = strlen(e->d_name);
		if (len != 6)
			continue;
		for (i = 0; i < len; i++)
			if (e->d_name[i] < '0' || e->d_name[i] > '9')
				break;
		if (i < len || !strcmp(e->d_name, "000000"))
			continue;
		if (bo__grow(&v, &cap, nv + 1, sizeof *v) < 0) {
			rc = BO_ENOMEM;
			goto done;
		}
		v[nv++] = strtoll(e->d_name, NULL, 10);
	}
	qsort(v, nv, sizeof *v, cmp_i64);
	*out = v;
	*n = nv;
	v = NULL;
done:
	closedir(d);
	bo__free(v);
	return rc;
}

/* A trial folder of a trial the ledger does not hold: refuse, so the runner
 * never writes into it and nobody reads the ledger as complete. */
static int check_folders(const bo_trial_rec *t, size_t n, const char *ledger,
			 const bo_ledger_open_options *o)
{
	int64_t *f = NULL;
	size_t nf = 0, i;
	char hint[PATH_MAX + 64];
	int rc;
	if (!o->trials_dir)
		return 0;
	if ((rc = bo__trial_folders(o->trials_dir, &f, &nf)) < 0)
		return rc;
	for (i = 0; i < nf; i++) {
		if (bo__trial_find(t, n, f[i]))
			continue;
		doctor_hint(hint, sizeof hint, o->study_path);
		rc = bo__error(BO_ECONFLICT,
			       "trial folder %s/%06lld exists but ledger %s holds no trial %lld: the "
			       "ledger may have lost it, or the folder is left from another ledger "
			       "(it is never overwritten); %s",
			       o->trials_dir, (long long)f[i], ledger, (long long)f[i], hint);
		break;
	}
	bo__free(f);
	return rc;
}

int bo__ledger_verify(bo_storage *st, const char *path, const bo_ledger_open_options *o)
{
	bo_ledger_open_options defaults = BO_LEDGER_OPEN_OPTIONS_INIT;
	bo_journal j1 = BO_JOURNAL_INIT, j2 = BO_JOURNAL_INIT;
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	bo_trial_rec *t = NULL;
	bo_ledger_diff d;
	char jpath[PATH_MAX];
	size_t n = 0;
	int rc;
	if (!o)
		o = &defaults;
	if ((rc = bo__journal_path(path, jpath, sizeof jpath)) < 0)
		return rc;
	if ((rc = bo__journal_read(&j1, jpath)) < 0)
		goto done;
	if ((rc = st->ops->trials(st, &q, &t, &n)) < 0)
		goto done;
	if ((rc = bo__journal_read(&j2, jpath)) < 0)
		goto done;
	bo__ledger_compare(&j1, t, n, &j2, &d);
	if (bo__ledger_diff_damaged(&d)) {
		rc = bo__ledger_diff_error(&d, path, jpath, o->study_path, o->currency);
		goto done;
	}
	if ((rc = check_folders(t, n, path, o)) < 0)
		goto done;
	if (d.lag == 1 && o->writer) {
		/* A writer killed between a commit and its journal line: write
		 * the line now, before anything else is written. */
		const bo_trial_rec *r = bo__trial_find(t, n, d.lag_id);
		int mode = o->group ? 0640 : 0600;
		if (d.lag_charge)
			rc = bo__journal_append_charge(jpath, mode, r->id, r->state, r->cost, d.ledger_spent);
		else
			rc = bo__journal_append_start(jpath, mode, r->id, r->reserved, r->folder);
	}
done:
	bo__trial_rec_free_array(t, n);
	bo__journal_clear(&j1);
	bo__journal_clear(&j2);
	return rc;
}

/* Before opening: a ledger that is missing or empty while its journal or
 * trial folders record trials is lost, not new. */
static int check_absent(const char *path, const bo_ledger_open_options *o, int *missing)
{
	bo_journal j = BO_JOURNAL_INIT;
	struct stat sb;
	char jpath[PATH_MAX], hint[PATH_MAX + 64], js[64];
	int rc;
	*missing = stat(path, &sb) < 0;
	if (!*missing && sb.st_size > 0)
		return 0;
	if ((rc = bo__journal_path(path, jpath, sizeof jpath)) < 0)
		return rc;
	if ((rc = bo__journal_read(&j, jpath)) < 0)
		return rc;
	doctor_hint(hint, sizeof hint, o->study_path);
	money(js, sizeof js, bo__journal_spent(&j), o->currency);
	if (j.n > 0 || j.nbad > 0) {
		rc = bo__error(BO_ECONFLICT,
			       "ledger %s is %s but its spend journal %s records %zu trials and %s "
			       "spent: the ledger was lost, not started afresh; %s",
			       path, *missing ? "missing" : "empty (0 bytes)", jpath, j.n, js, hint);
	} else if (o->trials_dir) {
		rc = check_folders(NULL, 0, path, o);
	}
	bo__journal_clear(&j);
	return rc;
}

int bo__storage_open_ex(bo_storage **out, const char *uri, const bo_ledger_open_options *o)
{
	bo_ledger_open_options defaults = BO_LEDGER_OPEN_OPTIONS_INIT;
	bo_storage *st = NULL;
	char path[PATH_MAX];
	int rc, missing = 0;
	if (!out)
		return bo__error(BO_EMISUSE, "storage open: no output handle");
	*out = NULL;
	if (!o)
		o = &defaults;
	/* The journal and folder checks guard a local SQLite file; a
	 * PostgreSQL server's own durability (commits on its disk, WAL,
	 * replicas) replaces them, and its trial folders live on many hosts. */
	if (bo__storage_is_postgres(uri))
		return bo__pg_open(out, uri, !o->must_exist);
	if ((rc = bo__storage_file(uri, path, sizeof path)) < 0)
		return rc;
	if (!o->unchecked && (rc = check_absent(path, o, &missing)) < 0)
		return rc;
	if (o->unchecked) {
		struct stat sb;
		missing = stat(path, &sb) < 0;
	}
	if (missing && o->must_exist)
		return bo__error(BO_ENOTFOUND, "%s: no ledger", path);
	if ((rc = bo__sqlite_open(&st, path, o->group)) < 0)
		return rc;
	if (!o->unchecked && (rc = bo__ledger_verify(st, path, o)) < 0) {
		char msg[2048], hint[PATH_MAX + 64];
		snprintf(msg, sizeof msg, "%s", bo_error_last());
		bo__storage_close(st);
		if (rc != BO_EIO)
			return bo__error(rc, "%s", msg);
		/* SQLite cannot read it (a damaged file): doctor moves it aside. */
		doctor_hint(hint, sizeof hint, o->study_path);
		return bo__error(rc, "%s; %s", msg, hint);
	}
	*out = st;
	return 0;
}

/* The ledgers this process holds shared (a runner or an optimizer with a
 * ledger each), by the lock file's device and inode: flock() does not
 * keep two holders of one process apart, this table does. */
#define HELD_MAX 64
static pthread_mutex_t held_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	dev_t dev;
	ino_t ino;
	int fd;
} held[HELD_MAX];
static size_t nheld;

int bo__ledger_lock(const char *ledger, int exclusive, int mode, int *fd)
{
	char path[PATH_MAX];
	struct stat sb;
	size_t i;
	int f, rc = 0;
	*fd = -1;
	if ((size_t)snprintf(path, sizeof path, "%s.lock", ledger) >= sizeof path)
		return bo__error(BO_EIO, "%s: path too long for its lock file", ledger);
	if ((f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode)) < 0)
		return bo__error(BO_EIO, "cannot open the ledger's lock %s: %s", path, strerror(errno));
	while (flock(f, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) < 0) {
		int e = errno;
		if (e == EINTR)
			continue;
		close(f);
		if (e == EWOULDBLOCK)
			return bo__error(BO_ECONFLICT, exclusive ?
					 "%s is in use by a running `budgetopt run` (it holds %s): stop it before repairing" :
					 "%s is being repaired by `budgetopt doctor --repair` (it holds %s): wait for it to finish",
					 ledger, path);
		return bo__error(BO_EIO, "cannot lock %s: %s", path, strerror(e));
	}
	if (exclusive) {
		*fd = f;
		return 0;
	}
	if (fstat(f, &sb) < 0) {
		rc = bo__error(BO_EIO, "cannot read %s: %s", path, strerror(errno));
		close(f);
		return rc;
	}
	pthread_mutex_lock(&held_mu);
	for (i = 0; i < nheld; i++)
		if (held[i].dev == sb.st_dev && held[i].ino == sb.st_ino)
			break;
	if (i < nheld)
		rc = bo__error(BO_ECONFLICT, "%s is already held by this process (a run or an optimizer with this ledger): free it first",
			       ledger);
	else if (nheld == HELD_MAX)
		rc = bo__error(BO_EIO, "this process holds %d ledgers already", HELD_MAX);
	else {
		held[nheld].dev = sb.st_dev;
		held[nheld].ino = sb.st_ino;
		held[nheld].fd = f;
		nheld++;
	}
	pthread_mutex_unlock(&held_mu);
	if (rc < 0)
		close(f);
	else
		*fd = f;
	return rc;
}

void bo__ledger_unlock(int fd)
{
	size_t i;
	if (fd < 0)
		return;
	pthread_mutex_lock(&held_mu);
	for (i = 0; i < nheld; i++)
		if (held[i].fd == fd) {
			held[i] = held[--nheld];
			break;
		}
	pthread_mutex_unlock(&held_mu);
	close(fd);
}
