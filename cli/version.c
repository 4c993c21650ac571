/*
 * cli/version.c - `budgetopt --version`: the program's version and those
 * of the libraries it runs with (as they report themselves at run time,
 * which is what a bug report needs; the build-time version where a library
 * offers no other).
 */
#include <stdio.h>

#include <gsl/gsl_version.h>
#include <jansson.h>
#include <lapacke.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <nlopt.h>
#include <sqlite3.h>
#include <yaml.h>

#include "budgetopt/common.h"
#include "cli.h"

/* OpenBLAS's own report; declared here because cblas.h may belong to
 * another BLAS through Debian's alternatives. */
extern char *openblas_get_config(void);

void cli_print_version(FILE *f)
{
	int nmaj = 0, nmin = 0, nbug = 0;
	lapack_int lmaj = 0, lmin = 0, lpat = 0;

	nlopt_version(&nmaj, &nmin, &nbug);
	LAPACKE_ilaver(&lmaj, &lmin, &lpat);
	fprintf(f, "budgetopt %s\n", bo_version());
	fprintf(f, "  sqlite        %s\n", sqlite3_libversion());
	fprintf(f, "  libyaml       %s\n", yaml_get_version_string());
	fprintf(f, "  jansson       %s\n", jansson_version_str());
	fprintf(f, "  gsl           %s\n", gsl_version);
	fprintf(f, "  nlopt         %d.%d.%d\n", nmaj, nmin, nbug);
	fprintf(f, "  lapack        %d.%d.%d\n", (int)lmaj, (int)lmin, (int)lpat);
	fprintf(f, "  openblas      %s\n", openblas_get_config());
	fprintf(f, "  libmicrohttpd %s\n", MHD_get_version());
	/* PQlibVersion: major * 10000 + minor since PostgreSQL 10 */
	fprintf(f, "  libpq         %d.%d\n", PQlibVersion() / 10000, PQlibVersion() % 10000);
}
