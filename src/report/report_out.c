/*
 * report/report_out.c - the report's output primitives: text in the
 * output's own escaping, headings, paragraphs, inline code and tables,
 * written as HTML or as Markdown into one string buffer.
 *
 * Pure: builds text, no I/O. Must never emit a reference to anything
 * outside the page (the page is read offline).
 */
#include "report/report_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "report/svg.h"

/* Text in the output's own escaping. */
void bo__report_put(out *o, const char *s)
{
	const char *p;
	if (!s)
		return;
	if (!o->md) {
		bo__svg_esc(&o->sb, s);
		return;
	}
	for (p = s; *p; p++) {
		if (*p == '|' || *p == '*' || *p == '_' || *p == '<' || *p == '>' || *p == '`' || *p == '[' ||
		    *p == ']' || *p == '\\')
			bo__sb_putc(&o->sb, '\\');
		if (*p == '\n')
			bo__sb_putc(&o->sb, ' ');
		else
			bo__sb_putc(&o->sb, *p);
	}
}

void bo__report_putf(out *o, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	bo__report_put(o, buf);
}

/* Raw markup of the output. */
void bo__report_raw(out *o, const char *s)
{
	bo__sb_puts(&o->sb, s);
}

void bo__report_heading(out *o, int level, const char *id, const char *text)
{
	if (o->md) {
		bo__sb_printf(&o->sb, "\n%.*s ", level, "######");
		bo__report_put(o, text);
		bo__report_raw(o, "\n\n");
	} else {
		bo__sb_printf(&o->sb, "<h%d id=\"%s\">", level, id);
		bo__report_put(o, text);
		bo__sb_printf(&o->sb, "</h%d>\n", level);
	}
}

void bo__report_para_begin(out *o, const char *cls)
{
	if (!o->md)
		bo__sb_printf(&o->sb, "<p%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
}

void bo__report_para_end(out *o)
{
	bo__report_raw(o, o->md ? "\n\n" : "</p>\n");
}

void bo__report_code(out *o, const char *s)
{
	if (o->md) {
		/* a backtick inside would end the span: use a double one */
		int tick = s && strchr(s, '`') != NULL;
		bo__report_raw(o, tick ? "`` " : "`");
		bo__sb_puts(&o->sb, s ? s : "");
		bo__report_raw(o, tick ? " ``" : "`");
	} else {
		bo__report_raw(o, "<code>");
		bo__report_put(o, s);
		bo__report_raw(o, "</code>");
	}
}

/* Tables: cells are added one at a time. */
static size_t ncols;

void bo__report_table_begin(out *o, const char *const *head, size_t n)
{
	size_t i;
	ncols = n;
	if (o->md) {
		bo__report_raw(o, "|");
		for (i = 0; i < n; i++) {
			bo__report_raw(o, " ");
			bo__report_put(o, head[i]);
			bo__report_raw(o, " |");
		}
		bo__report_raw(o, "\n|");
		for (i = 0; i < n; i++)
			bo__report_raw(o, " --- |");
		bo__report_raw(o, "\n");
	} else {
		bo__report_raw(o, "<table>\n<thead><tr>");
		for (i = 0; i < n; i++) {
			bo__report_raw(o, "<th>");
			bo__report_put(o, head[i]);
			bo__report_raw(o, "</th>");
		}
		bo__report_raw(o, "</tr></thead>\n<tbody>\n");
	}
}

void bo__report_row_begin(out *o)
{
	bo__report_raw(o, o->md ? "|" : "<tr>");
}

void bo__report_row_end(out *o)
{
	bo__report_raw(o, o->md ? "\n" : "</tr>\n");
}

void bo__report_cell(out *o, const char *cls, const char *s)
{
	if (o->md) {
		bo__report_raw(o, " ");
		bo__report_put(o, s && *s ? s : "-");
		bo__report_raw(o, " |");
	} else {
		bo__sb_printf(&o->sb, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
		bo__report_put(o, s);
		bo__report_raw(o, "</td>");
	}
}

void bo__report_table_end(out *o)
{
	bo__report_raw(o, o->md ? "\n" : "</tbody>\n</table>\n");
}

/* A key-value row of a two-column table. */
void bo__report_kv(out *o, const char *k, const char *v)
{
	bo__report_row_begin(o);
	bo__report_cell(o, NULL, k);
	bo__report_cell(o, NULL, v);
	bo__report_row_end(o);
}

void bo__report_num(double v, char *buf, size_t size)
{
	if (!isfinite(v))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.6g", v);
}
