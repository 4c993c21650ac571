/*
 * runner/doctor.c - budgetopt doctor: the ledger against its spend journal
 * (storage/journal.h) and the trial folders' records (trial_record.h).
 *
 * Checking changes nothing. Repairing never loses money: a trial the
 * journal or a trial folder knows and the ledger lost is put back with the
 * cost the journal says was charged (or the record's, or, never charged,
 * as running, so the next run charges it as an orphan); a ledger SQLite
 * finds damaged, empty or missing is moved aside (kept, renamed) and
 * rebuilt; a journal lost or damaged is re-derived from the ledger (a
 * damaged one kept aside). What cannot be recovered is said.
 *
 * Must never print or exit: it writes its lines into a buffer.
 */
#include "runner/doctor.h"
#include "runner/trial_record.h"
#include "core/alloc.h"
#include "core/error.h"
#include "storage/journal.h"
#include "storage/ledger_check.h"
#include "storage/storage.h"
#include "budgetopt/run.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int bo__trials_dir(const char *ledger, const char *override, char *buf, size_t size)
{
	size_t len = strlen(ledger);
	int n;
	if (override)
		n = snprintf(buf, size, "%s", override);
	else {
		if (len > 3 && !strcmp(ledger + len - 3, ".db"))
			len -= 3;
		n = snprintf(buf, size, "%.*s-trials", (int)len, ledger);
	}
	return n < 0 || (size_t)n >= size ? bo__error(BO_EINVAL, "trial folder path too long") : 0;
}

static int is_final(int st)
{
	return st == BO_TRIAL_COMPLETE || st == BO_TRIAL_PRUNED || st == BO_TRIAL_FAILED;
}

/* Renames path (if present) to path.damaged-<stamp>; 1 if it moved. */
static int move_aside(const char *path, const char *suffix, long stamp, bo_strbuf *out)
{
	char from[PATH_MAX + 8], to[PATH_MAX + 64];
	snprintf(from, sizeof from, "%s%s", path, suffix);
	if (access(from, F_OK) != 0)
		return 0;
	snprintf(to, sizeof to, "%s.damaged-%ld%s", path, stamp, suffix);
	if (rename(from, to) < 0)
		return bo__error(BO_EIO, "cannot move %s aside: %s", from, strerror(errno));
	bo__sb_printf(out, "moved %s aside to %s\n", from, to);
	return 1;
}

/* The trial to put back for id, from its folder record r (or NULL) and its
 * journal entry e (or NULL). */
static void build_restore(bo_trial_rec *t, const bo_trial_rec *r, const bo_journal_trial *e,
			  int64_t id, int64_t version, char *reason, size_t rsize)
{
	memset(t, 0, sizeof *t);
	if (r)
		*t = *r;   /* shallow: r stays the owner */
	t->id = id;
	t->version = version;
	t->run_id = 0;
	if (!r) {
		t->score = NAN;
		t->feasible = -1;
		t->exit_code = -1;
		t->reserved = e ? e->reserved : NAN;
		t->folder = e ? e->folder : NULL;
		t->state = BO_TRIAL_RUNNING;
		t->cost = NAN;
	}
	if (e && e->charged) {
		t->state = e->state;
		t->cost = e->cost;   /* the journal is the watermark of money */
	}
	if (!is_final(t->state)) {
		t->state = BO_TRIAL_RUNNING;   /* never charged: the next run charges it as an orphan */
		t->cost = NAN;
	}
	snprintf(reason, rsize, "%s%srestored by budgetopt doctor from %s%s%s",
		 r && r->reason ? r->reason : "", r && r->reason ? "; " : "",
		 r ? "its trial folder" : "", r && e ? " and " : "", e ? "the spend journal" : "");
	/* A complete trial has no failure reason; the "restore" event says where it came from. */
	t->reason = t->state == BO_TRIAL_RUNNING || t->state == BO_TRIAL_COMPLETE ? NULL : reason;
}

int bo__doctor(const bo_study *s, const bo_doctor_options *o, bo_strbuf *out, int *problems)
{
	char ledger[PATH_MAX], jpath[PATH_MAX], tdir[PATH_MAX];
	bo_journal j = BO_JOURNAL_INIT;
	bo_ledger_open_options lo = BO_LEDGER_OPEN_OPTIONS_INIT;
	bo_storage *st = NULL;
	bo_trial_rec *t = NULL, *recs = NULL;
	int64_t *folders = NULL;
	size_t n = 0, nf = 0, i, nrec_ok = 0;
	char *integrity = NULL;
	int rc, lost_ledger = 0, found = 0, unrecoverable = 0;
	struct stat sb;
	bo_ledger_diff d;
	const char *cur = s->prices.currency ? s->prices.currency : "";
	int lock_fd = -1;

	*problems = 0;
	if ((rc = bo_run_storage_uri(s, o->storage, ledger, sizeof ledger)) < 0 ||
	    (rc = bo__storage_file(ledger, ledger, sizeof ledger)) < 0 ||
	    (rc = bo__journal_path(ledger, jpath, sizeof jpath)) < 0 ||
	    (rc = bo__trials_dir(ledger, o->trials_dir, tdir, sizeof tdir)) < 0)
		return rc;
	/* A repair changes the ledger, the journal and the folders: never
	 * under a live runner, and no runner starts until it is done. */
	if (o->repair && (rc = bo__ledger_lock(ledger, 1, s->storage_group ? 0640 : 0600, &lock_fd)) < 0)
		return rc;

	/* The journal. */
	if ((rc = bo__journal_read(&j, jpath)) < 0)
		goto done;
	if (!j.exists)
		bo__sb_printf(out, "spend journal %s: missing\n", jpath);
	else
		bo__sb_printf(out, "spend journal %s: %zu trials, %.6g %s charged%s\n", jpath, j.n,
			      bo__journal_spent(&j), cur, j.torn ? " (a torn last line, ignored)" : "");
	if (j.nbad) {
		bo__sb_printf(out, "problem: spend journal %s has %zu damaged lines (first: line %zu)\n",
			      jpath, j.nbad, j.first_bad);
		found++;
	}

	/* The trial folders and their records. */
	if ((rc = bo__trial_folders(tdir, &folders, &nf)) < 0)
		goto done;
	if (nf && !(recs = bo__calloc(nf, sizeof *recs))) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < nf; i++) {
		char f[PATH_MAX + 16];
		snprintf(f, sizeof f, "%s/%06lld", tdir, (long long)folders[i]);
		rc = bo__trial_record_read(f, &recs[i]);
		if (rc == BO_ENOMEM)
			goto done;
		if (rc == 0 && recs[i].id != folders[i]) {
			bo__trial_rec_clear(&recs[i]);
			rc = bo__error(BO_EINVAL, "%s: records trial %lld", f, (long long)recs[i].id);
		}
		if (rc == 0)
			nrec_ok++;
		else
			recs[i].id = 0;
	}
	rc = 0;
	bo__sb_printf(out, "trial folders %s: %zu, %zu with a record\n", tdir, nf, nrec_ok);

	/* The ledger. */
	if (stat(ledger, &sb) < 0) {
		bo__sb_printf(out, "ledger %s: missing\n", ledger);
		lost_ledger = j.n > 0 || nf > 0;
	} else if (sb.st_size == 0) {
		bo__sb_printf(out, "ledger %s: empty (0 bytes)\n", ledger);
		lost_ledger = j.n > 0 || nf > 0;
	} else {
		lo.unchecked = 1;
		if (bo__storage_open_ex(&st, ledger, &lo) < 0 || bo__sqlite_integrity(st, &integrity) < 0 ||
		    strcmp(integrity, "ok") != 0) {
			bo__sb_printf(out, "problem: ledger %s is damaged: %s\n", ledger,
				      integrity ? integrity : bo_error_last());
			bo__storage_close(st);
			st = NULL;
			lost_ledger = 1;
		} else if ((rc = st->ops->trials(st, NULL, &t, &n)) < 0) {
			goto done;
		} else {
			double spent = 0;
			for (i = 0; i < n; i++)
				spent += isfinite(t[i].cost) ? t[i].cost : 0;
			bo__sb_printf(out, "ledger %s: %zu trials, %.6g %s charged, integrity ok\n", ledger, n,
				      spent, cur);
		}
	}
	if (lost_ledger && st == NULL) {
		bo__sb_printf(out, "problem: ledger %s is lost or unreadable while the journal or trial "
				   "folders record trials\n", ledger);
		found++;
	}

	/* What the journal and the folders know that the ledger lacks. */
	bo__ledger_compare(&j, t, n, &j, &d);
	for (i = 0; i < j.n; i++) {
		const bo_journal_trial *e = &j.t[i];
		const bo_trial_rec *r = bo__trial_rec_find(t, n, e->id);
		if (!r)
			bo__sb_printf(out, "problem: trial %lld is in the journal (%s%.6g %s) but not in the ledger\n",
				      (long long)e->id, e->charged ? "charged " : "started, reserved ",
				      e->charged ? e->cost : e->reserved, cur);
		else if (e->charged && !is_final(r->state))
			bo__sb_printf(out, "problem: trial %lld was charged %.6g %s (journal) but the ledger "
					   "has it running: its charge was rolled back\n",
				      (long long)e->id, e->cost, cur);
		else if (e->charged && fabs(e->cost - r->cost) > 1e-9 * fmax(1, fabs(e->cost)))
			bo__sb_printf(out, "problem: trial %lld: the journal charged %.17g, the ledger %.17g\n",
				      (long long)e->id, e->cost, r->cost);
		else
			continue;
		found++;
	}
	if (st && j.exists && d.lag > 1) {
		bo__sb_printf(out, "problem: the journal lacks %zu records the ledger holds (cut or replaced)\n",
			      d.lag);
		found++;
	} else if (st && !j.exists && n > 0) {
		bo__sb_printf(out, "problem: the journal is missing while the ledger holds %zu trials\n", n);
		found++;
	}
	for (i = 0; i < nf; i++) {
		if (bo__trial_rec_find(t, n, folders[i]))
			continue;
		if (!bo__journal_find(&j, folders[i]))
			bo__sb_printf(out, "problem: trial folder %s/%06lld has no trial in the ledger%s\n",
				      tdir, (long long)folders[i], recs[i].id ? "" : " and no record");
		found++;
	}
	if (!o->repair) {
		if (found)
			bo__sb_printf(out, "%d problems; `budgetopt doctor --repair %s` rebuilds what it can "
					   "(it moves nothing it cannot rebuild)\n", found, s->path);
		else
			bo__sb_printf(out, "healthy: the ledger agrees with its journal and trial folders\n");
		*problems = found;
		goto done;
	}
	if (!found) {
		bo__sb_printf(out, "healthy: nothing to repair\n");
		goto done;
	}

	/* Repair. */
	if (lost_ledger) {
		long stamp = (long)time(NULL);
		bo__storage_close(st);
		st = NULL;
		bo__trial_rec_free_array(t, n);
		t = NULL;
		n = 0;
		if ((rc = move_aside(ledger, "", stamp, out)) < 0 || (rc = move_aside(ledger, "-wal", stamp, out)) < 0 ||
		    (rc = move_aside(ledger, "-shm", stamp, out)) < 0)
			goto done;
	}
	lo.group = s->storage_group;
	if (!st) {
		lo.unchecked = 1;
		if ((rc = bo__storage_open_ex(&st, ledger, &lo)) < 0)
			goto done;
	}
	{
		int64_t version = 0;
		int64_t id, maxid = 0;
		if ((rc = st->ops->register_study(st, s->name, s->text, s->hash, s->space_hash, &version)) < 0)
			goto done;
		if (j.n)
			maxid = j.t[j.n - 1].id;
		if (nf && folders[nf - 1] > maxid)
			maxid = folders[nf - 1];
		for (id = 1; id <= maxid; id++) {
			const bo_journal_trial *e = bo__journal_find(&j, id);
			const bo_trial_rec *have = bo__trial_rec_find(t, n, id), *r = NULL;
			bo_trial_rec put;
			char reason[700];
			int in_folder = 0;
			for (i = 0; i < nf; i++)
				if (folders[i] == id) {
					in_folder = 1;
					r = recs[i].id ? &recs[i] : NULL;
				}
			if (!e && !r) {
				if (in_folder && !have) {
					bo__sb_printf(out, "cannot recover trial %lld: its folder %s/%06lld holds no "
							   "record and the journal does not know it; move the folder away\n",
						      (long long)id, tdir, (long long)id);
					unrecoverable++;
				}
				continue;
			}
			if (have && (!e || !e->charged || (is_final(have->state) &&
							   fabs(e->cost - have->cost) <= 1e-9 * fmax(1, fabs(e->cost)))))
				continue;   /* the ledger already holds it */
			build_restore(&put, r, e, id, version, reason, sizeof reason);
			if ((rc = bo__sqlite_trial_restore(st, &put)) < 0)
				goto done;
			if (put.state == BO_TRIAL_RUNNING)
				bo__sb_printf(out, "restored trial %lld as running (never charged): the next run "
						   "charges it as an orphan\n", (long long)id);
			else
				bo__sb_printf(out, "restored trial %lld: %s, charged %.6g %s (from %s)\n", (long long)id,
					      bo__trial_state_name(put.state), put.cost, cur,
					      e && e->charged ? "the journal" : "its trial folder");
		}
	}
	/* The journal, re-derived from the ledger (which now holds all it knew). */
	bo__trial_rec_free_array(t, n);
	t = NULL;
	n = 0;
	if ((rc = st->ops->trials(st, NULL, &t, &n)) < 0)
		goto done;
	{
		bo_journal_trial *jt = n ? bo__calloc(n, sizeof *jt) : NULL;
		if (n && !jt) {
			rc = BO_ENOMEM;
			goto done;
		}
		for (i = 0; i < n; i++) {
			jt[i].id = t[i].id;
			jt[i].started = 1;
			jt[i].reserved = t[i].reserved;
			jt[i].folder = t[i].folder;
			jt[i].charged = is_final(t[i].state);
			jt[i].state = t[i].state;
			jt[i].cost = t[i].cost;
		}
		if (j.nbad)
			move_aside(jpath, "", (long)time(NULL), out);
		rc = bo__journal_rewrite(jpath, s->storage_group ? 0640 : 0600, jt, n);
		bo__free(jt);
		if (rc < 0)
			goto done;
		bo__sb_printf(out, "rewrote spend journal %s from the ledger (%zu trials)\n", jpath, n);
	}
	if ((rc = bo__sqlite_checkpoint(st)) < 0)
		goto done;
	lo.unchecked = 0;
	lo.trials_dir = tdir;
	lo.study_path = s->path;
	lo.currency = s->prices.currency;
	if (bo__ledger_verify(st, ledger, &lo) < 0) {
		bo__sb_printf(out, "still wrong: %s\n", bo_error_last());
		*problems = 1 + unrecoverable;
	} else if (unrecoverable) {
		*problems = unrecoverable;
	} else {
		double spent = 0;
		for (i = 0; i < n; i++)
			spent += isfinite(t[i].cost) ? t[i].cost : 0;
		bo__sb_printf(out, "repaired: ledger %s holds %zu trials and %.6g %s charged, and agrees "
				   "with its journal and trial folders\n", ledger, n, spent, cur);
	}
	rc = 0;
done:
	if (!bo__sb_str(out) && rc == 0)
		rc = BO_ENOMEM;
	bo__free(integrity);
	bo__storage_close(st);
	bo__trial_rec_free_array(t, n);
	for (i = 0; recs && i < nf; i++)
		bo__trial_rec_clear(&recs[i]);
	bo__free(recs);
	bo__free(folders);
	bo__journal_clear(&j);
	bo__ledger_unlock(lock_fd);
	return rc;
}
