/*
 * tests/unit/test_exec_local.c - the local executor against real processes.
 *
 * Every test starts real evaluators (scripts in tests/data/evaluators) and
 * waits on them through bo__exec_wait; nothing sleeps to wait for anything.
 * Must never leave processes behind: every executor is freed, which kills
 * and reaps what is left.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "budgetopt/common.h"
#include "exec/cgroup.h"
#include "exec/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

extern char **environ;

static char data_dir[PATH_MAX];
static char tmp_dir[PATH_MAX];

/* ---- helpers ------------------------------------------------------------ */

typedef struct collect {
	bo_job *job;              /* set once started; every line must name it */
	int wrong_job;
	char **lines;
	size_t *lens;
	int *too_long;
	size_t n, cap;
	int count_only;           /* 50 MB case: check lines against a pattern */
	size_t pattern_bad;
	size_t partial;           /* lines shorter than the pattern */
	/* busy-job case: status read from inside the callback, then killed */
	bo_exec *ex;
	int kill_on_line;
	bo_job_status seen;
} collect;

static void on_line(void *ud, bo_job *job, const char *line, size_t len, int too_long)
{
	collect *c = ud;
	if (job != c->job)
		c->wrong_job++;
	if (strlen(line) != len && !memchr(line, '\0', len))
		c->wrong_job++; /* must be NUL-terminated at len */
	if (c->count_only) {
		static const char pat[] = "0123456789abcdef";
		if (too_long || len > 16 || memcmp(line, pat, len) != 0)
			c->pattern_bad++;
		c->partial += len != 16;
		c->n++;
		return;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->lines = realloc(c->lines, c->cap * sizeof *c->lines);
		c->lens = realloc(c->lens, c->cap * sizeof *c->lens);
		c->too_long = realloc(c->too_long, c->cap * sizeof *c->too_long);
		assert_non_null(c->lines);
		assert_non_null(c->lens);
		assert_non_null(c->too_long);
	}
	c->lines[c->n] = malloc(len + 1);
	assert_non_null(c->lines[c->n]);
	memcpy(c->lines[c->n], line, len + 1);
	c->lens[c->n] = len;
	c->too_long[c->n] = too_long;
	c->n++;
	if (c->kill_on_line) {
		bo__exec_status(job, &c->seen);
		assert_int_equal(bo__exec_signal(c->ex, job, SIGKILL), 0);
		c->kill_on_line = 0;
	}
}

static void collect_clear(collect *c)
{
	for (size_t i = 0; c->lines && !c->count_only && i < c->n; i++)
		free(c->lines[i]);
	free(c->lines);
	free(c->lens);
	free(c->too_long);
	memset(c, 0, sizeof *c);
}

/* out = dir/name; the test fails if it does not fit. */
static void path_join(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);
	assert_true(n > 0 && (size_t)n < size);
}

static void evaluator(char *out, size_t size, const char *name)
{
	int n = snprintf(out, size, "%s/evaluators/%s", data_dir, name);
	assert_true(n > 0 && (size_t)n < size);
}

/* A fresh log folder under the scratch folder. */
static void log_folder(char *out, size_t size, const char *name)
{
	int n = snprintf(out, size, "%s/%s", tmp_dir, name);
	assert_true(n > 0 && (size_t)n < size);
	assert_true(mkdir(out, 0755) == 0 || errno == EEXIST);
}

static void spec_init(bo_exec_spec *spec, char *const *argv, const char *logs, collect *c)
{
	memset(spec, 0, sizeof *spec);
	spec->argv = argv;
	spec->envp = environ;
	spec->workdir = logs;
	spec->log_dir = logs;
	spec->on_line = on_line;
	spec->ud = c;
}

/* Waits, without a time limit, until bo__exec_wait returns a job. */
static bo_job *wait_done(bo_exec *ex)
{
	bo_job *done = NULL;
	while (!done)
		assert_int_equal(bo__exec_wait(ex, -1, &done), 0);
	return done;
}

/* Starts one job, waits for it and returns its status. */
static void run_one(bo_exec_spec *spec, collect *c, bo_job_status *st)
{
	bo_exec *ex = NULL;
	bo_job *job = NULL;
	assert_int_equal(bo__exec_new(&ex), 0);
	assert_int_equal(bo__exec_start(ex, spec, &job), 0);
	c->job = job;
	assert_int_equal(bo__exec_running(ex), 1);
	assert_ptr_equal(wait_done(ex), job);
	assert_int_equal(bo__exec_running(ex), 0);
	bo__exec_status(job, st);
	assert_int_equal(st->running, 0);
	assert_int_equal(c->wrong_job, 0);
	bo__exec_release(ex, job);
	bo__exec_free(ex);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* Peak resident memory of this process in kB, from /proc. */
static long vm_hwm_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* ---- tests -------------------------------------------------------------- */

/* Values with shell syntax arrive as single, unchanged arguments and none
 * of the commands hidden in them runs. */
static void test_argv_is_not_shell(void **state)
{
	char prog[PATH_MAX], logs[PATH_MAX], m1[PATH_MAX], m2[PATH_MAX], m3[PATH_MAX];
	char a1[PATH_MAX + 32], a2[PATH_MAX + 32], a3[PATH_MAX + 32];
	collect c = {0};
	bo_exec_spec spec;
	bo_job_status st;
	(void)state;

	evaluator(prog, sizeof prog, "echo_args.py");
	log_folder(logs, sizeof logs, "argv");
	path_join(m1, sizeof m1, logs, "marker1");
	path_join(m2, sizeof m2, logs, "marker2");
	path_join(m3, sizeof m3, logs, "marker3");
	unlink(m1);
	unlink(m2);
	unlink(m3);
	snprintf(a1, sizeof a1, "x; touch %s", m1);
	snprintf(a2, sizeof a2, "$(touch %s)", m2);
	snprintf(a3, sizeof a3, "`touch %s`", m3);
	char *argv[] = {prog, a1, a2, a3, "\"double\" 'single'", "line one\nline two",
			"  two  spaces ", "", "*", "$HOME", "a|b&&c>d", "\\n", NULL};
	size_t nargs = sizeof argv / sizeof *argv - 2;

	spec_init(&spec, argv, logs, &c);
	run_one(&spec, &c, &st);
	assert_int_equal(st.exec_errno, 0);
	assert_int_equal(st.exit_code, 0);
	assert_int_equal(c.n, nargs);
	for (size_t i = 0; i < nargs; i++) {
		const char *want = argv[i + 1];
		char hex[PATH_MAX * 2 + 1];
		size_t k;
		for (k = 0; want[k]; k++)
			snprintf(hex + 2 * k, 3, "%02x", (unsigned char)want[k]);
		hex[2 * k] = '\0';
		assert_string_equal(c.lines[i], hex);
		assert_int_equal(c.too_long[i], 0);
	}
	assert_false(exists(m1));
	assert_false(exists(m2));
	assert_false(exists(m3));
	collect_clear(&c);
}

/* The job gets spec->envp and nothing else, in order. */
static void test_environment(void **state)
{
	char logs[PATH_MAX];
	char *argv[] = {"env", NULL};
	char *envp[] = {"BO_TEST_VALUE=a b;$(c)", "PATH=/usr/bin:/bin", "EMPTY=", NULL};
	collect c = {0};
	bo_exec_spec spec;
	bo_job_status st;
	(void)state;

	log_folder(logs, sizeof logs, "env");
	spec_init(&spec, argv, logs, &c);
	spec.envp = envp;
	run_one(&spec, &c, &st);
	assert_int_equal(st.exit_code, 0);
	assert_int_equal(c.n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(c.lines[i], envp[i]);
	collect_clear(&c);
}

static void test_workdir(void **state)
{
	char logs[PATH_MAX], wd[PATH_MAX], real[PATH_MAX];
	char *argv[] = {"pwd", "-P", NULL};
	collect c = {0};
	bo_exec_spec spec;
	bo_job_status st;
	(void)state;

	log_folder(logs, sizeof logs, "workdir_logs");
	log_folder(wd, sizeof wd, "workdir with space");
	assert_non_null(realpath(wd, real));
	spec_init(&spec, argv, logs, &c);
	spec.workdir = wd;
	run_one(&spec, &c, &st);
	assert_int_equal(st.exit_code, 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.lines[0], real);
	collect_clear(&c);
}

static void test_exit_code(void **state)
{
	char prog[PATH_MAX], logs[PATH_MAX];
	char *argv[] = {prog, "37", NULL};
	collect c = {0};
	bo_exec_spec spec;
	bo_job_status st;
	(void)state;

	evaluator(prog, sizeof prog, "exit_with.sh");
	log_folder(logs, sizeof logs, "exit");
	spec_init(&spec, argv, logs, &c);
	run_one(&spec, &c, &st);
	assert_int_equal(st.exec_errno, 0);
	assert_int_equal(st.exit_code, 37);
	assert_int_equal(st.term_signal, 0);
	assert_true(st.pid > 0);
	assert_true(st.wall_s > 0);
	collect_clear(&c);
}

/* A cgroup left by a runner that was killed before removing it (same
 * trial folder, so same name) is made anew: the job started into it runs
 * to its end instead of being killed at once. Skipped where this process
 * cannot make cgroups. */
static void test_cgroup_left_behind(void **state)
{
	char prog[PATH_MAX], logs[PATH_MAX], base[4096], cg[4096 + 64], kill_file[4096 + 80];
	char name[64];
	char *argv[] = {prog, "37", NULL};
	collect c = {0};
	bo_exec_spec spec;
	bo_job_status st;
	bo_exec *ex = NULL;
	bo_job *job = NULL;
	FILE *f;
	(void)state;

	if (bo__cgroup_base(base, sizeof base) < 0) {
		skip();
		return;
	}
	snprintf(name, sizeof name, "budgetopt-test-left-%ld", (long)getpid());
	snprintf(cg, sizeof cg, "%s/%s", base, name);
	assert_true(mkdir(cg, 0755) == 0 || errno == EEXIST);
	/* What a runner's last act on a trial's cgroup was. */
	snprintf(kill_file, sizeof kill_file, "%s/cgroup.kill", cg);
	if ((f = fopen(kill_file, "w"))) {
		fputs("1", f);
		fclose(f);
	}
	evaluator(prog, sizeof prog, "exit_with.sh");
	log_folder(logs, sizeof logs, "cgroup-left");
	spec_init(&spec, argv, logs, &c);
	spec.cgroup_name = name;
	assert_int_equal(bo__exec_new(&ex), 0);
	assert_int_equal(bo__exec_contain(ex, BO_CONTAIN_CGROUP), 0);
	assert_int_equal(bo__exec_start(ex, &spec, &job), 0);
	c.job = job;
	assert_ptr_equal(wait_done(ex), job);
	bo__exec_status(job, &st);
	assert_int_equal(st.term_signal, 0);
	assert_int_equal(st.exit_code, 37);
	bo__exec_release(ex, job);
	bo__exec_free(ex);
	rmdir(cg);
	collect_clear(&c);
}

static void test_killed_by_signal(void **state)
{
	char prog[PATH_MAX], logs[PATH_MAX];
	char *argv[] = {prog, NULL};
	collect c = {0};
	bo_exec_spec spec;
	bo_job_status st;
	(void)state;

	evaluator(prog, sizeof prog, "segv.sh");
	log_folder(logs, sizeof logs, "segv");
	spec_init(&spec, argv, logs, &c);
	run_one(&spec, &c, &st);
	assert_int_equal(st.exec_errno, 0);
	assert_int_equal(st.exit_code, -1);
	assert_int_equal(st.term_signal, SIGSEGV);
	collect_clear(&c);
}

/* Programs that cannot start are jobs that end at once with exec_errno. */
static void test_cannot_start(void **state)
{
	char logs[PATH_MAX], missing[PATH_MAX];
	char *noprog[] = {"budgetopt-test-no-such-program", NULL};
	char *dir[] = {"/", NULL};
	char *ok[] = {"true", NULL};
	collect c = {0};
	bo_exec_spec spec;
	bo_job_status st;
	(void)state;

	log_folder(logs, sizeof logs, "nostart");
	spec_init(&spec, noprog, logs, &c);
	run_one(&spec, &c, &st);
	assert_int_equal(st.exec_errno, ENOENT);
	assert_int_equal(st.stdout_bytes, 0);
	assert_int_equal(c.n, 0);

	spec_init(&spec, dir, logs, &c);
	run_one(&spec, &c, &st);
	assert_int_equal(st.exec_errno, EACCES);

	path_join(missing, sizeof missing, logs, "no such folder");
	spec_init(&spec, ok, logs, &c);
	spec.workdir = missing;
	run_one(&spec, &c, &st);
	assert_int_equal(st.exec_errno, ENOENT);

	spec_init(&spec, ok, logs, &c);
	run_one(&spec, &c, &st);
	assert_int_equal(st.exec_errno, 0);
	assert_int_equal(st.exit_code, 0);
	collect_clear(&c);
}

/* A stale log from an earlier job in the folder is removed (an evaluator
 * that prints nothing leaves none); in a folder the caller has just made
 * (log_dir_new) nothing is removed or checked, and the job's output still
 * reaches its log. */
static void test_stale_and_new_log_dir(void **state)
{
	char logs[PATH_MAX], fresh[PATH_MAX], path[PATH_MAX];
	char *quiet[] = {"true", NULL};
	char *talk[] = {"sh", "-c", "echo 2.385", NULL};
	collect c = {0};
	bo_exec_spec spec;
	bo_job_status st;
	struct stat sb;
	char *log;
	size_t len;
	FILE *f;
	(void)state;

	log_folder(logs, sizeof logs, "stale");
	path_join(path, sizeof path, logs, "stdout.log");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("from an earlier job\n", f);
	fclose(f);
	spec_init(&spec, quiet, logs, &c);
	run_one(&spec, &c, &st);
	assert_int_equal(st.exit_code, 0);
	assert_int_equal(stat(path, &sb), -1);
	collect_clear(&c);

	path_join(fresh, sizeof fresh, tmp_dir, "fresh");
	assert_int_equal(mkdir(fresh, 0700), 0);
	spec_init(&spec, talk, fresh, &c);
	spec.log_dir_new = 1;
	run_one(&spec, &c, &st);
	assert_int_equal(st.exit_code, 0);
	path_join(path, sizeof path, fresh, "stdout.log");
	log = read_file(path, &len);
	assert_string_equal(log, "2.385\n");
	free(log);
	collect_clear(&c);
}

/* A log folder that does not exist is an error of bo__exec_start. */
static void test_bad_log_dir(void **state)
{
	char logs[PATH_MAX];
	char *argv[] = {"true", NULL};
	bo_exec *ex = NULL;
	bo_job *job = (bo_job *)&logs;
	bo_exec_spec spec;
	(void)state;

	path_join(logs, sizeof logs, tmp_dir, "no/such/folder");
	spec_init(&spec, argv, tmp_dir, NULL);
	spec.log_dir = logs;
	assert_int_equal(bo__exec_new(&ex), 0);
	assert_int_equal(bo__exec_start(ex, &spec, &job), BO_EIO);
	assert_null(job);
	assert_non_null(strstr(bo_error_last(), "stdout.log"));
	assert_int_equal(bo__exec_running(ex), 0);
	bo__exec_free(ex);
}

/* 50 MB of output: the log keeps 16 MiB and a note, every byte is counted,
 * every line is handed, and this process's memory does not grow with it. */
static void test_huge_output(void **state)
{
	const uint64_t total = 50ull * 1024 * 1024;
	const size_t cap = (size_t)16 << 20;
	static const char pat[] = "0123456789abcdef\n";
	char prog[PATH_MAX], logs[PATH_MAX], path[PATH_MAX + 16], size_arg[32], note[128];
	char *argv[] = {prog, size_arg, NULL};
	collect c = {0};
	bo_exec_spec spec;
	bo_job_status st;
	struct stat sb;
	char *log;
	size_t len, bad = 0;
	long hwm_before, hwm_after;
	FILE *f;
	(void)state;

	evaluator(prog, sizeof prog, "big_output.sh");
	log_folder(logs, sizeof logs, "huge");
	snprintf(size_arg, sizeof size_arg, "%llu", (unsigned long long)total);
	/* Reset the peak-memory mark where the kernel allows it. */
	f = fopen("/proc/self/clear_refs", "w");
	if (f) {
		fputs("5", f);
		fclose(f);
	}
	hwm_before = vm_hwm_kb();
	c.count_only = 1;
	spec_init(&spec, argv, logs, &c);
	run_one(&spec, &c, &st);
	hwm_after = vm_hwm_kb();

	assert_int_equal(st.exit_code, 0);
	assert_int_equal(st.stdout_bytes, total);
	assert_int_equal(st.stderr_bytes, strlen("big output starting\n"));
	assert_int_equal(c.n, total / 17 + (total % 17 ? 1 : 0));
	assert_int_equal(c.pattern_bad, 0);
	assert_int_equal(c.partial, total % 17 ? 1 : 0);
	assert_true(hwm_after - hwm_before < 24 * 1024);

	snprintf(note, sizeof note, "%s[budgetopt: output truncated after %zu bytes]\n",
		 pat[(cap - 1) % 17] == '\n' ? "" : "\n", cap);
	snprintf(path, sizeof path, "%s/stdout.log", logs);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal((size_t)sb.st_size, cap + strlen(note));
	log = read_file(path, &len);
	for (size_t i = 0; i < cap; i++)
		bad += log[i] != pat[i % 17];
	assert_int_equal(bad, 0);
	assert_string_equal(log + cap, note);
	free(log);

	snprintf(path, sizeof path, "%s/stderr.log", logs);
	log = read_file(path, &len);
	assert_string_equal(log, "big output starting\n");
	free(log);
	collect_clear(&c);
}

/* A small cap on both logs, checked against the exact expected text. */
static void test_log_cap(void **state)
{
	char prog[PATH_MAX], logs[PATH_MAX], path[PATH_MAX + 16];
	char *argv[] = {prog, "row", "50", "err", NULL};
	char expect[4096], want[4096];
	size_t elen = 0, len;
	collect c = {0};
	bo_exec_spec spec;
	bo_job_status st;
	char *log;
	(void)state;

	for (int i = 0; i < 50; i++)
		elen += (size_t)snprintf(expect + elen, sizeof expect - elen, "row %d\n", i);
	evaluator(prog, sizeof prog, "lines.sh");
	log_folder(logs, sizeof logs, "cap");
	spec_init(&spec, argv, logs, &c);
	spec.log_cap = 100;
	run_one(&spec, &c, &st);
	assert_int_equal(st.exit_code, 0);
	assert_int_equal(st.stdout_bytes, elen);
	assert_int_equal(st.stderr_bytes, elen);
	assert_int_equal(c.n, 50);

	/* "row 0\n" .. "row 9\n" are 60 bytes; then 40 bytes of 7-byte rows
	 * stop in the middle of "row 15", so the note starts a new line. */
	snprintf(want, sizeof want, "%.100s\n[budgetopt: output truncated after 100 bytes]\n", expect);
	assert_int_not_equal(expect[99], '\n');
	snprintf(path, sizeof path, "%s/stdout.log", logs);
	log = read_file(path, &len);
	assert_string_equal(log, want);
	free(log);
	snprintf(path, sizeof path, "%s/stderr.log", logs);
	log = read_file(path, &len);
	assert_string_equal(log, want);
	free(log);

	/* Output that fits exactly is not truncated. */
	spec.log_cap = elen;
	collect_clear(&c);
	spec.ud = &c;
	run_one(&spec, &c, &st);
	snprintf(path, sizeof path, "%s/stdout.log", logs);
	log = read_file(path, &len);
	assert_int_equal(len, elen);
	assert_memory_equal(log, expect, elen);
	free(log);
	collect_clear(&c);
}

/* A 3 MB line is handed once, cut to line_max and flagged; the good line
 * after it arrives whole; a too-long last line without newline is handed
 * once too. */
static void test_long_line(void **state)
{
	const size_t line_max = (size_t)1 << 20;
	const char good[] = "{\"metrics\": {\"good\": 1}}";
	char prog[PATH_MAX], logs[PATH_MAX];
	char *argv[] = {prog, NULL};
	collect c = {0};
	bo_exec_spec spec;
	bo_job_status st;
	size_t bad = 0;
	(void)state;

	evaluator(prog, sizeof prog, "long_line.py");
	log_folder(logs, sizeof logs, "long");
	spec_init(&spec, argv, logs, &c);
	run_one(&spec, &c, &st);
	assert_int_equal(st.exit_code, 0);
	assert_int_equal(st.stdout_bytes, 3000000 + 1 + strlen(good) + 1 + 2000000);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.too_long[0], 1);
	assert_int_equal(c.lens[0], line_max);
	for (size_t i = 0; i < line_max; i++)
		bad += c.lines[0][i] != 'x';
	assert_int_equal(c.too_long[1], 0);
	assert_string_equal(c.lines[1], good);
	assert_int_equal(c.too_long[2], 1);
	assert_int_equal(c.lens[2], line_max);
	for (size_t i = 0; i < line_max; i++)
		bad += c.lines[2][i] != 'y';
	assert_int_equal(bad, 0);
	collect_clear(&c);
}

/* Lines at the limit are whole, one byte more is too long; a last line
 * without newline is handed at exit. */
static void test_line_edges(void **state)
{
	char logs[PATH_MAX];
	char *argv[] = {"printf", "0123456789\\n0123456789A\\n\\nshort\\nlast", NULL};
	collect c = {0};
	bo_exec_spec spec;
	bo_job_status st;
	(void)state;

	log_folder(logs, sizeof logs, "edges");
	spec_init(&spec, argv, logs, &c);
	spec.line_max = 10;
	run_one(&spec, &c, &st);
	assert_int_equal(st.exit_code, 0);
	assert_int_equal(c.n, 5);
	assert_string_equal(c.lines[0], "0123456789");
	assert_int_equal(c.too_long[0], 0);
	assert_string_equal(c.lines[1], "0123456789");
	assert_int_equal(c.too_long[1], 1);
	assert_string_equal(c.lines[2], "");
	assert_int_equal(c.too_long[2], 0);
	assert_string_equal(c.lines[3], "short");
	assert_string_equal(c.lines[4], "last");
	assert_int_equal(c.too_long[4], 0);
	collect_clear(&c);
}

/* Jobs writing at the same time: each line reaches its own job, in order. */
static void test_parallel_jobs(void **state)
{
	enum { NJOBS = 6, NLINES = 2000 };
	char prog[PATH_MAX], logs[NJOBS][PATH_MAX], names[NJOBS][16], count[16];
	char *argv[NJOBS][4];
	collect c[NJOBS];
	bo_job *jobs[NJOBS];
	int seen[NJOBS] = {0};
	bo_exec *ex = NULL;
	(void)state;

	evaluator(prog, sizeof prog, "lines.sh");
	snprintf(count, sizeof count, "%d", NLINES);
	memset(c, 0, sizeof c);
	assert_int_equal(bo__exec_new(&ex), 0);
	for (int j = 0; j < NJOBS; j++) {
		bo_exec_spec spec;
		char dir[32];
		snprintf(dir, sizeof dir, "parallel%d", j);
		snprintf(names[j], sizeof names[j], "job%d", j);
		log_folder(logs[j], sizeof logs[j], dir);
		argv[j][0] = prog;
		argv[j][1] = names[j];
		argv[j][2] = count;
		argv[j][3] = NULL;
		spec_init(&spec, argv[j], logs[j], &c[j]);
		assert_int_equal(bo__exec_start(ex, &spec, &jobs[j]), 0);
		c[j].job = jobs[j];
	}
	assert_int_equal(bo__exec_running(ex), NJOBS);
	for (int k = 0; k < NJOBS; k++) {
		bo_job *done = wait_done(ex);
		int found = 0;
		for (int j = 0; j < NJOBS; j++) {
			if (jobs[j] == done) {
				assert_int_equal(seen[j], 0);
				seen[j] = 1;
				found = 1;
			}
		}
		assert_true(found);
		assert_int_equal(bo__exec_running(ex), (size_t)(NJOBS - k - 1));
	}
	for (int j = 0; j < NJOBS; j++) {
		bo_job_status st;
		bo__exec_status(jobs[j], &st);
		assert_int_equal(st.exit_code, 0);
		assert_int_equal(c[j].wrong_job, 0);
		assert_int_equal(c[j].n, NLINES);
		for (int i = 0; i < NLINES; i++) {
			char want[32];
			snprintf(want, sizeof want, "job%d %d", j, i);
			assert_string_equal(c[j].lines[i], want);
		}
		bo__exec_release(ex, jobs[j]);
		collect_clear(&c[j]);
	}
	bo__exec_free(ex);
}

/* Two executors side by side: each waits only on its own jobs. */
static void test_two_executors(void **state)
{
	char prog[PATH_MAX], logs[PATH_MAX];
	char *argv3[] = {prog, "3", NULL};
	char *argv4[] = {prog, "4", NULL};
	collect c3 = {0}, c4 = {0};
	bo_exec *ex1 = NULL, *ex2 = NULL;
	bo_job *j3, *j4, *done;
	bo_exec_spec spec;
	bo_job_status st;
	(void)state;

	evaluator(prog, sizeof prog, "exit_with.sh");
	log_folder(logs, sizeof logs, "two");
	assert_int_equal(bo__exec_new(&ex1), 0);
	assert_int_equal(bo__exec_new(&ex2), 0);
	spec_init(&spec, argv3, logs, &c3);
	assert_int_equal(bo__exec_start(ex1, &spec, &j3), 0);
	spec_init(&spec, argv4, logs, &c4);
	assert_int_equal(bo__exec_start(ex2, &spec, &j4), 0);
	assert_ptr_equal(wait_done(ex2), j4);
	assert_int_equal(bo__exec_wait(ex2, 0, &done), 0);
	assert_null(done);
	assert_ptr_equal(wait_done(ex1), j3);
	bo__exec_status(j3, &st);
	assert_int_equal(st.exit_code, 3);
	bo__exec_status(j4, &st);
	assert_int_equal(st.exit_code, 4);
	bo__exec_free(ex1);
	bo__exec_free(ex2);
}

/* A hung job keeps running until bo__exec_signal kills its group. */
static void test_hung_job_killed(void **state)
{
	char prog[PATH_MAX], logs[PATH_MAX];
	char *argv[] = {prog, NULL};
	collect c = {0};
	bo_exec *ex = NULL;
	bo_job *job, *done;
	bo_exec_spec spec;
	bo_job_status st;
	(void)state;

	evaluator(prog, sizeof prog, "hang.sh");
	log_folder(logs, sizeof logs, "hang");
	spec_init(&spec, argv, logs, &c);
	assert_int_equal(bo__exec_new(&ex), 0);
	assert_int_equal(bo__exec_start(ex, &spec, &job), 0);
	c.job = job;
	assert_int_equal(bo__exec_wait(ex, 0, &done), 0);
	assert_null(done);
	bo__exec_status(job, &st);
	assert_int_equal(st.running, 1);
	assert_int_equal(st.exit_code, -1);
	assert_int_equal(st.maxrss_kb, 0);
	assert_int_equal(bo__exec_signal(ex, job, SIGKILL), 0);
	assert_ptr_equal(wait_done(ex), job);
	bo__exec_status(job, &st);
	assert_int_equal(st.running, 0);
	assert_int_equal(st.term_signal, SIGKILL);
	assert_int_equal(st.exit_code, -1);
	/* Once reaped, signalling is a no-op. */
	assert_int_equal(bo__exec_signal(ex, job, SIGKILL), 0);
	bo__exec_release(ex, job);
	bo__exec_free(ex);
	collect_clear(&c);
}

/* Waits until process pid has ended (exited or zombie) through a pidfd. */
static void wait_process_gone(pid_t pid)
{
	long fd = syscall(SYS_pidfd_open, (long)pid, 0L);
	if (fd < 0) {
		assert_int_equal(errno, ESRCH); /* already gone and reaped */
		return;
	}
	struct pollfd p = {.fd = (int)fd, .events = POLLIN};
	int r;
	do
		r = poll(&p, 1, -1);
	while (r < 0 && errno == EINTR);
	assert_int_equal(r, 1);
	close((int)fd);
}

/* The background child keeps stdout open; the job still finishes once the
 * script exits, and the background child is killed. */
static void test_grandchild_holds_pipe(void **state)
{
	char prog[PATH_MAX], logs[PATH_MAX];
	char *argv[] = {prog, NULL};
	collect c = {0};
	bo_exec_spec spec;
	bo_job_status st;
	long gpid;
	(void)state;

	evaluator(prog, sizeof prog, "grandchild.sh");
	log_folder(logs, sizeof logs, "grandchild");
	spec_init(&spec, argv, logs, &c);
	run_one(&spec, &c, &st);
	assert_int_equal(st.exit_code, 0);
	assert_int_equal(c.n, 1);
	gpid = strtol(c.lines[0], NULL, 10);
	assert_true(gpid > 1);
	wait_process_gone((pid_t)gpid);
	collect_clear(&c);
}

/* CPU time: read from /proc while running (from inside on_line, which also
 * stops the job), from wait4 after the exit. */
static void test_cpu_time(void **state)
{
	char prog[PATH_MAX], logs[PATH_MAX];
	char *argv_hang[] = {prog, "0.3", "hang", NULL};
	char *argv[] = {prog, "0.3", NULL};
	collect c = {0};
	bo_exec *ex = NULL;
	bo_job *job;
	bo_exec_spec spec;
	bo_job_status st;
	(void)state;

	evaluator(prog, sizeof prog, "busy.py");
	log_folder(logs, sizeof logs, "cpu");
	spec_init(&spec, argv_hang, logs, &c);
	assert_int_equal(bo__exec_new(&ex), 0);
	c.ex = ex;
	c.kill_on_line = 1;
	assert_int_equal(bo__exec_start(ex, &spec, &job), 0);
	c.job = job;
	assert_ptr_equal(wait_done(ex), job);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.lines[0], "busy");
	assert_int_equal(c.seen.running, 1);
	assert_true(c.seen.cpu_s > 0.1);
	assert_true(c.seen.wall_s >= c.seen.cpu_s - 0.05);
	bo__exec_status(job, &st);
	assert_int_equal(st.term_signal, SIGKILL);
	bo__exec_free(ex);
	collect_clear(&c);

	spec_init(&spec, argv, logs, &c);
	run_one(&spec, &c, &st);
	assert_int_equal(st.exit_code, 0);
	assert_true(st.cpu_s > 0.1);
	assert_true(st.maxrss_kb > 0);
	collect_clear(&c);
}

static void test_maxrss(void **state)
{
	char prog[PATH_MAX], logs[PATH_MAX];
	char *argv[] = {prog, "100", NULL};
	collect c = {0};
	bo_exec_spec spec;
	bo_job_status st;
	(void)state;

	evaluator(prog, sizeof prog, "alloc.py");
	log_folder(logs, sizeof logs, "maxrss");
	spec_init(&spec, argv, logs, &c);
	run_one(&spec, &c, &st);
	assert_int_equal(st.exit_code, 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.lines[0], "104857600");
	assert_true(st.maxrss_kb > 80 * 1024);
	collect_clear(&c);
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* A signal during the wait returns 0 and no job, so the caller can look at
 * its flags. The timer repeats until one lands inside the wait. */
static void test_signal_interrupts_wait(void **state)
{
	char prog[PATH_MAX], logs[PATH_MAX];
	char *argv[] = {prog, NULL};
	struct itimerval on = {{0, 20000}, {0, 20000}}, off = {{0, 0}, {0, 0}};
	struct sigaction sa, old;
	collect c = {0};
	bo_exec *ex = NULL;
	bo_job *job, *done = (bo_job *)&c;
	bo_exec_spec spec;
	(void)state;

	evaluator(prog, sizeof prog, "hang.sh");
	log_folder(logs, sizeof logs, "eintr");
	spec_init(&spec, argv, logs, &c);
	assert_int_equal(bo__exec_new(&ex), 0);
	assert_int_equal(bo__exec_start(ex, &spec, &job), 0);
	c.job = job;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: poll must see EINTR */
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	alarms = 0;
	assert_int_equal(setitimer(ITIMER_REAL, &on, NULL), 0);
	assert_int_equal(bo__exec_wait(ex, -1, &done), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
	assert_int_equal(sigaction(SIGALRM, &old, NULL), 0);
	assert_null(done);
	assert_true(alarms > 0);
	assert_int_equal(bo__exec_running(ex), 1);

	assert_int_equal(bo__exec_signal(ex, job, SIGTERM), 0);
	assert_ptr_equal(wait_done(ex), job);
	bo__exec_free(ex);
	collect_clear(&c);
}

/* Freeing the executor kills and reaps jobs still running. */
static void test_free_kills_running(void **state)
{
	char prog[PATH_MAX], logs[PATH_MAX];
	char *argv[] = {prog, NULL};
	collect c = {0};
	bo_exec *ex = NULL;
	bo_job *job;
	bo_exec_spec spec;
	bo_job_status st;
	(void)state;

	evaluator(prog, sizeof prog, "hang.sh");
	log_folder(logs, sizeof logs, "free");
	spec_init(&spec, argv, logs, &c);
	assert_int_equal(bo__exec_new(&ex), 0);
	assert_int_equal(bo__exec_start(ex, &spec, &job), 0);
	bo__exec_status(job, &st);
	bo__exec_free(ex);
	/* Reaped: the pid is no longer ours to signal. */
	assert_int_equal(kill((pid_t)st.pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	bo__exec_free(NULL);
	collect_clear(&c);
}

/* ---- setup -------------------------------------------------------------- */

static int group_setup(void **state)
{
	const char *data = getenv("BO_TEST_DATA");
	const char *tmp = getenv("BO_TEST_TMP");
	char here[PATH_MAX], guess[PATH_MAX + 16];
	(void)state;

	if (!data) {
		snprintf(here, sizeof here, "%s", __FILE__);
		snprintf(guess, sizeof guess, "%s/../data", dirname(here));
		data = guess;
	}
	if (!realpath(data, data_dir))
		return -1;
	if (!tmp || !*tmp)
		tmp = "/tmp";
	mkdir(tmp, 0755);
	if (snprintf(tmp_dir, sizeof tmp_dir, "%s/exec_local_XXXXXX", tmp) >= (int)sizeof tmp_dir)
		return -1;
	if (!mkdtemp(tmp_dir))
		return -1;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_huge_output), /* first: it measures peak memory */
		cmocka_unit_test(test_argv_is_not_shell),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_workdir),
		cmocka_unit_test(test_exit_code),
		cmocka_unit_test(test_killed_by_signal),
		cmocka_unit_test(test_cannot_start),
		cmocka_unit_test(test_bad_log_dir),
		cmocka_unit_test(test_stale_and_new_log_dir),
		cmocka_unit_test(test_log_cap),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_line_edges),
		cmocka_unit_test(test_parallel_jobs),
		cmocka_unit_test(test_two_executors),
		cmocka_unit_test(test_hung_job_killed),
		cmocka_unit_test(test_grandchild_holds_pipe),
		cmocka_unit_test(test_cpu_time),
		cmocka_unit_test(test_maxrss),
		cmocka_unit_test(test_signal_interrupts_wait),
		cmocka_unit_test(test_free_kills_running),
		cmocka_unit_test(test_cgroup_left_behind),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
