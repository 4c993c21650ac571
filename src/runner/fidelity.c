/*
 * runner/fidelity.c - ASHA rungs and Hyperband brackets over a fidelity.
 *
 * ASHA: Li et al. 2020, "A System for Massively Parallel Hyperparameter
 * Tuning", Algorithm 2: a free worker promotes the best configuration not
 * yet promoted among the top floor(n_k / eta) of the n_k finished at rung
 * k, looking from the highest rung down; with none, it starts a new
 * configuration at the lowest rung. Changed: a failed trial counts in n_k
 * but is never promoted.
 *
 * Hyperband: Li et al. 2018, "Hyperband: A Novel Bandit-Based Approach to
 * Hyperparameter Optimization", Algorithm 1, with R = max / min in units
 * of the lowest rung: s_max = floor(log_eta(R)), brackets s = s_max..0
 * (then again), each starting n = ceil((s_max + 1) / (s + 1) * eta^s)
 * configurations at r = R eta^-s and keeping the top floor(n_i / eta) of
 * each stage for the next (n_i = floor(n eta^-i), r_i = r eta^i).
 * Synchronous as in the paper: a stage's promotions wait until all its
 * trials have finished (the runner's slots wait meanwhile).
 *
 * GP (samplers/mfgp.c): no brackets and no promotions; each trial is a
 * new configuration at the rung the model chose (the runner sets it).
 *
 * Rungs are counted from the top: rung k has the value max * eta^(k - K + 1)
 * for K = s_max + 1 rungs, so the top rung is max and none is below min.
 * Pure: no clock, no files, no randomness.
 */
#include "runner/fidelity.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

/* log_eta(R) computed in floating point can fall short of a whole number
 * it equals (log(81)/log(3) = 3.9999...); this much is forgiven. */
#define LOG_SLACK 1e-9

typedef struct ftrial {
	int64_t id;
	size_t config;          /* index in configs */
	int rung;
	int64_t bracket;        /* hyperband: the bracket instance; asha: 0 */
	int stage;              /* hyperband: the stage in the bracket */
	int done;
	int promoted;           /* a trial of its configuration runs at a higher rung */
	double score;           /* NaN: failed or none */
} ftrial;

typedef struct fconfig {
	int64_t root;           /* id of its first trial */
	double *x;
	size_t last;            /* index in trials of its latest trial */
} fconfig;

typedef struct fbracket {
	int s;
	int stage;              /* the stage now launching or running */
	int64_t n[64];          /* n_i: trials of stage i */
	int64_t launched, done; /* of the current stage */
	size_t *promote;        /* stage > 0: the trials (indices) whose configurations go up */
	size_t npromote;
} fbracket;

struct bo_fidelity {
	bo_fidelity_spec spec;
	int ptype;
	size_t nparams;
	int nrungs;             /* s_max + 1 */
	double *values;
	ftrial *trials;
	size_t ntrials, captrials;
	fconfig *configs;
	size_t nconfigs, capconfigs;
	size_t *work;           /* ntrials indices, for ranking in bo__fidelity_next */
	fbracket br;            /* hyperband: the current bracket */
	int64_t nbracket;       /* hyperband: brackets begun */
};

static void bracket_begin(bo_fidelity *f)
{
	int s_max = f->nrungs - 1, s, i;
	double n;
	s = s_max - (int)(f->nbracket % (int64_t)(s_max + 1));
	bo__free(f->br.promote);
	memset(&f->br, 0, sizeof f->br);
	f->br.s = s;
	n = ceil((double)(s_max + 1) / (double)(s + 1) * pow(f->spec.eta, s) - LOG_SLACK);
	for (i = 0; i <= s && i < 64; i++)
		f->br.n[i] = (int64_t)floor(n / pow(f->spec.eta, i) + LOG_SLACK);
	f->nbracket++;
}

int bo__fidelity_new(bo_fidelity **out, const bo_fidelity_spec *spec, int ptype, size_t nparams)
{
	bo_fidelity *f;
	*out = NULL;
	f = bo__calloc(1, sizeof *f);
	if (!f)
		return BO_ENOMEM;
	f->spec = *spec;
	f->ptype = ptype;
	f->nparams = nparams;
	f->nrungs = bo__fidelity_rungs(spec, ptype, NULL, 0);
	f->values = bo__calloc((size_t)f->nrungs, sizeof *f->values);
	if (!f->values) {
		bo__free(f);
		return BO_ENOMEM;
	}
	bo__fidelity_rungs(spec, ptype, f->values, f->nrungs);
	if (spec->schedule == BO_FIDELITY_HYPERBAND)
		bracket_begin(f);
	*out = f;
	return 0;
}

void bo__fidelity_free(bo_fidelity *f)
{
	size_t i;
	if (!f)
		return;
	for (i = 0; i < f->nconfigs; i++)
		bo__free(f->configs[i].x);
	bo__free(f->configs);
	bo__free(f->trials);
	bo__free(f->work);
	bo__free(f->values);
	bo__free(f->br.promote);
	bo__free(f);
}

int bo__fidelity_nrungs(const bo_fidelity *f)
{
	return f->nrungs;
}

double bo__fidelity_value(const bo_fidelity *f, int k)
{
	return k >= 0 && k < f->nrungs ? f->values[k] : NAN;
}

int bo__fidelity_rung_of(const bo_fidelity *f, double v)
{
	int k;
	for (k = 0; k < f->nrungs; k++)
		if (fabs(f->values[k] - v) <= 1e-9 * fabs(f->values[k]))
			return k;
	return -1;
}

/* Larger score first, NaN last, earlier trial first among ties. */
static int better(const ftrial *a, const ftrial *b)
{
	if (isnan(a->score) != isnan(b->score))
		return isnan(b->score);
	if (!isnan(a->score) && a->score != b->score)
		return a->score > b->score;
	return a->id < b->id;
}

/* Sorts the indices idx (n of them) best first (insertion sort: rungs are small). */
static void rank(const bo_fidelity *f, size_t *idx, size_t n)
{
	size_t i, j;
	for (i = 1; i < n; i++) {
		size_t v = idx[i];
		for (j = i; j > 0 && better(&f->trials[v], &f->trials[idx[j - 1]]); j--)
			idx[j] = idx[j - 1];
		idx[j] = v;
	}
}

static void asha_next(const bo_fidelity *f, bo_fid_next *out)
{
	size_t *idx = NULL, n, i, m;
	int k;
	memset(out, 0, sizeof *out);
	out->kind = BO_FID_NEW;
	out->config = -1;
	out->parent = -1;
	out->value = f->values[0];
	idx = f->work;
	for (k = f->nrungs - 2; idx && k >= 0; k--) {
		for (n = 0, i = 0; i < f->ntrials; i++)
			if (f->trials[i].rung == k && f->trials[i].done)
				idx[n++] = i;
		m = (size_t)floor((double)n / f->spec.eta + LOG_SLACK);
		if (!m)
			continue;
		rank(f, idx, n);
		for (i = 0; i < m; i++) {
			const ftrial *t = &f->trials[idx[i]];
			if (t->promoted || isnan(t->score))
				continue;
			out->kind = BO_FID_PROMOTE;
			out->config = f->configs[t->config].root;
			out->parent = t->id;
			out->rung = k + 1;
			out->value = f->values[k + 1];
			return;
		}
	}
}

static void hb_next(const bo_fidelity *f, bo_fid_next *out)
{
	const fbracket *b = &f->br;
	int base = f->nrungs - 1 - b->s;
	memset(out, 0, sizeof *out);
	out->config = -1;
	out->parent = -1;
	out->bracket = b->s;
	out->rung = base + b->stage;
	out->value = f->values[out->rung];
	if (b->stage == 0) {
		out->kind = b->launched < b->n[0] ? BO_FID_NEW : BO_FID_WAIT;
		return;
	}
	if (b->launched < (int64_t)b->npromote) {
		const ftrial *t = &f->trials[b->promote[b->launched]];
		out->kind = BO_FID_PROMOTE;
		out->config = f->configs[t->config].root;
		out->parent = t->id;
		return;
	}
	out->kind = BO_FID_WAIT;
}

void bo__fidelity_next(const bo_fidelity *f, bo_fid_next *out)
{
	if (f->spec.schedule == BO_FIDELITY_HYPERBAND) {
		hb_next(f, out);
	} else if (f->spec.schedule == BO_FIDELITY_GP) {
		/* the model picks the rung (samplers/mfgp.c): a new configuration */
		memset(out, 0, sizeof *out);
		out->kind = BO_FID_NEW;
		out->config = out->parent = -1;
		out->rung = f->nrungs - 1;
		out->value = f->values[out->rung];
	} else {
		asha_next(f, out);
	}
}

static ftrial *find_trial(const bo_fidelity *f, int64_t id)
{
	size_t i;
	for (i = f->ntrials; i-- > 0;)
		if (f->trials[i].id == id)
			return &f->trials[i];
	return NULL;
}

static int find_config(const bo_fidelity *f, int64_t root)
{
	size_t i;
	for (i = 0; i < f->nconfigs; i++)
		if (f->configs[i].root == root)
			return (int)i;
	return -1;
}

int bo__fidelity_started(bo_fidelity *f, int64_t id, const bo_fid_next *n, const double *x)
{
	ftrial *t;
	int ci = n->kind == BO_FID_PROMOTE ? find_config(f, n->config) : -1;
	if (bo__grow(&f->trials, &f->captrials, f->ntrials + 1, sizeof *f->trials) < 0)
		return BO_ENOMEM;
	{
		size_t *w = bo__realloc(f->work, f->captrials, sizeof *w);
		if (!w)
			return BO_ENOMEM;
		f->work = w;
	}
	if (ci < 0) {
		fconfig *c;
		if (bo__grow(&f->configs, &f->capconfigs, f->nconfigs + 1, sizeof *f->configs) < 0)
			return BO_ENOMEM;
		c = &f->configs[f->nconfigs];
		c->root = id;
		c->x = bo__calloc(f->nparams ? f->nparams : 1, sizeof *c->x);
		if (!c->x)
			return BO_ENOMEM;
		if (f->nparams)
			memcpy(c->x, x, f->nparams * sizeof *x);
		ci = (int)f->nconfigs++;
	} else {
		ftrial *p = find_trial(f, n->parent);
		if (p)
			p->promoted = 1;
	}
	t = &f->trials[f->ntrials];
	memset(t, 0, sizeof *t);
	t->id = id;
	t->config = (size_t)ci;
	t->rung = n->rung;
	t->score = NAN;
	if (f->spec.schedule == BO_FIDELITY_HYPERBAND) {
		t->bracket = f->nbracket;
		t->stage = f->br.stage;
		f->br.launched++;
	}
	f->configs[ci].last = f->ntrials++;
	return 0;
}

/* Hyperband: the current stage has finished; promote its best or begin
 * the next bracket. */
static int hb_advance(bo_fidelity *f)
{
	fbracket *b = &f->br;
	size_t *idx, n = 0, i, keep;
	if (b->stage >= b->s || b->stage >= 63 || b->n[b->stage + 1] <= 0) {
		bracket_begin(f);
		return 0;
	}
	idx = bo__calloc(f->ntrials ? f->ntrials : 1, sizeof *idx);
	if (!idx)
		return BO_ENOMEM;
	for (i = 0; i < f->ntrials; i++)
		if (f->trials[i].bracket == f->nbracket && f->trials[i].stage == b->stage)
			idx[n++] = i;
	rank(f, idx, n);
	keep = (size_t)b->n[b->stage + 1];
	if (keep > n)
		keep = n;
	while (keep > 0 && isnan(f->trials[idx[keep - 1]].score))
		keep--;        /* failed trials are never promoted */
	if (!keep) {
		bo__free(idx);
		bracket_begin(f);
		return 0;
	}
	bo__free(b->promote);
	b->promote = idx;
	b->npromote = keep;
	b->stage++;
	b->launched = b->done = 0;
	return 0;
}

int bo__fidelity_finished(bo_fidelity *f, int64_t id, double score)
{
	ftrial *t = find_trial(f, id);
	if (!t || t->done)
		return 0;
	t->done = 1;
	t->score = isfinite(score) ? score : NAN;
	if (f->spec.schedule != BO_FIDELITY_HYPERBAND || t->bracket != f->nbracket ||
	    t->stage != f->br.stage)
		return 0;
	f->br.done++;
	if (f->br.done >= f->br.launched &&
	    f->br.launched >= (f->br.stage ? (int64_t)f->br.npromote : f->br.n[0]))
		return hb_advance(f);
	return 0;
}

static int same_config(const bo_fidelity *f, const double *a, const double *b)
{
	size_t i;
	for (i = 0; i < f->nparams; i++) {
		if ((int)i == f->spec.param)
			continue;
		if (isnan(a[i]) != isnan(b[i]) || (!isnan(a[i]) && a[i] != b[i]))
			return 0;
	}
	return 1;
}

int bo__fidelity_replay(bo_fidelity *f, int64_t id, const double *x, bo_fid_next *out)
{
	int k = bo__fidelity_rung_of(f, x[f->spec.param]);
	size_t i;
	if (k < 0)
		return bo__error(BO_EINVAL,
				 "trial %lld has fidelity %g, on no rung of the study's fidelity (was it changed?)",
				 (long long)id, x[f->spec.param]);
	bo__fidelity_next(f, out);
	out->rung = k;
	out->value = f->values[k];
	out->kind = BO_FID_NEW;
	out->config = out->parent = -1;
	for (i = f->nconfigs; k > 0 && f->spec.schedule != BO_FIDELITY_GP && i-- > 0;) {
		const ftrial *t = &f->trials[f->configs[i].last];
		if (t->rung < k && same_config(f, f->configs[i].x, x)) {
			out->kind = BO_FID_PROMOTE;
			out->config = f->configs[i].root;
			out->parent = t->id;
			break;
		}
	}
	return bo__fidelity_started(f, id, out, x);
}

void bo__fidelity_trial(const bo_fidelity *f, int64_t id, int64_t *config, int *rung)
{
	const ftrial *t = find_trial(f, id);
	*config = t ? f->configs[t->config].root : -1;
	*rung = t ? t->rung : -1;
}

const double *bo__fidelity_config_x(const bo_fidelity *f, int64_t config)
{
	int ci = find_config(f, config);
	return ci < 0 ? NULL : f->configs[ci].x;
}

size_t bo__fidelity_rung_done(const bo_fidelity *f, int k, int64_t *ids, size_t cap)
{
	size_t i, n = 0;
	for (i = 0; i < f->ntrials; i++)
		if (f->trials[i].rung == k && f->trials[i].done && !isnan(f->trials[i].score)) {
			if (ids && n < cap)
				ids[n] = f->trials[i].id;
			n++;
		}
	return n;
}
