/*
 * tests/unit/test_journal.c - the spend journal (storage/journal.c), its
 * comparison with a ledger (storage/ledger_check.c) and the trial records
 * (runner/trial_record.c).
 *
 * Journals are written by the code under test and read back, or written
 * here byte by byte (torn lines, garbage) with the expected reading worked
 * out by hand from the format in journal.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"
#include "runner/trial_record.h"
#include "storage/journal.h"
#include "storage/ledger_check.h"

static char tmpdir[1024];

static int setup_dir(void **state)
{
	const char *base = getenv("BO_TEST_TMP");
	(void)state;
	if (!base || !*base)
		base = "/tmp";
	mkdir(base, 0777);
	snprintf(tmpdir, sizeof tmpdir, "%s/test_journal.XXXXXX", base);
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[1200];
	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void slurp(const char *path, char *buf, size_t size, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	*len = fread(buf, 1, size - 1, f);
	buf[*len] = '\0';
	fclose(f);
}

static void spit(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

/* Written records read back exactly; the file is private; a later charge
 * of the same trial supersedes the earlier one. */
static void test_roundtrip(void **state)
{
	char p[1200];
	bo_journal j = BO_JOURNAL_INIT;
	const bo_journal_trial *t;
	struct stat sb;
	(void)state;
	snprintf(p, sizeof p, "%s/rt.db.spend", tmpdir);
	assert_int_equal(bo__journal_append_start(p, 0600, 1, 0.3, "/x/tab\there\\back\nnl"), 0);
	assert_int_equal(bo__journal_append_charge(p, 0600, 1, BO_TRIAL_COMPLETE, 0.1 + 0.2, 0.3), 0);
	assert_int_equal(bo__journal_append_start(p, 0600, 2, 1.0 / 3.0, "f2"), 0);
	assert_int_equal(bo__journal_append_charge(p, 0600, 2, BO_TRIAL_FAILED, 2.385, 2.685), 0);
	assert_int_equal(bo__journal_append_charge(p, 0600, 2, BO_TRIAL_FAILED, 1.125, 1.425), 0);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(bo__journal_read(&j, p), 0);
	assert_true(j.exists);
	assert_int_equal(j.n, 2);
	assert_int_equal(j.nlines, 5);
	assert_int_equal(j.nbad, 0);
	assert_false(j.torn);
	t = bo__journal_find(&j, 1);
	assert_non_null(t);
	assert_true(t->started && t->charged);
	assert_true(t->cost == 0.1 + 0.2);
	assert_string_equal(t->folder, "/x/tab\there\\back\nnl");
	assert_int_equal(t->state, BO_TRIAL_COMPLETE);
	t = bo__journal_find(&j, 2);
	assert_true(t->reserved == 1.0 / 3.0);
	assert_true(t->cost == 1.125);
	assert_true(bo__journal_spent(&j) == (0.1 + 0.2) + 1.125);
	assert_null(bo__journal_find(&j, 3));
	bo__journal_clear(&j);
	snprintf(p, sizeof p, "%s/none.spend", tmpdir);
	assert_int_equal(bo__journal_read(&j, p), 0);
	assert_false(j.exists);
	assert_int_equal(j.n, 0);
}

/* A torn last line (the writer killed mid-write) is ignored, not damage,
 * and the next append cuts it off so it cannot glue onto the next line. */
static void test_torn_line(void **state)
{
	char p[1200], buf[4096];
	size_t len;
	bo_journal j = BO_JOURNAL_INIT;
	(void)state;
	snprintf(p, sizeof p, "%s/torn.db.spend", tmpdir);
	assert_int_equal(bo__journal_append_start(p, 0600, 1, 0.5, "a"), 0);
	assert_int_equal(bo__journal_append_charge(p, 0600, 1, BO_TRIAL_COMPLETE, 0.25, 0.25), 0);
	slurp(p, buf, sizeof buf, &len);
	/* cut in the middle of the last line */
	spit(p, buf, len - 7);
	assert_int_equal(bo__journal_read(&j, p), 0);
	assert_true(j.torn);
	assert_int_equal(j.nbad, 0);
	assert_false(bo__journal_find(&j, 1)->charged);
	assert_int_equal(bo__journal_append_charge(p, 0600, 1, BO_TRIAL_FAILED, 0.75, 0.75), 0);
	assert_int_equal(bo__journal_read(&j, p), 0);
	assert_false(j.torn);
	assert_int_equal(j.nbad, 0);
	assert_int_equal(j.nlines, 2);
	assert_true(bo__journal_find(&j, 1)->cost == 0.75);
	/* a file holding only part of its header */
	spit(p, "budgetopt sp", 12);
	assert_int_equal(bo__journal_read(&j, p), 0);
	assert_true(j.torn);
	assert_int_equal(j.nbad, 0);
	assert_int_equal(bo__journal_append_start(p, 0600, 1, 0.5, "a"), 0);
	assert_int_equal(bo__journal_read(&j, p), 0);
	assert_int_equal(j.nbad, 0);
	assert_int_equal(j.n, 1);
	bo__journal_clear(&j);
}

/* A journal kept open between appends writes the same bytes as one opened
 * for each, and notices when the file is no longer as it left it: renamed
 * over (the old inode would swallow the line), appended to by another
 * writer (it would be overwritten), or left with a torn line by one. */
static void test_writer(void **state)
{
	char p[1200], q[1200], a[4096], b[4096];
	size_t la, lb;
	bo_journal j = BO_JOURNAL_INIT;
	bo_journal_writer w = BO_JOURNAL_WRITER_INIT;
	bo_journal_trial one;
	(void)state;
	snprintf(p, sizeof p, "%s/writer.db.spend", tmpdir);
	snprintf(q, sizeof q, "%s/plain.db.spend", tmpdir);
	assert_int_equal(bo__journal_writer_start(&w, p, 0600, 1, 0.5, "f1"), 0);
	assert_true(w.fd >= 0);
	assert_int_equal(bo__journal_writer_charge(&w, p, 0600, 1, BO_TRIAL_COMPLETE, 2.385, 2.385), 0);
	assert_int_equal(bo__journal_writer_start(&w, p, 0600, 2, 1.0 / 3.0, "f2"), 0);
	assert_int_equal(bo__journal_append_start(q, 0600, 1, 0.5, "f1"), 0);
	assert_int_equal(bo__journal_append_charge(q, 0600, 1, BO_TRIAL_COMPLETE, 2.385, 2.385), 0);
	assert_int_equal(bo__journal_append_start(q, 0600, 2, 1.0 / 3.0, "f2"), 0);
	slurp(p, a, sizeof a, &la);
	slurp(q, b, sizeof b, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);

	/* another writer appends: the next line goes after its line */
	assert_int_equal(bo__journal_append_charge(p, 0600, 2, BO_TRIAL_FAILED, 0.25, 2.635), 0);
	assert_int_equal(bo__journal_writer_start(&w, p, 0600, 3, 0.75, "f3"), 0);
	assert_int_equal(bo__journal_read(&j, p), 0);
	assert_int_equal(j.nbad, 0);
	assert_int_equal(j.nlines, 5);
	assert_true(bo__journal_find(&j, 2)->charged);
	assert_true(bo__journal_find(&j, 3)->started);

	/* another writer was killed mid-line: cut off, not glued to */
	slurp(p, a, sizeof a, &la);
	memcpy(a + la, "C\t3\tcompl", 9);
	spit(p, a, la + 9);
	assert_int_equal(bo__journal_writer_charge(&w, p, 0600, 3, BO_TRIAL_COMPLETE, 0.5, 3.135), 0);
	assert_int_equal(bo__journal_read(&j, p), 0);
	assert_int_equal(j.nbad, 0);
	assert_false(j.torn);
	assert_int_equal(j.nlines, 6);
	assert_true(bo__journal_find(&j, 3)->cost == 0.5);

	/* rewritten (a new file renamed over it): the line lands in the new one */
	memset(&one, 0, sizeof one);
	one.id = 1;
	one.started = 1;
	one.reserved = 0.5;
	assert_int_equal(bo__journal_rewrite(p, 0600, &one, 1), 0);
	assert_int_equal(bo__journal_writer_start(&w, p, 0600, 4, 1.5, "f4"), 0);
	assert_int_equal(bo__journal_read(&j, p), 0);
	assert_int_equal(j.nbad, 0);
	assert_int_equal(j.nlines, 2);
	assert_true(bo__journal_find(&j, 4)->started);
	assert_null(bo__journal_find(&j, 3));
	bo__journal_writer_close(&w);
	assert_int_equal(w.fd, -1);
	bo__journal_writer_close(&w);
	bo__journal_clear(&j);
}

/* The journal's and the records' numbers are printf's, byte for byte:
 * "%.17g" and "%lld" on awkward values, signed zeros, NaNs with payloads,
 * infinities, subnormals and random bit patterns; JSON numbers too. */
static void test_number_format(void **state)
{
	static const double v[] = {0.0, -0.0, 2.385, -1.0 / 3.0, 0.1 + 0.2, 1e300, -4.9e-324,
				   2.2250738585072014e-308, 123456789012345678.0, 1e15, -1e16,
				   INFINITY, -INFINITY, NAN, -NAN};
	static const long long ints[] = {0, -1, 7, 2385, -2147483648LL, 9223372036854775807LL,
					 -9223372036854775807LL - 1};
	char a[64], b[64];
	uint64_t x = 0x9E3779B97F4A7C15ull;
	size_t i;
	int differ = 0;
	bo_strbuf sb = BO_STRBUF_INIT;
	(void)state;
	for (i = 0; i < 20000 + sizeof v / sizeof *v; i++) {
		double d;
		if (i < sizeof v / sizeof *v) {
			d = v[i];
		} else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(&d, &x, sizeof d);
		}
		snprintf(a, sizeof a, "%.17g", d);
		assert_int_equal(bo__fmt_num17(b, sizeof b, d), (int)strlen(a));
		differ += strcmp(a, b) != 0;
	}
	assert_int_equal(differ, 0);
	assert_int_equal(bo__fmt_num17(b, 5, 2.385), -1);
	for (i = 0; i < sizeof ints / sizeof *ints; i++) {
		snprintf(a, sizeof a, "%lld", ints[i]);
		assert_int_equal(bo__fmt_int(b, sizeof b, ints[i]), (int)strlen(a));
		assert_string_equal(a, b);
	}
	assert_int_equal(bo__fmt_int(b, 4, 2385), -1);
	assert_int_equal(bo__fmt_int(b, 5, 2385), 4);
	bo__sb_json_num(&sb, -0.0);
	bo__sb_putc(&sb, ' ');
	bo__sb_json_num(&sb, 42.0);
	bo__sb_putc(&sb, ' ');
	bo__sb_json_num(&sb, 2.385);
	bo__sb_putc(&sb, ' ');
	bo__sb_json_num(&sb, NAN);
	bo__sb_putc(&sb, ' ');
	bo__sb_num17(&sb, -0.0);
	bo__sb_int(&sb, -17);
	assert_string_equal(bo__sb_str(&sb), "-0 42 2.3849999999999998 null -0-17");
	bo__sb_clear(&sb);
}

/* Complete lines that do not parse are counted as damage, with the first
 * one's line number; good lines around them still count. */
static void test_garbage(void **state)
{
	char p[1200], buf[4096], text[8192];
	size_t len;
	bo_journal j = BO_JOURNAL_INIT;
	char *flip;
	(void)state;
	snprintf(p, sizeof p, "%s/garbage.db.spend", tmpdir);
	assert_int_equal(bo__journal_append_start(p, 0600, 1, 0.5, "a"), 0);
	assert_int_equal(bo__journal_append_charge(p, 0600, 1, BO_TRIAL_COMPLETE, 0.25, 0.25), 0);
	slurp(p, buf, sizeof buf, &len);
	/* one digit of the charge changed: its checksum no longer matches */
	flip = strstr(buf, "0.25");
	assert_non_null(flip);
	flip[3] = '6';
	snprintf(text, sizeof text, "%sS\t2\t1\tb\tnothex!!\nhello world\n", buf);
	assert_int_equal(bo__journal_parse(&j, text, strlen(text)), 0);
	assert_int_equal(j.nbad, 3);
	assert_int_equal(j.first_bad, 3);   /* header, S line, then the changed C line */
	assert_int_equal(j.nlines, 1);
	assert_false(bo__journal_find(&j, 1)->charged);
	/* a wrong header */
	assert_int_equal(bo__journal_parse(&j, "budgetopt spend journal 9\n", 26), 0);
	assert_int_equal(j.nbad, 1);
	assert_int_equal(j.first_bad, 1);
	/* binary noise */
	memset(text, 0xff, 100);
	text[100] = '\n';
	assert_int_equal(bo__journal_parse(&j, text, 101), 0);
	assert_int_equal(j.nbad, 1);
	bo__journal_clear(&j);
}

static bo_trial_rec rec(int64_t id, int state, double cost)
{
	bo_trial_rec r;
	memset(&r, 0, sizeof r);
	r.id = id;
	r.state = state;
	r.cost = cost;
	r.reserved = 1;
	return r;
}

static void add(bo_journal *j, const char *text)
{
	char full[2048];
	snprintf(full, sizeof full, "%s\n%s", BO_JOURNAL_HEADER, text);
	assert_int_equal(bo__journal_parse(j, full, strlen(full)), 0);
}

/* Journal text with valid checksums, built through the writer. */
static void journal_of(bo_journal *j, const char *tag, const int64_t *ids, const int *charged,
		       const double *cost, size_t n)
{
	char p[1200];
	size_t i;
	snprintf(p, sizeof p, "%s/%s.spend", tmpdir, tag);
	unlink(p);
	for (i = 0; i < n; i++) {
		assert_int_equal(bo__journal_append_start(p, 0600, ids[i], 1, "f"), 0);
		if (charged[i])
			assert_int_equal(bo__journal_append_charge(p, 0600, ids[i], BO_TRIAL_COMPLETE,
								   cost[i], 0), 0);
	}
	assert_int_equal(bo__journal_read(j, p), 0);
}

/* The rules of ledger_check.h, case by case. */
static void test_compare(void **state)
{
	bo_journal j = BO_JOURNAL_INIT, none = BO_JOURNAL_INIT;
	bo_ledger_diff d;
	bo_trial_rec l[3];
	int64_t ids[3] = {1, 2, 3};
	int ch[3] = {1, 1, 0};
	double cost[3] = {0.5, 2.385, 0};
	(void)state;
	l[0] = rec(1, BO_TRIAL_COMPLETE, 0.5);
	l[1] = rec(2, BO_TRIAL_COMPLETE, 2.385);
	l[2] = rec(3, BO_TRIAL_RUNNING, NAN);
	journal_of(&j, "agree", ids, ch, cost, 3);
	bo__ledger_compare(&j, l, 3, &j, &d);
	assert_false(bo__ledger_diff_damaged(&d));
	assert_int_equal(d.lag, 0);
	assert_true(d.ledger_spent == 0.5 + 2.385 && d.journal_spent == 0.5 + 2.385);

	/* the ledger one record ahead (killed between commit and line): fine */
	l[2] = rec(3, BO_TRIAL_FAILED, 0.125);
	bo__ledger_compare(&j, l, 3, &j, &d);
	assert_false(bo__ledger_diff_damaged(&d));
	assert_int_equal(d.lag, 1);
	assert_int_equal(d.lag_id, 3);
	assert_int_equal(d.lag_charge, 1);

	/* two records ahead: the journal was cut */
	journal_of(&j, "cut", ids, ch, cost, 2);
	bo__ledger_compare(&j, l, 3, &j, &d);
	assert_true(bo__ledger_diff_damaged(&d));
	assert_int_equal(d.lag, 2);

	/* no journal at all, three trials: damage; one running trial: a crash */
	bo__ledger_compare(&none, l, 3, &none, &d);
	assert_true(bo__ledger_diff_damaged(&d));
	l[0] = rec(1, BO_TRIAL_RUNNING, NAN);
	bo__ledger_compare(&none, l, 1, &none, &d);
	assert_false(bo__ledger_diff_damaged(&d));

	/* the ledger lost trial 2 (a lost WAL): damage, named */
	journal_of(&j, "lost", ids, ch, cost, 2);
	l[0] = rec(1, BO_TRIAL_COMPLETE, 0.5);
	bo__ledger_compare(&j, l, 1, &j, &d);
	assert_true(bo__ledger_diff_damaged(&d));
	assert_int_equal(d.missing, 1);
	assert_int_equal(d.first_lost, 2);

	/* trial 2's charge rolled back: still running in the ledger */
	l[1] = rec(2, BO_TRIAL_RUNNING, NAN);
	bo__ledger_compare(&j, l, 2, &j, &d);
	assert_int_equal(d.rolled_back, 1);
	assert_true(bo__ledger_diff_damaged(&d));

	/* charged differently */
	l[1] = rec(2, BO_TRIAL_COMPLETE, 2.386);
	bo__ledger_compare(&j, l, 2, &j, &d);
	assert_int_equal(d.cost_differs, 1);

	/* a reader racing a runner: lines in the second read only are not
	 * required of the ledger, and excuse the ledger being ahead */
	l[1] = rec(2, BO_TRIAL_COMPLETE, 2.385);
	journal_of(&none, "first", ids, ch, cost, 1);
	bo__ledger_compare(&none, l, 2, &j, &d);
	assert_false(bo__ledger_diff_damaged(&d));
	assert_int_equal(d.lag, 0);

	/* a damaged line is damage even when the money agrees */
	add(&j, "garbage\n");
	bo__ledger_compare(&j, l, 0, &j, &d);
	assert_true(bo__ledger_diff_damaged(&d));
	bo__journal_clear(&j);
	bo__journal_clear(&none);
}

/* A trial record reads back what was written, escapes and all. */
static void test_trial_record(void **state)
{
	char folder[1200];
	bo_trial_rec t, r;
	bo_kv params[1] = {{"lr", 0.0012}};
	bo_kv usage[2] = {{"tokens", 2385}, {"wall\thours", 1.0 / 7.0}};
	(void)state;
	snprintf(folder, sizeof folder, "%s/000007", tmpdir);
	assert_int_equal(mkdir(folder, 0700), 0);
	memset(&t, 0, sizeof t);
	t.id = 7;
	t.state = BO_TRIAL_FAILED;
	t.cost = 0.1 + 0.2;
	t.reserved = 5;
	t.score = NAN;
	t.feasible = -1;
	t.exit_code = 3;
	t.reason = "exited\twith\n3";
	t.params_json = "{\"lr\": 0.0012}";
	t.params = params;
	t.nparams = 1;
	t.usage = usage;
	t.nusage = 2;
	assert_int_equal(bo__trial_record_write(folder, &t, 0600, 1), 0);
	assert_int_equal(bo__trial_record_read(folder, &r), 0);
	assert_int_equal(r.id, 7);
	assert_int_equal(r.state, BO_TRIAL_FAILED);
	assert_true(r.cost == 0.1 + 0.2);
	assert_true(isnan(r.score));
	assert_int_equal(r.exit_code, 3);
	assert_string_equal(r.reason, "exited\twith\n3");
	assert_string_equal(r.params_json, "{\"lr\": 0.0012}");
	assert_int_equal(r.nusage, 2);
	assert_string_equal(r.usage[1].name, "wall\thours");
	assert_true(r.usage[1].value == 1.0 / 7.0);
	assert_true(r.params[0].value == 0.0012);
	bo__trial_rec_clear(&r);
	snprintf(folder, sizeof folder, "%s/nothing", tmpdir);
	assert_int_equal(bo__trial_record_read(folder, &r), BO_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_torn_line),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_number_format),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_trial_record),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
