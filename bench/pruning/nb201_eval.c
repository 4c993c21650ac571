/*
 * bench/pruning/nb201_eval.c - the evaluator of bench/pruning/nb201.py: a
 * NAS-Bench-201 cell trained epoch by epoch along a stated synthetic
 * learning curve whose end is the cell's real validation accuracy.
 *
 *   nb201_eval TABLE SLEEP_US SPREAD EPOCHS OP1 .. OP6
 *
 * TABLE has one line of 8 bytes ("%7.3f\n") per cell, at the index
 * sum_j op_j 5^j (op_j: the position of OPj in OPS below); nb201.py
 * writes it from ../shared/data/hwnas_nb201/nb201_cifar10_hw.csv. One
 * step line per epoch ({"step": k, "metrics": {"acc": ...}, "usage":
 * {"epochs": ...}}), SLEEP_US microseconds each (so that a pruner has
 * the time to stop a trial part-way, as it would a real one), then the
 * final line. With BUDGETOPT_CHECKPOINT_DIR it resumes from the epoch
 * stored there and reports only the epochs it adds.
 *
 * The curve (nb201.py computes the same numbers for Optuna's side):
 * acc(k) = 10 + (A - 10) g(k) / g(K) + 1.5 (u(i, k) - 0.5) (K - k) / K,
 * g(k) = 1 - exp(-k / tau), tau = 4 + SPREAD u(i, 0), K = 81 epochs, A the
 * cell's accuracy after 200 real epochs, u a hash into [0, 1): how fast a
 * cell learns does not depend on how good it ends, so early rankings
 * mislead, the more so the larger SPREAD (nb201.py's --tau-spread).
 * Not part of the library: a benchmark helper, compiled by nb201.py.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define K_EPOCHS 81
#define LINE 8

static const char *const OPS[5] = {"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"};

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static double u(long cell, long k)
{
	return (double)(splitmix((uint64_t)cell * 1000u + (uint64_t)k) >> 11) / 9007199254740992.0;
}

static double acc(long cell, double a, long k, double spread)
{
	double tau = 4.0 + spread * u(cell, 0);
	double g = (1.0 - exp(-(double)k / tau)) / (1.0 - exp(-(double)K_EPOCHS / tau));
	return 10.0 + (a - 10.0) * g + 1.5 * (u(cell, k) - 0.5) * (double)(K_EPOCHS - k) / K_EPOCHS;
}

int main(int argc, char **argv)
{
	long cell = 0, p = 1, sleep_us, epochs, start = 0, k;
	char buf[LINE + 1], path[4096];
	const char *ck = getenv("BUDGETOPT_CHECKPOINT_DIR");
	struct timespec ts;
	double a, spread;
	FILE *f;
	int j, o;
	if (argc != 11) {
		fprintf(stderr, "usage: nb201_eval TABLE SLEEP_US SPREAD EPOCHS OP1 .. OP6\n");
		return 2;
	}
	sleep_us = atol(argv[2]);
	spread = atof(argv[3]);
	epochs = atol(argv[4]);
	for (j = 0; j < 6; j++, p *= 5) {
		for (o = 0; o < 5 && strcmp(argv[5 + j], OPS[o]); o++)
			;
		if (o == 5) {
			fprintf(stderr, "nb201_eval: unknown operation %s\n", argv[5 + j]);
			return 2;
		}
		cell += o * p;
	}
	if (!(f = fopen(argv[1], "r")) || fseek(f, cell * LINE, SEEK_SET) || fread(buf, 1, LINE, f) != LINE) {
		fprintf(stderr, "nb201_eval: cannot read cell %ld of %s\n", cell, argv[1]);
		return 1;
	}
	fclose(f);
	buf[LINE] = '\0';
	a = atof(buf);
	if (ck) {
		snprintf(path, sizeof path, "%s/epoch", ck);
		if ((f = fopen(path, "r"))) {
			if (fscanf(f, "%ld", &start) != 1)
				start = 0;
			fclose(f);
		}
	}
	ts.tv_sec = sleep_us / 1000000;
	ts.tv_nsec = (sleep_us % 1000000) * 1000;
	for (k = start + 1; k <= epochs; k++) {
		nanosleep(&ts, NULL);
		printf("{\"step\": %ld, \"metrics\": {\"acc\": %.6f}, \"usage\": {\"epochs\": %ld}}\n", k,
		       acc(cell, a, k, spread), k - start);
		fflush(stdout);
		if (ck && (f = fopen(path, "w"))) {
			fprintf(f, "%ld\n", k);
			fclose(f);
		}
	}
	printf("{\"metrics\": {\"acc\": %.6f}, \"usage\": {\"epochs\": %ld}}\n", acc(cell, a, epochs, spread),
	       epochs > start ? epochs - start : 0);
	return 0;
}
