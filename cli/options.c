/*
 * cli/options.c - getopt_long for the subcommands, and the listing of
 * their option tables behind `budgetopt --list-options CMD`.
 *
 * The listing is what the man-page check and the bash completion read, so
 * it must print the very table the parser uses, never a copy of it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

#undef getopt_long

int cli_listing_options;

void cli_print_options(FILE *f, const char *shortopts, const struct option *longopts)
{
	const char *p = shortopts ? shortopts : "";
	for (; longopts && longopts->name; longopts++)
		fprintf(f, "--%s%s\n", longopts->name,
			longopts->has_arg == required_argument   ? " ARG"
			: longopts->has_arg == optional_argument ? " [ARG]"
								 : "");
	/* "+", "-" and ":" at the start are modes, not options. */
	while (*p == '+' || *p == '-' || *p == ':')
		p++;
	for (; *p; p++) {
		int arg = 0;
		if (*p == ':')
			continue;
		if (p[1] == ':')
			arg = p[2] == ':' ? 2 : 1;
		fprintf(f, "-%c%s\n", *p, arg == 1 ? " ARG" : arg == 2 ? " [ARG]" : "");
	}
}

int cli_getopt_long(int argc, char *const *argv, const char *shortopts,
		    const struct option *longopts, int *longind)
{
	if (cli_listing_options) {
		cli_print_options(stdout, shortopts, longopts);
		exit(fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_RUN_FAILED);
	}
	return getopt_long(argc, argv, shortopts, longopts, longind);
}
