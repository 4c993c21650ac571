/*
 * storage/storage.c - backend-independent parts of the ledger: choosing a
 * backend from a URI, and freeing events (trial records: core/trial.c).
 *
 * Must never touch a database itself (that is the backends' job), print or
 * exit.
 */
#include "storage/storage.h"
#include "core/alloc.h"
#include "core/error.h"

#include <limits.h>
#include <math.h>
#include <string.h>

void bo__event_free_array(bo_event *e, size_t n)
{
	size_t i;
	if (!e)
		return;
	for (i = 0; i < n; i++) {
		bo__free(e[i].kind);
		bo__free(e[i].detail);
	}
	bo__free(e);
}

/* Length of a URI scheme at the start of s ("sqlite" in "sqlite:x"), or 0
 * when s does not start with letter [letter|digit|+|.|-]* ':'. */
static size_t scheme_len(const char *s)
{
	size_t i = 0;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (i = 1; s[i]; i++) {
		char c = s[i];
		if (c == ':')
			return i;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '.' || c == '-'))
			return 0;
	}
	return 0;
}

static int scheme_is(const char *s, size_t n, const char *name)
{
	size_t i;
	if (strlen(name) != n)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != name[i])
			return 0;
	}
	return 1;
}

/*
 * "sqlite:///abs/path.db" and "sqlite:rel/path.db" name SQLite files. A
 * string counts as a URI only when its scheme is one we know or it is
 * followed by "//", so a plain file name that happens to hold a colon
 * ("runs:v2.db") is still a path.
 */
int bo__storage_file(const char *uri, char *buf, size_t size)
{
	size_t n;
	const char *rest;
	if (!uri || !*uri)
		return bo__error(BO_EINVAL, "storage: empty ledger location");
	n = scheme_len(uri);
	rest = uri;
	if (n == 0) {
		rest = uri;
	} else if (scheme_is(uri, n, "sqlite")) {
		rest = uri + n + 1;
		if (strncmp(rest, "//", 2) == 0) {
			if (rest[2] != '/')
				return bo__error(BO_EINVAL,
						 "storage \"%s\": use sqlite:///absolute/path.db "
						 "or sqlite:relative/path.db", uri);
			rest += 2;
		}
		if (!*rest)
			return bo__error(BO_EINVAL, "storage \"%s\": no file name", uri);
	} else if (scheme_is(uri, n, "postgres") || scheme_is(uri, n, "postgresql")) {
		return bo__error(BO_EINVAL,
				 "storage \"%s\": a PostgreSQL ledger is not a file: the spend "
				 "journal, trial-folder checks and doctor apply to SQLite ledgers "
				 "(the server's own durability protects a PostgreSQL one)", uri);
	} else if (strncmp(uri + n + 1, "//", 2) == 0) {
		return bo__error(BO_EINVAL,
				 "storage \"%s\": unknown scheme \"%.*s\" (known: sqlite, postgresql)",
				 uri, (int)n, uri);
	}
	if (strlen(rest) >= size)
		return bo__error(BO_EINVAL, "storage \"%s\": path too long", uri);
	memcpy(buf, rest, strlen(rest) + 1);
	return 0;
}

int bo__storage_open(bo_storage **out, const char *uri)
{
	return bo__storage_open_ex(out, uri, NULL);
}

void bo__storage_close(bo_storage *st)
{
	if (st && st->ops && st->ops->close)
		st->ops->close(st);
}

void bo__step_rows_free(bo_step_row *r, size_t n)
{
	size_t i;
	if (!r)
		return;
	for (i = 0; i < n; i++)
		bo__free(r[i].name);
	bo__free(r);
}
