/*
 * core/study_slurm.c - the values of `evaluator: slurm:` in a study file:
 * what each may hold, Slurm's time syntax, and the sbatch arguments the
 * executor must keep for itself.
 *
 * Pure: the YAML reader (core/study_yaml.c) walks the nodes and reports
 * with file:line:column; this file only says whether a value is good and
 * why not. A value accepted here becomes one argv item of sbatch, so it
 * never needs quoting; the checks are there to catch mistakes early
 * (validate) rather than to protect a shell, which never sees them.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/model.h"

void bo__slurm_opts_clear(bo_slurm_opts *o)
{
	size_t i;
	if (!o)
		return;
	bo__free(o->partition);
	bo__free(o->gpus);
	bo__free(o->mem);
	bo__free(o->account);
	for (i = 0; o->extra && i < o->nextra; i++)
		bo__free(o->extra[i]);
	bo__free(o->extra);
	memset(o, 0, sizeof *o);
	o->time_s = NAN;
}

/* A Slurm name: letters, digits, "_", "-", "."; lists joined by commas
 * where list is set (a partition list). */
static int slurm_name(const char *s, int list)
{
	int run = 0;
	if (!*s)
		return 0;
	for (; *s; s++) {
		if (isalnum((unsigned char)*s) || *s == '_' || *s == '-' || *s == '.') {
			run++;
		} else if (list && *s == ',' && run > 0) {
			run = 0;
		} else {
			return 0;
		}
	}
	return run > 0;
}

/* Sbatch options the executor sets itself: a study may not change where
 * output goes or how the job is named, or the runner loses its job. */
static const char *const RESERVED[] = {
	"--output", "-o", "--error", "-e", "--job-name", "-J", "--comment", "--parsable",
	"--wrap", "--chdir", "-D", "--open-mode", "--array", "-a", "--export", "--hold", "-H",
	"--wait", "-W", "--input", "-i", "--test-only", "--dependency", "-d", NULL};

int bo__slurm_check(const char *key, const char *v, char *why, size_t size)
{
	char *end;
	why[0] = '\0';
	if (!strcmp(key, "partition")) {
		if (!slurm_name(v, 1))
			snprintf(why, size, "a partition name (letters, digits, _ - .; several joined by commas)");
	} else if (!strcmp(key, "account")) {
		if (!slurm_name(v, 0))
			snprintf(why, size, "an account name (letters, digits, _ - .)");
	} else if (!strcmp(key, "gpus")) {
		/* "N" or "TYPE:N", N >= 1 */
		const char *colon = strrchr(v, ':'), *num = colon ? colon + 1 : v;
		long n;
		char type[128];
		if (colon && ((size_t)(colon - v) >= sizeof type || colon == v)) {
			snprintf(why, size, "a GPU count (2) or TYPE:COUNT (a100:2)");
			return -1;
		}
		if (colon) {
			memcpy(type, v, (size_t)(colon - v));
			type[colon - v] = '\0';
		}
		n = strtol(num, &end, 10);
		if (!*num || *end || n < 1 || n > 65536 || !isdigit((unsigned char)*num) ||
		    (colon && !slurm_name(type, 0)))
			snprintf(why, size, "a GPU count (2) or TYPE:COUNT (a100:2)");
	} else if (!strcmp(key, "mem")) {
		/* Slurm's --mem: a whole number, optionally K, M, G or T. */
		double x = strtod(v, &end);
		if (!isdigit((unsigned char)*v) || end == v || x != floor(x) || x <= 0 ||
		    (*end && (strchr("KMGTkmgt", *end) == NULL || end[1] != '\0')))
			snprintf(why, size, "a memory size: a whole number of megabytes, or with K, M, G or T (\"4G\", \"500M\")");
	} else if (!strcmp(key, "extra")) {
		size_t k, len;
		if (v[0] != '-') {
			snprintf(why, size, "an sbatch option starting with \"-\" (\"--qos=high\"), one per list item");
			return -1;
		}
		for (k = 0; RESERVED[k]; k++) {
			len = strlen(RESERVED[k]);
			if (!strncmp(v, RESERVED[k], len) &&
			    (v[len] == '\0' || v[len] == '=' || (RESERVED[k][1] != '-' && v[len] != '\0'))) {
				snprintf(why, size, "%s is set by budgetopt itself (it names the job, its folder and its output files, which the runner follows)",
					 RESERVED[k]);
				return -1;
			}
		}
		if (strchr(v, '\n'))
			snprintf(why, size, "one sbatch option without a line break");
	}
	return why[0] ? -1 : 0;
}

/* Slurm's --time forms: "MM", "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM",
 * "D-HH:MM:SS". Returns 0 and seconds, or -1. */
int bo__slurm_time_parse(const char *s, double *out)
{
	long part[3];
	long days = 0;
	int n = 0;
	const char *p = s, *dash = strchr(s, '-');
	char *end;
	if (dash) {
		if (dash == s || !isdigit((unsigned char)*s))
			return -1;
		days = strtol(s, &end, 10);
		if (end != dash || days < 0 || days > 365000)
			return -1;
		p = dash + 1;
	}
	for (;;) {
		if (!isdigit((unsigned char)*p) || n == 3)
			return -1;
		part[n++] = strtol(p, &end, 10);
		if (part[n - 1] < 0 || part[n - 1] > 1000000000L)
			return -1;
		if (*end == '\0')
			break;
		if (*end != ':')
			return -1;
		p = end + 1;
	}
	if (dash) {
		/* D-HH, D-HH:MM, D-HH:MM:SS */
		double h = (double)part[0], m = n > 1 ? (double)part[1] : 0, sec = n > 2 ? (double)part[2] : 0;
		*out = (double)days * 86400.0 + h * 3600.0 + m * 60.0 + sec;
	} else if (n == 1) {
		*out = (double)part[0] * 60.0;
	} else if (n == 2) {
		*out = (double)part[0] * 60.0 + (double)part[1];
	} else {
		*out = (double)part[0] * 3600.0 + (double)part[1] * 60.0 + (double)part[2];
	}
	return *out > 0 ? 0 : -1;
}

void bo__slurm_time_format(double secs, char *buf, size_t size)
{
	/* Whole minutes, rounded up: Slurm's limits are in minutes. */
	long long m = (long long)ceil(secs / 60.0);
	if (m < 1)
		m = 1;
	snprintf(buf, size, "%lld-%02lld:%02lld:00", m / 1440, m / 60 % 24, m % 60);
}
