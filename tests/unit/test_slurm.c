/*
 * tests/unit/test_slurm.c - the Slurm executor's pure parts: the study
 * file's evaluator: slurm: section (values read, bad ones reported at
 * file:line:column), Slurm's time syntax both ways, and the parsers of
 * squeue/scontrol/sacct answers, on answers copied from Slurm 22.05. The
 * executor against a real cluster is tests/slurm/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "budgetopt/study.h"
#include "core/model.h"
#include "core/trial.h"
#include "exec/slurm.h"
#include "study_parse.h"

static const char *BASE =
	"name: s\n"
	"space:\n"
	"  x: {float: [0, 1]}\n"
	"evaluator:\n"
	"  command: [a, \"{x}\"]\n";

static bo_study *parse(const char *extra, bo_diags **d)
{
	char text[2048];
	bo_study *s = NULL;
	snprintf(text, sizeof text, "%s%s", BASE, extra);
	bo_study_parse(&s, text, strlen(text), "t.yaml", NULL, d);
	return s;
}

static void test_reads_options(void **state)
{
	bo_diags *d = NULL;
	bo_study *s;
	(void)state;
	s = parse("  executor: slurm\n"
		  "  slurm:\n"
		  "    partition: gpu,debug\n"
		  "    time: \"1-02:03:04\"\n"
		  "    cpus: 4\n"
		  "    gpus: a100:2\n"
		  "    mem: 16G\n"
		  "    account: ml-team\n"
		  "    poll: 2.5s\n"
		  "    extra: [\"--qos=high\", \"--constraint=hbm\"]\n", &d);
	assert_non_null(s);
	assert_int_equal(s->evaluator.executor, BO_EXECUTOR_SLURM);
	assert_string_equal(s->evaluator.slurm.partition, "gpu,debug");
	assert_true(s->evaluator.slurm.time_s == 86400.0 + 2 * 3600.0 + 3 * 60.0 + 4);
	assert_int_equal(s->evaluator.slurm.cpus, 4);
	assert_string_equal(s->evaluator.slurm.gpus, "a100:2");
	assert_string_equal(s->evaluator.slurm.mem, "16G");
	assert_string_equal(s->evaluator.slurm.account, "ml-team");
	assert_true(s->evaluator.slurm.poll_s == 2.5);
	assert_int_equal(s->evaluator.slurm.nextra, 2);
	assert_string_equal(s->evaluator.slurm.extra[1], "--constraint=hbm");
	bo_study_free(s);
	bo_diags_free(d);

	/* a duration like timeout's; the default executor is local */
	s = parse("  executor: slurm\n  slurm: {time: 90m}\n", &d);
	assert_non_null(s);
	assert_true(s->evaluator.slurm.time_s == 5400.0);
	bo_study_free(s);
	bo_diags_free(d);
	s = parse("", &d);
	assert_non_null(s);
	assert_int_equal(s->evaluator.executor, BO_EXECUTOR_LOCAL);
	assert_true(isnan(s->evaluator.slurm.time_s));
	bo_study_free(s);
	bo_diags_free(d);
}

static void expect(const char *extra, const char *want)
{
	bo_diags *d = NULL;
	bo_study *s = parse(extra, &d);
	test_expect_diag(s, d, want);
}

static void test_bad_values(void **state)
{
	(void)state;
	expect("  executor: slurmm\n", "t.yaml:6:13: evaluator: executor: expected local or slurm");
	expect("  slurm: {cpus: 2}\n", "t.yaml:6:10: evaluator: slurm: options given, but the executor is local");
	expect("  executor: slurm\n  slurm: {partiton: x}\n",
	       "t.yaml:7:11: unknown key \"partiton\" in evaluator: slurm (did you mean \"partition\"?)");
	expect("  executor: slurm\n  slurm: {partition: \"a b\"}\n", "t.yaml:7:22: evaluator: slurm: partition: expected a partition name");
	expect("  executor: slurm\n  slurm: {gpus: \"a100:0\"}\n", "t.yaml:7:17: evaluator: slurm: gpus: expected a GPU count");
	expect("  executor: slurm\n  slurm: {gpus: \"x;y:2\"}\n", "evaluator: slurm: gpus");
	expect("  executor: slurm\n  slurm: {mem: 4GB}\n", "t.yaml:7:16: evaluator: slurm: mem: expected a memory size");
	expect("  executor: slurm\n  slurm: {cpus: 0}\n", "t.yaml:7:17: evaluator: slurm: cpus: must be between 1");
	expect("  executor: slurm\n  slurm: {time: \"1:2:3:4\"}\n", "t.yaml:7:17: evaluator: slurm: time: expected \"HH:MM:SS\"");
	expect("  executor: slurm\n  slurm: {extra: [\"--output=/tmp/x\"]}\n",
	       "t.yaml:7:19: evaluator: slurm: extra: \"--output=/tmp/x\": --output is set by budgetopt itself");
	expect("  executor: slurm\n  slurm: {extra: [\"-Jname\"]}\n", "-J is set by budgetopt itself");
	expect("  executor: slurm\n  slurm: {extra: [\"--export=NONE\"]}\n", "--export is set by budgetopt itself");
	expect("  executor: slurm\n  slurm: {extra: [qos]}\n", "an sbatch option starting with \"-\"");
	expect("  executor: slurm\n  slurm: {extra: \"--qos=x\"}\n", "evaluator: slurm: extra: expected a list");
}

static void test_time_syntax(void **state)
{
	static const struct {
		const char *text;
		double s;
	} ok[] = {{"7", 420}, {"7:30", 450}, {"01:02:03", 3723}, {"2-0", 172800},
		  {"2-03:04", 2 * 86400 + 3 * 3600 + 240}, {"0-00:00:45", 45}};
	static const char *const bad[] = {"", "-1", "1:2:3:4", "a", "1-", "1:", "0", "1-2-3", "00:00"};
	char buf[64];
	double v;
	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		assert_int_equal(bo__slurm_time_parse(ok[i].text, &v), 0);
		assert_true(v == ok[i].s);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(bo__slurm_time_parse(bad[i], &v), -1);
	/* formatting rounds up to whole minutes and parses back */
	for (double s = 1; s < 3 * 86400; s = s * 2.385 + 7) {
		bo__slurm_time_format(s, buf, sizeof buf);
		assert_int_equal(bo__slurm_time_parse(buf, &v), 0);
		assert_true(v >= s && v < s + 60);
		assert_true(fmod(v, 60) == 0);
	}
}

static void test_answers(void **state)
{
	/* one line of `scontrol --oneliner show job` (22.05), shortened */
	static const char SC[] =
		"JobId=57 JobName=same.3 UserId=root(0) GroupId=root(0) JobState=CANCELLED Reason=None "
		"Dependency=(null) ExitCode=0:15 RunTime=00:01:02 TimeLimit=UNLIMITED "
		"Comment=budgetopt-00ab StdOut=/tmp/a b/stdout.log Power= "
		"AllocTRES=cpu=2,mem=1G,node=1,billing=2,gres/gpu=2,gres/gpu:a100=2\n";
	char buf[256], type[64];
	(void)state;
	assert_int_equal(bo__slurm_scontrol_field(SC, "JobState", buf, sizeof buf), 0);
	assert_string_equal(buf, "CANCELLED");
	assert_int_equal(bo__slurm_scontrol_field(SC, "ExitCode", buf, sizeof buf), 0);
	assert_string_equal(buf, "0:15");
	assert_int_equal(bo__slurm_scontrol_field(SC, "StdOut", buf, sizeof buf), 0);
	assert_string_equal(buf, "/tmp/a b/stdout.log");   /* a value with a space */
	assert_int_equal(bo__slurm_scontrol_field(SC, "Power", buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	assert_int_equal(bo__slurm_scontrol_field(SC, "Id", buf, sizeof buf), -1); /* not JobId's tail */
	assert_int_equal(bo__slurm_scontrol_field(SC, "AllocTRES", buf, sizeof buf), 0);
	assert_true(bo__slurm_tres_gpus(buf, type, sizeof type) == 2);
	assert_string_equal(type, "a100");
	assert_true(bo__slurm_tres_gpus("cpu=1,mem=100M,node=1", type, sizeof type) == 0);
	assert_true(bo__slurm_tres_gpus("cpu=1,gres/gpu=3", type, sizeof type) == 3);
	assert_string_equal(type, "");

	assert_true(bo__slurm_elapsed_parse("00:01:02") == 62);
	assert_true(bo__slurm_elapsed_parse("1-00:00:01") == 86401);
	assert_true(fabs(bo__slurm_elapsed_parse("02:03.250") - 123.25) < 1e-12); /* TotalCPU */
	assert_true(isnan(bo__slurm_elapsed_parse("")));
	assert_true(isnan(bo__slurm_elapsed_parse("UNLIMITED")));
	assert_true(bo__slurm_size_kb("2385K") == 2385);
	assert_true(bo__slurm_size_kb("1.5M") == 1536);
	assert_true(bo__slurm_size_kb("2G") == 2097152);
	assert_true(bo__slurm_size_kb("2048") == 2);
	assert_true(isnan(bo__slurm_size_kb("")));
	assert_true(isnan(bo__slurm_size_kb("12Q")));
}

static void test_ledger_field(void **state)
{
	bo_trial_rec t;
	(void)state;
	memset(&t, 0, sizeof t);
	assert_int_equal(bo__trial_slurm_job(&t), 0);
	t.cgroup = "slurm:123";
	assert_int_equal(bo__trial_slurm_job(&t), 123);
	t.cgroup = "/sys/fs/cgroup/budgetopt-1";
	assert_int_equal(bo__trial_slurm_job(&t), 0);
	t.cgroup = "slurm:12x";
	assert_int_equal(bo__trial_slurm_job(&t), 0);
	t.cgroup = "slurm:";
	assert_int_equal(bo__trial_slurm_job(&t), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_options), cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_time_syntax),   cmocka_unit_test(test_answers),
		cmocka_unit_test(test_ledger_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
