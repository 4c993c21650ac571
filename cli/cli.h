/*
 * cli/cli.h - what the subcommands share: loading a study with its
 * diagnostics printed, opening its ledger, formatting for people.
 *
 * cli/ is the only code that prints or exits. Exit codes: 0 ok, 1 a failed
 * run, 2 bad usage or bad input, 130 interrupted by the user.
 */
#ifndef BO_CLI_H
#define BO_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "budgetopt/budgetopt.h"
#include "storage/storage.h"

enum { EXIT_OK = 0, EXIT_RUN_FAILED = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = 130 };

typedef struct bo_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} bo_command;

int cmd_validate(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_worker(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_trials(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_frontier(int argc, char **argv);
int cmd_select(int argc, char **argv);
int cmd_whatif(int argc, char **argv);
int cmd_reprice(int argc, char **argv);
int cmd_observe(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_copy(int argc, char **argv);
int cmd_import_optuna(int argc, char **argv);

/* Writes trials as the CSV of Optuna's trials_dataframe() (export_optuna.c).
 * Returns 0, or -1 when out of memory. */
int cli_export_optuna_csv(FILE *f, const bo_study *s, const bo_trial_rec *t, size_t n);
/* `export --by-config` (cli/export_config.c): one row per configuration
 * of the ledger of the study at path, in format csv or json, to f. Returns
 * an exit code after printing any problem. */
int cli_export_by_config(FILE *f, const char *format, const char *path, const char *storage);

/* The option tables the subcommands hand to getopt_long are the one
 * source of what each accepts: `budgetopt --list-options CMD` prints the
 * table CMD parses with (its man page and the bash completion are checked
 * against it, man/README.md). So every subcommand's getopt_long goes
 * through cli_getopt_long, which parses as getopt_long does, except that
 * while main() lists a command's options (cli_listing_options set) it
 * prints the table it was given and exits 0 instead. A command that never
 * calls getopt_long cannot be listed, and main() says so. */
extern int cli_listing_options;
int cli_getopt_long(int argc, char *const *argv, const char *shortopts,
		    const struct option *longopts, int *longind);
#define getopt_long cli_getopt_long

/* Prints an option table as `--list-options` does: one line per option,
 * "--name", "--name ARG" or "--name [ARG]", then each short option of
 * shortopts as "-c" or "-c ARG". */
void cli_print_options(FILE *f, const char *shortopts, const struct option *longopts);

/* Prints "budgetopt: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "budgetopt: warning: <message>" on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A command that writes --format json calls cli_json_errors(1) once it
 * knows; then, when it fails, main() prints one JSON object on stdout,
 * {"error": "<the first message>", "exit": <code>}, besides the message on
 * stderr (cli_json_errors_flush, called by main with the exit code). */
void cli_json_errors(int on);
void cli_json_errors_flush(int exit_code);

/* Prints a finite number in the shortest form that reads back exactly
 * (nothing for NaN or infinities): CSV cells and JSON numbers. */
void cli_print_num(FILE *f, double v);

/* Prints a jansson value as indented JSON with reals in their shortest
 * exact form, and a newline. */
struct json_t;
void cli_json_dump(FILE *f, struct json_t *v);

/* Writes s as a JSON string (quotes, backslashes and controls escaped). */
void cli_json_string(FILE *f, const char *s);

/* Reads a whole file, NUL-terminated; *len gets its length. NULL with
 * errno set on failure (ENOMEM, EIO, or fopen's). Free with free(). */
char *cli_read_file(const char *path, size_t *len);

/* Loads a study, printing every diagnostic. Returns NULL after printing. */
bo_study *cli_load_study(const char *path);

/* Opens the ledger of study s (override: --storage or NULL); the ledger
 * must exist unless create. Prints and returns NULL on failure. */
bo_storage *cli_open_ledger(const bo_study *s, const char *override, int create);

/* Exit code after cli_open_ledger failed: 2 when the ledger was refused
 * (it disagrees with its spend journal: `budgetopt doctor`), else 1. */
int cli_ledger_failure(void);

/* Exit code for a library status. */
int cli_exit_code(int rc);

/* An option `run` and `worker` share, into opt: c 'S' (--seed N) or 'p'
 * (--parallel N) with its argument. 0, or EXIT_USAGE after the message. */
int cli_run_option(bo_run_options *opt, int c, const char *arg);

/* Counts SIGINT and SIGTERM from now on (Ctrl-C: stop launching, a second:
 * stop running trials) and ignores SIGPIPE; returns the counter, for
 * bo_run_options.interrupts. */
volatile sig_atomic_t *cli_catch_interrupts(void);

/* "1h02m", "3m20s", "12.3s". */
void cli_fmt_duration(double s, char *buf, size_t size);

/* Money with the currency: "0.0123 USD", "$1,234.50" for USD >= 1000. */
void cli_fmt_money(double v, const char *currency, char *buf, size_t size);

/* Writes s as a CSV field (quoted when needed, RFC 4180). */
void cli_csv_field(FILE *f, const char *s);

/* 1 if the option parser should print help: argv has -h/--help. */
int cli_wants_help(int argc, char **argv);

/* `budgetopt --version`: the program's and its libraries' versions. */
void cli_print_version(FILE *f);

#endif
