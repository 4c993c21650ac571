/*
 * runner/doctor.h - checking a study's ledger against its spend journal and
 * trial folders, and rebuilding what can be rebuilt (budgetopt doctor).
 */
#ifndef BO_RUNNER_DOCTOR_H
#define BO_RUNNER_DOCTOR_H

#include <stddef.h>

#include "core/model.h"
#include "core/strbuf.h"

typedef struct bo_doctor_options {
	const char *storage;     /* ledger URI override, or NULL */
	const char *trials_dir;  /* trial folders override, or NULL */
	int repair;              /* 1: rebuild what can be rebuilt */
} bo_doctor_options;

/* The trial folders of ledger path ledger: override, or the ledger's path
 * without ".db" and with "-trials" (x.db: x-trials). */
int bo__trials_dir(const char *ledger, const char *override, char *buf, size_t size);

/* Checks (and with o->repair, repairs) the ledger of study s. Appends what
 * it found and did to out, one line each, for people. *problems: what is
 * wrong after it ran (0: healthy). Returns 0, or BO_EIO/BO_ENOMEM/
 * BO_EINVAL when it could not look (the message says why). */
int bo__doctor(const bo_study *s, const bo_doctor_options *o, bo_strbuf *out, int *problems);

#endif
