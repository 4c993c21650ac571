/*
 * tests/unit/tmp_ledger.h - a fresh ledger path per test under
 * $BO_TEST_TMP/<folder> (test_optimizer_ledger.c, test_optimizer_prune.c).
 * Included by one test program each, so its definition is static inline.
 */
#ifndef BO_TESTS_TMP_LEDGER_H
#define BO_TESTS_TMP_LEDGER_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes into out a ledger path no earlier call of this process gave,
 * making its folder. */
static inline void tmp_ledger(char *out, size_t size, const char *folder)
{
	const char *base = getenv("BO_TEST_TMP");
	static int n;
	char dir[400];
	snprintf(dir, sizeof dir, "%s/%s", base ? base : "/tmp", folder);
	mkdir(base ? base : "/tmp", 0700);
	mkdir(dir, 0700);
	snprintf(out, size, "%s/l%d-%d.db", dir, (int)getpid(), ++n);
}

#endif
