/*
 * storage/journal.c - reading and writing the spend journal (format:
 * journal.h).
 *
 * Every append writes one line and fsyncs it before returning: a killed
 * writer leaves at worst a torn last line, which the reader ignores and the
 * next append cuts off. A ledger handle keeps its journal open between
 * appends (bo_journal_writer: five system calls fewer per line); any other
 * caller opens and closes it each time.
 *
 * Must never print, exit or touch a database.
 */
#include "storage/journal.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"
#include "core/trial.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_MAX_BYTES 8192
#define JOURNAL_MAX_BYTES ((size_t)1 << 30)

void bo__journal_clear(bo_journal *j)
{
	size_t i;
	if (!j)
		return;
	for (i = 0; i < j->n; i++)
		bo__free(j->t[i].folder);
	bo__free(j->t);
	memset(j, 0, sizeof *j);
}

int bo__journal_path(const char *ledger, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s%s", ledger, BO_JOURNAL_SUFFIX);
	if (n < 0 || (size_t)n >= size)
		return bo__error(BO_EINVAL, "%s: path too long for its spend journal", ledger);
	return 0;
}

/* FNV-1a, 32 bits: enough to tell a damaged line from a written one. */
static uint32_t fnv1a(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;
	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

int bo__field_escape(char *buf, size_t size, size_t *len, const char *s)
{
	size_t k = *len;
	for (; s && *s; s++) {
		const char *e = NULL;
		switch (*s) {
		case '\\': e = "\\\\"; break;
		case '\t': e = "\\t"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		default: break;
		}
		if (k + 3 > size)
			return -1;
		if (e) {
			buf[k++] = e[0];
			buf[k++] = e[1];
		} else {
			buf[k++] = *s;
		}
	}
	if (k >= size)
		return -1;
	buf[k] = '\0';
	*len = k;
	return 0;
}

char *bo__field_unescape(const char *s, size_t n)
{
	char *out = bo__malloc(n + 1);
	size_t i, k = 0;
	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			out[k++] = s[i];
			continue;
		}
		if (++i >= n)
			goto bad;
		switch (s[i]) {
		case '\\': out[k++] = '\\'; break;
		case 't': out[k++] = '\t'; break;
		case 'n': out[k++] = '\n'; break;
		case 'r': out[k++] = '\r'; break;
		default: goto bad;
		}
	}
	out[k] = '\0';
	return out;
bad:
	bo__free(out);
	return NULL;
}

/* ---- reading ----------------------------------------------------------- */

static int cmp_trial(const void *a, const void *b)
{
	int64_t x = ((const bo_journal_trial *)a)->id, y = ((const bo_journal_trial *)b)->id;
	return x < y ? -1 : x > y;
}

const bo_journal_trial *bo__journal_find(const bo_journal *j, int64_t id)
{
	bo_journal_trial key;
	if (!j || j->n == 0)
		return NULL;
	key.id = id;
	return bsearch(&key, j->t, j->n, sizeof *j->t, cmp_trial);
}

double bo__journal_spent(const bo_journal *j)
{
	double s = 0;
	size_t i;
	for (i = 0; j && i < j->n; i++)
		if (j->t[i].charged && isfinite(j->t[i].cost))
			s += j->t[i].cost;
	return s;
}

/* The entry of trial id, added (keeping the array sorted) if missing. */
static bo_journal_trial *slot(bo_journal *j, int64_t id)
{
	size_t lo = 0, hi = j->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (j->t[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < j->n && j->t[lo].id == id)
		return &j->t[lo];
	if (bo__grow(&j->t, &j->cap, j->n + 1, sizeof *j->t) < 0)
		return NULL;
	memmove(j->t + lo + 1, j->t + lo, (j->n - lo) * sizeof *j->t);
	memset(&j->t[lo], 0, sizeof j->t[lo]);
	j->t[lo].id = id;
	j->t[lo].cost = NAN;
	j->t[lo].reserved = NAN;
	j->n++;
	return &j->t[lo];
}

/* Splits line[0..n) at tabs into at most max fields. Returns the count. */
static size_t split(const char *line, size_t n, const char **f, size_t *fl, size_t max)
{
	size_t k = 0, start = 0, i;
	for (i = 0; i <= n; i++) {
		if (i == n || line[i] == '\t') {
			if (k == max)
				return max + 1;
			f[k] = line + start;
			fl[k] = i - start;
			k++;
			start = i + 1;
		}
	}
	return k;
}

static int parse_i64(const char *s, size_t n, int64_t *out)
{
	char buf[32];
	char *end;
	long long v;
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || *end || v < 1)
		return -1;
	*out = v;
	return 0;
}

static int parse_num(const char *s, size_t n, double *out)
{
	char buf[64];
	char *end;
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*out = strtod(buf, &end);
	return *end ? -1 : 0;
}

/* One complete line (without its newline). 0 ok, 1 bad, BO_ENOMEM. */
static int parse_line(bo_journal *j, const char *line, size_t n)
{
	const char *f[7];
	size_t fl[7], nf, body;
	char hex[9];
	int64_t id;
	bo_journal_trial *t;
	double a, b;
	const char *tab = NULL;
	size_t i;
	for (i = n; i > 0; i--)
		if (line[i - 1] == '\t') {
			tab = line + i - 1;
			break;
		}
	if (!tab)
		return 1;
	body = (size_t)(tab - line);
	if (n - body - 1 != 8)
		return 1;
	snprintf(hex, sizeof hex, "%08x", (unsigned)fnv1a(line, body));
	if (memcmp(hex, tab + 1, 8) != 0)
		return 1;
	nf = split(line, body, f, fl, 6);
	if (nf > 6 || fl[0] != 1 || parse_i64(f[1], nf > 1 ? fl[1] : 0, &id) < 0)
		return 1;
	if (f[0][0] == 'S' && nf == 4) {
		char *folder;
		if (parse_num(f[2], fl[2], &a) < 0)
			return 1;
		if (!(folder = bo__field_unescape(f[3], fl[3])))
			return 1;   /* a bad escape, or out of memory: both make the line unusable */
		if (!(t = slot(j, id))) {
			bo__free(folder);
			return BO_ENOMEM;
		}
		bo__free(t->folder);
		t->folder = folder;
		t->started = 1;
		t->reserved = a;
		return 0;
	}
	if (f[0][0] == 'C' && nf == 5) {
		char state[16];
		int st;
		if (fl[2] >= sizeof state)
			return 1;
		memcpy(state, f[2], fl[2]);
		state[fl[2]] = '\0';
		st = bo__trial_state_parse(state);
		if (st != BO_TRIAL_COMPLETE && st != BO_TRIAL_PRUNED && st != BO_TRIAL_FAILED)
			return 1;
		if (parse_num(f[3], fl[3], &a) < 0 || parse_num(f[4], fl[4], &b) < 0 || !isfinite(a))
			return 1;
		if (!(t = slot(j, id)))
			return BO_ENOMEM;
		t->charged = 1;
		t->state = st;
		t->cost = a;
		return 0;
	}
	return 1;
}

int bo__journal_parse(bo_journal *j, const char *text, size_t len)
{
	size_t pos = 0, lineno = 0;
	int rc;
	bo__journal_clear(j);
	j->exists = 1;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n;
		if (!nl) {
			j->torn = 1;   /* the writer died mid-line: not committed */
			break;
		}
		n = (size_t)(nl - (text + pos));
		lineno++;
		if (lineno == 1) {
			if (n != strlen(BO_JOURNAL_HEADER) || memcmp(text + pos, BO_JOURNAL_HEADER, n) != 0) {
				j->nbad++;
				j->first_bad = 1;
			}
		} else {
			rc = parse_line(j, text + pos, n);
			if (rc < 0)
				return rc;
			if (rc == 1) {
				j->nbad++;
				if (!j->first_bad)
					j->first_bad = lineno;
			} else {
				j->nlines++;
			}
		}
		pos += n + 1;
	}
	return 0;
}

int bo__journal_read(bo_journal *j, const char *path)
{
	FILE *f = NULL;
	char *buf = NULL;
	long len;
	size_t got;
	int rc;
	bo__journal_clear(j);
	f = fopen(path, "rb");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		return bo__error(BO_EIO, "%s: cannot read the spend journal: %s", path, strerror(errno));
	}
	if (fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		rc = bo__error(BO_EIO, "%s: cannot read the spend journal: %s", path, strerror(errno));
		goto done;
	}
	if ((size_t)len > JOURNAL_MAX_BYTES) {
		rc = bo__error(BO_EIO, "%s: the spend journal is larger than %zu bytes", path,
			       JOURNAL_MAX_BYTES);
		goto done;
	}
	if (!(buf = bo__malloc((size_t)len + 1))) {
		rc = BO_ENOMEM;
		goto done;
	}
	got = fread(buf, 1, (size_t)len, f);
	if (got != (size_t)len && ferror(f)) {
		rc = bo__error(BO_EIO, "%s: cannot read the spend journal: %s", path, strerror(errno));
		goto done;
	}
	rc = bo__journal_parse(j, buf, got);
done:
	bo__free(buf);
	if (f)
		fclose(f);
	return rc;
}

/* ---- writing ----------------------------------------------------------- */

/* Cuts a torn last line off fd (a file opened for reading and writing), so
 * the next line starts on a line of its own. Returns 0 or -1 (errno). */
static int cut_torn_tail(int fd, off_t size)
{
	char buf[512];
	off_t end = size;
	while (end > 0) {
		off_t from = end > (off_t)sizeof buf ? end - (off_t)sizeof buf : 0;
		ssize_t n = pread(fd, buf, (size_t)(end - from), from);
		ssize_t i;
		if (n < 0)
			return -1;
		for (i = n; i > 0; i--)
			if (buf[i - 1] == '\n')
				return from + i == size ? 0 : ftruncate(fd, from + i);
		end = from;
	}
	return ftruncate(fd, 0);
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Appends n bytes of s to line (of size, at *len), keeping room for a NUL;
 * -1 when they do not fit. The lines are built without printf (see
 * bo__fmt_num17): two lines a trial. */
static int put(char *line, size_t size, size_t *len, const char *s, size_t n)
{
	if (n >= size - *len)
		return -1;
	memcpy(line + *len, s, n);
	*len += n;
	line[*len] = '\0';
	return 0;
}

static int put_int(char *line, size_t size, size_t *len, long long v)
{
	char b[24];
	int n = bo__fmt_int(b, sizeof b, v);
	return put(line, size, len, b, (size_t)n);
}

static int put_num(char *line, size_t size, size_t *len, double v)
{
	char b[32];
	int n = bo__fmt_num17(b, sizeof b, v);
	return n < 0 ? -1 : put(line, size, len, b, (size_t)n);
}

/* Finishes a record in line (of size, body at *len): tab, checksum ("%08x"),
 * newline. */
static int seal(char *line, size_t size, size_t *len)
{
	static const char hexd[] = "0123456789abcdef";
	char b[10];
	uint32_t h = fnv1a(line, *len);
	int i;
	b[0] = '\t';
	for (i = 0; i < 8; i++)
		b[1 + i] = hexd[(h >> (28 - 4 * i)) & 0xf];
	b[9] = '\n';
	return put(line, size, len, b, sizeof b);
}

void bo__journal_writer_close(bo_journal_writer *w)
{
	if (w && w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
}

/* Appends line (n bytes) and fsyncs it. With w, reuses w's open file when
 * it is still the one at path as last left (an fstat: linked, same size),
 * and keeps the file open afterwards; without, opens and closes it. */
static int append_line(bo_journal_writer *w, const char *path, int mode, const char *line,
		       size_t n)
{
	int fd = w ? w->fd : -1, rc = 0;
	off_t end = 0;
	struct stat sb;
	if (fd >= 0) {
		if (fstat(fd, &sb) == 0 && sb.st_nlink > 0 && (long long)sb.st_size == w->size) {
			end = sb.st_size;
		} else {
			bo__journal_writer_close(w);
			fd = -1;
		}
	}
	if (fd < 0) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode);
		if (fd < 0 || fstat(fd, &sb) < 0 || cut_torn_tail(fd, sb.st_size) < 0 ||
		    (end = lseek(fd, 0, SEEK_END)) < 0) {
			rc = -1;
			goto done;
		}
		if (end == 0) {
			if (write_all(fd, BO_JOURNAL_HEADER "\n", strlen(BO_JOURNAL_HEADER) + 1) < 0) {
				rc = -1;
				goto done;
			}
			end = (off_t)strlen(BO_JOURNAL_HEADER) + 1;
		}
	}
	if (write_all(fd, line, n) < 0 || fsync(fd) < 0)
		rc = -1;
done:
	if (rc < 0)
		rc = bo__error(BO_EIO, "%s: cannot write the spend journal: %s", path, strerror(errno));
	if (w && rc == 0) {
		w->fd = fd;
		w->size = (long long)end + (long long)n;
	} else if (fd >= 0) {
		close(fd);
		if (w)
			w->fd = -1;
	}
	return rc;
}

static int start_line(char *line, size_t size, size_t *len, int64_t id, double reserved,
		      const char *folder)
{
	*len = 0;
	if (put(line, size, len, "S\t", 2) < 0 || put_int(line, size, len, (long long)id) < 0 ||
	    put(line, size, len, "\t", 1) < 0 || put_num(line, size, len, reserved) < 0 ||
	    put(line, size, len, "\t", 1) < 0)
		return -1;
	if (bo__field_escape(line, size, len, folder ? folder : "") < 0)
		return -1;
	return seal(line, size, len);
}

static int charge_line(char *line, size_t size, size_t *len, int64_t id, int state, double cost,
		       double cumulative)
{
	const char *name = bo__trial_state_name(state);
	*len = 0;
	if (put(line, size, len, "C\t", 2) < 0 || put_int(line, size, len, (long long)id) < 0 ||
	    put(line, size, len, "\t", 1) < 0 || put(line, size, len, name, strlen(name)) < 0 ||
	    put(line, size, len, "\t", 1) < 0 || put_num(line, size, len, cost) < 0 ||
	    put(line, size, len, "\t", 1) < 0 || put_num(line, size, len, cumulative) < 0)
		return -1;
	return seal(line, size, len);
}

int bo__journal_writer_start(bo_journal_writer *w, const char *path, int mode, int64_t id,
			     double reserved, const char *folder)
{
	char line[LINE_MAX_BYTES];
	size_t len = 0;
	if (start_line(line, sizeof line, &len, id, reserved, folder) < 0)
		return bo__error(BO_EINVAL, "%s: trial %lld: folder name too long for the spend journal",
				 path, (long long)id);
	return append_line(w, path, mode, line, len);
}

int bo__journal_writer_charge(bo_journal_writer *w, const char *path, int mode, int64_t id,
			      int state, double cost, double cumulative)
{
	char line[LINE_MAX_BYTES];
	size_t len = 0;
	if (charge_line(line, sizeof line, &len, id, state, cost, cumulative) < 0)
		return bo__error(BO_EINVAL, "%s: trial %lld: record too long", path, (long long)id);
	return append_line(w, path, mode, line, len);
}

int bo__journal_append_start(const char *path, int mode, int64_t id, double reserved,
			     const char *folder)
{
	return bo__journal_writer_start(NULL, path, mode, id, reserved, folder);
}

int bo__journal_append_charge(const char *path, int mode, int64_t id, int state, double cost,
			      double cumulative)
{
	return bo__journal_writer_charge(NULL, path, mode, id, state, cost, cumulative);
}

int bo__journal_rewrite(const char *path, int mode, const bo_journal_trial *t, size_t n)
{
	char tmp[4200], line[LINE_MAX_BYTES];
	size_t i, len;
	double cum = 0;
	int fd = -1, rc = 0;
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return bo__error(BO_EINVAL, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write_all(fd, BO_JOURNAL_HEADER "\n", strlen(BO_JOURNAL_HEADER) + 1) < 0) {
		rc = -1;
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (t[i].started) {
			if (start_line(line, sizeof line, &len, t[i].id, t[i].reserved, t[i].folder) < 0 ||
			    write_all(fd, line, len) < 0) {
				rc = -1;
				goto done;
			}
		}
		if (t[i].charged) {
			cum += t[i].cost;
			if (charge_line(line, sizeof line, &len, t[i].id, t[i].state, t[i].cost, cum) < 0 ||
			    write_all(fd, line, len) < 0) {
				rc = -1;
				goto done;
			}
		}
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		rc = -1;
		goto done;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		rc = -1;
done:
	if (rc < 0) {
		rc = bo__error(BO_EIO, "%s: cannot write the spend journal: %s", path, strerror(errno));
		unlink(tmp);
	}
	if (fd >= 0)
		close(fd);
	return rc;
}
