/*
 * exec/cgroup.c - per-trial cgroup v2 folders (see cgroup.h).
 *
 * Works on a pure cgroup2 system (/sys/fs/cgroup), on a hybrid one (the
 * cgroup2 tree at /sys/fs/cgroup/unified) and inside a cgroup namespace;
 * the mount is found in /proc/self/mountinfo, never assumed. Controllers
 * are never enabled: writing a parent's subtree_control would change the
 * machine for others; what the kernel accounts without them (cpu.stat) is
 * read, and memory.peak when someone else enabled the memory controller.
 *
 * Must never print, and never touch a cgroup it did not create (except
 * reading its own path).
 */
#include "exec/cgroup.h"
#include "exec/proc.h"

#include "core/alloc.h"
#include "core/error.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Longest wait for a killed process to leave while signalling the pids
 * of cgroup.procs one by one (kernels before 5.14 have no cgroup.kill). */
#define KILL_PASSES 100

static int write_small(const char *dir, const char *file, const char *text)
{
	char path[4096];
	ssize_t n;
	int fd, e;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path)
		return -1;
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -1;
	do
		n = write(fd, text, strlen(text));
	while (n < 0 && errno == EINTR);
	e = errno;
	close(fd);
	errno = e;
	return n < 0 ? -1 : 0;
}

int bo__cgroup_base(char *out, size_t size)
{
	char line[8192], own[4096] = "", mnt[4096] = "", root[4096] = "";
	FILE *f;
	const char *rel;
	struct stat sb;

	out[0] = '\0';
	if (!(f = fopen("/proc/self/cgroup", "re")))
		return BO_ENOTFOUND;
	while (fgets(line, sizeof line, f)) {
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(own, sizeof own, "%s", line + 3);
			break;
		}
	}
	fclose(f);
	if (!own[0])
		return BO_ENOTFOUND;
	if (!(f = fopen("/proc/self/mountinfo", "re")))
		return BO_ENOTFOUND;
	/* "id parent maj:min root mountpoint options [optional...] - fstype src opts" */
	while (fgets(line, sizeof line, f)) {
		char r[4096], m[4096];
		const char *dash = strstr(line, " - ");
		if (!dash || strncmp(dash + 3, "cgroup2 ", 8))
			continue;
		if (sscanf(line, "%*s %*s %*s %4095s %4095s", r, m) != 2)
			continue;
		snprintf(root, sizeof root, "%s", r);
		snprintf(mnt, sizeof mnt, "%s", m);
		break;
	}
	fclose(f);
	if (!mnt[0])
		return BO_ENOTFOUND;
	/* Our path is relative to the namespace's root; the mount shows the
	 * subtree at root. */
	rel = own;
	if (strcmp(root, "/") && !strncmp(own, root, strlen(root)))
		rel = own + strlen(root);
	if (!strcmp(rel, "/"))
		rel = "";
	if ((size_t)snprintf(out, size, "%s%s", mnt, rel) >= size)
		return BO_ENOTFOUND;
	if (stat(out, &sb) < 0 || !S_ISDIR(sb.st_mode) || access(out, W_OK | X_OK) < 0) {
		out[0] = '\0';
		return BO_ENOTFOUND;
	}
	return 0;
}

int bo__cgroup_create(const char *base, const char *name, char **path, int *dirfd)
{
	char p[4096];
	*path = NULL;
	*dirfd = -1;
	if ((size_t)snprintf(p, sizeof p, "%s/%s", base, name) >= sizeof p)
		return bo__error(BO_EIO, "%s: cgroup path too long", base);
	if (mkdir(p, 0755) < 0) {
		/* Left by a runner killed before it removed it. A process
		 * started into such a cgroup can be killed at once (seen on
		 * Linux 6.x after cgroup.kill was written to it), so it is
		 * removed and made anew; one that still holds processes is
		 * not ours to take. */
		if (errno != EEXIST || rmdir(p) < 0 || mkdir(p, 0755) < 0)
			return bo__error(BO_EIO, "cannot create cgroup %s: %s", p, strerror(errno));
	}
	if ((*dirfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		int e = errno;
		rmdir(p);
		return bo__error(BO_EIO, "cannot open cgroup %s: %s", p, strerror(e));
	}
	if (!(*path = bo__strdup(p))) {
		close(*dirfd);
		*dirfd = -1;
		rmdir(p);
		return BO_ENOMEM;
	}
	return 0;
}

/* Signals each pid listed in cgroup.procs; returns how many were listed. */
static int signal_each(const char *path, int sig)
{
	char file[4096], buf[64];
	FILE *f;
	int n = 0;
	if ((size_t)snprintf(file, sizeof file, "%s/cgroup.procs", path) >= sizeof file)
		return -1;
	if (!(f = fopen(file, "re")))
		return -1;
	while (fgets(buf, sizeof buf, f)) {
		long pid = strtol(buf, NULL, 10);
		if (pid > 0) {
			kill((pid_t)pid, sig);
			n++;
		}
	}
	fclose(f);
	return n;
}

int bo__cgroup_kill(const char *path)
{
	if (!path)
		return 0;
	if (write_small(path, "cgroup.kill", "1") == 0)
		return 0;
	if (errno != ENOENT && errno != EACCES)
		return bo__error(BO_EIO, "%s/cgroup.kill: %s", path, strerror(errno));
	/* No cgroup.kill: freeze, so nothing forks between the read and the
	 * kill, then kill each process (SIGKILL reaches frozen ones). */
	write_small(path, "cgroup.freeze", "1");
	for (int pass = 0; pass < KILL_PASSES; pass++)
		if (signal_each(path, SIGKILL) <= 0)
			break;
	write_small(path, "cgroup.freeze", "0");
	return 0;
}

int bo__cgroup_signal(const char *path, int sig)
{
	if (!path)
		return 0;
	if (sig == SIGKILL)
		return bo__cgroup_kill(path);
	if (signal_each(path, sig) < 0)
		return bo__error(BO_EIO, "%s/cgroup.procs: %s", path, strerror(errno));
	return 0;
}

int bo__cgroup_populated(const char *path)
{
	char buf[512];
	const char *p;
	if (!path || bo__read_small(path, "cgroup.events", buf, sizeof buf) < 0)
		return -1;
	if (!(p = strstr(buf, "populated ")))
		return -1;
	return p[10] == '1';
}

int bo__cgroup_wait_empty(const char *path, int timeout_ms)
{
	char file[4096], buf[512];
	struct timespec t0, now;
	int fd, r = 0;
	if ((size_t)snprintf(file, sizeof file, "%s/cgroup.events", path) >= sizeof file)
		return 0;
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return 1;   /* gone: nothing can live in it */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = {fd, POLLPRI, 0};
		ssize_t n;
		long left;
		/* Read from the start: the file changes as a whole. */
		n = pread(fd, buf, sizeof buf - 1, 0);
		if (n < 0) {
			r = 1;
			break;
		}
		buf[n] = '\0';
		if (strstr(buf, "populated 0")) {
			r = 1;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_ms - ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			break;
		/* The kernel flags a change of cgroup.events with POLLPRI. */
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			break;
	}
	close(fd);
	return r;
}

double bo__cgroup_cpu_s(const char *path)
{
	char buf[1024];
	const char *p;
	if (!path || bo__read_small(path, "cpu.stat", buf, sizeof buf) < 0)
		return NAN;
	if (!(p = strstr(buf, "usage_usec ")))
		return NAN;
	return strtod(p + 11, NULL) * 1e-6;
}

double bo__cgroup_peak_kb(const char *path)
{
	char buf[64];
	if (!path || bo__read_small(path, "memory.peak", buf, sizeof buf) < 0)
		return NAN;
	return strtod(buf, NULL) / 1024.0;
}

int bo__cgroup_remove(const char *path)
{
	if (!path)
		return 0;
	if (rmdir(path) < 0 && errno != ENOENT)
		return bo__error(BO_EIO, "cannot remove cgroup %s: %s", path, strerror(errno));
	return 0;
}
