/*
 * tests/fuzz/replay.c - runs a fuzz target without libFuzzer.
 *
 *   replay [--mutations N] [--seed S] PATH...
 *
 * Feeds every file named (a folder: every file in it) to the target, then
 * N mutations of each, made by a small deterministic mutator (bit flips,
 * interesting bytes, insertions, deletions, duplicated runs, splices from
 * another input), so a plain gcc build under ASan/UBSan explores a little
 * past the corpus on every CTest run, the same way each time. Coverage-
 * guided fuzzing is scripts/fuzz.sh (clang, libFuzzer).
 *
 * Prints one line: how many inputs were run. A crash is the failure.
 */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define INPUT_MAX (1u << 20)
#define MUTATED_MAX (INPUT_MAX + 4096)

typedef struct input {
	unsigned char *p;
	size_t n;
} input;

static unsigned long long rng_state;

static unsigned long long next(void)
{
	/* xorshift64*: deterministic, good enough to pick mutations. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static size_t below(size_t n)
{
	return n ? (size_t)(next() % n) : 0;
}

static int read_file(const char *path, input *out)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096;
	out->n = 0;
	out->p = malloc(cap);
	if (!f || !out->p) {
		if (f)
			fclose(f);
		free(out->p);
		out->p = NULL;
		return -1;
	}
	for (;;) {
		size_t got;
		if (out->n == cap) {
			unsigned char *q;
			if (cap >= INPUT_MAX)
				break;
			q = realloc(out->p, cap * 2);
			if (!q)
				break;
			out->p = q;
			cap *= 2;
		}
		got = fread(out->p + out->n, 1, cap - out->n, f);
		if (got == 0)
			break;
		out->n += got;
	}
	fclose(f);
	return 0;
}

static int add_path(const char *path, input **v, size_t *n, size_t *cap)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent **names = NULL;
		int k, m = scandir(path, &names, NULL, alphasort);   /* sorted: same order each run */
		int rc = 0;
		if (m < 0)
			return -1;
		for (k = 0; k < m; k++) {
			char sub[4096];
			if (names[k]->d_name[0] != '.' && rc == 0) {
				snprintf(sub, sizeof sub, "%s/%s", path, names[k]->d_name);
				rc = add_path(sub, v, n, cap);
			}
			free(names[k]);
		}
		free(names);
		return rc;
	}
	if (*n == *cap) {
		input *q;
		*cap = *cap ? *cap * 2 : 64;
		q = realloc(*v, *cap * sizeof **v);
		if (!q)
			return -1;
		*v = q;
	}
	if (read_file(path, &(*v)[*n]) < 0) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		return -1;
	}
	(*n)++;
	return 0;
}

/* One mutation of src into buf (MUTATED_MAX bytes); returns the length. */
static size_t mutate(const input *src, const input *other, unsigned char *buf)
{
	static const unsigned char interesting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0xc0, 0xe2, 0xf0,
						    '\n', '\r', '\t', ' ', '"', '\'', '\\', '{', '}',
						    '[', ']', ':', ',', '-', '#', '&', '*', '!', '|',
						    '>', '%', '@', '(', ')', '.', 'e', '0', '9'};
	size_t n = src->n, rounds = 1 + below(4), r;
	memcpy(buf, src->p, n);
	for (r = 0; r < rounds; r++) {
		size_t at = below(n + 1), len;
		switch (below(6)) {
		case 0:   /* flip a bit */
			if (n)
				buf[below(n)] ^= (unsigned char)(1u << below(8));
			break;
		case 1:   /* an interesting byte */
			if (n)
				buf[below(n)] = interesting[below(sizeof interesting)];
			break;
		case 2:   /* insert a byte */
			if (n < MUTATED_MAX) {
				memmove(buf + at + 1, buf + at, n - at);
				buf[at] = interesting[below(sizeof interesting)];
				n++;
			}
			break;
		case 3:   /* delete a run */
			if (at < n) {
				len = 1 + below(n - at < 16 ? n - at : 16);
				memmove(buf + at, buf + at + len, n - at - len);
				n -= len;
			}
			break;
		case 4:   /* duplicate a run */
			if (at < n) {
				len = 1 + below(n - at < 64 ? n - at : 64);
				if (n + len <= MUTATED_MAX) {
					memmove(buf + at + len, buf + at, n - at);
					n += len;
				}
			}
			break;
		default:  /* splice a run from another input */
			if (other->n) {
				size_t from = below(other->n);
				len = 1 + below(other->n - from < 64 ? other->n - from : 64);
				if (n + len <= MUTATED_MAX) {
					memmove(buf + at + len, buf + at, n - at);
					memcpy(buf + at, other->p + from, len);
					n += len;
				}
			}
			break;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	input *v = NULL;
	size_t n = 0, cap = 0, i, runs = 0;
	unsigned long mutations = 0;
	unsigned char *buf = NULL;
	int a, rc = 0;
	rng_state = 0x9e3779b97f4a7c15ull;
	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--mutations") && a + 1 < argc) {
			mutations = strtoul(argv[++a], NULL, 10);
		} else if (!strcmp(argv[a], "--seed") && a + 1 < argc) {
			rng_state = strtoull(argv[++a], NULL, 10) | 1;
		} else if (add_path(argv[a], &v, &n, &cap) < 0) {
			rc = 2;
			goto done;
		}
	}
	if (n == 0) {
		fprintf(stderr, "usage: replay [--mutations N] [--seed S] PATH...\n");
		rc = 2;
		goto done;
	}
	buf = malloc(MUTATED_MAX);
	if (!buf) {
		rc = 2;
		goto done;
	}
	for (i = 0; i < n; i++) {
		unsigned long k;
		LLVMFuzzerTestOneInput(v[i].p, v[i].n);
		runs++;
		for (k = 0; k < mutations; k++) {
			size_t len = mutate(&v[i], &v[below(n)], buf);
			/* A copy of exactly len bytes, so ASan sees reads past the end. */
			unsigned char *exact = malloc(len ? len : 1);
			if (!exact) {
				rc = 2;
				goto done;
			}
			memcpy(exact, buf, len);
			LLVMFuzzerTestOneInput(exact, len);
			free(exact);
			runs++;
		}
	}
	printf("replay: %zu inputs from %zu files\n", runs, n);
done:
	for (i = 0; i < n; i++)
		free(v[i].p);
	free(v);
	free(buf);
	return rc;
}
