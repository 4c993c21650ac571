/*
 * tests/unit/test_copy.c - storage/copy.c between SQLite ledgers (the
 * PostgreSQL ends: tests/pg/copy.sh): a ledger written through the storage
 * interface is copied and read back through it, field by field; the
 * refusals; and every allocation failed in turn leaves the destination
 * without the study or with all of it, never part of it.
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
#include "storage/copy.h"
#include "storage/storage.h"

static char tmpdir[1024];
static char src[1200];

static void remove_db(const char *path)
{
	static const char *const suffix[] = {"", "-wal", "-shm", ".spend", ".lock"};
	char b[1300];
	size_t i;
	for (i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		snprintf(b, sizeof b, "%s%s", path, suffix[i]);
		unlink(b);
	}
}

/* Trials with awkward values: a NaN cost and score, text with a tab and
 * UTF-8, steps, metrics and usage, one trial left running. */
static void write_source(const char *path)
{
	bo_storage *st = NULL;
	int64_t v = 0, run = 0;
	int i;
	assert_int_equal(bo__storage_open(&st, path), 0);
	assert_int_equal(st->ops->register_study(st, "copy-me", "name: copy-me\n# \xc3\xa9t\xc3\xa9\n",
						 "h1", "sp1", &v), 0);
	assert_int_equal(st->ops->run_begin(st, v, 1, "host\tA", 0xfedcba9876543210ULL, "tpe", 4000.125,
					    &run), 0);
	for (i = 0; i < 5; i++) {
		bo_trial_rec t;
		bo_kv params[2] = {{"lr", 2.385e-5 * (i + 1)}, {"family", (double)(i % 3)}};
		bo_kv step[2] = {{"val_acc", 0.5 + i / 8.0}, {"loss", 1.0 / 3.0}};
		bo_kv metrics[2] = {{"accuracy", 0.9375 - i / 64.0}, {"latency_ms", 1.5 * i}};
		bo_kv usage[2] = {{"cpu_hours", 0.1 * i}, {"gpu_hours.a100", 1e-300}};
		char json[128];
		memset(&t, 0, sizeof t);
		snprintf(json, sizeof json, "{\"lr\": %.17g, \"family\": %d}", params[0].value, i % 3);
		t.version = v;
		t.run_id = run;
		t.sampler = "tpe";
		t.params_json = json;
		t.params = params;
		t.nparams = 2;
		t.cost = NAN;
		t.reserved = 0.125 * (i + 1);
		t.score = NAN;
		t.feasible = -1;
		t.created_at = 5000.0 + i;
		t.started_at = 5000.5 + i;
		t.exit_code = -1;
		t.host = "h\xc3\xb4te";
		t.folder = "/tmp/trial\tfolder";
		assert_int_equal(st->ops->trial_start(st, &t), 0);
		assert_int_equal(st->ops->trial_step(st, t.id, 1, step, 2), 0);
		if (i == 4)
			break;   /* left running */
		t.state = i == 3 ? BO_TRIAL_FAILED : BO_TRIAL_COMPLETE;
		t.metrics = metrics;
		t.nmetrics = i == 3 ? 0 : 2;
		t.usage = usage;
		t.nusage = 2;
		t.cost = i == 3 ? 0.0 : 0.1 / 3.0 * (i + 1);
		t.score = i == 3 ? NAN : -0.0625 * i;
		t.feasible = i == 3 ? -1 : 1;
		t.reason = i == 3 ? "exit status 3: \"quoted\"\nnext line" : NULL;
		t.ended_at = 6000.75 + i;
		t.exit_code = i == 3 ? 3 : 0;
		t.price_version = "2026-11";
		assert_int_equal(st->ops->trial_finish(st, &t), 0);
	}
	assert_int_equal(st->ops->event(st, run, 0, "stop", NAN, "trial budget reached", 7000.5), 0);
	bo__storage_close(st);
}

static int setup(void **state)
{
	const char *base = getenv("BO_TEST_TMP");
	(void)state;
	if (!base || !*base)
		base = "/tmp";
	mkdir(base, 0777);
	snprintf(tmpdir, sizeof tmpdir, "%s/test_copy.XXXXXX", base);
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(src, sizeof src, "%s/src.db", tmpdir);
	write_source(src);
	return 0;
}

static int teardown(void **state)
{
	char cmd[1200];
	(void)state;
	remove_db(src);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);   /* our own mkdtemp name */
	return system(cmd) == 0 ? 0 : -1;
}

static void kv_equal(const bo_kv *a, size_t na, const bo_kv *b, size_t nb)
{
	size_t i;
	assert_int_equal(na, nb);
	for (i = 0; i < na; i++) {
		assert_string_equal(a[i].name, b[i].name);
		assert_memory_equal(&a[i].value, &b[i].value, sizeof a[i].value);
	}
}

static void str_equal(const char *a, const char *b)
{
	if (!a || !b)
		assert_true(a == b);
	else
		assert_string_equal(a, b);
}

static void num_equal(double a, double b)
{
	if (isnan(a) || isnan(b))
		assert_true(isnan(a) && isnan(b));
	else
		assert_memory_equal(&a, &b, sizeof a);
}

/* The two ledgers hold the same trials, totals and events, as the storage
 * interface reads them. */
static void same_ledgers(const char *a, const char *b)
{
	bo_storage *sa = NULL, *sb = NULL;
	bo_trial_rec *ta = NULL, *tb = NULL;
	bo_event *ea = NULL, *eb = NULL;
	size_t na = 0, nb = 0, nea = 0, neb = 0, i;
	bo_ledger_totals xa, xb;
	char *texta = NULL, *textb = NULL;
	assert_int_equal(bo__storage_open(&sa, a), 0);
	assert_int_equal(bo__storage_open(&sb, b), 0);
	assert_int_equal(sa->ops->trials(sa, NULL, &ta, &na), 0);
	assert_int_equal(sb->ops->trials(sb, NULL, &tb, &nb), 0);
	assert_int_equal(na, 5);
	assert_int_equal(na, nb);
	for (i = 0; i < na; i++) {
		assert_int_equal(ta[i].id, tb[i].id);
		assert_int_equal(ta[i].state, tb[i].state);
		assert_int_equal(ta[i].version, tb[i].version);
		assert_int_equal(ta[i].run_id, tb[i].run_id);
		str_equal(ta[i].params_json, tb[i].params_json);
		str_equal(ta[i].reason, tb[i].reason);
		str_equal(ta[i].host, tb[i].host);
		str_equal(ta[i].folder, tb[i].folder);
		str_equal(ta[i].price_version, tb[i].price_version);
		num_equal(ta[i].cost, tb[i].cost);
		num_equal(ta[i].reserved, tb[i].reserved);
		num_equal(ta[i].score, tb[i].score);
		num_equal(ta[i].started_at, tb[i].started_at);
		num_equal(ta[i].ended_at, tb[i].ended_at);
		assert_int_equal(ta[i].feasible, tb[i].feasible);
		assert_int_equal(ta[i].exit_code, tb[i].exit_code);
		kv_equal(ta[i].params, ta[i].nparams, tb[i].params, tb[i].nparams);
		kv_equal(ta[i].metrics, ta[i].nmetrics, tb[i].metrics, tb[i].nmetrics);
		kv_equal(ta[i].usage, ta[i].nusage, tb[i].usage, tb[i].nusage);
	}
	assert_int_equal(sa->ops->totals(sa, &xa), 0);
	assert_int_equal(sb->ops->totals(sb, &xb), 0);
	num_equal(xa.spent, xb.spent);
	assert_memory_equal(xa.by_state, xb.by_state, sizeof xa.by_state);
	assert_int_equal(sa->ops->events(sa, &ea, &nea), 0);
	assert_int_equal(sb->ops->events(sb, &eb, &neb), 0);
	assert_true(nea > 5);
	assert_int_equal(nea, neb);
	for (i = 0; i < nea; i++) {
		assert_int_equal(ea[i].id, eb[i].id);
		assert_string_equal(ea[i].kind, eb[i].kind);
		str_equal(ea[i].detail, eb[i].detail);
		num_equal(ea[i].amount, eb[i].amount);
	}
	assert_int_equal(sa->ops->study_text(sa, &texta), 0);
	assert_int_equal(sb->ops->study_text(sb, &textb), 0);
	str_equal(texta, textb);
	free(texta);
	free(textb);
	bo__event_free_array(ea, nea);
	bo__event_free_array(eb, neb);
	bo__trial_rec_free_array(ta, na);
	bo__trial_rec_free_array(tb, nb);
	bo__storage_close(sa);
	bo__storage_close(sb);
}

static void test_copy_and_verify(void **state)
{
	bo_copy_result res;
	char dst[1300];
	size_t i;
	(void)state;
	snprintf(dst, sizeof dst, "%s/dst.db", tmpdir);
	remove_db(dst);
	assert_int_equal(bo__storage_copy(src, dst, NULL, &res), 0);
	assert_true(res.verified);
	assert_int_equal(res.n, BO_COPY_TABLES);
	assert_string_equal(res.study, "copy-me");
	assert_string_equal(res.replaced, "");
	for (i = 0; i < res.n; i++) {
		assert_int_equal(res.t[i].rows_from, res.t[i].rows_to);
		assert_string_equal(res.t[i].sum_from, res.t[i].sum_to);
	}
	same_ledgers(src, dst);
	remove_db(dst);
}

static void test_refusals(void **state)
{
	bo_copy_options o = BO_COPY_OPTIONS_INIT;
	bo_copy_result res;
	char dst[1300], missing[1300];
	(void)state;
	snprintf(dst, sizeof dst, "%s/refuse.db", tmpdir);
	snprintf(missing, sizeof missing, "%s/missing.db", tmpdir);
	remove_db(dst);
	assert_int_equal(bo__storage_copy(src, src, NULL, &res), BO_ECONFLICT);
	assert_int_equal(bo__storage_copy(missing, dst, NULL, &res), BO_ENOTFOUND);
	o.study = "another";
	assert_int_equal(bo__storage_copy(src, dst, &o, &res), BO_ENOTFOUND);
	o.study = "copy-me";
	assert_int_equal(bo__storage_copy(src, dst, &o, &res), 0);
	assert_int_equal(bo__storage_copy(src, dst, &o, &res), BO_ECONFLICT);
	o.replace = 1;
	assert_int_equal(bo__storage_copy(src, dst, &o, &res), 0);
	assert_string_equal(res.replaced, "copy-me");
	same_ledgers(src, dst);
	remove_db(dst);
}

/* The destination's trials: 0 (no study), or all of them. */
static size_t dst_trials(const char *dst)
{
	bo_ledger_open_options lo = BO_LEDGER_OPEN_OPTIONS_INIT;
	bo_storage *st = NULL;
	bo_ledger_totals tot;
	struct stat sb;
	if (stat(dst, &sb) < 0)
		return 0;
	lo.unchecked = 1;   /* a failure between the commit and the journal */
	assert_int_equal(bo__storage_open_ex(&st, dst, &lo), 0);
	assert_int_equal(st->ops->totals(st, &tot), 0);
	bo__storage_close(st);
	return (size_t)tot.ntrials;
}

static void test_allocation_failures(void **state)
{
	bo_copy_result res;
	char dst[1300];
	size_t k, n, full = 0, empty = 0;
	(void)state;
	snprintf(dst, sizeof dst, "%s/torture.db", tmpdir);
	remove_db(dst);
	bo__alloc_fail_at(0);
	assert_int_equal(bo__storage_copy(src, dst, NULL, &res), 0);
	n = bo__alloc_fail_at(0);
	assert_true(n > 20);
	remove_db(dst);
	for (k = 1; k <= n + 5; k++) {
		int rc;
		size_t got;
		bo__alloc_fail_at(k);
		rc = bo__storage_copy(src, dst, NULL, &res);
		bo__alloc_fail_at(0);
		got = dst_trials(dst);
		if (rc == 0) {
			assert_true(res.verified);
			assert_int_equal(got, 5);
		} else {
			assert_true(rc < 0);
			/* never part of the study */
			assert_true(got == 0 || got == 5);
		}
		if (got == 5)
			full++;
		else
			empty++;
		remove_db(dst);
	}
	assert_true(full > 0 && empty > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_and_verify),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_allocation_failures),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
