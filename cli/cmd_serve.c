/*
 * cli/cmd_serve.c - `budgetopt serve study.yaml`: the live dashboard and
 * its JSON API over HTTP until SIGINT or SIGTERM.
 *
 * The first line on stdout is the URL served ("serving http://ADDR:PORT/"),
 * so scripts can start it with --port 0 and read the port the kernel chose.
 *
 * The token comes from --token-file or $BUDGETOPT_TOKEN rather than the
 * command line, where every user of the machine can read it (ps).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "serve/server.h"

static const char help[] =
	"usage: budgetopt serve [--port N] [--bind ADDR] [--token-file FILE] [--storage URI]\n"
	"                       [--max-connections N] [--max-per-address N] study.yaml\n\n"
	"Serves a live dashboard of the study (its charts, refreshed while a run\n"
	"goes on, and a trials table) and a read-only JSON API (docs/api.md) until\n"
	"interrupted. The ledger may be written by a runner at the same time.\n\n"
	"options:\n"
	"  --port N        the port (default 8080; 0: any free port)\n"
	"  --bind ADDR     the numeric address to listen on (default 127.0.0.1);\n"
	"                  any non-loopback address requires a token\n"
	"  --token-file FILE  read the token from FILE (one line; not readable by\n"
	"                  group or others): a secret every request must carry, as\n"
	"                  \"Authorization: Bearer T\" or \"?token=T\" (characters\n"
	"                  A-Z a-z 0-9 . _ ~ -); without it, $BUDGETOPT_TOKEN\n"
	"  --token T       the token itself (visible to other users in ps: prefer\n"
	"                  --token-file or $BUDGETOPT_TOKEN)\n"
	"  --max-connections N  connections held at once (default 64); beyond it a\n"
	"                  request is answered 503 with Retry-After\n"
	"  --max-per-address N  of them from one client address (default 32)\n"
	"  --storage URI   the ledger (default <study folder>/<name>.db)\n\n"
	"A connection that has not sent a whole request 10 s after opening (or\n"
	"after its last answer) is closed.\n"
	"The first line printed is the address served: serving http://ADDR:PORT/\n";

#define MAX_TOKEN_FILE 1024

/* Reads the token from path into buf: one line, one trailing newline
 * dropped. Refuses a file that group or others may read. 0 or -1 (the
 * message printed). */
static int read_token_file(const char *path, char *buf, size_t size)
{
	struct stat sb;
	ssize_t n;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;
	if (fd < 0) {
		cli_error("--token-file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0) {
		cli_error("--token-file %s: %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(sb.st_mode)) {
		cli_error("--token-file %s: not a regular file", path);
		goto done;
	}
	if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
		cli_error("--token-file %s: readable by other users (mode %03o): chmod 600 it", path,
			  (unsigned)(sb.st_mode & 0777));
		goto done;
	}
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_error("--token-file %s: %s", path, strerror(errno));
			goto done;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (len + 1 >= size) {
		cli_error("--token-file %s: longer than a token can be", path);
		goto done;
	}
	if (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (!len) {
		cli_error("--token-file %s: empty", path);
		goto done;
	}
	rc = 0;
done:
	close(fd);
	return rc;
}

/* A count option's value: 1 to INT_MAX. */
static int parse_count(const char *name, const char *arg, unsigned *out)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 1 || v > INT_MAX) {
		cli_error("%s needs a positive whole number, not \"%s\"", name, arg);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

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
		{"token-file", required_argument, NULL, 'T'},
		{"max-connections", required_argument, NULL, 'm'},
		{"max-per-address", required_argument, NULL, 'a'},
		{"storage", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	bo_serve_options o = BO_SERVE_OPTIONS_INIT;
	const char *storage = NULL, *token_file = NULL, *env;
	char ledger[PATH_MAX], *end, token[MAX_TOKEN_FILE];
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
		case 'T': token_file = optarg; break;
		case 'm':
			if (parse_count("--max-connections", optarg, &o.max_connections) < 0)
				return EXIT_USAGE;
			break;
		case 'a':
			if (parse_count("--max-per-address", optarg, &o.max_per_address) < 0)
				return EXIT_USAGE;
			break;
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
	if (o.token && token_file) {
		cli_error("--token and --token-file: give one");
		return EXIT_USAGE;
	}
	if (token_file) {
		if (read_token_file(token_file, token, sizeof token) < 0)
			return EXIT_USAGE;
		o.token = token;
	} else if (!o.token && (env = getenv("BUDGETOPT_TOKEN")) && *env) {
		o.token = env;
	}
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
