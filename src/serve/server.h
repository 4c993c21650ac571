/*
 * serve/server.h - the live dashboard of a study over HTTP (libmicrohttpd):
 * the page, its script and style, and a read-only JSON API over the ledger
 * (/api/status, /api/trials, /api/frontier, /api/events, /api/charts and
 * the change stream /api/events/stream; docs/api.md).
 *
 * The server never writes the ledger and never holds a read transaction
 * open: one watcher thread looks at the ledger's totals every poll_s
 * seconds and, when they change, reads everything once (short reads, WAL)
 * into an immutable snapshot that requests are answered from. A runner
 * writing the ledger is never blocked by a browser.
 *
 * Must never print or exit: errors come back as codes with the message set.
 */
#ifndef BO_SERVE_SERVER_H
#define BO_SERVE_SERVER_H

#include "core/model.h"

typedef struct bo_serve_options {
	const char *bind;      /* numeric IPv4 or IPv6 address; NULL: 127.0.0.1 */
	unsigned port;         /* 0: the kernel picks one (see bo__serve_port) */
	const char *token;     /* NULL: none; required for a non-loopback bind.
				  Then every request needs "Authorization:
				  Bearer TOKEN" or "?token=TOKEN", else 401 */
	const char *ledger;    /* the ledger's path or URI; it may not exist yet */
	double poll_s;         /* how often the ledger is looked at; <= 0: 0.25 */
	unsigned max_connections; /* connections held at once; 0: BO_SERVE_MAX_CONNECTIONS */
	unsigned max_per_address; /* of them from one client address; 0:
				     BO_SERVE_MAX_PER_ADDRESS (at most max_connections) */
} bo_serve_options;

/* The connection limits (docs/api.md, "Connection limits"). */
#define BO_SERVE_MAX_CONNECTIONS 64
#define BO_SERVE_MAX_PER_ADDRESS 32
#define BO_SERVE_MAX_CONNECTIONS_CAP 4096   /* one thread each */

#define BO_SERVE_OPTIONS_INIT {NULL, 0, NULL, NULL, 0.25, 0, 0}

typedef struct bo_server bo_server;

/* Starts serving study s (borrowed: it must outlive the server) in
 * background threads. Returns 0 and *out, BO_EINVAL (a bad address, a
 * non-loopback bind without a token, a token with characters outside
 * [A-Za-z0-9._~-], max_connections above BO_SERVE_MAX_CONNECTIONS_CAP),
 * BO_EIO (cannot listen: the message has the reason),
 * BO_ENOMEM. */
int bo__serve_start(bo_server **out, const bo_study *s, const bo_serve_options *o);

/* The port listened on (the kernel's pick when the options said 0). */
unsigned bo__serve_port(const bo_server *sv);

/* Stops: closes the open connections and streams, joins the threads and
 * frees sv. Accepts NULL. */
void bo__serve_stop(bo_server *sv);

/* 1 if addr (numeric) is a loopback address (127.0.0.0/8, ::1). */
int bo__serve_is_loopback(const char *addr);

/* The dashboard, compiled in (serve/page.c): each an array of lines that
 * ends in NULL. The page's "{{Q}}" marks where the server puts
 * "?token=..." on the asset links, or nothing. */
extern const char *const bo__serve_page_html[];
extern const char *const bo__serve_page_js[];
extern const char *const bo__serve_page_css[];

#endif
