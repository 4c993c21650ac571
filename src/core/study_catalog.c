/*
 * core/study_catalog.c - what a study takes from a catalog table: the
 * column each parameter or metric reads, and the labels of parameters
 * declared `choice: from_catalog`.
 *
 * Pure: the caller reads the file. Must never change a study that is
 * already in use by a sampler: labels are filled once, before any
 * configuration is read.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "core/csv.h"
#include "core/error.h"
#include "core/model.h"
#include "core/strindex.h"

const char *bo__catalog_column(const bo_study *s, const char *name)
{
	size_t i;
	for (i = 0; i < s->catalog.ncolumns; i++)
		if (!strcmp(s->catalog.names[i], name))
			return s->catalog.columns[i];
	return name;
}

const char *bo__study_needs_catalog(const bo_study *s)
{
	size_t i;
	for (i = 0; i < s->nparams; i++)
		if (s->params[i].from_catalog && s->params[i].nchoices == 0)
			return s->params[i].name;
	return NULL;
}

/* Fills p's labels from column col: distinct cells, spaces around them
 * removed, in the order they first appear; empty cells are no label. */
static int fill_labels(bo_param *p, const bo_csv *csv, int col)
{
	char **labels = NULL;
	size_t n = 0, cap = 0, r, k;
	bo_strindex ix = BO_STRINDEX_INIT;
	int rc = 0;
	if (bo__strindex_init(&ix, csv->nrows) < 0) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (r = 0; r < csv->nrows; r++) {
		const char *cell = csv->cells[r * csv->ncols + (size_t)col];
		char buf[256];
		bo__csv_trim(cell, buf, sizeof buf);
		if (!buf[0] || bo__strindex_find(&ix, labels, buf) != SIZE_MAX)
			continue;
		if (bo__grow(&labels, &cap, n + 1, sizeof *labels) < 0 ||
		    !(labels[n] = bo__strdup(buf))) {
			rc = BO_ENOMEM;
			goto done;
		}
		bo__strindex_add(&ix, labels, n);
		n++;
	}
	if (!(p->choice_num = bo__calloc(n + 1, sizeof *p->choice_num))) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (k = 0; k < n; k++)
		p->choice_num[k] = NAN; /* labels stay labels: expressions see text */
	p->choices = labels;
	p->nchoices = n;
	p->numeric_choices = 0;
	labels = NULL;
	n = 0;
done:
	bo__strindex_clear(&ix);
	for (k = 0; k < n; k++)
		bo__free(labels[k]);
	bo__free(labels);
	return rc;
}

int bo__study_catalog_labels(bo_study *s, const bo_csv *csv, const char *name)
{
	size_t i;
	int rc;
	for (i = 0; i < s->nparams; i++) {
		bo_param *p = &s->params[i];
		const char *col;
		int k;
		if (!p->from_catalog || p->nchoices)
			continue;
		col = bo__catalog_column(s, p->name);
		if ((k = bo__csv_col(csv, col)) < 0)
			return bo__error(BO_EINVAL, "%s: no column \"%s\" for parameter \"%s\", whose labels come from the catalog (choice: from_catalog)",
					 name, col, p->name);
		if ((rc = fill_labels(p, csv, k)) < 0)
			return rc;
		if (p->nchoices == 0)
			return bo__error(BO_EINVAL, "%s: column \"%s\" has no labels for parameter \"%s\" (choice: from_catalog): every cell is empty",
					 name, col, p->name);
	}
	return 0;
}
