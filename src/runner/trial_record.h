/*
 * runner/trial_record.h - the record a trial folder keeps of its trial.
 *
 * Each trial folder holds trial.record: written when the trial launches
 * (id, parameters, reservation) and again when its charge is committed
 * (state, cost, usage, metrics, reason). It is the second copy of the
 * ledger that `budgetopt doctor --repair` rebuilds lost trials from; the
 * spend journal is the first copy of the money.
 *
 * Format (version 1): a header line "budgetopt trial record 1", then one
 * "key<TAB>value" line per field and one "param|metric|usage<TAB>name<TAB>
 * value" line per named value; strings escaped as in storage/journal.h,
 * numbers %.17g. Written to a temporary file and renamed, so a reader sees
 * the old record or the new one.
 *
 * Must never print or exit.
 */
#ifndef BO_RUNNER_TRIAL_RECORD_H
#define BO_RUNNER_TRIAL_RECORD_H

#include "core/trial.h"

#define BO_TRIAL_RECORD_FILE "trial.record"
#define BO_TRIAL_RECORD_HEADER "budgetopt trial record 1"

/* Writes folder/trial.record from t (mode: of the file), flushed to disk
 * before the rename when sync (a SQLite ledger's second copy, which
 * `doctor --repair` reads); a PostgreSQL ledger has the server's
 * durability and no repair from records, so its workers skip the fsync.
 * 0 or BO_EIO. */
int bo__trial_record_write(const char *folder, const bo_trial_rec *t, int mode, int sync);

/* Reads folder/trial.record into *out (zeroed first; free with
 * bo__trial_rec_clear). BO_ENOTFOUND when there is none, BO_EINVAL when it
 * does not parse (the message names the line), BO_ENOMEM. */
int bo__trial_record_read(const char *folder, bo_trial_rec *out);

#endif
