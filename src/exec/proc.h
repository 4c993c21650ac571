/*
 * exec/proc.h - reading the process table from /proc: one process's stat
 * line, a snapshot of all processes, and the descendants of a set of roots.
 *
 * A process is named by its pid and its start time (field 22 of
 * /proc/<pid>/stat, clock ticks since boot): a pid may be reused, the pair
 * never is. Pure reading; never signals, waits or prints.
 */
#ifndef BO_EXEC_PROC_H
#define BO_EXEC_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct bo_proc {
	pid_t pid;
	pid_t ppid;
	pid_t pgid;
	pid_t sid;
	char state;            /* 'R', 'S', 'Z', ... */
	uint64_t start;        /* field 22: start time in clock ticks since boot */
	double cpu_s;          /* utime + stime + cutime + cstime, in seconds */
} bo_proc;

/* Parses the text of a /proc/<pid>/stat file (the command name may hold
 * spaces and parentheses). Returns 0, or BO_EINVAL when it is not one. */
int bo__proc_parse_stat(const char *buf, bo_proc *out);

/* Reads /proc/<pid>/stat. Returns 0, or BO_ENOTFOUND when the process is
 * gone (or unreadable). */
int bo__proc_read(pid_t pid, bo_proc *out);

/* The start time of pid, or 0 when it is gone. */
uint64_t bo__proc_start(pid_t pid);

/* Whether the process (pid, start) still lives (a zombie does not). */
int bo__proc_alive(pid_t pid, uint64_t start);

/* Every process on the machine, sorted by pid. *out is an array of *n
 * (free with bo__free); 0, or BO_ENOMEM. No /proc: 0 and an empty array. */
int bo__proc_snapshot(bo_proc **out, size_t *n);

/* Marks in mark[] (n entries, parallel to all[], which is sorted by pid)
 * every process whose parent chain reaches a marked one; mark[] holds the
 * roots (1) on entry and 0 or 1 on return.
 * Returns the number marked, roots included. */
size_t bo__proc_descendants(const bo_proc *all, size_t n, unsigned char *mark);

/* Unix time of the boot (btime of /proc/stat), or 0 when unknown: with it,
 * start ticks become a wall-clock time. */
double bo__proc_boot_time(void);

/* Reads the small file dir/file (a cgroup or job status file) into buf,
 * NUL-terminated, at most size - 1 bytes. Returns 0, or -1 (errno set)
 * when it cannot be opened or read, or the path does not fit. */
int bo__read_small(const char *dir, const char *file, char *buf, size_t size);

#endif
