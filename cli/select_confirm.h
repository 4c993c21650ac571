/*
 * cli/select_confirm.h - `budgetopt select --reserve MONEY`: a confirmation
 * phase run before the selection (runner/confirm.h), and what select,
 * status and the report say of the ledger's confirmations
 * (cli/select_confirm.c).
 */
#ifndef BO_CLI_SELECT_CONFIRM_H
#define BO_CLI_SELECT_CONFIRM_H

#include <stdio.h>

#include "decide.h"
#include "report/confirm_info.h"

/* Runs a confirmation phase on the ledger of the study at path (storage:
 * --storage or NULL) spending at most money beyond what the ledger has
 * spent, dropping candidates at confidence; progress on stderr. Returns 0
 * or an exit code after printing the problem. */
int cli_confirm_run(const char *path, const char *storage, double money, double confidence);

/* What the ledger says of its last confirmation phase (report/confirm_info.h). */
typedef bo_confirm_info cli_confirm_info;

/* Reads info from the ledger of d (a ledger, not a catalog; nothing
 * found otherwise). Returns 0 or -1 after printing. */
int cli_confirm_read(const bo_study *s, const char *storage, cli_confirm_info *info);
void cli_confirm_info_free(cli_confirm_info *info);

/* Lines for people: "confirmed by N re-evaluations ...", one per drop. Each
 * is passed to add(ud, line). */
void cli_confirm_lines(const cli_confirm_info *info, const char *currency,
		       void (*add)(void *ud, const char *line), void *ud);

/* The phase as JSON: {"open", "trials", "spent", "limit", "leader",
 * "dropped": [{"id", "rule", "detail"}]}; NULL when none was found or out
 * of memory. */
json_t *cli_confirm_json(const cli_confirm_info *info);

/* For status: a line about the confirmation (the last phase, or the share
 * kept back for one not begun) into buf, "" when there is none. */
void cli_confirm_status(const bo_study *s, const cli_confirm_info *info, char *buf, size_t size);

#endif
