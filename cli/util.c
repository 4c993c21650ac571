/*
 * cli/util.c - helpers shared by the subcommands.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"
#include "core/model.h"
#include "core/numfmt.h"

/* With --format json, the first error is also kept for the JSON error
 * object main() prints when the command fails (cli_json_errors_flush). */
static struct {
	int on;
	char first[8192];
} json_errors;

/* Every line of the message gets the prefix: a message may list several
 * problems, one per line (bad catalog cells). */
void cli_error(const char *fmt, ...)
{
	char msg[16384];
	const char *p = msg, *nl;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	do {
		nl = strchr(p, '\n');
		fprintf(stderr, "budgetopt: %.*s\n", nl ? (int)(nl - p) : (int)strlen(p), p);
		if (nl)
			p = nl + 1;
	} while (nl);
	if (json_errors.on && !json_errors.first[0])
		snprintf(json_errors.first, sizeof json_errors.first, "%s", msg);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	fputs("budgetopt: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_json_errors(int on)
{
	json_errors.on = on;
}

void cli_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

void cli_json_errors_flush(int exit_code)
{
	if (json_errors.on && exit_code != EXIT_OK) {
		fflush(stdout);
		fputs("{\"error\": ", stdout);
		cli_json_string(stdout, json_errors.first[0] ? json_errors.first : "failed");
		printf(", \"exit\": %d}\n", exit_code);
	}
	json_errors.on = 0;
	json_errors.first[0] = '\0';
}

void cli_print_num(FILE *f, double v)
{
	char buf[64];
	fputs(bo__fmt_num(v, buf, sizeof buf), f);
}

/* jansson prints reals with a fixed precision; this walks the value and
 * prints them in their shortest exact form (core/numfmt.h) instead. Keys
 * keep their insertion order (jansson >= 2.8). */
static void dump(FILE *f, json_t *v, int depth)
{
	const char *key;
	json_t *x;
	size_t i, n;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (json_object_size(v) == 0) {
			fputs("{}", f);
			break;
		}
		fputc('{', f);
		i = 0;
		json_object_foreach(v, key, x) {
			fprintf(f, "%s\n%*s", i++ ? "," : "", depth + 1, "");
			cli_json_string(f, key);
			fputs(": ", f);
			dump(f, x, depth + 1);
		}
		fprintf(f, "\n%*s}", depth, "");
		break;
	case JSON_ARRAY:
		n = json_array_size(v);
		if (n == 0) {
			fputs("[]", f);
			break;
		}
		fputc('[', f);
		for (i = 0; i < n; i++) {
			fprintf(f, "%s\n%*s", i ? "," : "", depth + 1, "");
			dump(f, json_array_get(v, i), depth + 1);
		}
		fprintf(f, "\n%*s]", depth, "");
		break;
	case JSON_STRING: cli_json_string(f, json_string_value(v)); break;
	case JSON_INTEGER: fprintf(f, "%lld", (long long)json_integer_value(v)); break;
	case JSON_REAL:
		if (isfinite(json_real_value(v)))
			cli_print_num(f, json_real_value(v));
		else
			fputs("null", f);
		break;
	case JSON_TRUE: fputs("true", f); break;
	case JSON_FALSE: fputs("false", f); break;
	default: fputs("null", f); break;
	}
}

void cli_json_dump(FILE *f, json_t *v)
{
	dump(f, v, 0);
	fputc('\n', f);
}

char *cli_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *p;
	size_t cap = 0, n = 0, got;
	if (!f)
		return NULL;
	do {
		if (n + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 1 << 16;
			if (!(p = realloc(buf, cap))) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = p;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

bo_study *cli_load_study(const char *path)
{
	bo_study *s = NULL;
	bo_diags *d = NULL;
	int rc = bo_study_load(&s, path, &d);
	if (rc < 0) {
		size_t i, n = bo_diags_count(d);
		if (n == 0)
			cli_error("%s", bo_error_last());
		for (i = 0; i < n; i++)
			cli_error("%s", bo_diags_get(d, i));
	}
	bo_diags_free(d);
	return s;
}

static int ledger_refused;

int cli_ledger_failure(void)
{
	return ledger_refused ? EXIT_USAGE : EXIT_RUN_FAILED;
}

bo_storage *cli_open_ledger(const bo_study *s, const char *override, int create)
{
	char path[PATH_MAX];
	bo_ledger_open_options lo = BO_LEDGER_OPEN_OPTIONS_INIT;
	bo_storage *st = NULL;
	int rc;
	if (bo_run_storage_uri(s, override, path, sizeof path) < 0) {
		cli_error("%s", bo_error_last());
		return NULL;
	}
	/* The library refuses a ledger that disagrees with its spend journal
	 * (storage/ledger_check.h), also a missing one whose journal exists. */
	lo.must_exist = !create;
	lo.study_path = bo_study_path(s);
	lo.currency = s->prices.currency;
	lo.group = s->storage_group;
	if ((rc = bo__storage_open_ex(&st, path, &lo)) == BO_ENOTFOUND) {
		cli_error("no ledger for study \"%s\" at %s (run it first: budgetopt run %s)",
			  bo_study_name(s), path, bo_study_path(s));
		return NULL;
	}
	if (rc < 0) {
		ledger_refused = rc == BO_ECONFLICT;
		cli_error("%s", bo_error_last());
		return NULL;
	}
	return st;
}

int cli_exit_code(int rc)
{
	if (rc >= 0)
		return EXIT_OK;
	if (rc == BO_EINVAL || rc == BO_ECONFLICT)
		return EXIT_USAGE;
	if (rc == BO_EINTR)
		return EXIT_INTERRUPTED;
	return EXIT_RUN_FAILED;
}

int cli_run_option(bo_run_options *opt, int c, const char *arg)
{
	char *end;
	switch (c) {
	case 'S':
		errno = 0;
		opt->seed = strtoull(arg, &end, 10);
		if (errno || *end || arg[0] == '-') {
			cli_error("--seed needs a non-negative integer, not \"%s\"", arg);
			return EXIT_USAGE;
		}
		opt->has_seed = 1;
		break;
	case 'p':
		opt->parallel = atoi(arg);
		if (opt->parallel < 1 || opt->parallel > 4096) {
			cli_error("--parallel needs an integer from 1 to 4096, not \"%s\"", arg);
			return EXIT_USAGE;
		}
		break;
	}
	return 0;
}

static volatile sig_atomic_t interrupts;

static void on_signal(int sig)
{
	(void)sig;
	interrupts++;
}

volatile sig_atomic_t *cli_catch_interrupts(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return &interrupts;
}

void cli_fmt_duration(double s, char *buf, size_t size)
{
	if (!isfinite(s)) {
		snprintf(buf, size, "-");
	} else if (s < 60) {
		snprintf(buf, size, "%.1fs", s);
	} else if (s < 3600) {
		snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
	} else {
		snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
	}
}

void cli_fmt_money(double v, const char *currency, char *buf, size_t size)
{
	if (!isfinite(v))
		snprintf(buf, size, "-");
	else if (fabs(v) >= 100)
		snprintf(buf, size, "%.2f %s", v, currency);
	else
		snprintf(buf, size, "%.4g %s", v, currency);
}

void cli_csv_field(FILE *f, const char *s)
{
	const char *p;
	if (!s)
		return;
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (p = s; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

int cli_wants_help(int argc, char **argv)
{
	int i;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}
