/*
 * cli/cmd_serve.c - `budgetopt serve study.yaml`: the live dashboard and
 * its JSON API over HTTP until SIGINT or SIGTERM.
 *
 * The first line on stdout is the URL served ("serving http://ADDR:PORT/"),
 * so scripts can start it with --port 0 and read the port the kernel chose.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "serve/server.h"

static const char help[] =
	"usage: budgetopt serve [--port N] [--bind ADDR --token T] [--storage URI] study.yaml\n\n"
	"Serves a live dashboard of the study (its charts, refreshed while a run\n"
	"goes on, and a trials table) and a read-only JSON API (docs/api.md) until\n"
	"interrupted. The ledger may be written by a runner at the same time.\n\n"
	"options:\n"
	"  --port N        the port (default 8080; 0: any free port)\n"
	"  --bind ADDR     the numeric address to listen on (default 127.0.0.1);\n"
	"                  any non-loopback address requires --token\n"
	"  --token T       a secret every request must carry, as \"Authorization:\n"
	"                  Bearer T\" or \"?token=T\" (characters A-Z a-z 0-9 . _ ~ -)\n"
	"  --storage URI   the ledger (default <study folder>/<name>.db)\n\n"
	"The first line printed is the address served: serving http://ADDR:PORT/\n";

/* The stop signals may land on any thread (libraries start their own
 * before main), so the handler only writes to a pipe the main thread
 * waits on. */
static int stop_pipe[2] = {-1, -1};

static void on_stop(int sig)
{
	int saved = errno;
	char c = (char)sig;
	if (write(stop_pipe[1], &c, 1) < 0) {
		/* the pipe is full: a stop is already pending */
	}
	errno = saved;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"port", required_argument, NULL, 'p'},
		{"bind", required_argument, NULL, 'b'},
		{"token", required_argument, NULL, 't'},
		{"storage", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	bo_serve_options o = BO_SERVE_OPTIONS_INIT;
	const char *storage = NULL;
	char ledger[PATH_MAX], *end;
	bo_study *s = NULL;
	bo_server *sv = NULL;
	struct sigaction sa, old_int, old_term;
	long port = 8080;
	int c, ret = EXIT_USAGE;
	char got;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			errno = 0;
			port = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || port < 0 || port > 65535) {
				cli_error("--port needs a port number (0 to 65535), not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'b': o.bind = optarg; break;
		case 't': o.token = optarg; break;
		case 's': storage = optarg; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: fputs(help, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(help, stderr);
		return EXIT_USAGE;
	}
	o.port = (unsigned)port;
	if (!(s = cli_load_study(argv[optind])))
		return EXIT_USAGE;
	if (bo_run_storage_uri(s, storage, ledger, sizeof ledger) < 0) {
		cli_error("%s", bo_error_last());
		goto done;
	}
	o.ledger = ledger;
	{
		/* A ledger that disagrees with its spend journal is refused here
		 * (a missing one is waited for: a runner may create it). */
		bo_ledger_open_options lo = BO_LEDGER_OPEN_OPTIONS_INIT;
		bo_storage *st = NULL;
		lo.must_exist = 1;
		lo.study_path = bo_study_path(s);
		lo.currency = s->prices.currency;
		c = bo__storage_open_ex(&st, ledger, &lo);
		bo__storage_close(st);
		if (c < 0 && c != BO_ENOTFOUND) {
			cli_error("%s", bo_error_last());
			ret = c == BO_ECONFLICT ? EXIT_USAGE : EXIT_RUN_FAILED;
			goto done;
		}
	}

	if (pipe(stop_pipe) < 0) {
		cli_error("cannot make a pipe: %s", strerror(errno));
		ret = EXIT_RUN_FAILED;
		goto done;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	signal(SIGPIPE, SIG_IGN);
	c = bo__serve_start(&sv, s, &o);
	if (c < 0) {
		cli_error("%s", bo_error_last());
		ret = c == BO_EINVAL ? EXIT_USAGE : EXIT_RUN_FAILED;
		goto restore;
	}
	o.bind = o.bind ? o.bind : "127.0.0.1";
	printf(strchr(o.bind, ':') ? "serving http://[%s]:%u/\n" : "serving http://%s:%u/\n", o.bind,
	       bo__serve_port(sv));
	fflush(stdout);
	if (o.token)
		fprintf(stderr, "budgetopt: every request needs the token (Authorization: Bearer ... or ?token=...)\n");
	while (read(stop_pipe[0], &got, 1) < 0 && errno == EINTR)
		;
	bo__serve_stop(sv);
	ret = EXIT_OK;
restore:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
done:
	bo_study_free(s);
	return ret;
}
