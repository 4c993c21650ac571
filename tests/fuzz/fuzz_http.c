/*
 * tests/fuzz/fuzz_http.c - the dashboard's request path without sockets:
 * the input is one or more raw HTTP requests (each ends at a blank line),
 * each read as a new connection from one of three client addresses.
 *
 * Every request goes through what `serve` does with it: the raw URI's
 * percent-encoding check, libmicrohttpd's own decoding of the path and the
 * query string (MHD_http_unescape, '+' as a space in arguments), the
 * connection guard (serve/guard.c: limits per address and in all, with
 * change streams holding their slots), and the routing and refusals
 * (serve/route.c), once for a loopback server without a token and once for
 * one with a token. A blank request (two blank lines in a row) is a client
 * closing its oldest change stream.
 *
 * Besides crashes, it aborts on an answer that breaks a rule of
 * docs/api.md, checked here independently of route.c: a 200 only for GET
 * or HEAD of a known document, with one Host header, the token when one is
 * set and a loopback Host when none is; a 503 exactly when the guard's
 * slots for the address (or in all) are held by change streams.
 */
#include "fuzz.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "serve/guard.h"
#include "serve/route.h"

#define MAX_CONNS 4
#define MAX_PER_ADDR 2
#define NPEERS 3
#define MAX_REQUESTS 64
#define REQUEST_S 1e9   /* the guard's header deadline: never reached here */

static const char TOKEN[] = "s3cret-Token_42";

static const char *const KNOWN[] = {
	"/", "/index.html", "/app.js", "/style.css", "/api/events/stream", "/api/status",
	"/api/trials", "/api/frontier", "/api/events", "/api/charts", "/api/selection",
	"/api/charts/frontier.svg", "/api/charts/burndown.svg", "/api/charts/best.svg",
	"/api/charts/marginal.svg", "/api/charts/importance.svg", "/api/charts/curves.svg", "/api/curves",
};

#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "fuzz_http: %s:%d: broken rule: %s\n", __FILE__, \
				__LINE__, #cond);                                       \
			abort();                                                        \
		}                                                                       \
	} while (0)

typedef struct parsed {
	char *method, *uri, *path;
	const char *host, *auth, *qtoken;
	unsigned nhost;
	int close;
} parsed;

typedef struct conn {
	bo_serve_conn *c;
	int peer;
	int stream;    /* busy answering a change stream */
} conn;

static int known(const char *path)
{
	size_t k;
	for (k = 0; k < sizeof KNOWN / sizeof KNOWN[0]; k++)
		if (!strcmp(path, KNOWN[k]))
			return 1;
	return 0;
}

static char *trim(char *s)
{
	size_t n;
	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

static void unescape_arg(char *s)
{
	char *p;
	for (p = s; *p; p++)
		if (*p == '+')
			*p = ' ';
	MHD_http_unescape(s);
}

/* The query string as libmicrohttpd splits it: the first "token". */
static void parse_query(parsed *r, char *q)
{
	while (q) {
		char *amp = strchr(q, '&'), *eq;
		if (amp)
			*amp = '\0';
		eq = strchr(q, '=');
		if (eq)
			*eq = '\0';
		unescape_arg(q);
		if (eq)
			unescape_arg(eq + 1);
		if (!strcasecmp(q, "token") && !r->qtoken && eq)
			r->qtoken = eq + 1;
		q = amp ? amp + 1 : NULL;
	}
}

/* Splits one request (text, modified in place). 0: the handler would see
 * it; -1: libmicrohttpd refuses it before (no URI, a header without a
 * colon). */
static int parse(parsed *r, char *text)
{
	char *line = text, *next, *sp, *q;
	int first = 1;
	memset(r, 0, sizeof *r);
	for (; line; line = next) {
		size_t n;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		if (first) {
			first = 0;
			r->method = line;
			if (!(sp = strchr(line, ' ')))
				return -1;
			*sp = '\0';
			r->uri = sp + 1;
			if ((sp = strchr(r->uri, ' ')))
				*sp = '\0';   /* the version */
			continue;
		}
		if (!n)
			continue;
		if (!(sp = strchr(line, ':')))
			return -1;
		*sp = '\0';
		if (!strcasecmp(line, "Host")) {
			if (!r->nhost++)
				r->host = trim(sp + 1);
		} else if (!strcasecmp(line, "Authorization")) {
			if (!r->auth)
				r->auth = trim(sp + 1);
		} else if (!strcasecmp(line, "Connection")) {
			r->close |= !strcasecmp(trim(sp + 1), "close");
		}
	}
	if (!r->uri)
		return -1;
	/* The path, decoded, apart from its query (r->uri stays raw). */
	if (!(r->path = strdup(r->uri)))
		return -1;
	if ((q = strchr(r->path, '?'))) {
		*q++ = '\0';
		parse_query(r, q);
	}
	MHD_http_unescape(r->path);
	return 0;
}

static int host_looks_local(const char *h)
{
	return h && (!strncasecmp(h, "localhost", 9) || !strncmp(h, "127.", 4) || strchr(h, ':'));
}

static void check_route(const bo_serve_route *rt, const parsed *r, const bo_serve_request *in,
			const char *token)
{
	int get = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");
	CHECK((rt->code == 503) == (rt->body == BO_SERVE_BUSY));
	CHECK((rt->code == 503) == (in->over != 0));
	CHECK((rt->code == 200) == (rt->body != BO_SERVE_BUSY && rt->body != BO_SERVE_ERROR));
	CHECK(rt->body != BO_SERVE_ERROR || (rt->error && strlen(rt->error) < 200));
	CHECK(!rt->hname == !rt->hvalue);
	switch (rt->code) {
	case 200:
		CHECK(get && r->nhost == 1 && !in->bad_encoding);
		CHECK(known(in->url));
		if (token)
			CHECK((r->auth && strstr(r->auth, token)) || (r->qtoken && !strcmp(r->qtoken, token)));
		else
			CHECK(host_looks_local(r->host));
		if (rt->body == BO_SERVE_CHART)
			CHECK(rt->chart >= 0 && rt->chart < BO_NCHARTS &&
			      strstr(in->url, bo__serve_chart_names[rt->chart]));
		break;
	case 400: break;
	case 401: CHECK(token && rt->hname && !strcmp(rt->hname, "WWW-Authenticate")); break;
	case 403: CHECK(!token && get); break;
	case 404: CHECK(get && !known(in->url) && !in->bad_encoding); break;
	case 405: CHECK(!get && rt->hname && !strcmp(rt->hname, "Allow")); break;
	case 503: break;
	default: CHECK(!"an unexpected status");
	}
}

static void peer_addr(int peer, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	if (peer < 2) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(0x7f000001u + (unsigned)peer);
		*len = sizeof *a;
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		*len = sizeof *a;
	}
}

/* The end of the request starting at p: after its blank line, or size. */
static size_t request_end(const uint8_t *data, size_t p, size_t size, size_t *next)
{
	size_t i;
	for (i = p; i < size; i++) {
		if (data[i] != '\n')
			continue;
		if (i + 1 < size && data[i + 1] == '\n') {
			*next = i + 2;
			return i + 1;
		}
		if (i + 2 < size && data[i + 1] == '\r' && data[i + 2] == '\n') {
			*next = i + 3;
			return i + 1;
		}
	}
	*next = size;
	return size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bo_serve_guard *g = NULL;
	conn conns[MAX_REQUESTS];
	size_t nconns = 0, p = 0, i;
	int nreq = 0;

	if (bo__guard_new(&g, MAX_CONNS, MAX_PER_ADDR, REQUEST_S) < 0)
		return 0;
	while (p < size && nreq++ < MAX_REQUESTS) {
		size_t next, end = request_end(data, p, size, &next), k;
		char *text = malloc(end - p + 1);
		struct sockaddr_storage ss;
		socklen_t len;
		unsigned sum = 0, busy_all = 0, busy_mine = 0;
		parsed r;
		bo_serve_request in;
		bo_serve_route rt, rt_tok;
		conn *cn;
		int over;

		if (!text)
			break;
		memcpy(text, data + p, end - p);
		text[end - p] = '\0';
		for (k = p; k < end; k++)
			sum += data[k];
		p = next;
		if (text[strspn(text, "\r\n")] == '\0') {
			/* A blank request: the oldest change stream's client leaves. */
			for (k = 0; k < nconns; k++)
				if (conns[k].stream && conns[k].c) {
					bo__guard_close(g, conns[k].c);
					conns[k].c = NULL;
					break;
				}
			free(text);
			continue;
		}

		/* A new connection: over the limits exactly when the slots of its
		 * address, or all slots, are held by streams (never cut). */
		cn = &conns[nconns++];
		cn->peer = (int)(sum % NPEERS);
		cn->stream = 0;
		for (k = 0; k + 1 < nconns; k++)
			if (conns[k].c && conns[k].stream) {
				busy_all++;
				busy_mine += conns[k].peer == cn->peer;
			}
		peer_addr(cn->peer, &ss, &len);
		cn->c = bo__guard_open(g, -1, (struct sockaddr *)&ss, len, &over);
		CHECK(cn->c != NULL);
		CHECK(over == (busy_mine >= MAX_PER_ADDR || busy_all >= MAX_CONNS));
		CHECK(bo__guard_over(cn->c) == over);

		if (parse(&r, text) == 0) {
			bo__guard_busy(g, cn->c);
			memset(&in, 0, sizeof in);
			in.method = r.method;
			in.url = r.path;
			in.bad_encoding = bo__serve_uri_bad_encoding(r.uri);
			in.over = bo__guard_over(cn->c);
			in.nhost = r.nhost;
			in.host = r.host;
			in.authorization = r.auth;
			in.query_token = r.qtoken;
			bo__serve_route(&rt, &in, "127.0.0.1", NULL);
			check_route(&rt, &r, &in, NULL);
			bo__serve_route(&rt_tok, &in, "0.0.0.0", TOKEN);
			check_route(&rt_tok, &r, &in, TOKEN);
			/* The token changes who may ask, never what the answer is. */
			CHECK(rt.code != 200 || rt_tok.code != 200 || (rt.body == rt_tok.body && rt.chart == rt_tok.chart));
			cn->stream = rt.body == BO_SERVE_STREAM;
			if (!cn->stream)
				bo__guard_idle(g, cn->c);
			if (!cn->stream && (r.close || over)) {
				bo__guard_close(g, cn->c);
				cn->c = NULL;
			}
		} else {
			/* Refused by libmicrohttpd with 400: it closes the connection. */
			bo__guard_close(g, cn->c);
			cn->c = NULL;
		}
		free(r.path);
		free(text);
		CHECK(bo__guard_reap(g) == 0);
	}
	for (i = 0; i < nconns; i++)
		bo__guard_close(g, conns[i].c);
	bo__guard_free(g);
	return 0;
}
