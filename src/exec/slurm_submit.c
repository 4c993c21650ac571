/*
 * exec/slurm_submit.c - submitting a trial as a Slurm batch job:
 * the files of a job (job.argv, job.env, the fixed job.sh, and job.status
 * read back), the sbatch command line, and taking back a job that a dead
 * runner submitted.
 *
 * Part of the Slurm executor: exec/slurm.c says how jobs are submitted,
 * followed and stopped; exec/slurm_int.h lists what the files share.
 *
 * Must never: use a shell to run anything, print, or block longer than a
 * command's timeout.
 */
#include "exec/slurm_int.h"
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

#define DEFAULT_POLL_S 1.0
/* Slurm's time limit beyond the runner's timeout, when none is given (s). */
#define TIME_GRACE_S 60.0

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
double bo__slurm_epoch_s(const char *p)
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
int bo__slurm_read_status(bo_sjob *sj, int *exit_code, double *wall_s, double *cpu_s)
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
			t0 = bo__slurm_epoch_s(line + 6);
		} else if (!strncmp(line, "end ", 4)) {
			t1 = bo__slurm_epoch_s(line + 4);
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

void bo__slurm_sjob_free(bo_sjob *sj)
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
	bo__slurm_sjob_free(sj);
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
	if ((rc = bo__slurm_run_cmd(argv, spec->envp, &c)) < 0)
		goto done;
	if (c.status != 0) {
		rc = bo__error(BO_EIO, "sbatch refused the job (exit %d): %s", c.status,
			       bo__slurm_first_line(&c.err, buf, sizeof buf));
		goto done;
	}
	/* --parsable: "ID" or "ID;CLUSTER" */
	id = strtoll(c.out.s ? c.out.s : "", &end, 10);
	if (id <= 0 || (*end && *end != ';' && *end != '\n')) {
		rc = bo__error(BO_EIO, "sbatch gave no job id: \"%s\"", bo__slurm_first_line(&c.out, buf, sizeof buf));
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
		bo__slurm_run_cmd(cancel, NULL, &k);
		bo__slurm_cmd_clear(&k);
		goto done;
	}
	*out = job;
	rc = 0;
done:
	bo__slurm_cmd_clear(&c);
	bo__free(argv);
	bo__sb_clear(&args);
	return rc;
}

/* squeue: every job of this user, "id|state|comment" a line. */
int bo__slurm_squeue_all(cmd_out *c)
{
	char *argv[] = {"squeue", "--noheader", "--me", "--states=all", "--format=%i|%T|%k", NULL};
	int rc = bo__slurm_run_cmd(argv, NULL, c);
	char buf[256];
	if (rc == 0 && c->status != 0)
		rc = bo__error(BO_EIO, "squeue failed (exit %d): %s", c->status,
			       bo__slurm_first_line(&c->err, buf, sizeof buf));
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
		if ((rc = bo__slurm_squeue_all(&c)) < 0) {
			bo__slurm_cmd_clear(&c);
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
		bo__slurm_cmd_clear(&c);
	}
	if (job_id <= 0)
		return bo__error(BO_ENOTFOUND, "%s: no Slurm job is known for this trial", spec->log_dir);
	if ((rc = job_new(ex, spec, job_id, out)) < 0)
		return rc;
	snprintf(buf, sizeof buf, "%lld\n", (long long)job_id);
	write_file(spec->log_dir, "slurm_job", buf, strlen(buf), 0600);
	return 0;
}
