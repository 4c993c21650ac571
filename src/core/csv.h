/*
 * core/csv.h - reading CSV tables (RFC 4180) from memory.
 *
 * For catalogs: tables of configurations measured elsewhere. Pure: the
 * caller reads the file. Quoted fields may hold commas, doubled quotes and
 * newlines; CRLF and a UTF-8 byte-order mark are accepted.
 */
#ifndef BO_CORE_CSV_H
#define BO_CORE_CSV_H

#include <stddef.h>

typedef struct bo_csv {
	size_t ncols;
	char **header;        /* ncols names */
	size_t nrows;
	char **cells;         /* nrows * ncols, row-major; "" for an empty cell */
	int *lines;           /* the file line where each row starts (header: line 1) */
} bo_csv;

/* Parses len bytes of text. name is used in messages ("results.csv:17:
 * row has 5 fields, the header 6"). Returns 0 and *out, BO_EINVAL (ragged
 * row, unterminated quote, empty or duplicate header name, NUL byte),
 * BO_ENOMEM. */
int bo__csv_parse(bo_csv **out, const char *text, size_t len, const char *name);

void bo__csv_free(bo_csv *c);

/* Index of the column named name, or -1. */
int bo__csv_col(const bo_csv *c, const char *name);

/* Reads a numeric cell: a decimal number ("42", "-1.5e-3", ".5", "2."),
 * with spaces and tabs around it allowed. Hexadecimal ("0x1A", "0x1p3"),
 * inf, nan, and anything else strtod would take beyond that are refused,
 * as are numbers too large for a double. Returns 0 and *out; 1 when the
 * cell is empty or blank (a missing value); BO_EINVAL with a short reason
 * in why (no file position: the caller adds row and column). Independent
 * of the locale. */
int bo__csv_number(const char *cell, double *out, char *why, size_t whylen);

/* The cell without the spaces and tabs around it, into buf (size bytes,
 * truncated); returns buf. */
const char *bo__csv_trim(const char *cell, char *buf, size_t size);

#endif
