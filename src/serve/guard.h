/*
 * serve/guard.h - the dashboard's connection guard: how many connections
 * the server holds, from whom, and which ones only hold a slot without
 * asking anything (slow-header floods, "slowloris").
 *
 * Rules (docs/api.md, "Connection limits"):
 * - a connection must deliver a whole request header within request_s of
 *   opening, or of its previous response ending (keep-alive), else it is
 *   cut; a request being answered (a change stream included) is never cut;
 * - at most max_conns connections, and at most max_per_addr from one
 *   address: a new one beyond either limit takes the slot of the oldest
 *   connection of that address (or of anyone, for the global limit) that
 *   is waiting for its request; when every slot is answering a request,
 *   the new connection is marked "over" and its request is answered 503.
 *
 * Connections are cut with shutdown(2) on their socket, never close(2):
 * the thread libmicrohttpd runs for the connection then sees the end of
 * the stream and closes it itself. libmicrohttpd reports a connection
 * closed before it closes the socket, so a cut never reaches a reused
 * descriptor. Thread-safe; never prints.
 */
#ifndef BO_SERVE_GUARD_H
#define BO_SERVE_GUARD_H

#include <sys/socket.h>

typedef struct bo_serve_guard bo_serve_guard;
typedef struct bo_serve_conn bo_serve_conn;

/* A guard with these limits (each >= 1; request_s > 0). Returns 0 and
 * *out, or BO_ENOMEM. */
int bo__guard_new(bo_serve_guard **out, unsigned max_conns, unsigned max_per_addr,
		  double request_s);
void bo__guard_free(bo_serve_guard *g);

/* A connection on socket fd from addr opened. Returns its record (NULL on
 * memory exhaustion: the caller treats the connection as over the
 * limit); *over is 1 when no slot could be freed for it. */
bo_serve_conn *bo__guard_open(bo_serve_guard *g, int fd, const struct sockaddr *addr,
			      socklen_t len, int *over);

/* 1 if c was marked over the limit (or is NULL). */
int bo__guard_over(const bo_serve_conn *c);

/* c's request header arrived (busy: never cut) / its response ended. */
void bo__guard_busy(bo_serve_guard *g, bo_serve_conn *c);
void bo__guard_idle(bo_serve_guard *g, bo_serve_conn *c);

/* c closed: forgets and frees it. Accepts NULL. */
void bo__guard_close(bo_serve_guard *g, bo_serve_conn *c);

/* Cuts every connection that has waited for its request longer than
 * request_s. Returns how many. */
unsigned bo__guard_reap(bo_serve_guard *g);

#endif
