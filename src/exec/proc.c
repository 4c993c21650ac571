/*
 * exec/proc.c - the process table as /proc shows it (see proc.h).
 *
 * Used to find every process of a trial when no cgroup holds them: the
 * descendants of its evaluator, followed through /proc's parent links.
 * Must never signal, wait, print or keep state between calls.
 */
#include "exec/proc.h"

#include "core/alloc.h"
#include "core/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int bo__proc_parse_stat(const char *buf, bo_proc *out)
{
	const char *p, *open;
	char *end;
	long long v[22];
	long tck = sysconf(_SC_CLK_TCK);

	memset(out, 0, sizeof *out);
	/* "pid (comm) state ppid pgrp session ...": comm ends at the last ')'. */
	if (!buf || !(open = strchr(buf, '(')) || !(p = strrchr(buf, ')')) || p < open)
		return BO_EINVAL;
	out->pid = (pid_t)strtol(buf, &end, 10);
	if (end == buf || out->pid <= 0)
		return BO_EINVAL;
	p++;
	p += strspn(p, " ");
	if (!*p)
		return BO_EINVAL;
	out->state = *p++;
	/* Fields 4 .. 22, numbered as in proc(5). */
	for (int f = 4; f <= 22; f++) {
		p += strspn(p, " ");
		v[f - 1] = strtoll(p, &end, 10);
		if (end == p)
			return BO_EINVAL;
		p = end;
	}
	out->ppid = (pid_t)v[3];
	out->pgid = (pid_t)v[4];
	out->sid = (pid_t)v[5];
	out->start = v[21] > 0 ? (uint64_t)v[21] : 0;
	if (tck > 0) {
		long long t = 0;
		for (int f = 14; f <= 17; f++)
			t += v[f - 1] > 0 ? v[f - 1] : 0;
		out->cpu_s = (double)t / (double)tck;
	}
	return 0;
}

int bo__proc_read(pid_t pid, bo_proc *out)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	memset(out, 0, sizeof *out);
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return BO_ENOTFOUND;
	do
		n = read(fd, buf, sizeof buf - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return BO_ENOTFOUND;
	buf[n] = '\0';
	return bo__proc_parse_stat(buf, out) < 0 ? BO_ENOTFOUND : 0;
}

uint64_t bo__proc_start(pid_t pid)
{
	bo_proc p;
	return bo__proc_read(pid, &p) == 0 ? p.start : 0;
}

int bo__proc_alive(pid_t pid, uint64_t start)
{
	bo_proc p;
	if (pid <= 0 || bo__proc_read(pid, &p) < 0)
		return 0;
	return p.start == start && p.state != 'Z' && p.state != 'X';
}

static int by_pid(const void *a, const void *b)
{
	pid_t x = ((const bo_proc *)a)->pid, y = ((const bo_proc *)b)->pid;
	return (x > y) - (x < y);
}

int bo__proc_snapshot(bo_proc **out, size_t *n)
{
	DIR *d;
	struct dirent *de;
	size_t cap = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (!(d = opendir("/proc")))
		return 0;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		bo_proc p;
		if (*end || pid <= 0)
			continue;
		if (bo__proc_read((pid_t)pid, &p) < 0)
			continue;   /* gone meanwhile */
		if ((rc = bo__grow(out, &cap, *n + 1, sizeof **out)) < 0)
			break;
		(*out)[(*n)++] = p;
	}
	closedir(d);
	if (rc == 0 && *n > 1)
		qsort(*out, *n, sizeof **out, by_pid);
	if (rc < 0) {
		bo__free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

static const bo_proc *find_pid(const bo_proc *all, size_t n, pid_t pid)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (all[mid].pid == pid)
			return &all[mid];
		if (all[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Each process walks up its parent chain until it meets a process already
 * decided; the whole chain then takes that answer (1 marked, 2 not). */
#define MARK_NOT 2
#define CHAIN_MAX 4096

size_t bo__proc_descendants(const bo_proc *all, size_t n, unsigned char *mark)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		const bo_proc *p = &all[i];
		unsigned char answer = MARK_NOT;
		size_t depth = 0;
		while (p && depth++ < CHAIN_MAX) {
			unsigned char m = mark[p - all];
			if (m) {
				answer = m;
				break;
			}
			if (p->ppid <= 0 || p->ppid == p->pid)
				break;
			p = find_pid(all, n, p->ppid);
		}
		/* Second walk: record the answer along the chain. */
		p = &all[i];
		depth = 0;
		while (p && depth++ < CHAIN_MAX && !mark[p - all]) {
			mark[p - all] = answer;
			if (p->ppid <= 0 || p->ppid == p->pid)
				break;
			p = find_pid(all, n, p->ppid);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (mark[i] == MARK_NOT)
			mark[i] = 0;
		count += mark[i] != 0;
	}
	return count;
}

double bo__proc_boot_time(void)
{
	FILE *f = fopen("/proc/stat", "re");
	char line[256];
	double bt = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "btime ", 6)) {
			bt = strtod(line + 6, NULL);
			break;
		}
	fclose(f);
	return bt;
}

int bo__read_small(const char *dir, const char *file, char *buf, size_t size)
{
	char path[4096];
	ssize_t n;
	int fd;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}
