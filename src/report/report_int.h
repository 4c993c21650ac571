/*
 * report/report_int.h - what the files of the report share: the output
 * being built (HTML or Markdown), its primitives, and the sections one
 * file defines and report.c calls.
 *
 * Private to src/report/report*.c; never included from elsewhere. The
 * files: report.c (the page, its sections and bo__report_build),
 * report_out.c (text, headings, paragraphs and tables), report_uncertain.c
 * (Monte Carlo quantiles and chances), report_scenarios.c (the
 * "Scenarios" section), report_mf.c (the rungs, promotions and pruning
 * tables).
 */
#ifndef BO_REPORT_INT_H
#define BO_REPORT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/strbuf.h"
#include "report/report.h"

/* The report being built: its text, and whether it is Markdown (else HTML). */
typedef struct out {
	bo_strbuf sb;
	int md;
} out;

/* report_out.c */
void bo__report_put(out *o, const char *s);
void bo__report_putf(out *o, const char *fmt, ...) BO__PRINTF(2, 3);
void bo__report_raw(out *o, const char *s);
void bo__report_heading(out *o, int level, const char *id, const char *text);
void bo__report_para_begin(out *o, const char *cls);
void bo__report_para_end(out *o);
void bo__report_code(out *o, const char *s);
void bo__report_table_begin(out *o, const char *const *head, size_t n);
void bo__report_row_begin(out *o);
void bo__report_row_end(out *o);
void bo__report_cell(out *o, const char *cls, const char *s);
void bo__report_table_end(out *o);
void bo__report_kv(out *o, const char *k, const char *v);
void bo__report_num(double v, char *buf, size_t size);

/* report_uncertain.c: part of the selected configuration's section
 * (sel: its index in in->chart.c) when in->chart.mc is set. */
void bo__report_uncertain_section(out *o, const bo_report_input *in, size_t sel);

/* report_scenarios.c */
void bo__report_scenarios_section(out *o, const bo_report_input *in);

/* report_mf.c: the parts of the multi-fidelity and pruning section. */
void bo__report_rungs_part(out *o, const bo_report_input *in);
void bo__report_pruning_part(out *o, const bo_report_input *in);

#endif
