/*
 * exec/slurm.c - the Slurm executor: every job is a Slurm batch job
 * (see slurm.h).
 *
 * Submitting: the trial folder gets job.argv (the evaluator's argv) and
 * job.env (the BUDGETOPT_* variables), each a list of NUL-terminated
 * strings, and job.sh, a fixed bash script that reads them as data
 * (mapfile -d '', read -d '') and runs the argv: a parameter value is
 * never parsed as shell code, by the script or by anything else. sbatch
 * gets its options as argv items; its stdout and stderr go to stdout.log
 * and stderr.log in the folder, as with the local executor. The job's
 * comment is the caller's tag (unique to the trial), so a runner that
 * died between sbatch and the ledger still finds the job; the id is also
 * written to the folder (slurm_job).
 *
 * Following: squeue is asked for all of this user's jobs at most once per
 * poll interval; the lines of stdout.log are handed to on_line as they
 * appear. A job is over when squeue shows it in a final state (or no
 * longer lists it, twice in a row): then scontrol and sacct (where
 * accounting runs) say how it ended, and job.status, written by the
 * script after the evaluator exited, gives its exit status, times and CPU
 * time. Slurm's accounting, where it is larger, wins for CPU time; its
 * GPU allocation times the run time is the job's GPU usage.
 *
 * Stopping: a signal becomes scancel (TERM: Slurm's own TERM, wait, KILL;
 * KILL: scancel --signal=KILL --full). A job not over when the executor
 * is freed is cancelled.
 *
 * Must never: use a shell to run anything (every command is an argv
 * spawned directly), print, or block longer than a command's timeout.
 */
#include "exec/slurm.h"
#include "exec/local_int.h"
#include "exec/proc.h"

#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define DEFAULT_POLL_S 1.0
/* Longest a Slurm command may take before it is killed (s). */
#define CMD_TIMEOUT_S 60.0
/* Most bytes of a command's output kept. */
#define CMD_OUT_MAX ((size_t)8 << 20)
/* Polls in a row that must miss a job before it is taken as gone. */
#define MISSING_POLLS 2
/* Slurm's time limit beyond the runner's timeout, when none is given (s). */
#define TIME_GRACE_S 60.0
/* Longest sleep of one pass of bo__exec_wait (ms): output is read this often. */
#define TAIL_MS 50

enum { SJ_PENDING, SJ_RUNNING, SJ_OVER };

typedef struct bo_slurm bo_slurm;

typedef struct bo_sjob {
	int64_t id;
	char *folder;
	char *tag;
	int state;
	char sstate[48];        /* Slurm's last word on it: RUNNING, CANCELLED... */
	char *reason;           /* when it failed as Slurm saw it */
	int missing;            /* polls in a row that did not list it */
	double t_run;           /* monotonic: seen running (0: not yet) */
	double t_end;           /* monotonic: seen over */
	double wall_s, cpu_s, maxrss_kb;
	double gpus;            /* allocated */
	char gpu_res[96];       /* "gpu_hours" or "gpu_hours.TYPE" */
	int exit_code, term_signal;
	int cancelled, killed;  /* scancel sent */
	int returned;
	int out_fd;             /* stdout.log, once it exists */
	uint64_t out_bytes;
	char *line;
	size_t line_len, line_cap, line_max;
	int skipping;
} bo_sjob;

struct bo_slurm {
	const bo_slurm_opts *o;
	double timeout_s;
	double poll_s;
	double last_poll;       /* monotonic, 0: never */
	bo_job **jobs;
	size_t njobs, capjobs;
};

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- running Slurm's commands ------------------------------------------ */

typedef struct cmd_out {
	bo_strbuf out, err;
	int status;             /* exit code, or 128 + signal, or -1 not run */
} cmd_out;

static void cmd_clear(cmd_out *c)
{
	bo__sb_clear(&c->out);
	bo__sb_clear(&c->err);
}

/* Runs argv (looked up on PATH, never through a shell) in its own process
 * group (a Ctrl-C meant for the runner does not reach it), with envp
 * (NULL: ours), collecting stdout and stderr. 0 when it ran (c->status
 * says how it ended), BO_EIO when it could not be started. */
static int run_cmd(char *const argv[], char *const envp[], cmd_out *c)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int op[2] = {-1, -1}, ep[2] = {-1, -1};
	pid_t pid = -1;
	int err, ws = 0, rc = 0;
	double t0 = mono_now();
	sigset_t none, all;

	memset(c, 0, sizeof *c);
	c->status = -1;
	if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		rc = bo__error(BO_EIO, "%s: cannot create pipes: %s", argv[0], strerror(errno));
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_adddup2(&fa, op[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, ep[1], STDERR_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
	err = posix_spawnp(&pid, argv[0], &fa, &at, argv, envp ? envp : environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	close(op[1]);
	close(ep[1]);
	op[1] = ep[1] = -1;
	if (err) {
		pid = -1;
		rc = bo__error(BO_EIO, "cannot run %s: %s (is Slurm installed and on PATH?)", argv[0],
			       strerror(err));
		goto done;
	}
	for (;;) {
		struct pollfd p[2];
		int n = 0, left;
		char buf[4096];
		if (op[0] >= 0)
			p[n++] = (struct pollfd){.fd = op[0], .events = POLLIN};
		if (ep[0] >= 0)
			p[n++] = (struct pollfd){.fd = ep[0], .events = POLLIN};
		if (n == 0)
			break;
		left = (int)((CMD_TIMEOUT_S - (mono_now() - t0)) * 1000.0);
		if (left <= 0) {
			kill(-pid, SIGKILL);
			break;
		}
		if (poll(p, (nfds_t)n, left) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < n; i++) {
			int *fd = p[i].fd == op[0] ? &op[0] : &ep[0];
			bo_strbuf *sb = fd == &op[0] ? &c->out : &c->err;
			ssize_t got;
			if (!p[i].revents)
				continue;
			got = read(*fd, buf, sizeof buf);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				close(*fd);
				*fd = -1;
				continue;
			}
			if (sb->len < CMD_OUT_MAX)
				bo__sb_add(sb, buf, (size_t)got);
		}
	}
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	c->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
	if (c->out.failed || c->err.failed)
		rc = BO_ENOMEM;
done:
	for (int i = 0; i < 2; i++) {
		if (op[i] >= 0)
			close(op[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	return rc;
}

/* The first line of a command's stderr, for messages. */
static const char *first_line(const bo_strbuf *sb, char *buf, size_t size)
{
	size_t n = 0;
	const char *p = sb->s ? sb->s : "";
	while (p[n] && p[n] != '\n' && n + 1 < size) {
		buf[n] = isprint((unsigned char)p[n]) ? p[n] : '?';
		n++;
	}
	buf[n] = '\0';
	return buf;
}

/* ---- parsing ---------------------------------------------------------- */

double bo__slurm_elapsed_parse(const char *s)
{
	double part[3] = {0, 0, 0}, days = 0;
	int n = 0;
	const char *p = s, *dash;
	char *end;
	if (!s || !*s)
		return NAN;
	if ((dash = strchr(s, '-'))) {
		days = strtod(s, &end);
		if (end != dash || days < 0)
			return NAN;
		p = dash + 1;
	}
	for (;;) {
		if (!isdigit((unsigned char)*p) || n == 3)
			return NAN;
		part[n++] = strtod(p, &end);
		if (*end == '\0')
			break;
		if (*end != ':')
			return NAN;
		p = end + 1;
	}
	if (n == 1)
		return days * 86400.0 + part[0];
	if (n == 2)
		return days * 86400.0 + part[0] * 60.0 + part[1];
	return days * 86400.0 + part[0] * 3600.0 + part[1] * 60.0 + part[2];
}

double bo__slurm_size_kb(const char *s)
{
	char *end;
	double v;
	if (!s || !*s)
		return NAN;
	v = strtod(s, &end);
	if (end == s || !(v >= 0))
		return NAN;
	switch (toupper((unsigned char)*end)) {
	case '\0': return v / 1024.0;   /* bytes */
	case 'K': return v;
	case 'M': return v * 1024.0;
	case 'G': return v * 1048576.0;
	case 'T': return v * 1073741824.0;
	default: return NAN;
	}
}

double bo__slurm_tres_gpus(const char *tres, char *type, size_t size)
{
	const char *p = tres;
	double total = 0;
	type[0] = '\0';
	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > 8 && !strncmp(p, "gres/gpu", 8) && (p[8] == '=' || p[8] == ':')) {
			const char *eq = memchr(p, '=', len);
			if (eq) {
				double v = strtod(eq + 1, NULL);
				if (p[8] == ':') {
					size_t tl = (size_t)(eq - (p + 9));
					if (tl < size) {
						memcpy(type, p + 9, tl);
						type[tl] = '\0';
					}
					/* The typed count is the same GPUs as the untyped one. */
					total = v;
				} else if (total == 0) {
					total = v;
				}
			}
		}
		p = end ? end + 1 : NULL;
	}
	return total;
}

int bo__slurm_scontrol_field(const char *line, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	const char *p = line;
	buf[0] = '\0';
	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[klen] == '=') {
			const char *v = p + klen + 1, *e = v;
			size_t n;
			/* A value runs to the next " Key=" (values may hold spaces). */
			for (;;) {
				const char *sp = strchr(e, ' ');
				const char *q;
				if (!sp) {
					e += strlen(e);
					break;
				}
				for (q = sp + 1; isalnum((unsigned char)*q) || *q == '_' || *q == ':' || *q == '/'; q++)
					;
				if (*q == '=' && q > sp + 1) {
					e = sp;
					break;
				}
				e = sp + 1;
			}
			while (e > v && (e[-1] == ' ' || e[-1] == '\n'))
				e--;
			n = (size_t)(e - v);
			if (n >= size)
				n = size - 1;
			memcpy(buf, v, n);
			buf[n] = '\0';
			return 0;
		}
		p += klen;
	}
	return -1;
}

/* ---- files of a job ----------------------------------------------------- */

static int write_file(const char *dir, const char *name, const char *data, size_t len, mode_t mode)
{
	char path[4200];
	int fd, rc = 0;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return bo__error(BO_EIO, "%s: cannot write: %s", path, strerror(errno));
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = bo__error(BO_EIO, "%s: cannot write: %s", path, strerror(errno));
			break;
		}
		data += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0 && rc == 0)
		rc = bo__error(BO_EIO, "%s: cannot write: %s", path, strerror(errno));
	return rc;
}

/* Reads a small file whole (NUL-terminated) into buf; -1 if absent. */
/* The script is the same for every trial: what differs is data. */
static const char JOB_SCRIPT[] =
	"#!/bin/bash\n"
	"# Written by budgetopt for one trial; submitted as\n"
	"#   sbatch [options] job.sh FOLDER\n"
	"# It runs the evaluator's argv from job.argv with the variables of job.env\n"
	"# (both lists of NUL-terminated strings, read as data: no value is ever\n"
	"# parsed as shell code), then writes job.status: exit status, start and end\n"
	"# times and the CPU time of what it ran (bash's times).\n"
	"d=$1\n"
	"if [ ! -r \"$d/job.argv\" ] || [ ! -r \"$d/job.env\" ]; then\n"
	"\techo \"budgetopt: $d: job.argv or job.env is missing\" >&2\n"
	"\texit 125\n"
	"fi\n"
	"while IFS= read -r -d '' kv; do export -- \"$kv\"; done < \"$d/job.env\"\n"
	"mapfile -d '' -t cmd < \"$d/job.argv\"\n"
	"t0=$EPOCHREALTIME\n"
	"printf '%s\\n' \"$t0\" > \"$d/job.start\"\n"
	"\"${cmd[@]}\" < /dev/null\n"
	"rc=$?\n"
	"t1=$EPOCHREALTIME\n"
	"{ printf 'exit %s\\nstart %s\\nend %s\\n' \"$rc\" \"$t0\" \"$t1\"; times; } > \"$d/job.status.tmp\" &&\n"
	"\tmv -f \"$d/job.status.tmp\" \"$d/job.status\"\n"
	"exit \"$rc\"\n";

static int write_nul_list(const char *dir, const char *name, char *const *v, const char *prefix)
{
	bo_strbuf sb = BO_STRBUF_INIT;
	int rc;
	for (size_t i = 0; v && v[i]; i++) {
		if (prefix && strncmp(v[i], prefix, strlen(prefix)))
			continue;
		bo__sb_add(&sb, v[i], strlen(v[i]) + 1);
	}
	if (sb.failed)
		return BO_ENOMEM;
	rc = write_file(dir, name, sb.s ? sb.s : "", sb.len, 0600);
	bo__sb_clear(&sb);
	return rc;
}

/* "12m3.250s" (bash's times) in seconds, or 0. */
static double times_s(const char *p)
{
	char *end;
	double m = strtod(p, &end), s;
	if (*end != 'm')
		return 0;
	s = strtod(end + 1, &end);
	if (*end == ',' ) /* a locale with a decimal comma */
		s += strtod(end + 1, NULL) / pow(10.0, (double)strspn(end + 1, "0123456789"));
	return m * 60.0 + s;
}

/* $EPOCHREALTIME, written with the locale's decimal point. */
static double epoch_s(const char *p)
{
	char buf[64];
	size_t i;
	snprintf(buf, sizeof buf, "%s", p);
	for (i = 0; buf[i]; i++)
		if (buf[i] == ',')
			buf[i] = '.';
	return strtod(buf, NULL);
}

/* job.status: 1 when read (exit code, wall and CPU time set), 0 absent. */
static int read_status(bo_sjob *sj, int *exit_code, double *wall_s, double *cpu_s)
{
	char buf[1024], *line, *save = NULL;
	double t0 = NAN, t1 = NAN, cpu = 0;
	int n_times = 0, have_exit = 0;
	if (bo__read_small(sj->folder, "job.status", buf, sizeof buf) < 0)
		return 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "exit ", 5)) {
			*exit_code = atoi(line + 5);
			have_exit = 1;
		} else if (!strncmp(line, "start ", 6)) {
			t0 = epoch_s(line + 6);
		} else if (!strncmp(line, "end ", 4)) {
			t1 = epoch_s(line + 4);
		} else if (isdigit((unsigned char)line[0])) {
			/* times: the shell's line, then its children's */
			if (n_times++ == 1) {
				char *sp = strchr(line, ' ');
				cpu = times_s(line) + (sp ? times_s(sp + 1) : 0);
			}
		}
	}
	if (!have_exit)
		return 0;
	*wall_s = isfinite(t0) && isfinite(t1) && t1 >= t0 ? t1 - t0 : NAN;
	*cpu_s = cpu;
	return 1;
}

/* ---- jobs --------------------------------------------------------------- */

static void sjob_free(bo_sjob *sj)
{
	if (!sj)
		return;
	if (sj->out_fd >= 0)
		close(sj->out_fd);
	bo__free(sj->folder);
	bo__free(sj->tag);
	bo__free(sj->reason);
	bo__free(sj->line);
	bo__free(sj);
}

/* A bo_job holding a Slurm job: only ex, sj, on_line and ud are used. */
static int job_new(bo_exec *ex, const bo_exec_spec *spec, int64_t id, bo_job **out)
{
	bo_slurm *sl = ex->slurm;
	bo_job *job = NULL;
	bo_sjob *sj = NULL;
	*out = NULL;
	if (bo__grow(&sl->jobs, &sl->capjobs, sl->njobs + 1, sizeof *sl->jobs) < 0)
		return BO_ENOMEM;
	if (!(job = bo__calloc(1, sizeof *job)) || !(sj = bo__calloc(1, sizeof *sj)))
		goto nomem;
	sj->out_fd = -1;
	sj->id = id;
	sj->exit_code = -1;
	sj->wall_s = sj->cpu_s = sj->maxrss_kb = NAN;
	sj->line_max = spec->line_max ? spec->line_max : DEFAULT_LINE_MAX;
	snprintf(sj->sstate, sizeof sj->sstate, "PENDING");
	if (!(sj->folder = bo__strdup(spec->log_dir)) ||
	    (spec->tag && !(sj->tag = bo__strdup(spec->tag))))
		goto nomem;
	job->ex = ex;
	job->sj = sj;
	job->pid = 0;
	job->pidfd = job->cg_fd = -1;
	job->s[OUT].fd = job->s[ERR].fd = job->s[OUT].log_fd = job->s[ERR].log_fd = -1;
	job->on_line = spec->on_line;
	job->ud = spec->ud;
	sl->jobs[sl->njobs++] = job;
	*out = job;
	return 0;
nomem:
	sjob_free(sj);
	bo__free(job);
	return BO_ENOMEM;
}

int bo__exec_new_slurm(bo_exec **out, const bo_slurm_opts *o, double timeout_s)
{
	bo_exec *ex = NULL;
	int rc;
	*out = NULL;
	if ((rc = bo__exec_new(&ex)) < 0)
		return rc;
	if (!(ex->slurm = bo__calloc(1, sizeof *ex->slurm))) {
		bo__exec_free(ex);
		return BO_ENOMEM;
	}
	ex->slurm->o = o;
	ex->slurm->timeout_s = timeout_s;
	ex->slurm->poll_s = o && o->poll_s > 0 ? o->poll_s : DEFAULT_POLL_S;
	*out = ex;
	return 0;
}

/* sbatch's argv for a job (items owned by *v). */
static int sbatch_argv(const bo_slurm *sl, const bo_exec_spec *spec, bo_strbuf *args, char ***v)
{
	const bo_slurm_opts *o = sl->o;
	char tbuf[64];
	size_t n = 0, i;
	double t = o && isfinite(o->time_s) ? o->time_s
		   : isfinite(sl->timeout_s) ? sl->timeout_s + TIME_GRACE_S : NAN;
	/* Items are appended NUL-separated to args, then pointed at. */
#define ADD(...)                                                   \
	do {                                                       \
		bo__sb_printf(args, __VA_ARGS__);                  \
		bo__sb_putc(args, '\0');                           \
		n++;                                               \
	} while (0)
	ADD("sbatch");
	ADD("--parsable");
	ADD("--job-name=%s", spec->job_name ? spec->job_name : "budgetopt");
	if (spec->tag)
		ADD("--comment=%s", spec->tag);
	ADD("--output=%s/stdout.log", spec->log_dir);
	ADD("--error=%s/stderr.log", spec->log_dir);
	if (spec->workdir)
		ADD("--chdir=%s", spec->workdir);
	if (o && o->partition)
		ADD("--partition=%s", o->partition);
	if (isfinite(t)) {
		bo__slurm_time_format(t, tbuf, sizeof tbuf);
		ADD("--time=%s", tbuf);
	}
	if (o && o->cpus > 0)
		ADD("--cpus-per-task=%d", o->cpus);
	if (o && o->gpus)
		ADD("--gpus=%s", o->gpus);
	if (o && o->mem)
		ADD("--mem=%s", o->mem);
	if (o && o->account)
		ADD("--account=%s", o->account);
	for (i = 0; o && i < o->nextra; i++)
		ADD("%s", o->extra[i]);
	ADD("%s/job.sh", spec->log_dir);
	ADD("%s", spec->log_dir);
#undef ADD
	if (args->failed || !(*v = bo__calloc(n + 1, sizeof **v)))
		return BO_ENOMEM;
	{
		size_t off = 0;
		for (i = 0; i < n; i++) {
			(*v)[i] = args->s + off;
			off += strlen((*v)[i]) + 1;
		}
	}
	return 0;
}

int bo__slurm_start(bo_exec *ex, const bo_exec_spec *spec, bo_job **out)
{
	bo_strbuf args = BO_STRBUF_INIT;
	char **argv = NULL;
	cmd_out c;
	bo_job *job = NULL;
	char buf[512], idtext[32];
	char *end;
	long long id;
	int rc;

	*out = NULL;
	memset(&c, 0, sizeof c);
	if (!spec || !spec->argv || !spec->argv[0] || !spec->envp || !spec->log_dir)
		return bo__error(BO_EMISUSE, "exec: argv, envp and log_dir are required");
	if ((rc = write_nul_list(spec->log_dir, "job.argv", spec->argv, NULL)) < 0 ||
	    (rc = write_nul_list(spec->log_dir, "job.env", spec->envp, "BUDGETOPT_")) < 0 ||
	    (rc = write_file(spec->log_dir, "job.sh", JOB_SCRIPT, sizeof JOB_SCRIPT - 1, 0700)) < 0)
		goto done;
	if ((rc = sbatch_argv(ex->slurm, spec, &args, &argv)) < 0)
		goto done;
	{
		/* The submission as it was made, one argv item a line, for people. */
		bo_strbuf sb = BO_STRBUF_INIT;
		for (size_t i = 0; argv[i]; i++) {
			bo__sb_puts(&sb, argv[i]);
			bo__sb_putc(&sb, '\n');
		}
		rc = sb.failed ? BO_ENOMEM : write_file(spec->log_dir, "job.sbatch", sb.s, sb.len, 0600);
		bo__sb_clear(&sb);
		if (rc < 0)
			goto done;
	}
	if ((rc = run_cmd(argv, spec->envp, &c)) < 0)
		goto done;
	if (c.status != 0) {
		rc = bo__error(BO_EIO, "sbatch refused the job (exit %d): %s", c.status,
			       first_line(&c.err, buf, sizeof buf));
		goto done;
	}
	/* --parsable: "ID" or "ID;CLUSTER" */
	id = strtoll(c.out.s ? c.out.s : "", &end, 10);
	if (id <= 0 || (*end && *end != ';' && *end != '\n')) {
		rc = bo__error(BO_EIO, "sbatch gave no job id: \"%s\"", first_line(&c.out, buf, sizeof buf));
		goto done;
	}
	snprintf(idtext, sizeof idtext, "%lld\n", id);
	/* A second record of the id, beside the ledger's and the comment. */
	write_file(spec->log_dir, "slurm_job", idtext, strlen(idtext), 0600);
	if ((rc = job_new(ex, spec, (int64_t)id, &job)) < 0) {
		/* Submitted but not followable: never leave it running. */
		char *cancel[] = {"scancel", idtext, NULL};
		cmd_out k;
		idtext[strlen(idtext) - 1] = '\0';
		run_cmd(cancel, NULL, &k);
		cmd_clear(&k);
		goto done;
	}
	*out = job;
	rc = 0;
done:
	cmd_clear(&c);
	bo__free(argv);
	bo__sb_clear(&args);
	return rc;
}

/* squeue: every job of this user, "id|state|comment" a line. */
static int squeue_all(cmd_out *c)
{
	char *argv[] = {"squeue", "--noheader", "--me", "--states=all", "--format=%i|%T|%k", NULL};
	int rc = run_cmd(argv, NULL, c);
	char buf[256];
	if (rc == 0 && c->status != 0)
		rc = bo__error(BO_EIO, "squeue failed (exit %d): %s", c->status,
			       first_line(&c->err, buf, sizeof buf));
	return rc;
}

int bo__exec_adopt_slurm(bo_exec *ex, const bo_exec_spec *spec, int64_t job_id, bo_job **out)
{
	char buf[64];
	cmd_out c;
	int rc;
	*out = NULL;
	if (!ex || !ex->slurm || !spec || !spec->log_dir)
		return bo__error(BO_EMISUSE, "exec: adopting needs a Slurm executor and a folder");
	if (job_id <= 0 && bo__read_small(spec->log_dir, "slurm_job", buf, sizeof buf) == 0)
		job_id = strtoll(buf, NULL, 10);
	if (job_id <= 0 && spec->tag) {
		/* Killed between sbatch and any record: the comment names it. */
		if ((rc = squeue_all(&c)) < 0) {
			cmd_clear(&c);
			return rc;
		}
		for (char *line = c.out.s; line && *line;) {
			char *nl = strchr(line, '\n'), *bar1, *bar2;
			if (nl)
				*nl = '\0';
			bar1 = strchr(line, '|');
			bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
			if (bar2 && !strcmp(bar2 + 1, spec->tag)) {
				long long id = strtoll(line, NULL, 10);
				/* Several (never submitted twice, but): the first. */
				if (id > 0 && (job_id <= 0 || id < job_id))
					job_id = id;
			}
			line = nl ? nl + 1 : NULL;
		}
		cmd_clear(&c);
	}
	if (job_id <= 0)
		return bo__error(BO_ENOTFOUND, "%s: no Slurm job is known for this trial", spec->log_dir);
	if ((rc = job_new(ex, spec, job_id, out)) < 0)
		return rc;
	snprintf(buf, sizeof buf, "%lld\n", (long long)job_id);
	write_file(spec->log_dir, "slurm_job", buf, strlen(buf), 0600);
	return 0;
}

/* ---- output ------------------------------------------------------------- */

static void hand_line(bo_job *job, int too_long)
{
	bo_sjob *sj = job->sj;
	if (bo__grow(&sj->line, &sj->line_cap, sj->line_len + 1, 1) < 0) {
		sj->line_len = 0;
		return;
	}
	sj->line[sj->line_len] = '\0';
	if (job->on_line)
		job->on_line(job->ud, job, sj->line, sj->line_len, too_long);
	sj->line_len = 0;
}

static void split_lines(bo_job *job, const char *data, size_t len)
{
	bo_sjob *sj = job->sj;
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t seg = nl ? (size_t)(nl - data) : len;
		if (!sj->skipping) {
			size_t room = sj->line_max - sj->line_len, take = seg <= room ? seg : room;
			if (bo__grow(&sj->line, &sj->line_cap, sj->line_len + take + 1, 1) < 0) {
				sj->line_len = 0;
				sj->skipping = 1;
			} else {
				memcpy(sj->line + sj->line_len, data, take);
				sj->line_len += take;
				if (seg > room) {
					hand_line(job, 1);
					sj->skipping = 1;
				} else if (nl) {
					hand_line(job, 0);
				}
			}
		}
		if (nl)
			sj->skipping = 0;
		seg += nl ? 1 : 0;
		data += seg;
		len -= seg;
	}
}

/* Reads what stdout.log gained since the last look. */
static void tail(bo_job *job, char *buf, size_t size)
{
	bo_sjob *sj = job->sj;
	if (sj->out_fd < 0) {
		char path[4200];
		snprintf(path, sizeof path, "%s/stdout.log", sj->folder);
		if ((sj->out_fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return;
	}
	for (;;) {
		ssize_t n = read(sj->out_fd, buf, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		sj->out_bytes += (uint64_t)n;
		split_lines(job, buf, (size_t)n);
	}
}

/* ---- how a job ended ---------------------------------------------------- */

static int is_final(const char *st)
{
	static const char *const fin[] = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL",
					  "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL", "DEADLINE",
					  "SPECIAL_EXIT", "REVOKED", NULL};
	for (int i = 0; fin[i]; i++)
		if (!strncmp(st, fin[i], strlen(fin[i])))
			return 1;
	return 0;
}

static const char *state_words(const char *st)
{
	if (!strncmp(st, "CANCELLED", 9))
		return "it was cancelled";
	if (!strcmp(st, "TIMEOUT"))
		return "it reached its Slurm time limit";
	if (!strcmp(st, "NODE_FAIL"))
		return "its node failed";
	if (!strcmp(st, "OUT_OF_MEMORY"))
		return "it ran out of its memory allocation";
	if (!strcmp(st, "PREEMPTED"))
		return "it was preempted";
	if (!strcmp(st, "BOOT_FAIL"))
		return "its node failed to boot";
	if (!strcmp(st, "DEADLINE"))
		return "it missed its deadline";
	if (!strcmp(st, "FAILED"))
		return "the job failed";
	return "it ended";
}

/* sacct, where Slurm keeps accounting: CPU time, peak memory, the state
 * with who cancelled it. Quietly nothing where accounting is off. */
static void read_sacct(bo_sjob *sj, char *state, size_t ssize, double *cpu, double *rss,
		       double *elapsed, char *tres, size_t tsize)
{
	char id[32];
	char *argv[] = {"sacct", "--noheader", "--parsable2", "--jobs", id,
			"--format=JobID,State,ElapsedRaw,TotalCPU,MaxRSS,AllocTRES", NULL};
	cmd_out c;
	snprintf(id, sizeof id, "%lld", (long long)sj->id);
	if (run_cmd(argv, NULL, &c) < 0 || c.status != 0 || !c.out.s) {
		cmd_clear(&c);
		return;
	}
	for (char *line = c.out.s; line && *line;) {
		char *nl = strchr(line, '\n'), *f[6];
		int k = 0;
		if (nl)
			*nl = '\0';
		f[k++] = line;
		for (char *p = line; *p && k < 6; p++)
			if (*p == '|') {
				*p = '\0';
				f[k++] = p + 1;
			}
		if (k == 6) {
			double r = bo__slurm_size_kb(f[4]);
			if (!strcmp(f[0], id)) {
				/* the allocation: TotalCPU sums its steps */
				snprintf(state, ssize, "%s", f[1]);
				*cpu = bo__slurm_elapsed_parse(f[3]);
				*elapsed = strtod(f[2], NULL);
				snprintf(tres, tsize, "%s", f[5]);
			}
			if (isfinite(r) && !(r <= *rss))
				*rss = r;
		}
		line = nl ? nl + 1 : NULL;
	}
	cmd_clear(&c);
}

/* What scontrol still knows of a job that ended (for MinJobAge). */
static void read_scontrol(bo_sjob *sj, char *state, size_t ssize, char *reason, size_t rsize,
			  int *code, int *sig, double *run_s, char *tres, size_t tsize)
{
	char id[32], buf[256];
	char *argv[] = {"scontrol", "--oneliner", "show", "job", id, NULL};
	cmd_out c;
	snprintf(id, sizeof id, "%lld", (long long)sj->id);
	if (run_cmd(argv, NULL, &c) < 0 || c.status != 0 || !c.out.s) {
		cmd_clear(&c);
		return;
	}
	if (bo__slurm_scontrol_field(c.out.s, "JobState", buf, sizeof buf) == 0)
		snprintf(state, ssize, "%s", buf);
	if (bo__slurm_scontrol_field(c.out.s, "Reason", buf, sizeof buf) == 0 && strcmp(buf, "None"))
		snprintf(reason, rsize, "%s", buf);
	if (bo__slurm_scontrol_field(c.out.s, "ExitCode", buf, sizeof buf) == 0) {
		char *colon = strchr(buf, ':');
		*code = atoi(buf);
		*sig = colon ? atoi(colon + 1) : 0;
	}
	if (bo__slurm_scontrol_field(c.out.s, "RunTime", buf, sizeof buf) == 0)
		*run_s = bo__slurm_elapsed_parse(buf);
	if (bo__slurm_scontrol_field(c.out.s, "AllocTRES", buf, sizeof buf) == 0 ||
	    bo__slurm_scontrol_field(c.out.s, "TRES", buf, sizeof buf) == 0)
		snprintf(tres, tsize, "%s", buf);
	cmd_clear(&c);
}

/* The job is over (or gone): collect everything about it, once. */
static void finish(bo_job *job, char *buf, size_t size)
{
	bo_sjob *sj = job->sj;
	char state[64] = "", sstate2[64] = "", reason[256] = "", tres[512] = "", gtype[64];
	double cpu = NAN, rss = NAN, elapsed = NAN, run_s = NAN, wall = NAN, scpu = 0;
	int code = -1, sig = 0, scode = -1, have_status;

	sj->t_end = mono_now();
	read_scontrol(sj, state, sizeof state, reason, sizeof reason, &code, &sig, &run_s, tres,
		      sizeof tres);
	read_sacct(sj, sstate2, sizeof sstate2, &cpu, &rss, &elapsed, tres, sizeof tres);
	if (sstate2[0] && is_final(sstate2))
		snprintf(state, sizeof state, "%s", sstate2);   /* "CANCELLED by 0" (the database may lag) */
	if (!state[0])
		snprintf(state, sizeof state, "%s", sj->sstate);
	/* The last lines: Slurm closed the file when the job ended. */
	tail(job, buf, size);
	if (sj->line_len > 0 && !sj->skipping)
		hand_line(job, 0);
	sj->line_len = 0;
	have_status = read_status(sj, &scode, &wall, &scpu);

	sj->cpu_s = fmax(scpu, isfinite(cpu) ? cpu : 0);
	sj->maxrss_kb = isfinite(rss) ? rss : 0;
	if (isfinite(wall))
		sj->wall_s = wall;
	else if (isfinite(elapsed) && elapsed > 0)
		sj->wall_s = elapsed;
	else if (isfinite(run_s) && run_s > 0)
		sj->wall_s = run_s;
	else
		sj->wall_s = sj->t_run > 0 ? sj->t_end - sj->t_run : 0;
	sj->gpus = bo__slurm_tres_gpus(tres, gtype, sizeof gtype);
	snprintf(sj->gpu_res, sizeof sj->gpu_res, "gpu_hours%s%s", gtype[0] ? "." : "", gtype);

	if (have_status && (!strncmp(state, "COMPLETED", 9) || !strncmp(state, "FAILED", 6))) {
		/* The evaluator ran to its end: judged by its exit status, as
		 * the local executor's would be. */
		sj->exit_code = scode;
	} else if (!state[0] || !is_final(state)) {
		bo_strbuf sb = BO_STRBUF_INIT;
		if (have_status) {
			sj->exit_code = scode;
		} else {
			bo__sb_printf(&sb, "Slurm job %lld is no longer known to Slurm (last seen %s) and left no exit status in %s/job.status",
				      (long long)sj->id, sj->sstate, sj->folder);
			sj->reason = bo__sb_take(&sb);
		}
	} else {
		bo_strbuf sb = BO_STRBUF_INIT;
		sj->exit_code = code;
		sj->term_signal = sig;
		bo__sb_printf(&sb, "Slurm job %lld ended %s: %s", (long long)sj->id, state, state_words(state));
		if (!strncmp(state, "CANCELLED", 9) && !sj->cancelled && !sj->killed)
			bo__sb_puts(&sb, " outside budgetopt (scancel, or an administrator)");
		if (reason[0])
			bo__sb_printf(&sb, " (reason: %s)", reason);
		if (code > 0 || sig > 0)
			bo__sb_printf(&sb, " (exit code %d:%d)", code, sig);
		sj->reason = bo__sb_take(&sb);
	}
	snprintf(sj->sstate, sizeof sj->sstate, "%s", state[0] ? state : sj->sstate);
	sj->state = SJ_OVER;
}

/* Monotonic time the job started running: from job.start, written by the
 * script (a job taken back by a new runner started long before it looked),
 * else now. */
static double run_since(const bo_sjob *sj, char *buf, size_t size)
{
	double now = mono_now(), t0;
	if (bo__read_small(sj->folder, "job.start", buf, size) < 0 || !((t0 = epoch_s(buf)) > 0))
		return now;
	t0 = wall_now() - t0;
	return now - (t0 > 0 ? t0 : 0);
}

/* One squeue for all jobs; ends those it shows over or no longer lists. */
static int poll_jobs(bo_exec *ex, char *buf, size_t size)
{
	bo_slurm *sl = ex->slurm;
	cmd_out c;
	unsigned char *seen = NULL;
	int rc;
	size_t i;

	if ((rc = squeue_all(&c)) < 0) {
		/* The controller away for a moment: try again next poll. */
		cmd_clear(&c);
		return 0;
	}
	if (!(seen = bo__calloc(sl->njobs + 1, 1))) {
		cmd_clear(&c);
		return BO_ENOMEM;
	}
	for (char *line = c.out.s; line && *line;) {
		char *nl = strchr(line, '\n'), *bar, *st;
		long long id;
		if (nl)
			*nl = '\0';
		id = strtoll(line, &bar, 10);
		if (*bar == '|') {
			st = bar + 1;
			if ((bar = strchr(st, '|')))
				*bar = '\0';
			for (i = 0; i < sl->njobs; i++) {
				bo_sjob *sj = sl->jobs[i]->sj;
				if (sj->id != id || sj->state == SJ_OVER)
					continue;
				seen[i] = 1;
				sj->missing = 0;
				snprintf(sj->sstate, sizeof sj->sstate, "%s", st);
				if (!strcmp(st, "RUNNING") || !strcmp(st, "COMPLETING") ||
				    !strcmp(st, "STOPPED") || !strcmp(st, "SUSPENDED")) {
					if (sj->t_run == 0)
						sj->t_run = run_since(sj, buf, size);
					sj->state = SJ_RUNNING;
				} else if (is_final(st)) {
					if (sj->t_run == 0)
						sj->t_run = run_since(sj, buf, size);
					finish(sl->jobs[i], buf, size);
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	for (i = 0; i < sl->njobs; i++) {
		bo_sjob *sj = sl->jobs[i]->sj;
		if (sj->state == SJ_OVER || seen[i])
			continue;
		if (++sj->missing >= MISSING_POLLS)
			finish(sl->jobs[i], buf, size);
	}
	bo__free(seen);
	cmd_clear(&c);
	return 0;
}

static bo_job *take_done(bo_slurm *sl)
{
	for (size_t i = 0; i < sl->njobs; i++) {
		bo_job *j = sl->jobs[i];
		if (j->sj->state == SJ_OVER && !j->sj->returned) {
			j->sj->returned = 1;
			return j;
		}
	}
	return NULL;
}

int bo__slurm_wait(bo_exec *ex, int timeout_ms, bo_job **done)
{
	bo_slurm *sl = ex->slurm;
	double t0 = mono_now();
	char *buf = ex->buf;
	int rc = 0;

	*done = NULL;
	for (;;) {
		double now, left_ms;
		size_t live = 0, i;
		struct timespec ts;
		if ((*done = take_done(sl)))
			return 0;
		for (i = 0; i < sl->njobs; i++)
			live += sl->jobs[i]->sj->state != SJ_OVER;
		if (!live)
			return 0;
		now = mono_now();
		if (sl->last_poll == 0 || now - sl->last_poll >= sl->poll_s) {
			sl->last_poll = now;
			if ((rc = poll_jobs(ex, buf, READ_CHUNK)) < 0)
				return rc;
		}
		for (i = 0; i < sl->njobs; i++)
			if (sl->jobs[i]->sj->state != SJ_OVER)
				tail(sl->jobs[i], buf, READ_CHUNK);
		if ((*done = take_done(sl)))
			return 0;
		left_ms = timeout_ms < 0 ? TAIL_MS : (double)timeout_ms - (mono_now() - t0) * 1e3;
		if (left_ms <= 0)
			return 0;
		if (left_ms > TAIL_MS)
			left_ms = TAIL_MS;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left_ms * 1e6);
		if (nanosleep(&ts, NULL) < 0 && errno == EINTR)
			return 0;   /* let the caller look at its signal flags */
	}
}

int bo__slurm_signal(bo_exec *ex, bo_job *job, int sig)
{
	bo_sjob *sj = job ? job->sj : NULL;
	char id[32], buf[256];
	cmd_out c;
	int rc;
	(void)ex;
	if (!sj)
		return bo__error(BO_EMISUSE, "exec: no job");
	if (sj->state == SJ_OVER || (sig == SIGKILL ? sj->killed : sj->cancelled))
		return 0;
	snprintf(id, sizeof id, "%lld", (long long)sj->id);
	if (sig == SIGKILL) {
		char *argv[] = {"scancel", "--full", "--signal=KILL", id, NULL};
		sj->killed = 1;
		rc = run_cmd(argv, NULL, &c);
	} else {
		/* Slurm's cancel: TERM to every process of the job, KILL after
		 * its KillWait; a pending job is dropped from the queue. */
		char *argv[] = {"scancel", id, NULL};
		sj->cancelled = 1;
		rc = run_cmd(argv, NULL, &c);
	}
	if (rc == 0 && c.status != 0)
		rc = bo__error(BO_EIO, "scancel %s failed (exit %d): %s", id, c.status,
			       first_line(&c.err, buf, sizeof buf));
	cmd_clear(&c);
	return rc;
}

void bo__slurm_status(const bo_job *job, bo_job_status *out)
{
	const bo_sjob *sj = job->sj;
	memset(out, 0, sizeof *out);
	out->running = sj->state != SJ_OVER;
	out->exit_code = -1;
	out->slurm_job = sj->id;
	out->stdout_bytes = sj->out_bytes;
	if (sj->state == SJ_OVER) {
		out->exit_code = sj->exit_code;
		out->term_signal = sj->term_signal;
		out->wall_s = sj->wall_s;
		out->cpu_s = sj->cpu_s;
		out->maxrss_kb = sj->maxrss_kb;
		out->reason = sj->reason;
		if (sj->gpus > 0) {
			out->gpu_resource = sj->gpu_res;
			out->gpu_hours = sj->gpus * sj->wall_s / 3600.0;
		}
	} else {
		/* Time counts from when it was seen running: the queue is free. */
		out->wall_s = sj->t_run > 0 ? mono_now() - sj->t_run : 0;
	}
}

size_t bo__slurm_running(const bo_exec *ex)
{
	size_t n = 0;
	for (size_t i = 0; i < ex->slurm->njobs; i++)
		n += !ex->slurm->jobs[i]->sj->returned;
	return n;
}

void bo__slurm_release(bo_exec *ex, bo_job *job)
{
	bo_slurm *sl = ex ? ex->slurm : NULL;
	if (!sl || !job)
		return;
	for (size_t i = 0; i < sl->njobs; i++) {
		if (sl->jobs[i] == job) {
			memmove(&sl->jobs[i], &sl->jobs[i + 1], (sl->njobs - i - 1) * sizeof *sl->jobs);
			sl->njobs--;
			break;
		}
	}
	if (job->sj->state != SJ_OVER)
		bo__slurm_signal(ex, job, SIGTERM);
	sjob_free(job->sj);
	bo__free(job);
}

void bo__slurm_free(bo_exec *ex)
{
	bo_slurm *sl = ex->slurm;
	if (!sl)
		return;
	while (sl->njobs > 0)
		bo__slurm_release(ex, sl->jobs[sl->njobs - 1]);
	bo__free(sl->jobs);
	bo__free(sl);
	ex->slurm = NULL;
}
