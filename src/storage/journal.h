/*
 * storage/journal.h - the spend journal: a watermark of the ledger kept
 * outside the database.
 *
 * Beside every SQLite ledger x.db lies x.db.spend, an append-only text file
 * with one fsync'd line per trial start and per charge. The database can
 * lose committed transactions without an error (a deleted, zeroed or
 * truncated write-ahead log, a truncated main file); the journal cannot
 * lose them the same way, so comparing the two tells a damaged ledger from
 * an empty one, and the journal (with the trial folders' records) is what
 * `budgetopt doctor` rebuilds from.
 *
 * Format (version 1), one record per line, fields separated by tabs, the
 * last field an FNV-1a checksum (8 hex digits) of the line before it:
 *   budgetopt spend journal 1                      header, first line
 *   S <id> <reserved> <folder>                     trial <id> started
 *   C <id> <state> <cost> <cumulative spend>       trial <id> charged
 * Numbers print with %.17g so they read back exactly. Strings escape
 * backslash, tab, newline and carriage return as \\, \t, \n, \r. A later
 * line about the same trial supersedes an earlier one.
 *
 * A torn last line (no newline: the writer was killed during the write) is
 * normal and ignored; the writer cuts it off before its next append. A
 * complete line that does not parse is damage, counted in nbad.
 *
 * Must never print or exit; touches no database.
 */
#ifndef BO_STORAGE_JOURNAL_H
#define BO_STORAGE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

/* The journal of ledger x.db is x.db + this suffix. */
#define BO_JOURNAL_SUFFIX ".spend"
#define BO_JOURNAL_HEADER "budgetopt spend journal 1"

typedef struct bo_journal_trial {
	int64_t id;
	int started;        /* an S line was seen */
	int charged;        /* a C line was seen */
	double reserved;    /* from the last S line */
	char *folder;       /* from the last S line, or NULL */
	int state;          /* bo_trial_state of the last C line */
	double cost;        /* of the last C line */
} bo_journal_trial;

typedef struct bo_journal {
	int exists;         /* the file was there */
	bo_journal_trial *t;/* sorted by id */
	size_t n, cap;
	size_t nlines;      /* records read (header excluded) */
	size_t nbad;        /* complete lines that did not parse */
	size_t first_bad;   /* line number (1-based) of the first, 0 if none */
	int torn;           /* the last line had no newline and was ignored */
} bo_journal;

#define BO_JOURNAL_INIT {0, NULL, 0, 0, 0, 0, 0, 0}

void bo__journal_clear(bo_journal *j);

/* The journal path of ledger path ledger, into buf. BO_EINVAL if too long. */
int bo__journal_path(const char *ledger, char *buf, size_t size);

/* Reads the journal at path into j (cleared first). A missing file is not
 * an error: j->exists = 0. Returns 0, BO_EIO or BO_ENOMEM. */
int bo__journal_read(bo_journal *j, const char *path);

/* Parses journal text (the whole file's bytes) into j (cleared first).
 * Returns 0 or BO_ENOMEM; bad lines are counted, not errors. */
int bo__journal_parse(bo_journal *j, const char *text, size_t len);

/* The record of trial id, or NULL. */
const bo_journal_trial *bo__journal_find(const bo_journal *j, int64_t id);

/* Sum of the charged costs (last charge of each trial). */
double bo__journal_spent(const bo_journal *j);

/* Appends one record and fsyncs it, creating the file with mode (and its
 * header) when missing and cutting off a torn last line first. Returns 0
 * or BO_EIO (the message names the file). */
int bo__journal_append_start(const char *path, int mode, int64_t id, double reserved,
			     const char *folder);
int bo__journal_append_charge(const char *path, int mode, int64_t id, int state, double cost,
			      double cumulative);

/* The same appends through a journal kept open between them (a ledger
 * handle's: two lines a trial, each still written and fsync'd before the
 * call returns). Before each append an fstat checks that the file is the
 * one last written (not renamed over, not written by another process
 * since); if not, it is opened afresh as above. */
typedef struct bo_journal_writer {
	int fd;             /* -1: closed */
	long long size;     /* the file's size after the last append */
} bo_journal_writer;

#define BO_JOURNAL_WRITER_INIT {-1, 0}

int bo__journal_writer_start(bo_journal_writer *w, const char *path, int mode, int64_t id,
			     double reserved, const char *folder);
int bo__journal_writer_charge(bo_journal_writer *w, const char *path, int mode, int64_t id,
			      int state, double cost, double cumulative);
/* Closes w's file (accepts a closed one). */
void bo__journal_writer_close(bo_journal_writer *w);

/* Writes a whole journal (header, then for each trial an S line when
 * started and a C line when charged) to path through a temporary file and
 * a rename, so a reader sees the old or the new one. */
int bo__journal_rewrite(const char *path, int mode, const bo_journal_trial *t, size_t n);

/* Field escaping shared with the trial records: appends s escaped to buf
 * (of size, at *len); returns -1 when it does not fit. */
int bo__field_escape(char *buf, size_t size, size_t *len, const char *s);
/* Unescapes s[0..n) into a new string (bo__free), or NULL (out of memory
 * or a bad escape). */
char *bo__field_unescape(const char *s, size_t n);

#endif
