/*
 * core/study_prices.c - reads inputs: and prices: of a study file, and a price
 * book from its own file (budgetopt reprice).
 *
 * Part of the study reader (core/study_yaml.c), whose tree and diagnostics
 * it shares (core/study_yaml_int.h); uncertain numbers are read by
 * core/study_dist.c. Must never print, exit or abort.
 */
#include "core/model.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"
#include "core/study_yaml_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

void bo__study_read_inputs(rd *r, const ynode *top)
{
	const ynode *m = bo__yaml_want_map(r, bo__yaml_get(top, "inputs"), "inputs");
	bo_study *s = r->s;
	size_t i;
	if (!m)
		return;
	s->inputs = bo__calloc(m->n / 2 + 1, sizeof(bo_input));
	if (!s->inputs) {
		r->nomem = 1;
		return;
	}
	for (i = 0; i + 1 < m->n && !r->nomem; i += 2) {
		const ynode *k = m->kids[i];
		bo_input *in;
		bo_dist *dist = NULL;
		char what[160], buf[48];
		double v;
		if (bo__yaml_check_name(r, k, "input", 0) < 0)
			continue;
		snprintf(what, sizeof what, "input \"%s\"", bo__yaml_shown(k->str, buf));
		if (bo__study_is_dist(m->kids[i + 1])) {
			dist = bo__study_read_dist(r, m->kids[i + 1], k->str, what, 0);
			if (!dist)
				continue;
			v = dist->mean;
		} else if (bo__yaml_number(r, m->kids[i + 1], what, &v) < 0) {
			continue;
		}
		in = &s->inputs[s->ninputs];
		in->name = bo__yaml_strdup(r, k->str);
		if (!in->name)
			return;
		in->value = v;
		in->dist = dist;
		in->pos.line = k->line;
		in->pos.col = k->col;
		s->ninputs++;
	}
}

static int price_value(rd *r, const ynode *n, const char *what, double *v)
{
	char buf[48];
	if (bo__yaml_number(r, n, what, v) < 0)
		return -1;
	if (*v < 0) {
		DIAG(r, n, "%s: a price must be >= 0, found %s", what, bo__yaml_shown(n->str, buf));
		return -1;
	}
	return 0;
}

void bo__study_read_pricebook(rd *r, const ynode *top)
{
	const ynode *m = bo__yaml_want_map(r, bo__yaml_get(top, "prices"), "prices");
	bo_pricebook *pb = &r->s->prices;
	size_t i, j;
	if (m) {
		pb->items = bo__calloc(m->n / 2 + 1, sizeof(bo_price));
		if (!pb->items) {
			r->nomem = 1;
			return;
		}
	}
	for (i = 0; m && i + 1 < m->n && !r->nomem; i += 2) {
		const ynode *k = m->kids[i], *v = m->kids[i + 1];
		char what[160], buf[48];
		bo_price *p;
		if (k->type != YN_SCALAR)
			continue;
		if (strcmp(k->str, "version") == 0) {
			const char *t = bo__yaml_text(r, v, "prices: version");
			if (t && !pb->version)
				pb->version = bo__yaml_strdup(r, t);
			continue;
		}
		if (strcmp(k->str, "currency") == 0) {
			const char *t = bo__yaml_text(r, v, "prices: currency");
			if (!t)
				continue;
			if (strlen(t) != 3 || !(t[0] >= 'A' && t[0] <= 'Z') ||
			    !(t[1] >= 'A' && t[1] <= 'Z') || !(t[2] >= 'A' && t[2] <= 'Z')) {
				DIAG(r, v, "prices: currency must be a 3-letter code such as USD or EUR, "
					   "found \"%s\"", bo__yaml_shown(t, buf));
				continue;
			}
			if (!pb->currency)
				pb->currency = bo__yaml_strdup(r, t);
			continue;
		}
		if (bo__yaml_check_name(r, k, "price", 1) < 0)
			continue;
		snprintf(what, sizeof what, "price \"%s\"", bo__yaml_shown(k->str, buf));
		p = &pb->items[pb->n];
		if (bo__study_is_dist(v)) {
			if (!(p->dist = bo__study_read_dist(r, v, k->str, what, 1)))
				continue;
			p->value = p->dist->mean;
			p->name = bo__yaml_strdup(r, k->str);
			pb->n++;
		} else if (v->type == YN_MAP) {
			int bad = 0;
			if (v->n == 0) {
				DIAG(r, v, "%s: an empty price table", what);
				continue;
			}
			p->keys = bo__calloc(v->n / 2, sizeof(char *));
			p->values = bo__calloc(v->n / 2, sizeof(double));
			if (!p->keys || !p->values) {
				bo__free(p->keys);
				bo__free(p->values);
				p->keys = NULL;
				p->values = NULL;
				r->nomem = 1;
				return;
			}
			p->is_table = 1;
			pb->n++;        /* from here on freed with the study */
			p->name = bo__yaml_strdup(r, k->str);
			for (j = 0; j + 1 < v->n && !r->nomem; j += 2) {
				double x;
				bo_dist *d = NULL;
				if (v->kids[j]->type != YN_SCALAR)
					continue;
				if (bo__study_is_dist(v->kids[j + 1])) {
					char full[300], fwhat[360];
					snprintf(full, sizeof full, "%s.%s", k->str, v->kids[j]->str);
					snprintf(fwhat, sizeof fwhat, "price \"%s\"", bo__yaml_shown(full, buf));
					if (!p->dists && !(p->dists = bo__calloc(v->n / 2, sizeof *p->dists))) {
						r->nomem = 1;
						return;
					}
					if (!(d = bo__study_read_dist(r, v->kids[j + 1], full, fwhat, 1))) {
						bad = 1;
						continue;
					}
					x = d->mean;
				} else if (price_value(r, v->kids[j + 1], what, &x) < 0) {
					bad = 1;
					continue;
				}
				p->keys[p->nkeys] = bo__yaml_strdup(r, v->kids[j]->str);
				if (!p->keys[p->nkeys])
					return;
				if (p->dists)
					p->dists[p->nkeys] = d;
				p->values[p->nkeys++] = x;
			}
			(void)bad;
		} else {
			double x;
			if (price_value(r, v, what, &x) < 0)
				continue;
			p->value = x;
			p->name = bo__yaml_strdup(r, k->str);
			pb->n++;
		}
		p->pos.line = k->line;
		p->pos.col = k->col;
	}
	if (!pb->version)
		pb->version = bo__yaml_strdup(r, "unversioned");
	if (!pb->currency)
		pb->currency = bo__yaml_strdup(r, "USD");
}

/* ---- a price book from its own file (budgetopt reprice) ---------------- */

static void pricebook_clear(bo_pricebook *pb)
{
	size_t i, j;
	for (i = 0; pb->items && i < pb->n; i++) {
		bo_price *p = &pb->items[i];
		bo__free(p->name);
		for (j = 0; p->keys && j < p->nkeys; j++)
			bo__free(p->keys[j]);
		bo__free(p->keys);
		bo__free(p->values);
		bo__free(p->dists);   /* the distributions are the study's list's */
	}
	bo__free(pb->items);
	bo__free(pb->version);
	bo__free(pb->currency);
	memset(pb, 0, sizeof *pb);
}

int bo__study_read_prices(bo_study *s, const char *text, size_t len, const char *path,
			  bo_diags **diagsp)
{
	rd r;
	bo_study *tmp = NULL;
	bo_dist **list;
	size_t i;
	int rc = 0;

	if (diagsp)
		*diagsp = NULL;
	memset(&r, 0, sizeof r);
	r.file = path;
	r.text = text;
	r.len = len;
	if (!(r.diags = bo__calloc(1, sizeof *r.diags)) || !(tmp = bo__calloc(1, sizeof *tmp)) ||
	    !(tmp->dir = bo__strdup(s->dir ? s->dir : "."))) {
		rc = BO_ENOMEM;
		goto done;
	}
	r.s = tmp;
	if (len > BO_STUDY_MAX_BYTES) {
		bo__yaml_diag_at(&r, 1, 1, "the file is larger than 16 MiB (%zu bytes)", len);
	} else if (bo__yaml_build_tree(&r) == 0) {
		if (r.root->type != YN_MAP || !bo__yaml_get(r.root, "prices"))
			DIAG(&r, r.root, "a price-book file is a mapping with a prices: key, written as "
					 "in a study file");
		else
			bo__study_read_pricebook(&r, r.root);
	}
	if (r.nomem) {
		rc = BO_ENOMEM;
		goto done;
	}
	if (r.diags->n) {
		bo__yaml_diags_sort(r.diags);
		rc = BO_EINVAL;
		goto done;
	}
	/* the new book's distributions join the study's list after its own */
	if (tmp->nuncertain) {
		if (!(list = bo__realloc(s->uncertain, s->nuncertain + tmp->nuncertain,
					 sizeof *list))) {
			rc = BO_ENOMEM;
			goto done;
		}
		s->uncertain = list;
		for (i = 0; i < tmp->nuncertain; i++) {
			tmp->uncertain[i]->slot = s->nuncertain;
			s->uncertain[s->nuncertain++] = tmp->uncertain[i];
		}
		tmp->nuncertain = 0;
	}
	pricebook_clear(&s->prices);
	s->prices = tmp->prices;
	memset(&tmp->prices, 0, sizeof tmp->prices);
done:
	bo__yaml_tree_free(&r);
	if (rc == BO_ENOMEM)
		rc = bo__error(BO_ENOMEM, "%s: out of memory", path);
	else if (rc == BO_EINVAL)
		bo__error(BO_EINVAL, "%s", r.diags->lines[0]);
	bo_study_free(tmp);
	if (diagsp && rc == BO_EINVAL) {
		*diagsp = r.diags;
		r.diags = NULL;
	}
	bo_diags_free(r.diags);
	return rc;
}
