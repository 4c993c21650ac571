/*
 * bench/spawn_baseline.c - the floor for bench/run-overhead: starts a command
 * N times, one after the other, with fork/execvp/waitpid and nothing else
 * (no pipes, no logs, no ledger), so that the time budgetopt's run loop takes
 * for N trials of the same command can be compared with the bare cost of
 * starting N processes.
 *
 *   usage: spawn_baseline N command [arg...]
 *
 * Prints nothing on success (the caller times it); exits 1 with a message on
 * stderr if a start fails or the command exits non-zero, 2 on bad usage.
 * A benchmark helper, not part of the library or the program: it must never
 * be linked into either.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *end = NULL;
	long n, i;

	if (argc < 3) {
		fprintf(stderr, "usage: spawn_baseline N command [arg...]\n");
		return 2;
	}
	errno = 0;
	n = strtol(argv[1], &end, 10);
	if (errno || end == argv[1] || *end || n < 1) {
		fprintf(stderr, "spawn_baseline: N must be a positive integer, not \"%s\"\n", argv[1]);
		return 2;
	}
	for (i = 0; i < n; i++) {
		int status = 0;
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "spawn_baseline: fork: %s\n", strerror(errno));
			return 1;
		}
		if (pid == 0) {
			execvp(argv[2], argv + 2);
			fprintf(stderr, "spawn_baseline: %s: %s\n", argv[2], strerror(errno));
			_exit(127);
		}
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				fprintf(stderr, "spawn_baseline: waitpid: %s\n", strerror(errno));
				return 1;
			}
		}
		if (WIFSIGNALED(status)) {
			fprintf(stderr, "spawn_baseline: run %ld of %s was killed by signal %d\n",
				i + 1, argv[2], WTERMSIG(status));
			return 1;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "spawn_baseline: run %ld of %s exited with status %d\n",
				i + 1, argv[2], WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			return 1;
		}
	}
	return 0;
}
