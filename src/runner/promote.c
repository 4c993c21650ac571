/*
 * runner/promote.c - scenario_policy: promote (promote.h): the base units
 * of each configuration, the rungs, and the promotion units of the
 * configurations they promote.
 *
 * Every configuration is kept for the whole run (a rung ranks all of its
 * prefix), one parameter vector each. Must never print, exit or touch
 * files.
 */
#include "runner/promote.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/trial.h"

typedef struct pconf {
	double *x;
	int64_t *ids;          /* nrep base units, then nprom promotion units (0: not launched) */
	double *vals;          /* nrep: each base unit's value */
	unsigned char *ended;  /* nrep + nprom */
	size_t nlaunched;      /* base units launched */
	size_t nended;         /* base units ended */
	int64_t rung;          /* promoted by this rung, 0: not promoted */
	int64_t seq;           /* the order promotions were decided in */
} pconf;

/* A promotion trial replayed before the rung that promoted it closed. */
typedef struct stray {
	double *x;
	int64_t id;
	size_t unit;
	int ended;
} stray;

struct bo_promote {
	size_t nparams, nscen, base;
	int64_t nrep, top, every;
	size_t nprom;          /* promotion units per configuration: (nscen - 1) * nrep */
	pconf *c;
	size_t nc, capc;
	stray *sv;
	size_t ns, caps;
	int64_t *rec;          /* trial ids whose events exist */
	size_t nrec, caprec;
	int64_t rungs;         /* regular rungs closed */
	int64_t nseq;          /* promotions decided */
	double base_spent;     /* charged to base units */
	int explored, final_closed;
	bo_promote_pick *picks;
	size_t npicks, cappicks;
	size_t *order;         /* workspace: candidates of a rung */
	size_t caporder;
};

int bo__promote_new(bo_promote **out, const bo_study *s, int64_t repeats)
{
	bo_promote *p = bo__calloc(1, sizeof *p);
	*out = NULL;
	if (!p)
		return bo__error(BO_ENOMEM, "out of memory");
	p->nparams = s->nparams;
	p->nscen = bo__scenario_count(s);
	p->base = s->promote.base < p->nscen ? s->promote.base : 0;
	p->nrep = repeats >= 1 ? repeats : 1;
	p->top = s->promote.top >= 1 ? s->promote.top : BO_PROMOTE_TOP;
	p->every = s->promote.every >= 1 ? s->promote.every : BO_PROMOTE_EVERY;
	p->nprom = (p->nscen - 1) * (size_t)p->nrep;
	*out = p;
	return 0;
}

void bo__promote_free(bo_promote *p)
{
	size_t i;
	if (!p)
		return;
	for (i = 0; i < p->nc; i++) {
		bo__free(p->c[i].x);
		bo__free(p->c[i].ids);
		bo__free(p->c[i].vals);
		bo__free(p->c[i].ended);
	}
	for (i = 0; i < p->ns; i++)
		bo__free(p->sv[i].x);
	bo__free(p->c);
	bo__free(p->sv);
	bo__free(p->rec);
	bo__free(p->picks);
	bo__free(p->order);
	bo__free(p);
}

size_t bo__promote_base(const bo_promote *p)
{
	return p->base;
}

/* The promotion unit of scenario k (not the base), repeat rep. */
static size_t unit_of(const bo_promote *p, size_t k, int64_t rep)
{
	return (k < p->base ? k : k - 1) * (size_t)p->nrep + (size_t)rep;
}

static void unit_at(const bo_promote *p, size_t u, size_t *k, int64_t *rep)
{
	size_t o = u / (size_t)p->nrep;
	*k = o < p->base ? o : o + 1;
	*rep = (int64_t)(u % (size_t)p->nrep);
}

static double *copy_x(const bo_promote *p, const double *x)
{
	double *c = bo__calloc(p->nparams + 1, sizeof *c);
	if (c)
		memcpy(c, x, p->nparams * sizeof *c);
	return c;
}

static int add_conf(bo_promote *p, const double *x, int64_t id)
{
	size_t nu = (size_t)p->nrep + p->nprom;
	pconf *c;
	if (bo__grow(&p->c, &p->capc, p->nc + 1, sizeof *p->c) < 0)
		return bo__error(BO_ENOMEM, "out of memory");
	c = &p->c[p->nc];
	memset(c, 0, sizeof *c);
	if (!(c->x = copy_x(p, x)) || !(c->ids = bo__calloc(nu, sizeof *c->ids)) ||
	    !(c->vals = bo__calloc((size_t)p->nrep, sizeof *c->vals)) ||
	    !(c->ended = bo__calloc(nu, sizeof *c->ended))) {
		bo__free(c->x);
		bo__free(c->ids);
		bo__free(c->vals);
		bo__free(c->ended);
		return bo__error(BO_ENOMEM, "out of memory");
	}
	c->ids[0] = id;
	c->nlaunched = 1;
	p->nc++;
	return 0;
}

/* A promoted configuration of parameters x whose unit u waits, or NULL. */
static pconf *promoted_waiting(bo_promote *p, const double *x, size_t u)
{
	size_t i;
	for (i = p->nc; i-- > 0;)
		if (p->c[i].rung && !p->c[i].ids[(size_t)p->nrep + u] &&
		    bo__trial_same_point(p->c[i].x, x, p->nparams))
			return &p->c[i];
	return NULL;
}

int bo__promote_launched(bo_promote *p, int64_t id, const double *x, size_t scenario, int64_t repeat)
{
	size_t i, u;
	pconf *c;
	if (scenario >= p->nscen || repeat < 0 || repeat >= p->nrep)
		return 0;     /* run under another study's scenarios or repeats */
	if (scenario == p->base) {
		if (repeat == 0)
			return add_conf(p, x, id);
		for (i = p->nc; i-- > 0;)
			if (p->c[i].nlaunched == (size_t)repeat && bo__trial_same_point(p->c[i].x, x, p->nparams)) {
				p->c[i].ids[p->c[i].nlaunched++] = id;
				return 0;
			}
		return 0;
	}
	u = unit_of(p, scenario, repeat);
	if ((c = promoted_waiting(p, x, u))) {
		c->ids[(size_t)p->nrep + u] = id;
		return 0;
	}
	if (bo__grow(&p->sv, &p->caps, p->ns + 1, sizeof *p->sv) < 0 || !(p->sv[p->ns].x = copy_x(p, x)))
		return bo__error(BO_ENOMEM, "out of memory");
	p->sv[p->ns].id = id;
	p->sv[p->ns].unit = u;
	p->sv[p->ns].ended = 0;
	p->ns++;
	return 0;
}

double bo__promote_base_spent(const bo_promote *p)
{
	return p->base_spent;
}

int bo__promote_ended(bo_promote *p, int64_t id, double value, double cost)
{
	size_t i, k, nu = (size_t)p->nrep + p->nprom;
	for (i = p->nc; i-- > 0;) {
		pconf *c = &p->c[i];
		for (k = 0; k < nu; k++)
			if (c->ids[k] == id && !c->ended[k]) {
				c->ended[k] = 1;
				if (k < (size_t)p->nrep) {
					c->vals[k] = value;
					p->base_spent += isfinite(cost) ? cost : 0.0;
					c->nended++;
				}
				return 0;
			}
	}
	for (i = 0; i < p->ns; i++)
		if (p->sv[i].id == id)
			p->sv[i].ended = 1;
	return 0;
}

void bo__promote_explore_end(bo_promote *p)
{
	p->explored = 1;
}

int bo__promote_explored(const bo_promote *p)
{
	return p->explored;
}

int bo__promote_recorded(bo_promote *p, int64_t id)
{
	if (bo__grow(&p->rec, &p->caprec, p->nrec + 1, sizeof *p->rec) < 0)
		return bo__error(BO_ENOMEM, "out of memory");
	p->rec[p->nrec++] = id;
	return 0;
}

/* A configuration's base value: the mean over its base units, NaN unless
 * every one of them has a finite value. */
static double conf_value(const bo_promote *p, const pconf *c)
{
	double sum = 0.0;
	int64_t k;
	for (k = 0; k < p->nrep; k++) {
		if (!isfinite(c->vals[k]))
			return NAN;
		sum += c->vals[k];
	}
	return sum / (double)p->nrep;
}

static int conf_done(const bo_promote *p, const pconf *c)
{
	return c->nended >= (size_t)p->nrep;
}

/* Promotes the best top of the unpromoted configurations among the first
 * upto, with finite values, as rung `rung`. */
static int promote_rung(bo_promote *p, size_t upto, int64_t rung, int final)
{
	size_t i, j, n = 0;
	int64_t r;
	if (bo__grow(&p->order, &p->caporder, upto + 1, sizeof *p->order) < 0)
		return bo__error(BO_ENOMEM, "out of memory");
	for (i = 0; i < upto; i++)
		if (!p->c[i].rung && isfinite(conf_value(p, &p->c[i])))
			p->order[n++] = i;
	/* insertion sort, best first; a tie keeps launch order (the lower id) */
	for (i = 1; i < n; i++) {
		size_t v = p->order[i];
		double val = conf_value(p, &p->c[v]);
		for (j = i; j > 0 && conf_value(p, &p->c[p->order[j - 1]]) < val; j--)
			p->order[j] = p->order[j - 1];
		p->order[j] = v;
	}
	for (r = 0; r < p->top && (size_t)r < n; r++) {
		pconf *c = &p->c[p->order[r]];
		bo_promote_pick *pk;
		if (bo__grow(&p->picks, &p->cappicks, p->npicks + 1, sizeof *p->picks) < 0)
			return bo__error(BO_ENOMEM, "out of memory");
		c->rung = rung;
		c->seq = ++p->nseq;
		pk = &p->picks[p->npicks++];
		pk->id = c->ids[0];
		pk->rung = rung;
		pk->final = final;
		pk->rank = r + 1;
		pk->ncand = (int64_t)n;
		pk->value = conf_value(p, c);
		pk->recorded = 0;
		for (j = 0; j < p->nrec; j++)
			pk->recorded |= p->rec[j] == pk->id;
	}
	return 0;
}

int bo__promote_close(bo_promote *p, const bo_promote_pick **picks, size_t *n)
{
	size_t i, done = 0;
	int rc;
	p->npicks = 0;
	*picks = NULL;
	*n = 0;
	while (done < p->nc && conf_done(p, &p->c[done]))
		done++;
	/* regular rungs: rung n needs the first n * every configurations ended */
	while ((size_t)((p->rungs + 1) * p->every) <= done) {
		p->rungs++;
		if ((rc = promote_rung(p, (size_t)(p->rungs * p->every), p->rungs, 0)) < 0)
			return rc;
	}
	if (p->explored && !p->final_closed && done == p->nc) {
		p->final_closed = 1;
		if ((rc = promote_rung(p, p->nc, p->rungs + 1, 1)) < 0)
			return rc;
	}
	/* promotion trials replayed before their rung: theirs now */
	for (i = 0; i < p->ns;) {
		pconf *c = promoted_waiting(p, p->sv[i].x, p->sv[i].unit);
		if (!c) {
			i++;
			continue;
		}
		c->ids[(size_t)p->nrep + p->sv[i].unit] = p->sv[i].id;
		c->ended[(size_t)p->nrep + p->sv[i].unit] = (unsigned char)p->sv[i].ended;
		bo__free(p->sv[i].x);
		p->sv[i] = p->sv[--p->ns];
	}
	*picks = p->picks;
	*n = p->npicks;
	return 0;
}

int bo__promote_next(const bo_promote *p, double *x, size_t *scenario, int64_t *repeat)
{
	size_t i, u;
	int64_t best = 0;
	const pconf *b = NULL;
	size_t bu = 0;
	/* the configuration promoted first (its rung, then its rank) goes first */
	for (i = 0; i < p->nc; i++) {
		const pconf *c = &p->c[i];
		if (!c->rung || (b && c->seq >= best))
			continue;
		for (u = 0; u < p->nprom; u++)
			if (!c->ids[(size_t)p->nrep + u])
				break;
		if (u < p->nprom) {
			b = c;
			best = c->seq;
			bu = u;
		}
	}
	if (!b)
		return 0;
	memcpy(x, b->x, p->nparams * sizeof *x);
	unit_at(p, bu, scenario, repeat);
	return 1;
}

void bo__promote_counts(const bo_promote *p, bo_promote_counts *out)
{
	size_t i;
	memset(out, 0, sizeof *out);
	out->configs = (int64_t)p->nc;
	for (i = 0; i < p->nc; i++) {
		out->ended += conf_done(p, &p->c[i]);
		out->promoted += p->c[i].rung != 0;
		out->base_units += (int64_t)p->c[i].nlaunched;
	}
	out->rungs = p->rungs + p->final_closed;
	out->final_closed = p->final_closed;
}
