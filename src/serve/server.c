/*
 * serve/server.c - the dashboard's HTTP server (libmicrohttpd, one thread
 * per connection so that a change stream waiting for news holds only its
 * own thread).
 *
 * Requests are answered from an immutable, reference-counted snapshot of
 * the ledger that one watcher thread rebuilds when the ledger's totals
 * change; no request touches the database, so a runner writing it is never
 * blocked by browsers and a flood of requests costs the ledger nothing.
 *
 * Connections are watched by serve/guard.c: one that does not deliver its
 * request in time is cut, and beyond the limits a request is answered 503
 * (docs/api.md, "Connection limits"). A snapshot that cannot be built
 * leaves the last good one in place and an "error" in /api/status.
 *
 * What it must never do: write the ledger; serve anything but the compiled-
 * in page and the API (there is no file system behind the URLs, and paths
 * with "..", "//", backslashes or percent-encoded dots, slashes or
 * backslashes are refused before routing); accept a method other than GET
 * and HEAD; answer without the token when one is set; print or exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "analysis/configs.h"
#include "analysis/frontier.h"
#include "analysis/uncertain.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"
#include "report/charts.h"
#include "report/export_json.h"
#include "report/rungs.h"
#include "serve/guard.h"
#include "serve/route.h"
#include "serve/server.h"
#include "serve/snapshot.h"
#include "storage/postgres.h"
#include "storage/storage.h"

#define DEFAULT_POLL_S 0.25
#define KEEPALIVE_S 10.0           /* a comment on an idle stream, well inside the timeout */
#define CONNECTION_TIMEOUT_S 30    /* libmicrohttpd closes a connection silent this long */
#define REQUEST_TIMEOUT_S 10.0     /* a whole request header within this, or the connection is cut */
#define RETRY_AFTER "5"            /* seconds, in a 503 beyond the connection limits */
#define STREAM_BLOCK 4096
#define MAX_TOKEN 256


struct bo_server {
	const bo_study *s;
	struct MHD_Daemon *d;
	unsigned port;
	char *token;               /* NULL: none */
	char *ledger;
	char *bind;
	char *page;                /* the page with its asset links filled in */
	char *js, *css;
	double poll_s;

	pthread_mutex_t lock;
	pthread_cond_t changed;    /* a new snapshot, or stopping */
	snapshot *snap;            /* current; never NULL once started */
	int stopping;

	char *error;               /* why the ledger's latest state is not shown; NULL: none */
	uint64_t news;             /* bumped by a new snapshot or a new error: streams tell it */
	bo_serve_guard *guard;

	pthread_t watcher;
	int watcher_started;
	bo_storage *st;            /* the watcher's own connection */
	int have_totals;
	bo_ledger_totals last;     /* what the current snapshot was built from */
	double built_at;           /* when (monotonic seconds) */
};

/* Per request: what the raw URI looked like before libmicrohttpd decoded it. */
typedef struct request {
	int bad_encoding;
	int seen;                  /* the handler ran: the connection is busy */
} request;

static void snap_unref(bo_server *sv, snapshot *sn)
{
	int last;
	if (!sn)
		return;
	pthread_mutex_lock(&sv->lock);
	last = --sn->refs == 0;
	pthread_mutex_unlock(&sv->lock);
	if (last)
		bo__serve_snap_free(sn);
}

static snapshot *snap_get(bo_server *sv)
{
	snapshot *sn;
	pthread_mutex_lock(&sv->lock);
	sn = sv->snap;
	sn->refs++;
	pthread_mutex_unlock(&sv->lock);
	return sn;
}

/* The totals that decide whether anything changed. */
static int same_totals(const bo_ledger_totals *a, const bo_ledger_totals *b)
{
	int k;
	for (k = 0; k < 5; k++)
		if (a->by_state[k] != b->by_state[k])
			return 0;
	return a->spent == b->spent && a->ntrials == b->ntrials && a->elapsed_s == b->elapsed_s &&
	       a->nversions == b->nversions && a->first_start == b->first_start;
}

/* Sets (msg not NULL) or clears the error shown beside the snapshot;
 * streams are told when it changes. */
static void set_error(bo_server *sv, const char *msg)
{
	char *copy = msg ? bo__strdup(msg) : NULL, *old;
	pthread_mutex_lock(&sv->lock);
	old = sv->error;
	if ((old || copy) && !(old && copy && !strcmp(old, copy))) {
		sv->news++;
		pthread_cond_broadcast(&sv->changed);
	}
	sv->error = copy;
	pthread_mutex_unlock(&sv->lock);
	bo__free(old);
}

static void publish(bo_server *sv, snapshot *sn)
{
	snapshot *old;
	pthread_mutex_lock(&sv->lock);
	sn->gen = sv->snap ? sv->snap->gen + 1 : 1;
	old = sv->snap;
	sv->snap = sn;
	sv->news++;
	pthread_cond_broadcast(&sv->changed);
	pthread_mutex_unlock(&sv->lock);
	snap_unref(sv, old);
}

#define WORKERS_REFRESH_S 5.0

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Looks at the ledger once; rebuilds the snapshot when it changed. A ledger
 * that cannot be read, or a snapshot that cannot be built, leaves the last
 * snapshot in place and says why (set_error) until a build succeeds; the
 * build is retried when the totals change again, not at every look. */
static void refresh(bo_server *sv)
{
	bo_ledger_totals tot;
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	bo_trial_rec *t = NULL;
	bo_event *ev = NULL;
	bo_step_row *steps = NULL;
	size_t n = 0, nev = 0, nsteps = 0;
	snapshot *sn;
	struct stat sb;
	char why[1024];

	if (!sv->st) {
		/* Opening would create a missing file: wait for the runner to.
		 * (A PostgreSQL ledger is not a file: opening creates nothing.) */
		if (!bo__storage_is_postgres(sv->ledger) && (stat(sv->ledger, &sb) < 0 || sb.st_size == 0))
			return;
		/* Checked against its spend journal: a damaged ledger is shown
		 * as an error naming doctor, never as an empty study. */
		if (bo__storage_open_ex(&sv->st, sv->ledger, NULL) < 0) {
			snprintf(why, sizeof why, "cannot read the ledger: %s", bo_error_last());
			set_error(sv, why);
			return;
		}
	}
	if (sv->st->ops->totals(sv->st, &tot) < 0) {
		snprintf(why, sizeof why, "cannot read the ledger: %s", bo_error_last());
		set_error(sv, why);
		return;
	}
	/* A PostgreSQL study's workers send heartbeats that the totals do not
	 * show: their list is refreshed every WORKERS_REFRESH_S all the same. */
	if (sv->have_totals && same_totals(&tot, &sv->last) &&
	    !(bo__storage_is_pg_handle(sv->st) && mono_s() - sv->built_at >= WORKERS_REFRESH_S))
		return;
	/* the intermediate reports only with a pruner or a fidelity: the
	 * learning curves, and the saving estimate that reads how far each
	 * pruned trial got (report/rungs.h). A running trial's new reports
	 * show at the runner's next heartbeat, which changes the totals. */
	if (sv->st->ops->trials(sv->st, &q, &t, &n) < 0 || sv->st->ops->events(sv->st, &ev, &nev) < 0 ||
	    (bo__serve_curves_shown(sv->s) && sv->st->ops->steps(sv->st, &steps, &nsteps) < 0)) {
		snprintf(why, sizeof why, "cannot read the ledger: %s", bo_error_last());
		set_error(sv, why);
		goto done;
	}
	sv->last = tot;
	sv->have_totals = 1;
	if (!(sn = bo__serve_snap_build(sv->s, sv->st, &tot, t, n, ev, nev, steps, nsteps))) {
		snprintf(why, sizeof why, "cannot show the ledger's latest state: %s", bo_error_last());
		set_error(sv, why);
		goto done;
	}
	publish(sv, sn);
	sv->built_at = mono_s();
	set_error(sv, NULL);
done:
	bo__trial_rec_free_array(t, n);
	bo__event_free_array(ev, nev);
	bo__step_rows_free(steps, nsteps);
}

static void *watch(void *arg)
{
	bo_server *sv = arg;
	struct timespec until;
	pthread_mutex_lock(&sv->lock);
	while (!sv->stopping) {
		pthread_mutex_unlock(&sv->lock);
		refresh(sv);
		bo__guard_reap(sv->guard);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)(sv->poll_s * 1e9);
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_mutex_lock(&sv->lock);
		if (!sv->stopping)
			pthread_cond_timedwait(&sv->changed, &sv->lock, &until);
	}
	pthread_mutex_unlock(&sv->lock);
	return NULL;
}

/* ---- the change stream ------------------------------------------------- */

typedef struct stream {
	bo_server *sv;
	uint64_t sent;             /* sv->news last told; 0: nothing yet */
} stream;

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	stream *e = cls;
	bo_server *sv = e->sv;
	struct timespec until;
	ssize_t len = 0;
	(void)pos;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)KEEPALIVE_S;
	pthread_mutex_lock(&sv->lock);
	while (!sv->stopping && sv->news + 1 == e->sent)
		if (pthread_cond_timedwait(&sv->changed, &sv->lock, &until) == ETIMEDOUT)
			break;
	if (sv->stopping) {
		len = MHD_CONTENT_READER_END_OF_STREAM;
	} else if (sv->news + 1 != e->sent) {
		len = snprintf(buf, max,
			       "%sevent: update\ndata: {\"generation\": %llu, \"trials\": %lld, "
			       "\"finished\": %lld}\n\n",
			       e->sent ? "" : "retry: 1000\n", (unsigned long long)sv->snap->gen,
			       (long long)sv->snap->ntrials, (long long)sv->snap->nfinished);
		e->sent = sv->news + 1;
	} else {
		len = snprintf(buf, max, ": keepalive\n\n");
	}
	pthread_mutex_unlock(&sv->lock);
	if (len >= 0 && (size_t)len >= max)   /* cannot happen with STREAM_BLOCK */
		len = MHD_CONTENT_READER_END_WITH_ERROR;
	return len;
}

static void stream_free(void *cls)
{
	bo__free(cls);
}

/* ---- requests ---------------------------------------------------------- */

static const char CSP[] = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
			  "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
			  "frame-ancestors 'none'";

static void common_headers(struct MHD_Response *r, const char *type)
{
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy", CSP);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned code, const char *type,
			     const char *body, size_t len, const char *hname, const char *hvalue)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	if (!r)
		return MHD_NO;
	common_headers(r, type);
	if (hname)
		MHD_add_response_header(r, hname, hvalue);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned code, const char *msg,
				   const char *hname, const char *hvalue)
{
	char body[256];
	int len = snprintf(body, sizeof body, "{\"error\": \"%s\"}\n", msg);
	return reply(conn, code, "application/json", body, (size_t)len, hname, hvalue);
}

static enum MHD_Result count_host(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	(void)kind;
	(void)value;
	if (key && !strcasecmp(key, MHD_HTTP_HEADER_HOST))
		++*(unsigned *)cls;
	return MHD_YES;
}

/* How many Host headers: exactly one is accepted (serve/route.c), and
 * libmicrohttpd keeps duplicates as separate values. */
static unsigned host_count(struct MHD_Connection *conn)
{
	unsigned n = 0;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_host, &n);
	return n;
}

/* The status with the reason the latest state is not shown, or NULL on
 * memory exhaustion. */
static char *status_with_error(const char *status, const char *error)
{
	json_t *v = json_loads(status, 0, NULL);
	if (!v || json_object_set_new(v, "error", json_string(error)) < 0) {
		json_decref(v);
		return NULL;
	}
	return bo__serve_dump(v);
}

static bo_serve_conn *conn_record(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* The body of a route that serves a document: the compiled-in page and
 * assets, or the snapshot's (NULL for the status, built on its own). */
static const char *document(const bo_server *sv, const snapshot *sn, const bo_serve_route *rt,
			    const char **type)
{
	*type = "application/json";
	switch (rt->body) {
	case BO_SERVE_PAGE: *type = "text/html; charset=utf-8"; return sv->page;
	case BO_SERVE_JS: *type = "text/javascript; charset=utf-8"; return sv->js;
	case BO_SERVE_CSS: *type = "text/css; charset=utf-8"; return sv->css;
	case BO_SERVE_TRIALS: return sn->trials;
	case BO_SERVE_FRONTIER: return sn->frontier;
	case BO_SERVE_SELECTION: return sn->selection;
	case BO_SERVE_CURVES: return sn->curves;
	case BO_SERVE_EVENTS: return sn->events;
	case BO_SERVE_CHARTS: return sn->charts;
	case BO_SERVE_CHART: *type = "image/svg+xml"; return sn->svg[rt->chart];
	default: return NULL;
	}
}

static enum MHD_Result reply_status(bo_server *sv, struct MHD_Connection *conn, const snapshot *sn)
{
	char *error = NULL, *body = NULL;
	int nomem = 0;
	enum MHD_Result ret;
	pthread_mutex_lock(&sv->lock);
	if (sv->error && !(error = bo__strdup(sv->error)))
		nomem = 1;
	pthread_mutex_unlock(&sv->lock);
	if (error && !(body = status_with_error(sn->status, error)))
		nomem = 1;
	ret = nomem ? MHD_NO
		    : reply(conn, MHD_HTTP_OK, "application/json", body ? body : sn->status,
			    strlen(body ? body : sn->status), NULL, NULL);
	free(body);
	bo__free(error);
	return ret;
}

static enum MHD_Result reply_stream(bo_server *sv, struct MHD_Connection *conn)
{
	stream *e = bo__calloc(1, sizeof *e);
	struct MHD_Response *r;
	enum MHD_Result ret;
	if (!e)
		return MHD_NO;
	e->sv = sv;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, e, stream_free);
	if (!r) {
		bo__free(e);
		return MHD_NO;
	}
	common_headers(r, "text/event-stream");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_busy(struct MHD_Connection *conn)
{
	static const char busy[] = "{\"error\": \"the server is at its connection limit: retry later\"}\n";
	struct MHD_Response *r;
	enum MHD_Result ret;
	if (!(r = MHD_create_response_from_buffer(sizeof busy - 1, (void *)busy, MHD_RESPMEM_PERSISTENT)))
		return MHD_NO;
	common_headers(r, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, RETRY_AFTER);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(conn, MHD_HTTP_SERVICE_UNAVAILABLE, r);
	MHD_destroy_response(r);
	return ret;
}

/* What to answer is decided by serve/route.c from the request's parts;
 * this only gathers them from libmicrohttpd and sends the answer. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_size, void **con_cls)
{
	bo_server *sv = cls;
	request *rq = *con_cls;
	bo_serve_conn *rec = conn_record(conn);
	bo_serve_request in;
	bo_serve_route rt;
	snapshot *sn;
	enum MHD_Result ret;
	const char *type, *doc;
	(void)version;
	(void)upload_data;
	(void)upload_size;

	if (rq && !rq->seen) {
		rq->seen = 1;
		bo__guard_busy(sv->guard, rec);
	}
	memset(&in, 0, sizeof in);
	in.method = method;
	in.url = url;
	in.bad_encoding = rq && rq->bad_encoding;
	in.over = bo__guard_over(rec);
	in.nhost = host_count(conn);
	in.host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	in.authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	in.query_token = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
	bo__serve_route(&rt, &in, sv->bind, sv->token);

	switch (rt.body) {
	case BO_SERVE_BUSY: return reply_busy(conn);
	case BO_SERVE_ERROR: return reply_error(conn, rt.code, rt.error, rt.hname, rt.hvalue);
	case BO_SERVE_STREAM: return reply_stream(sv, conn);
	case BO_SERVE_PAGE:
	case BO_SERVE_JS:
	case BO_SERVE_CSS:
		doc = document(sv, NULL, &rt, &type);
		return reply(conn, rt.code, type, doc, strlen(doc), NULL, NULL);
	default:
		break;
	}
	sn = snap_get(sv);
	if (rt.body == BO_SERVE_STATUS) {
		ret = reply_status(sv, conn, sn);
	} else {
		doc = document(sv, sn, &rt, &type);
		ret = reply(conn, rt.code, type, doc, strlen(doc), NULL, NULL);
	}
	snap_unref(sv, sn);
	return ret;
}

/* Sees the URI before it is percent-decoded (serve/route.h). */
static void *uri_seen(void *cls, const char *uri, struct MHD_Connection *conn)
{
	request *rq = bo__calloc(1, sizeof *rq);
	(void)cls;
	(void)conn;
	if (rq)
		rq->bad_encoding = bo__serve_uri_bad_encoding(uri);
	return rq;
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	bo_server *sv = cls;
	request *rq = *con_cls;
	(void)toe;
	if (rq && rq->seen)
		bo__guard_idle(sv->guard, conn_record(conn));
	bo__free(*con_cls);
	*con_cls = NULL;
}

/* Connections opening and closing, for the guard. libmicrohttpd reports
 * the close before it closes the socket (serve/guard.h relies on it). */
static void conn_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
			enum MHD_ConnectionNotificationCode code)
{
	bo_server *sv = cls;
	const union MHD_ConnectionInfo *fd, *ad;
	const struct sockaddr *sa;
	socklen_t len;
	int over;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		bo__guard_close(sv->guard, *socket_context);
		*socket_context = NULL;
		return;
	}
	fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	ad = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sa = ad ? ad->client_addr : NULL;
	len = sa && sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	/* NULL (out of memory) reads as over the limit: answered 503. */
	*socket_context = fd ? bo__guard_open(sv->guard, fd->connect_fd, sa, len, &over) : NULL;
}

/* ---- life cycle -------------------------------------------------------- */

static int token_ok(const char *t)
{
	size_t n = 0;
	for (; *t; t++, n++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') ||
		      strchr("._~-", *t)))
			return 0;
	return n > 0 && n <= MAX_TOKEN;
}

/* The lines joined, with "{{Q}}" replaced by the token query (or nothing). */
static char *join(const char *const *lines, const char *token)
{
	bo_strbuf sb = BO_STRBUF_INIT;
	const char *p, *m;
	for (; *lines; lines++) {
		for (p = *lines; (m = strstr(p, "{{Q}}")); p = m + 5) {
			bo__sb_add(&sb, p, (size_t)(m - p));
			if (token) {
				bo__sb_puts(&sb, "?token=");
				bo__sb_puts(&sb, token);
			}
		}
		bo__sb_puts(&sb, p);
	}
	if (!bo__sb_str(&sb)) {
		bo__sb_clear(&sb);
		return NULL;
	}
	return bo__sb_take(&sb);
}

int bo__serve_start(bo_server **out, const bo_study *s, const bo_serve_options *o)
{
	bo_server *sv = NULL;
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
	const union MHD_DaemonInfo *info;
	bo_ledger_totals zero;
	const char *bind;
	unsigned max_conns, max_per_addr;
	int rc = BO_ENOMEM, locks = 0;

	if (!out || !s || !o || !o->ledger)
		return bo__error(BO_EMISUSE, "serve: missing argument");
	*out = NULL;
	bind = o->bind ? o->bind : "127.0.0.1";
	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, bind, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)o->port);
	} else if (inet_pton(AF_INET6, bind, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)o->port);
		flags |= MHD_USE_IPv6;
	} else {
		return bo__error(BO_EINVAL, "--bind %s: not a numeric IPv4 or IPv6 address", bind);
	}
	if (o->port > 65535)
		return bo__error(BO_EINVAL, "--port %u: not a port number", o->port);
	max_conns = o->max_connections ? o->max_connections : BO_SERVE_MAX_CONNECTIONS;
	max_per_addr = o->max_per_address ? o->max_per_address : BO_SERVE_MAX_PER_ADDRESS;
	if (max_conns > BO_SERVE_MAX_CONNECTIONS_CAP)
		return bo__error(BO_EINVAL, "--max-connections %u: at most %u", max_conns,
				 BO_SERVE_MAX_CONNECTIONS_CAP);
	if (max_per_addr > max_conns)
		max_per_addr = max_conns;
	if (o->token && !token_ok(o->token))
		return bo__error(BO_EINVAL, "--token: use 1 to %d characters of A-Z a-z 0-9 . _ ~ -", MAX_TOKEN);
	if (!o->token && !bo__serve_is_loopback(bind))
		return bo__error(BO_EINVAL,
				 "--bind %s is reachable from other machines: give --token too, a secret "
				 "every request must carry", bind);

	if (!(sv = bo__calloc(1, sizeof *sv)))
		goto done;
	sv->s = s;
	sv->poll_s = o->poll_s > 0 ? o->poll_s : DEFAULT_POLL_S;
	if (!(sv->ledger = bo__strdup(o->ledger)) || !(sv->bind = bo__strdup(bind)) ||
	    (o->token && !(sv->token = bo__strdup(o->token))) || !(sv->page = join(bo__serve_page_html, o->token)) ||
	    !(sv->js = join(bo__serve_page_js, NULL)) || !(sv->css = join(bo__serve_page_css, NULL)))
		goto done;
	/* A plain path: "sqlite:" URIs name the same file. */
	if (!strncmp(sv->ledger, "sqlite://", 9))
		memmove(sv->ledger, sv->ledger + 9, strlen(sv->ledger + 9) + 1);
	else if (!strncmp(sv->ledger, "sqlite:", 7))
		memmove(sv->ledger, sv->ledger + 7, strlen(sv->ledger + 7) + 1);
	if (pthread_mutex_init(&sv->lock, NULL))
		goto done;
	if (pthread_cond_init(&sv->changed, NULL)) {
		pthread_mutex_destroy(&sv->lock);
		goto done;
	}
	locks = 1;
	if ((rc = bo__guard_new(&sv->guard, max_conns, max_per_addr, REQUEST_TIMEOUT_S)) < 0)
		goto done;
	rc = BO_ENOMEM;

	/* An empty snapshot first, so that every request has one to read. */
	memset(&zero, 0, sizeof zero);
	if (!(sv->snap = bo__serve_snap_build(sv->s, sv->st, &zero, NULL, 0, NULL, 0, NULL, 0)))
		goto done;
	sv->snap->gen = 1;
	refresh(sv);
	if (pthread_create(&sv->watcher, NULL, watch, sv)) {
		rc = bo__error(BO_EIO, "serve: cannot start the watcher thread");
		goto done;
	}
	sv->watcher_started = 1;

	errno = 0;
	sv->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, sv,
				 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				 /* twice the guard's limit: room to answer 503 and to
				  * close the connections the guard cut */
				 MHD_OPTION_CONNECTION_LIMIT, 2 * max_conns,
				 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
				 MHD_OPTION_URI_LOG_CALLBACK, uri_seen, (void *)NULL,
				 MHD_OPTION_NOTIFY_COMPLETED, request_done, (void *)sv,
				 MHD_OPTION_NOTIFY_CONNECTION, conn_notify, (void *)sv,
				 MHD_OPTION_END);
	if (!sv->d) {
		rc = bo__error(BO_EIO, "cannot listen on %s port %u: %s", bind, o->port,
			       errno ? strerror(errno) : "libmicrohttpd refused to start");
		goto done;
	}
	info = MHD_get_daemon_info(sv->d, MHD_DAEMON_INFO_BIND_PORT);
	sv->port = info ? info->port : o->port;
	*out = sv;
	sv = NULL;
	rc = 0;
done:
	if (sv && !locks) {
		bo__free(sv->ledger);
		bo__free(sv->bind);
		bo__free(sv->token);
		bo__free(sv->page);
		bo__free(sv->js);
		bo__free(sv->css);
		bo__free(sv);
	} else if (sv) {
		bo__serve_stop(sv);
	}
	if (rc == BO_ENOMEM)
		bo__error(BO_ENOMEM, "serve: out of memory");
	return rc;
}

unsigned bo__serve_port(const bo_server *sv)
{
	return sv ? sv->port : 0;
}

void bo__serve_stop(bo_server *sv)
{
	if (!sv)
		return;
	pthread_mutex_lock(&sv->lock);
	sv->stopping = 1;
	pthread_cond_broadcast(&sv->changed);
	pthread_mutex_unlock(&sv->lock);
	if (sv->d)
		MHD_stop_daemon(sv->d);
	if (sv->watcher_started)
		pthread_join(sv->watcher, NULL);
	snap_unref(sv, sv->snap);
	bo__storage_close(sv->st);
	bo__guard_free(sv->guard);
	bo__free(sv->error);
	pthread_cond_destroy(&sv->changed);
	pthread_mutex_destroy(&sv->lock);
	bo__free(sv->ledger);
	bo__free(sv->bind);
	bo__free(sv->token);
	bo__free(sv->page);
	bo__free(sv->js);
	bo__free(sv->css);
	bo__free(sv);
}
