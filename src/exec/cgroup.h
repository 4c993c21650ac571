/*
 * exec/cgroup.h - one cgroup v2 per trial: where to make them, how to
 * stop everything inside, and what they measured.
 *
 * A process cannot leave its cgroup by setsid, setpgid, double forks or
 * clearing its environment, so a trial's cgroup holds all its descendants;
 * cgroup.kill stops them at once and cpu.stat counts the CPU time of all of
 * them, dead or alive. Never required: every function fails cleanly where
 * the system has no writable cgroup2 hierarchy. Never prints.
 */
#ifndef BO_EXEC_CGROUP_H
#define BO_EXEC_CGROUP_H

#include <stddef.h>
#include <sys/types.h>

/* The cgroup2 folder this process lives in (the mount point joined with
 * the path of /proc/self/cgroup), if it exists and is writable. Returns 0,
 * or BO_ENOTFOUND (no cgroup2 hierarchy, or not ours to write). */
int bo__cgroup_base(char *out, size_t size);

/* Creates base/name. Returns 0, *path (caller frees) and *dirfd (an
 * O_DIRECTORY descriptor of it, for CLONE_INTO_CGROUP), or BO_EIO. */
int bo__cgroup_create(const char *base, const char *name, char **path, int *dirfd);

/* Stops every process in the cgroup with SIGKILL (cgroup.kill, or each
 * pid of cgroup.procs where the kernel has no cgroup.kill). 0, or BO_EIO. */
int bo__cgroup_kill(const char *path);

/* Sends sig to every process in the cgroup. 0, or BO_EIO. */
int bo__cgroup_signal(const char *path, int sig);

/* 1 when some process lives in the cgroup, 0 when none, -1 when it is
 * gone or unreadable. */
int bo__cgroup_populated(const char *path);

/* Waits (poll on cgroup.events) until the cgroup is empty, up to
 * timeout_ms. 1 empty, 0 not yet. */
int bo__cgroup_wait_empty(const char *path, int timeout_ms);

/* CPU time of every process that ever ran in it (cpu.stat usage_usec),
 * in seconds, or NaN when unknown. */
double bo__cgroup_cpu_s(const char *path);

/* Peak memory of the cgroup (memory.peak, needs the memory controller),
 * in kilobytes, or NaN when unknown. */
double bo__cgroup_peak_kb(const char *path);

/* Removes the (empty) cgroup. 0, or BO_EIO (still populated: EBUSY). */
int bo__cgroup_remove(const char *path);

#endif
