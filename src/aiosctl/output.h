/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What aiosctl prints: tables with a legend, JSON, colours on a terminal only, and a pager. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

typedef struct OutputOptions {
        bool json;      /* --json: one JSON document on stdout instead of a table */
        bool no_pager;  /* --no-pager */
        bool no_legend; /* --no-legend: no header line and no "N listed." footer */
} OutputOptions;

extern OutputOptions output;

/* Whether stdout is a terminal that takes colours (not with $NO_COLOR or TERM=dumb). */
bool output_colors(void);
const char *ansi_highlight(void); /* bold, or "" */
const char *ansi_red(void);
const char *ansi_green(void);
const char *ansi_grey(void);
const char *ansi_normal(void);

/* Sends stdout through $AIOS_PAGER, $PAGER or less when it is a terminal (not with --no-pager), until
 * pager_close(), which waits for it. */
void pager_open(void);
void pager_close(void);

/* Prints o as pretty JSON on stdout. */
void output_json(json_object *o);

/* A table: columns named in the header, rows of text; the last column is cut to the terminal's width. */
typedef struct Table Table;
Table *table_new(size_t n_columns, const char *const *headers);
Table *table_free(Table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Table *, table_free);
/* Adds a row of n_columns cells (NULL: "-"). colors may be NULL, or n_columns escape prefixes. */
int table_add_row(Table *t, const char *const *cells, const char *const *colors);
/* Prints the table and, without --no-legend, "N WHAT listed." after it. */
void table_print(Table *t, const char *what);
size_t table_rows(Table *t);
