/*
 * serve/route.h - what the dashboard answers to one request, decided from
 * the request alone: the refusals (connection limit, Host, method, token,
 * path) in the order the server applies them, then the route.
 *
 * A pure function of its inputs, with no sockets, threads or snapshot:
 * serve/server.c fills a bo_serve_request from libmicrohttpd and turns the
 * bo_serve_route into a response; tests/fuzz/fuzz_http.c feeds it requests
 * parsed from arbitrary bytes.
 */
#ifndef BO_SERVE_ROUTE_H
#define BO_SERVE_ROUTE_H

/* The charts, in the order of bo__serve_chart_names. */
enum { BO_CH_FRONTIER, BO_CH_BURNDOWN, BO_CH_BEST, BO_CH_MARGINAL, BO_CH_IMPORTANCE, BO_CH_CURVES, BO_NCHARTS };
extern const char *const bo__serve_chart_names[BO_NCHARTS];

/* What an answer's body is. */
typedef enum bo_serve_body {
	BO_SERVE_ERROR,      /* {"error": route.error} */
	BO_SERVE_BUSY,       /* the connection limit's 503 (Retry-After, Connection: close) */
	BO_SERVE_PAGE,
	BO_SERVE_JS,
	BO_SERVE_CSS,
	BO_SERVE_STREAM,     /* the change stream */
	BO_SERVE_STATUS,
	BO_SERVE_TRIALS,
	BO_SERVE_FRONTIER,
	BO_SERVE_EVENTS,
	BO_SERVE_CHARTS,     /* every chart, as JSON */
	BO_SERVE_CHART,      /* one SVG: route.chart */
	BO_SERVE_SELECTION,  /* the selection and its runners-up with their chances */
	BO_SERVE_CURVES      /* the learning curves' data */
} bo_serve_body;

/* A request as libmicrohttpd parsed it. Strings are borrowed; NULL: absent. */
typedef struct bo_serve_request {
	const char *method;
	const char *url;           /* the path, percent-decoded, without the query */
	int bad_encoding;          /* bo__serve_uri_bad_encoding of the raw URI */
	int over;                  /* the guard put the connection over its limits */
	unsigned nhost;            /* how many Host headers */
	const char *host;          /* the first Host header */
	const char *authorization; /* the first Authorization header */
	const char *query_token;   /* the first "token" query argument, decoded */
} bo_serve_request;

typedef struct bo_serve_route {
	unsigned code;             /* the HTTP status */
	bo_serve_body body;
	int chart;                 /* BO_SERVE_CHART: which one */
	const char *error;         /* BO_SERVE_ERROR: a static message */
	const char *hname, *hvalue; /* one more header, or NULL */
} bo_serve_route;

/* Decides the answer to rq for a server bound to bind (numeric) that
 * requires token (NULL: none). Never fails; every field of *out is set. */
void bo__serve_route(bo_serve_route *out, const bo_serve_request *rq, const char *bind,
		     const char *token);

/* 1 if the raw (not yet decoded) URI's path has a percent-encoded dot,
 * slash, backslash, NUL or percent sign: traversal or double encoding. */
int bo__serve_uri_bad_encoding(const char *uri);

#endif
