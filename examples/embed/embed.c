/* examples/embed/embed.c - budgetopt's ask/tell API in one page: minimise
 * Branin under a money budget, where an evaluation costs more on the right
 * of the space. Build: see README.md. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <budgetopt/budgetopt.h>

static const char STUDY[] =
	"name: branin-embedded\n"
	"seed: 1\n"
	"space: {x1: {float: [-5, 10]}, x2: {float: [0, 15]}}\n"
	"metrics: {y: {minimize: true}}\n"
	"objectives: [y]\n"
	"prices: {cpu_hours: 0.5}\n"
	"budget: {money: 30, per_trial: {money: 1.0}}\n"
	"evaluator: {command: [none]}\n";   /* unused: this program evaluates */

static double branin(double x1, double x2)
{
	const double pi = 3.14159265358979323846;
	double u = x2 - 5.1 / (4 * pi * pi) * x1 * x1 + 5 / pi * x1 - 6;
	return u * u + 10 * (1 - 1 / (8 * pi)) * cos(x1) + 10;
}

int main(int argc, char **argv)
{
	bo_study *s = NULL;
	bo_optimizer *o = NULL;
	bo_optimizer_options opt = BO_OPTIMIZER_OPTIONS_INIT;
	bo_trial *t;
	double x1, x2, best;
	int64_t number;
	int rc;

	opt.sampler = argc > 1 ? argv[1] : "auto";   /* random, sobol, tpe, gp... */
	if (bo_study_parse(&s, STUDY, strlen(STUDY), "embedded", NULL, NULL) != 0 ||
	    bo_optimizer_new(&o, s, &opt) != 0) {
		fprintf(stderr, "embed: %s\n", bo_error_last());
		return 1;
	}
	while ((rc = bo_optimizer_ask(o, &t)) == 0) {
		bo_trial_param(t, "x1", &x1);
		bo_trial_param(t, "x2", &x2);
		bo_trial_set_metric(t, "y", branin(x1, x2));
		bo_trial_add_usage(t, "cpu_hours", 0.2 + 1.8 * (x1 + 5) / 15);   /* 0.1 to 1.0 */
		bo_optimizer_tell(o, t, BO_TELL_COMPLETE, NULL);
	}
	printf("stopped: %s\n", bo_optimizer_errmsg(o));
	if (rc < 0 || bo_optimizer_best(o, &number, &best) != 0)
		fprintf(stderr, "embed: %s\n", bo_optimizer_errmsg(o));
	else
		printf("%lld trials, spent %.4g: best y = %.6g (trial %lld; optimum 0.397887)\n",
		       (long long)bo_optimizer_ntold(o), bo_optimizer_spent(o), best, (long long)number);
	bo_optimizer_free(o);
	bo_study_free(s);
	return rc < 0;
}
