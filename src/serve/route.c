/*
 * serve/route.c - the dashboard's answer to one request, from the request
 * alone (serve/route.h): who is refused and why, and which of the compiled-
 * in page, assets and API documents the rest get.
 *
 * What it must never do: let a request through that carries a path with
 * "..", "//", a backslash or a percent sign left after decoding (or a
 * percent-encoded dot, slash, backslash, NUL or percent sign before it);
 * answer with a document without the token when one is set; answer
 * anything but GET and HEAD. It touches no socket, lock or file, so it can
 * be fuzzed on its own (tests/fuzz/fuzz_http.c).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "serve/route.h"
#include "serve/server.h"

#define HOST_NAME_MAX_BYTES 300

const char *const bo__serve_chart_names[BO_NCHARTS] = {"frontier", "burndown", "best", "marginal",
						       "importance", "curves"};

int bo__serve_is_loopback(const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

/* Compares in time that depends on the secret's length only. */
static int eq_const_time(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char diff = (unsigned char)(la != lb);
	for (i = 0; i < lb; i++)
		diff |= (unsigned char)(a[i < la ? i : 0] ^ b[i]) | (unsigned char)(i >= la);
	return diff == 0 && la == lb;
}

static int authorised(const bo_serve_request *rq, const char *token)
{
	const char *h = rq->authorization;
	if (!token)
		return 1;
	if (h && !strncasecmp(h, "Bearer ", 7)) {
		h += 7;
		while (*h == ' ')
			h++;
		if (eq_const_time(h, token))
			return 1;
	}
	return rq->query_token && eq_const_time(rq->query_token, token);
}

/* Without a token the server trusts the loopback interface; a page on
 * another site reaching it through a DNS name rebound to 127.0.0.1 still
 * sends that name as Host, and is refused. */
static int host_allowed(const char *h, const char *bind, const char *token)
{
	char name[HOST_NAME_MAX_BYTES];
	size_t len;
	const char *colon;
	if (token)
		return 1;
	if (!h)
		return 0;
	if (h[0] == '[') {
		const char *end = strchr(h, ']');
		if (!end)
			return 0;
		len = (size_t)(end - h - 1);
		h++;
	} else {
		colon = strchr(h, ':');
		len = colon ? (size_t)(colon - h) : strlen(h);
	}
	if (len >= sizeof name)
		return 0;
	memcpy(name, h, len);
	name[len] = '\0';
	return !strcasecmp(name, "localhost") || bo__serve_is_loopback(name) || !strcmp(name, bind);
}

/* A path that tries to leave the served tree, or hides its shape. */
static int bad_path(const char *url)
{
	return url[0] != '/' || strstr(url, "..") || strstr(url, "//") || strchr(url, '\\') ||
	       strchr(url, '%');
}

int bo__serve_uri_bad_encoding(const char *uri)
{
	const char *p;
	for (p = uri; *p && *p != '?'; p++) {
		if (*p != '%')
			continue;
		if (!strncasecmp(p, "%2e", 3) || !strncasecmp(p, "%2f", 3) || !strncasecmp(p, "%5c", 3) ||
		    !strncmp(p, "%00", 3) || !strncmp(p, "%25", 3))
			return 1;
	}
	return 0;
}

static void answer(bo_serve_route *out, unsigned code, bo_serve_body body)
{
	out->code = code;
	out->body = body;
}

static void refuse(bo_serve_route *out, unsigned code, const char *msg, const char *hname,
		   const char *hvalue)
{
	out->code = code;
	out->body = BO_SERVE_ERROR;
	out->error = msg;
	out->hname = hname;
	out->hvalue = hvalue;
}

void bo__serve_route(bo_serve_route *out, const bo_serve_request *rq, const char *bind,
		     const char *token)
{
	static const struct {
		const char *url;
		bo_serve_body body;
	} docs[] = {
		{"/", BO_SERVE_PAGE},
		{"/index.html", BO_SERVE_PAGE},
		{"/app.js", BO_SERVE_JS},
		{"/style.css", BO_SERVE_CSS},
		{"/api/events/stream", BO_SERVE_STREAM},
		{"/api/status", BO_SERVE_STATUS},
		{"/api/trials", BO_SERVE_TRIALS},
		{"/api/frontier", BO_SERVE_FRONTIER},
		{"/api/events", BO_SERVE_EVENTS},
		{"/api/charts", BO_SERVE_CHARTS},
		{"/api/selection", BO_SERVE_SELECTION},
		{"/api/curves", BO_SERVE_CURVES},
	};
	const char *url = rq->url ? rq->url : "";
	size_t k;

	memset(out, 0, sizeof *out);
	out->chart = -1;
	if (rq->over) {
		out->code = 503;
		out->body = BO_SERVE_BUSY;
		return;
	}
	/* Without a Host header (HTTP/1.0 allows it) the Host check below
	 * has nothing to look at, and with two a proxy and this server may
	 * each read a different one. */
	if (rq->nhost != 1) {
		refuse(out, 400, "a request needs exactly one Host header", NULL, NULL);
		return;
	}
	if (!rq->method || (strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD"))) {
		refuse(out, 405, "read-only: GET and HEAD only", "Allow", "GET, HEAD");
		return;
	}
	if (!host_allowed(rq->host, bind ? bind : "127.0.0.1", token)) {
		refuse(out, 403, "unexpected Host header", NULL, NULL);
		return;
	}
	if (!authorised(rq, token)) {
		refuse(out, 401, "a token is required", "WWW-Authenticate", "Bearer realm=\"budgetopt\"");
		return;
	}
	if (rq->bad_encoding || bad_path(url)) {
		refuse(out, 400, "bad path", NULL, NULL);
		return;
	}
	for (k = 0; k < sizeof docs / sizeof docs[0]; k++)
		if (!strcmp(url, docs[k].url)) {
			answer(out, 200, docs[k].body);
			return;
		}
	if (!strncmp(url, "/api/charts/", 12)) {
		const char *name = url + 12;
		int c;
		for (c = 0; c < BO_NCHARTS; c++) {
			size_t l = strlen(bo__serve_chart_names[c]);
			if (!strncmp(name, bo__serve_chart_names[c], l) && !strcmp(name + l, ".svg")) {
				answer(out, 200, BO_SERVE_CHART);
				out->chart = c;
				return;
			}
		}
		refuse(out, 404, "no such chart", NULL, NULL);
		return;
	}
	refuse(out, 404, "not found", NULL, NULL);
}
