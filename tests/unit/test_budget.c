/*
 * tests/unit/test_budget.c - the money rules of core (bo__budget_*): the
 * cap derived at launch for studies without per_trial.money, checked by
 * simulating launches and charges and summing the running trials' caps by
 * brute force at every step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "core/model.h"

#define MAXRUN 8
#define EPS 1e-9

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 11;
}

static double unif(uint64_t *s)
{
	return (double)lcg(s) / 9007199254740992.0;
}

static void test_derived_cap_values(void **state)
{
	(void)state;
	/* A share of what is left... */
	assert_true(bo__budget_derived_cap(29.0, 2, 1.25) == 29.0 / 2.0);
	assert_true(bo__budget_derived_cap(7.385, 3, NAN) == 7.385 / 3.0);
	/* ...never below the reservation, never above what is left. */
	assert_true(bo__budget_derived_cap(3.0, 4, 2.385) == 2.385);
	assert_true(bo__budget_derived_cap(2.0, 1, 2.385) == 2.0);
	assert_true(bo__budget_derived_cap(0.0, 1, 1.0) == 0.0);
	assert_true(bo__budget_derived_cap(-1.0, 1, 1.0) == 0.0);
	/* Slots below one count as one. */
	assert_true(bo__budget_derived_cap(5.5, 0, 1.0) == 5.5);
}

static void test_capped(void **state)
{
	bo_budget b;
	(void)state;
	memset(&b, 0, sizeof b);
	b.money = b.time_s = b.trial_money = b.trial_time_s = NAN;
	assert_false(bo__budget_capped(&b));           /* no money budget */
	b.money = 30;
	assert_true(bo__budget_capped(&b));            /* derived */
	b.trial_money_none = 1;
	assert_false(bo__budget_capped(&b));           /* opted out */
	b.trial_money = 2.0;
	assert_true(bo__budget_capped(&b));            /* the user's cap */
	b.money = NAN;
	assert_true(bo__budget_capped(&b));
}

/* The runner's loop, reduced to money: launch while the reservation fits
 * (the first trial alone), cap by the derived rule, charge at most the
 * cap. At every step the running trials' caps are summed again from
 * scratch: spend + that sum must stay within the budget, and so must the
 * spend. Prices are awkward, sometimes far beyond the budget. */
static void test_derived_cap_simulation(void **state)
{
	uint64_t seed = 2385;
	int round;
	bo_budget b;
	(void)state;
	memset(&b, 0, sizeof b);
	b.time_s = b.trial_money = b.trial_time_s = NAN;
	for (round = 0; round < 300; round++) {
		double cap[MAXRUN], price[MAXRUN];
		int nrun = 0, parallel = 1 + (int)(lcg(&seed) % MAXRUN), i;
		int64_t launched = 0, finished = 0, trials = 1 + (int64_t)(lcg(&seed) % 40);
		double spent = 0.0, max_cost = 0.0, reserved = 0.0;
		int steps;
		b.money = 0.5 + 100.0 * unif(&seed);
		b.trials = trials;
		assert_true(bo__budget_capped(&b));
		for (steps = 0; steps < 200; steps++) {
			/* Launch as many as the rules allow. */
			while (nrun < parallel && launched < trials) {
				double pred = bo__budget_reservation(&b, finished, max_cost);
				double left = b.money - spent - reserved, brute = b.money - spent, c;
				int64_t slots = parallel - nrun;
				for (i = 0; i < nrun; i++)
					brute -= cap[i];
				assert_true(fabs(brute - left) <= EPS * b.money);
				if (!isfinite(pred)) {
					if (nrun > 0)
						break;
					pred = left;
				}
				if (pred > left * (1.0 + 1e-12) || left <= 0)
					break;
				if (trials - launched < slots)
					slots = trials - launched;
				c = bo__budget_derived_cap(left, slots, pred);
				assert_true(c >= pred * (1.0 - EPS));          /* never below the reservation */
				assert_true(c >= left / (double)slots * (1.0 - EPS)); /* its share at least */
				assert_true(c <= left * (1.0 + EPS));
				cap[nrun] = c;
				/* some trials cost a little, some report absurd usage */
				price[nrun] = unif(&seed) < 0.2 ? 1e6 * unif(&seed) : c * 1.5 * unif(&seed);
				reserved += c;
				nrun++;
				launched++;
				brute = spent;
				for (i = 0; i < nrun; i++)
					brute += cap[i];
				assert_true(brute <= b.money * (1.0 + EPS));
			}
			if (nrun == 0)
				break;
			/* One running trial finishes: charged at most its cap. */
			i = (int)(lcg(&seed) % (uint64_t)nrun);
			spent += price[i] < cap[i] ? price[i] : cap[i];
			max_cost = fmax(max_cost, price[i]);
			reserved -= cap[i];
			if (reserved < 0)
				reserved = 0;
			finished++;
			cap[i] = cap[nrun - 1];
			price[i] = price[nrun - 1];
			nrun--;
			assert_true(spent <= b.money * (1.0 + EPS));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_derived_cap_values),
		cmocka_unit_test(test_capped),
		cmocka_unit_test(test_derived_cap_simulation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
