/*
 * exec/slurm_follow.c - following Slurm jobs: the lines of
 * their stdout.log as they appear, and, once squeue shows a job over (or
 * no longer lists it), how it ended, from scontrol, sacct and job.status.
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

/* Polls in a row that must miss a job before it is taken as gone. */
#define MISSING_POLLS 2

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
void bo__slurm_tail(bo_job *job, char *buf, size_t size)
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
	if (bo__slurm_run_cmd(argv, NULL, &c) < 0 || c.status != 0 || !c.out.s) {
		bo__slurm_cmd_clear(&c);
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
	bo__slurm_cmd_clear(&c);
}

/* What scontrol still knows of a job that ended (for MinJobAge). */
static void read_scontrol(bo_sjob *sj, char *state, size_t ssize, char *reason, size_t rsize,
			  int *code, int *sig, double *run_s, char *tres, size_t tsize)
{
	char id[32], buf[256];
	char *argv[] = {"scontrol", "--oneliner", "show", "job", id, NULL};
	cmd_out c;
	snprintf(id, sizeof id, "%lld", (long long)sj->id);
	if (bo__slurm_run_cmd(argv, NULL, &c) < 0 || c.status != 0 || !c.out.s) {
		bo__slurm_cmd_clear(&c);
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
	bo__slurm_cmd_clear(&c);
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
	bo__slurm_tail(job, buf, size);
	if (sj->line_len > 0 && !sj->skipping)
		hand_line(job, 0);
	sj->line_len = 0;
	have_status = bo__slurm_read_status(sj, &scode, &wall, &scpu);

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
	if (bo__read_small(sj->folder, "job.start", buf, size) < 0 || !((t0 = bo__slurm_epoch_s(buf)) > 0))
		return now;
	t0 = wall_now() - t0;
	return now - (t0 > 0 ? t0 : 0);
}

/* One squeue for all jobs; ends those it shows over or no longer lists. */
int bo__slurm_poll_jobs(bo_exec *ex, char *buf, size_t size)
{
	bo_slurm *sl = ex->slurm;
	cmd_out c;
	unsigned char *seen = NULL;
	int rc;
	size_t i;

	if ((rc = bo__slurm_squeue_all(&c)) < 0) {
		/* The controller away for a moment: try again next poll. */
		bo__slurm_cmd_clear(&c);
		return 0;
	}
	if (!(seen = bo__calloc(sl->njobs + 1, 1))) {
		bo__slurm_cmd_clear(&c);
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
	bo__slurm_cmd_clear(&c);
	return 0;
}
