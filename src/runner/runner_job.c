/*
 * runner/runner_job.c - a trial's command line, environment and folder,
 * built from its configuration, and the freeing of a job's parts.
 *
 * The {name} placeholders of the evaluator's command are filled here;
 * with shell: true a value is never written into the command (see
 * substitute). Part of the run loop: runner.c holds the loop, and
 * runner/runner_int.h lists the sibling files.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/model.h"
#include "core/strbuf.h"

extern char **environ;

/* ---- building a trial's command --------------------------------------- */

static void free_strv(char **v)
{
	size_t i;
	if (!v)
		return;
	for (i = 0; v[i]; i++)
		bo__free(v[i]);
	bo__free(v);
}

static int strv_push(char ***v, size_t *n, size_t *cap, char *s)
{
	if (!s)
		return BO_ENOMEM;
	if (bo__grow(v, cap, *n + 2, sizeof **v) < 0) {
		bo__free(s);
		return BO_ENOMEM;
	}
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
	return 0;
}

/* Substitutes {name} placeholders in one argument ({{ and }} are braces).
 * With shell: true the value is never written into the command: the
 * placeholder becomes a quoted reference to the environment variable
 * holding it, so the shell never parses a value as code. */
static char *substitute(const bo_study *s, const double *x, const bo_unit_id *u, const char *arg,
			int shell)
{
	bo_strbuf sb = BO_STRBUF_INIT;
	const char *p = arg;
	char buf[256];
	while (*p) {
		if (p[0] == '{' && p[1] == '{') {
			bo__sb_putc(&sb, '{');
			p += 2;
		} else if (p[0] == '}' && p[1] == '}') {
			bo__sb_putc(&sb, '}');
			p += 2;
		} else if (p[0] == '{') {
			const char *end = strchr(p, '}');
			char name[256];
			int idx;
			size_t len = end ? (size_t)(end - p - 1) : 0;
			if (!end || len >= sizeof name) {
				bo__sb_putc(&sb, *p++);
				continue;
			}
			memcpy(name, p + 1, len);
			name[len] = '\0';
			idx = bo__study_find_param(s, name);
			if (idx < 0 && bo__unit_placeholder(u, name, shell, buf, sizeof buf)) {
				bo__sb_puts(&sb, buf);   /* {scenario}, {repeat}, {seed} */
			} else if (idx < 0) {
				bo__sb_add(&sb, p, len + 2);
			} else if (shell) {
				size_t k;
				bo__sb_puts(&sb, "\"${BUDGETOPT_PARAM_");
				for (k = 0; name[k]; k++)
					bo__sb_putc(&sb, (char)(name[k] >= 'a' && name[k] <= 'z' ? name[k] - 32 : name[k]));
				bo__sb_puts(&sb, "}\"");
			} else {
				bo__param_format(&s->params[idx], x[idx], buf, sizeof buf);
				bo__sb_puts(&sb, buf);
			}
			p = end + 1;
		} else {
			bo__sb_putc(&sb, *p++);
		}
	}
	return bo__sb_take(&sb);
}

int bo__run_build_argv(const bo_study *s, const double *x, const bo_unit_id *u, char ***out)
{
	char **v = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0;
	const bo_evaluator *ev = &s->evaluator;
	if (ev->shell) {
		if ((rc = strv_push(&v, &n, &cap, bo__strdup("/bin/sh"))) < 0 ||
		    (rc = strv_push(&v, &n, &cap, bo__strdup("-c"))) < 0)
			goto done;
		/* The reader keeps a shell command as one string. */
		if ((rc = strv_push(&v, &n, &cap, substitute(s, x, u, ev->argv[0], 1))) < 0 ||
		    (rc = strv_push(&v, &n, &cap, bo__strdup("budgetopt-evaluator"))) < 0)
			goto done;
	} else {
		for (i = 0; i < ev->argc; i++)
			if ((rc = strv_push(&v, &n, &cap, substitute(s, x, u, ev->argv[i], 0))) < 0)
				goto done;
	}
done:
	if (rc < 0) {
		free_strv(v);
		v = NULL;
	}
	*out = v;
	return rc;
}

static char *env_pair(const char *k, const char *v)
{
	bo_strbuf sb = BO_STRBUF_INIT;
	bo__sb_puts(&sb, k);
	bo__sb_putc(&sb, '=');
	bo__sb_puts(&sb, v);
	return bo__sb_take(&sb);
}

/* BUDGETOPT_FIDELITY: the trial's fidelity as a share of the highest
 * rung's (1 without fidelity: or on the top rung). */
static const char *fidelity_share(const runner *r, const double *x, char *buf, size_t size)
{
	const bo_fidelity_spec *f = &r->s->fidelity;
	if (!r->fid || !(f->max > 0) || isnan(x[f->param]))
		return "1";
	snprintf(buf, size, "%.17g", x[f->param] / f->max);
	return buf;
}

int bo__run_build_env(runner *r, const job_ctx *j, const char *pjson, char ***out)
{
	const bo_study *s = r->s;
	char **v = NULL;
	size_t n = 0, cap = 0, i;
	char buf[256], key[300];
	int rc = 0;
	for (i = 0; environ && environ[i]; i++) {
		/* ours are set below; never inherit stale ones. BUDGETOPT_DATA is
		 * the user's (where benchmark tables are) and passes. */
		if (!strncmp(environ[i], "BUDGETOPT_", 10) && strncmp(environ[i], "BUDGETOPT_DATA=", 15))
			continue;
		if ((rc = strv_push(&v, &n, &cap, bo__strdup(environ[i]))) < 0)
			goto done;
	}
	snprintf(buf, sizeof buf, "%lld", (long long)j->id);
	if ((rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_TRIAL_ID", buf))) < 0 ||
	    (rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_STUDY", s->name))) < 0 ||
	    (rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_LEDGER", r->ledger_path))) < 0 ||
	    (rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_TRIAL_DIR", j->folder))) < 0 ||
	    (rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_RESULT", j->result_path))) < 0 ||
	    (rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_PARAMS", pjson))) < 0 ||
	    (rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_SCENARIO", j->unit.scenario))) < 0 ||
	    (rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_FIDELITY", fidelity_share(r, j->x, buf, sizeof buf)))) < 0)
		goto done;
	if (j->ckpt_dir && (rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_CHECKPOINT_DIR", j->ckpt_dir))) < 0)
		goto done;
	snprintf(buf, sizeof buf, "%lld", (long long)j->unit.repeat);
	if ((rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_REPEAT", buf))) < 0)
		goto done;
	snprintf(buf, sizeof buf, "%llu", (unsigned long long)j->unit.seed);
	if ((rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_SEED", buf))) < 0)
		goto done;
	for (i = 0; i < s->nparams; i++) {
		if (isnan(j->x[i]))
			continue;
		bo__param_env_name(s->params[i].name, key, sizeof key);
		bo__param_format(&s->params[i], j->x[i], buf, sizeof buf);
		if ((rc = strv_push(&v, &n, &cap, env_pair(key, buf))) < 0)
			goto done;
	}
	for (i = 0; i < s->evaluator.nenv; i++)
		if ((rc = strv_push(&v, &n, &cap, bo__strdup(s->evaluator.env[i]))) < 0)
			goto done;
done:
	if (rc < 0) {
		free_strv(v);
		v = NULL;
	}
	*out = v;
	return rc;
}

int bo__run_mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	char *p;
	size_t len = strlen(path);
	if (len >= sizeof tmp)
		return bo__error(BO_EIO, "%s: path too long", path);
	memcpy(tmp, path, len + 1);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return bo__error(BO_EIO, "cannot create folder %s: %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return bo__error(BO_EIO, "cannot create folder %s: %s", tmp, strerror(errno));
	return 0;
}

/* ---- jobs ------------------------------------------------------------ */

void bo__run_job_free(job_ctx *j)
{
	if (!j)
		return;
	bo__free(j->x);
	bo__free(j->params_json);
	bo__free(j->folder);
	bo__free(j->result_path);
	bo__free(j->ckpt_dir);
	bo__report_clear(&j->report);
	bo__free(j->kill_reason);
	free_strv(j->argv);
	free_strv(j->envp);
	bo__free(j);
}
