/*
 * runner/trial_record.c - writing and reading trial.record in a trial
 * folder (format: trial_record.h).
 *
 * Must never print or exit.
 */
#include "runner/trial_record.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"
#include "storage/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECORD_MAX_BYTES ((size_t)16 << 20)

static void put_str(bo_strbuf *sb, const char *key, const char *v)
{
	size_t i;
	if (!v)
		return;
	bo__sb_puts(sb, key);
	bo__sb_putc(sb, '\t');
	for (i = 0; v[i]; i++) {
		switch (v[i]) {
		case '\\': bo__sb_puts(sb, "\\\\"); break;
		case '\t': bo__sb_puts(sb, "\\t"); break;
		case '\n': bo__sb_puts(sb, "\\n"); break;
		case '\r': bo__sb_puts(sb, "\\r"); break;
		default: bo__sb_putc(sb, v[i]); break;
		}
	}
	bo__sb_putc(sb, '\n');
}

static void put_num(bo_strbuf *sb, const char *key, double v)
{
	bo__sb_puts(sb, key);
	bo__sb_putc(sb, '\t');
	bo__sb_num17(sb, v);
	bo__sb_putc(sb, '\n');
}

static void put_int(bo_strbuf *sb, const char *key, long long v)
{
	bo__sb_puts(sb, key);
	bo__sb_putc(sb, '\t');
	bo__sb_int(sb, v);
	bo__sb_putc(sb, '\n');
}

static void put_kv(bo_strbuf *sb, const char *kind, const bo_kv *kv, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		if (!kv[i].name)
			continue;
		put_str(sb, kind, kv[i].name);
		sb->len--;   /* the name's newline: the value follows */
		bo__sb_putc(sb, '\t');
		bo__sb_num17(sb, kv[i].value);
		bo__sb_putc(sb, '\n');
	}
}

int bo__trial_record_write(const char *folder, const bo_trial_rec *t, int mode, int sync)
{
	bo_strbuf sb = BO_STRBUF_INIT;
	char path[PATH_MAX], tmp[PATH_MAX];
	const char *text;
	int fd = -1, rc = 0;
	size_t off = 0;
	if (snprintf(path, sizeof path, "%s/%s", folder, BO_TRIAL_RECORD_FILE) >= (int)sizeof path ||
	    snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return bo__error(BO_EINVAL, "%s: path too long", folder);
	bo__sb_puts(&sb, BO_TRIAL_RECORD_HEADER "\n");
	put_int(&sb, "id", t->id);
	put_str(&sb, "state", bo__trial_state_name(t->state));
	put_num(&sb, "reserved", t->reserved);
	put_num(&sb, "cost", t->cost);
	put_num(&sb, "score", t->score);
	put_int(&sb, "feasible", t->feasible);
	put_num(&sb, "started_at", t->started_at);
	put_num(&sb, "ended_at", t->ended_at);
	put_int(&sb, "exit_code", t->exit_code);
	put_int(&sb, "term_signal", t->term_signal);
	put_str(&sb, "price_version", t->price_version);
	put_str(&sb, "sampler", t->sampler);
	put_str(&sb, "host", t->host);
	put_str(&sb, "reason", t->reason);
	put_str(&sb, "params_json", t->params_json);
	put_str(&sb, "scenario", t->scenario);
	put_int(&sb, "repeat", t->repeat);
	put_kv(&sb, "param", t->params, t->nparams);
	put_kv(&sb, "metric", t->metrics, t->nmetrics);
	put_kv(&sb, "usage", t->usage, t->nusage);
	if (!(text = bo__sb_str(&sb))) {
		rc = BO_ENOMEM;
		goto done;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = -1;
		goto done;
	}
	while (off < sb.len) {
		ssize_t w = write(fd, text + off, sb.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = -1;
			goto done;
		}
		off += (size_t)w;
	}
	if (sync && fsync(fd) < 0) {
		rc = -1;
		goto done;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) < 0)
		rc = -1;
done:
	if (rc == -1) {
		rc = bo__error(BO_EIO, "%s: cannot write the trial record: %s", path, strerror(errno));
		unlink(tmp);
	}
	if (fd >= 0)
		close(fd);
	bo__sb_clear(&sb);
	return rc;
}

static int num(const char *s, double *out)
{
	char *end;
	*out = strtod(s, &end);
	return *end ? -1 : 0;
}

/* One "key<TAB>value..." line (NUL-terminated, escapes still in). */
static int read_line(bo_trial_rec *t, char *line, size_t *cap[3])
{
	char *tab = strchr(line, '\t'), *v, *name;
	double d;
	if (!tab)
		return -1;
	*tab = '\0';
	v = tab + 1;
	if (!strcmp(line, "param") || !strcmp(line, "metric") || !strcmp(line, "usage")) {
		char *tab2 = strrchr(v, '\t');
		int k = line[0] == 'p' ? 0 : line[0] == 'm' ? 1 : 2;
		bo_kv **arr = k == 0 ? &t->params : k == 1 ? &t->metrics : &t->usage;
		size_t *n = k == 0 ? &t->nparams : k == 1 ? &t->nmetrics : &t->nusage;
		int rc;
		if (!tab2 || num(tab2 + 1, &d) < 0)
			return -1;
		if (!(name = bo__field_unescape(v, (size_t)(tab2 - v))))
			return -1;
		rc = bo__kv_push(arr, n, cap[k], name, d);
		bo__free(name);
		return rc;
	}
	if (!strcmp(line, "id")) {
		if (num(v, &d) < 0 || !(d >= 1))
			return -1;
		t->id = (int64_t)d;
		return 0;
	}
	if (!strcmp(line, "state")) {
		t->state = bo__trial_state_parse(v);
		return t->state < 0 ? -1 : 0;
	}
	if (!strcmp(line, "reserved"))
		return num(v, &t->reserved);
	if (!strcmp(line, "cost"))
		return num(v, &t->cost);
	if (!strcmp(line, "score"))
		return num(v, &t->score);
	if (!strcmp(line, "started_at"))
		return num(v, &t->started_at);
	if (!strcmp(line, "ended_at"))
		return num(v, &t->ended_at);
	if (!strcmp(line, "repeat")) {
		if (num(v, &d) < 0 || !(d >= 0 && d <= (double)INT64_MAX / 2))
			return -1;
		t->repeat = (int64_t)d;
		return 0;
	}
	if (!strcmp(line, "feasible") || !strcmp(line, "exit_code") || !strcmp(line, "term_signal")) {
		if (num(v, &d) < 0)
			return -1;
		*(line[0] == 'f' ? &t->feasible : line[0] == 'e' ? &t->exit_code : &t->term_signal) = (int)d;
		return 0;
	}
	{
		char **dst = !strcmp(line, "price_version") ? &t->price_version
			     : !strcmp(line, "sampler")     ? &t->sampler
			     : !strcmp(line, "host")        ? &t->host
			     : !strcmp(line, "reason")      ? &t->reason
			     : !strcmp(line, "params_json") ? &t->params_json
			     : !strcmp(line, "scenario")    ? &t->scenario
							    : NULL;
		if (!dst)
			return 0;   /* a field of a later version: ignored */
		bo__free(*dst);
		*dst = bo__field_unescape(v, strlen(v));
		return *dst ? 0 : -1;
	}
}

int bo__trial_record_read(const char *folder, bo_trial_rec *out)
{
	char path[PATH_MAX];
	FILE *f = NULL;
	char *buf = NULL, *p, *nl;
	size_t len, lineno = 0, capp = 0, capm = 0, capu = 0;
	size_t *caps[3];
	long l;
	int rc = 0;
	caps[0] = &capp;
	caps[1] = &capm;
	caps[2] = &capu;
	memset(out, 0, sizeof *out);
	if (snprintf(path, sizeof path, "%s/%s", folder, BO_TRIAL_RECORD_FILE) >= (int)sizeof path)
		return bo__error(BO_EINVAL, "%s: path too long", folder);
	if (!(f = fopen(path, "rb")))
		return errno == ENOENT ? bo__error(BO_ENOTFOUND, "%s: no trial record", folder)
				       : bo__error(BO_EIO, "%s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) < 0 || (l = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0 ||
	    (size_t)l > RECORD_MAX_BYTES) {
		rc = bo__error(BO_EINVAL, "%s: unreadable or too large", path);
		goto done;
	}
	if (!(buf = bo__malloc((size_t)l + 1))) {
		rc = BO_ENOMEM;
		goto done;
	}
	len = fread(buf, 1, (size_t)l, f);
	buf[len] = '\0';
	out->cost = out->reserved = out->score = NAN;
	out->feasible = -1;
	out->exit_code = -1;
	out->state = -1;
	for (p = buf; *p; p = nl + 1) {
		if (!(nl = strchr(p, '\n'))) {
			rc = bo__error(BO_EINVAL, "%s:%zu: cut off", path, lineno + 1);
			goto done;
		}
		*nl = '\0';
		lineno++;
		if (lineno == 1) {
			if (strcmp(p, BO_TRIAL_RECORD_HEADER) != 0) {
				rc = bo__error(BO_EINVAL, "%s:1: not a trial record", path);
				goto done;
			}
			continue;
		}
		rc = read_line(out, p, caps);
		if (rc == BO_ENOMEM)
			goto done;
		if (rc < 0) {
			rc = bo__error(BO_EINVAL, "%s:%zu: does not parse", path, lineno);
			goto done;
		}
	}
	if (out->id < 1 || out->state < 0)
		rc = bo__error(BO_EINVAL, "%s: no trial id or state", path);
done:
	if (rc < 0)
		bo__trial_rec_clear(out);
	bo__free(buf);
	if (f)
		fclose(f);
	return rc;
}
