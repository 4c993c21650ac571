/*
 * storage/ledger_check.h - comparing a ledger with its spend journal.
 *
 * The writer's order (storage/sqlite.c) is: commit the trial's start or
 * charge to the ledger, then append its journal line. So in a healthy
 * study everything the journal records is in the ledger, and the ledger is
 * ahead of the journal by at most the one record whose line a killed
 * writer did not get to write (the runner is one thread: one write is in
 * flight at a time, and the next runner catches that record up before it
 * writes anything else). Anything else is damage:
 * - a trial, start or charge the journal records and the ledger lacks, or a
 *   trial the journal says was charged that the ledger still has running,
 *   or charged differently: the ledger lost committed transactions (its
 *   write-ahead log was deleted, zeroed or cut, or its file truncated);
 * - the ledger ahead by more than one record: the journal was deleted or
 *   cut (re-derivable from the ledger by `budgetopt doctor --repair`);
 * - a complete journal line that does not parse.
 *
 * A reader racing a live runner reads the journal, then the ledger, then
 * the journal again: journal lines read first were committed before the
 * ledger was read (so the ledger must hold them), and every record of the
 * ledger but the one in flight has its line in the second read.
 */
#ifndef BO_STORAGE_LEDGER_CHECK_H
#define BO_STORAGE_LEDGER_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "core/trial.h"
#include "storage/journal.h"

typedef struct bo_ledger_diff {
	int64_t ledger_trials;
	double ledger_spent;
	int64_t journal_trials;
	double journal_spent;
	int journal_exists;
	size_t journal_bad, first_bad;  /* unparsable journal lines, first line number */
	size_t missing;                 /* journal trials absent from the ledger */
	size_t rolled_back;             /* charged in the journal, running in the ledger */
	size_t cost_differs;            /* charged differently */
	int64_t first_lost;             /* smallest trial id of the three above, 0 if none */
	size_t lag;                     /* ledger records the journal lacks */
	int64_t lag_id;                 /* with lag == 1: its trial */
	int lag_charge;                 /* with lag == 1: 1 a charge, 0 a start */
} bo_ledger_diff;

/* Compares ledger trials t[0..n) with j1 (journal read before the ledger)
 * and j2 (read after; may be j1 when nothing writes concurrently). */
void bo__ledger_compare(const bo_journal *j1, const bo_trial_rec *t, size_t n,
			const bo_journal *j2, bo_ledger_diff *d);

/* 1 when the diff is damage (see the top of this file). */
int bo__ledger_diff_damaged(const bo_ledger_diff *d);

/* Sets the error (BO_ECONFLICT) describing a damaged diff, in one line. */
int bo__ledger_diff_error(const bo_ledger_diff *d, const char *ledger, const char *journal,
			  const char *study_path, const char *currency);

/* Numbers of trial folders (six-digit names) in dir, sorted, in *out
 * (bo__free). A missing dir gives none. */
int bo__trial_folders(const char *dir, int64_t **out, size_t *n);

/* Takes the ledger's lock, <ledger>.lock (an empty file made with mode,
 * never removed): shared for a runner, exclusive for `doctor --repair`, so
 * that a repair never runs under a live runner and a runner never starts
 * during a repair. Never waits. A shared lock is also one per process: a
 * second holder in the same process (another optimizer with this ledger,
 * or bo_run) gets BO_ECONFLICT. Returns 0 and the open *fd (release it
 * with bo__ledger_unlock), BO_ECONFLICT naming who holds it, or BO_EIO. */
int bo__ledger_lock(const char *ledger, int exclusive, int mode, int *fd);

/* Releases a lock taken by bo__ledger_lock and closes fd; accepts -1. */
void bo__ledger_unlock(int fd);

#endif
