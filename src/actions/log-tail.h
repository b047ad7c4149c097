/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A job's log read as it streams in: each line given to the step it belongs to (by its timestamp and the
 * step's times), and the last lines of the steps asked for kept within a line count and a byte budget. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"
#include "json-util.h"

#define LOG_LINE_MAX 4096U

typedef struct LogStep {
        int number;
        char *name;
        char *conclusion;
        int64_t started; /* CLOCK_REALTIME seconds, -1 when unknown */
        int64_t completed;
        bool selected;
        size_t lines;
} LogStep;

typedef struct LogLine {
        int step; /* index into steps, -1 before the first step */
        char *text;
} LogLine;

typedef struct LogTail {
        LogStep *steps;
        size_t n_steps;
        unsigned tail_lines;
        size_t max_bytes;
        size_t current; /* the step the last line belonged to */

        Buffer partial; /* a line not yet complete */
        LogLine *ring;  /* tail_lines slots, the oldest at head */
        size_t head, count, bytes;
        size_t total_lines, selected_lines;
} LogTail;

/* steps: the job's "steps" as GitHub describes them; failed_only: only lines of steps that failed. */
int log_tail_init(LogTail *t, json_object *steps, bool failed_only, unsigned tail_lines, size_t max_bytes);
void log_tail_done(LogTail *t);
/* Feeds bytes of the log. */
int log_tail_feed(LogTail *t, const char *p, size_t n);
/* The end of the log: a last line without a newline counts too. */
int log_tail_finish(LogTail *t);
/* The lines kept, oldest first: [{"step": N, "text": ...}], a new array (NULL when out of memory). */
json_object *log_tail_lines(const LogTail *t);
/* The same as text, a header line before each step's lines. *ret is a new string. */
int log_tail_text(const LogTail *t, char **ret);
/* Whether any step was selected (with failed_only: whether any step failed). */
bool log_tail_any_selected(const LogTail *t);

/* "2024-01-02T03:04:05Z" or with a fraction: CLOCK_REALTIME seconds, or -1. */
int64_t log_parse_time(const char *s, size_t n);
