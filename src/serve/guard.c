/*
 * serve/guard.c - the dashboard's connection guard (serve/guard.h): counts
 * connections per address, cuts the ones that hold a slot without sending
 * a request, and says which new ones are over the limit.
 *
 * Why not libmicrohttpd's own limits alone: beyond MHD_OPTION_CONNECTION_LIMIT
 * it stops accepting (new clients hang in the backlog) and beyond
 * MHD_OPTION_PER_IP_CONNECTION_LIMIT it drops them without an answer, and
 * its MHD_OPTION_CONNECTION_TIMEOUT is an idle timeout that a client
 * sending one byte every few seconds never trips. 150 such clients locked
 * everyone out (issue 8). Here a slow client loses its slot to the next
 * one, and only requests that are being answered can fill the server.
 *
 * Must never close a socket (libmicrohttpd owns them), print or exit.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/error.h"
#include "serve/guard.h"

struct bo_serve_conn {
	bo_serve_conn *prev, *next;    /* oldest first */
	int fd;
	unsigned char addr[17];        /* family, then the address without the port */
	int busy;                      /* a request is being answered */
	int over;                      /* beyond the limits: answered 503 */
	int cut;                       /* shut down; closing */
	double waiting_since;          /* monotonic seconds */
};

struct bo_serve_guard {
	pthread_mutex_t lock;
	bo_serve_conn *head, *tail;
	unsigned max_conns, max_per_addr;
	double request_s;
};

static void addr_key(unsigned char key[17], const struct sockaddr *sa, socklen_t len)
{
	memset(key, 0, 17);
	if (!sa)
		return;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		key[0] = 6;
		memcpy(key + 1, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
}

int bo__guard_new(bo_serve_guard **out, unsigned max_conns, unsigned max_per_addr, double request_s)
{
	bo_serve_guard *g;
	*out = NULL;
	if (!(g = bo__calloc(1, sizeof *g)))
		return BO_ENOMEM;
	if (pthread_mutex_init(&g->lock, NULL)) {
		bo__free(g);
		return bo__error(BO_ENOMEM, "serve: cannot make a lock");
	}
	g->max_conns = max_conns ? max_conns : 1;
	g->max_per_addr = max_per_addr ? max_per_addr : 1;
	g->request_s = request_s > 0 ? request_s : 1;
	*out = g;
	return 0;
}

void bo__guard_free(bo_serve_guard *g)
{
	bo_serve_conn *c, *next;
	if (!g)
		return;
	for (c = g->head; c; c = next) {
		next = c->next;
		bo__free(c);
	}
	pthread_mutex_destroy(&g->lock);
	bo__free(g);
}

static void cut(bo_serve_conn *c)
{
	c->cut = 1;
	shutdown(c->fd, SHUT_RDWR);
}

bo_serve_conn *bo__guard_open(bo_serve_guard *g, int fd, const struct sockaddr *addr, socklen_t len,
			      int *over)
{
	bo_serve_conn *c = bo__calloc(1, sizeof *c), *p, *oldest_any = NULL, *oldest_mine = NULL;
	unsigned n = 0, mine = 0;
	*over = 1;
	if (!c)
		return NULL;
	c->fd = fd;
	addr_key(c->addr, addr, len);
	c->waiting_since = bo__clock_mono();
	pthread_mutex_lock(&g->lock);
	/* Connections already cut or over the limit hold no slot. */
	for (p = g->head; p; p = p->next) {
		int same = !memcmp(p->addr, c->addr, sizeof c->addr);
		if (p->cut || p->over)
			continue;
		n++;
		mine += same;
		if (!p->busy) {
			if (!oldest_any)
				oldest_any = p;
			if (same && !oldest_mine)
				oldest_mine = p;
		}
	}
	c->over = 0;
	if (mine >= g->max_per_addr) {
		if (oldest_mine)
			cut(oldest_mine);
		else
			c->over = 1;
	} else if (n >= g->max_conns) {
		if (oldest_any)
			cut(oldest_any);
		else
			c->over = 1;
	}
	c->prev = g->tail;
	if (g->tail)
		g->tail->next = c;
	else
		g->head = c;
	g->tail = c;
	*over = c->over;
	pthread_mutex_unlock(&g->lock);
	return c;
}

int bo__guard_over(const bo_serve_conn *c)
{
	return !c || c->over;
}

void bo__guard_busy(bo_serve_guard *g, bo_serve_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	c->busy = 1;
	pthread_mutex_unlock(&g->lock);
}

void bo__guard_idle(bo_serve_guard *g, bo_serve_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	c->busy = 0;
	c->waiting_since = bo__clock_mono();
	pthread_mutex_unlock(&g->lock);
}

void bo__guard_close(bo_serve_guard *g, bo_serve_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		g->tail = c->prev;
	pthread_mutex_unlock(&g->lock);
	bo__free(c);
}

unsigned bo__guard_reap(bo_serve_guard *g)
{
	bo_serve_conn *c;
	double t = bo__clock_mono();
	unsigned k = 0;
	pthread_mutex_lock(&g->lock);
	for (c = g->head; c; c = c->next)
		if (!c->busy && !c->cut && t - c->waiting_since > g->request_s) {
			cut(c);
			k++;
		}
	pthread_mutex_unlock(&g->lock);
	return k;
}
