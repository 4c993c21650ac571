/*
 * budgetopt/budgetopt.h - the whole public API of libbudgetopt.
 */
#ifndef BUDGETOPT_H
#define BUDGETOPT_H

#include "budgetopt/common.h"
#include "budgetopt/study.h"
#include "budgetopt/run.h"
#include "budgetopt/analysis.h"
#include "budgetopt/optimizer.h"

#endif
