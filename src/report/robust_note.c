/*
 * report/robust_note.c - how the report's configurations were judged
 * across scenarios, in one paragraph (robust_note.h). report.c puts it
 * before the selection; it must say what cli/decide.c's fold does.
 */
#include "report/robust_note.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/expr.h"
#include "core/strbuf.h"

static int any_call(void *ud, const bo_expr *call)
{
	(void)ud;
	(void)call;
	return 1;
}

const char *bo__report_scenario_note(const bo_study *s, char *buf, size_t size)
{
	bo_strbuf sb = BO_STRBUF_INIT;
	size_t k, n = 0;
	char *t;
	if (size)
		buf[0] = '\0';
	if (!s || !s->nscenarios || !size)
		return buf;
	bo__sb_printf(&sb, "Each configuration is judged over %zu scenario%s (", s->nscenarios,
		      s->nscenarios == 1 ? "" : "s");
	for (k = 0; k < s->nscenarios; k++)
		bo__sb_printf(&sb, "%s%s %.3g", k ? ", " : "", bo__scenario_name(s, k), bo__scenario_weight(s, k));
	bo__sb_puts(&sb, "): its values are the weighted mean across scenarios of its values under each (the "
			 "mean of its repeats there), and a guardrail holds under every scenario");
	for (k = 0; k < s->nguardrails; k++)
		if (bo__expr_foreach_robust(s->guardrails[k].expr, any_call, NULL))
			bo__sb_printf(&sb, "%s%s", n++ ? "; " : ", except those judged across them: ",
				      s->guardrails[k].text);
	bo__sb_puts(&sb, ".");
	if (s->score && bo__expr_foreach_robust(s->score, any_call, NULL))
		bo__sb_printf(&sb, " The score %s is judged once per configuration: its robust functions across "
			      "scenarios, any other value at its weighted mean.", s->score_text);
	for (k = 0, n = 0; k < s->nobjectives; k++)
		if (s->objectives[k].robust)
			bo__sb_printf(&sb, "%s%s", n++ ? ", " : " Robust objectives: ", s->objectives[k].label);
	if (n)
		bo__sb_puts(&sb, ".");
	if (!(t = bo__sb_take(&sb)))
		return buf;
	snprintf(buf, size, "%s", t);
	bo__free(t);
	return buf;
}
