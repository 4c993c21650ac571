/*
 * cli/select_robust.h - `budgetopt select --robust AGG` (cli/select_robust.c).
 */
#ifndef BO_CLI_SELECT_ROBUST_H
#define BO_CLI_SELECT_ROBUST_H

#include "decide.h"

/* Selects by the robust aggregate spec ("worst", "mean", "cvar:0.2",
 * "spread", "regret") of the score across the scenarios of d's study,
 * from its ledger (d loaded), printing the selection, its per-scenario
 * scores and up to runners runners-up. Returns an exit code. */
int cli_select_robust(cli_decide *d, const char *spec, int runners);

/* The name of a robust aggregate for people: "worst", "cvar(0.2)". */
#include "analysis/robust.h"
void cli_robust_label(const bo_robust *spec, char *buf, size_t size);

#endif
