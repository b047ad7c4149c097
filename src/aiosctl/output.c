/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "output.h"

OutputOptions output;

static pid_t pager_pid;

bool output_colors(void) {
        static int cached = -1;
        if (cached < 0) {
                const char *term = getenv("TERM");
                cached = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && !streq_ptr(term, "dumb") && pager_pid == 0;
        }
        return cached;
}

const char *ansi_highlight(void) {
        return output_colors() ? "\x1b[0;1;39m" : "";
}
const char *ansi_red(void) {
        return output_colors() ? "\x1b[0;1;31m" : "";
}
const char *ansi_green(void) {
        return output_colors() ? "\x1b[0;1;32m" : "";
}
const char *ansi_grey(void) {
        return output_colors() ? "\x1b[0;38;5;245m" : "";
}
const char *ansi_normal(void) {
        return output_colors() ? "\x1b[0m" : "";
}

void pager_open(void) {
        if (output.no_pager || pager_pid > 0 || !isatty(STDOUT_FILENO))
                return;
        const char *pager = getenv("AIOS_PAGER") ?: getenv("PAGER");
        if (pager && (!*pager || streq(pager, "cat")))
                return;
        (void) output_colors(); /* decided while stdout is still the terminal: less -R passes colours on */
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return;
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                return;
        }
        if (pid == 0) {
                dup2(fds[0], STDIN_FILENO);
                setenv("LESS", "FRSXMK", 0);
                if (pager)
                        execl("/bin/sh", "sh", "-c", pager, (char *) NULL);
                execlp("less", "less", (char *) NULL);
                execlp("more", "more", (char *) NULL);
                /* No pager at all: copy through. */
                char buf[4096];
                ssize_t n;
                while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
                        if (write(STDOUT_FILENO, buf, (size_t) n) != n)
                                break;
                _exit(EXIT_SUCCESS);
        }
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        signal(SIGPIPE, SIG_IGN);
        pager_pid = pid;
}

void pager_close(void) {
        if (pager_pid <= 0)
                return;
        fflush(stdout);
        fclose(stdout);
        close(STDOUT_FILENO);
        (void) waitpid(pager_pid, NULL, 0);
        pager_pid = 0;
}

void output_json(json_object *o) {
        int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
                (isatty(STDOUT_FILENO) ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN);
        puts(json_object_to_json_string_ext(o, flags));
}

/* --- tables ------------------------------------------------------------------------------------------- */

struct Table {
        size_t n_columns;
        const char *const *headers;
        char **cells; /* rows * n_columns */
        const char **colors;
        size_t n_rows;
};

Table *table_new(size_t n_columns, const char *const *headers) {
        Table *t = new0(Table, 1);
        if (!t)
                return NULL;
        t->n_columns = n_columns;
        t->headers = headers;
        return t;
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_rows * t->n_columns; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t->colors);
        free(t);
        return NULL;
}

size_t table_rows(Table *t) {
        return t->n_rows;
}

int table_add_row(Table *t, const char *const *cells, const char *const *colors) {
        size_t n = (t->n_rows + 1) * t->n_columns;
        char **c = realloc(t->cells, n * sizeof(char *));
        if (!c)
                return -ENOMEM;
        t->cells = c;
        const char **k = realloc(t->colors, n * sizeof(char *));
        if (!k)
                return -ENOMEM;
        t->colors = k;
        for (size_t i = 0; i < t->n_columns; i++) {
                char *s = strdup(cells[i] ?: "-");
                if (!s)
                        return -ENOMEM;
                /* One line per row: line breaks in a description become spaces. */
                for (char *p = s; *p; p++)
                        if (*p == '\n' || *p == '\r' || *p == '\t')
                                *p = ' ';
                t->cells[t->n_rows * t->n_columns + i] = s;
                t->colors[t->n_rows * t->n_columns + i] = colors ? colors[i] : NULL;
        }
        t->n_rows++;
        return 0;
}

/* Display width of UTF-8 text, counting code points (good enough for names and descriptions). */
static size_t text_width(const char *s) {
        size_t w = 0;
        for (; *s; s++)
                w += ((unsigned char) *s & 0xc0) != 0x80;
        return w;
}

static size_t terminal_columns(void) {
        const char *c = getenv("COLUMNS");
        if (c && atoi(c) > 0)
                return (size_t) atoi(c);
        struct winsize ws;
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) >= 0 && ws.ws_col > 0)
                return ws.ws_col;
        return 0; /* not a terminal: nothing is cut */
}

/* Prints s padded to width, or cut to width with an ellipsis when it is longer. */
static void print_cell(const char *s, size_t width, bool pad, const char *color) {
        size_t w = text_width(s);
        if (color && *color && output_colors())
                fputs(color, stdout);
        if (w <= width) {
                fputs(s, stdout);
                if (color && *color && output_colors())
                        fputs(ansi_normal(), stdout);
                if (pad)
                        printf("%*s", (int) (width - w), "");
                return;
        }
        size_t shown = 0;
        for (const char *p = s; *p && shown < width - 1; p++) {
                putchar(*p);
                if (((unsigned char) p[1] & 0xc0) != 0x80)
                        shown++;
        }
        fputs("…", stdout);
        if (color && *color && output_colors())
                fputs(ansi_normal(), stdout);
}

void table_print(Table *t, const char *what) {
        size_t widths[16] = {};
        size_t n = MIN(t->n_columns, ELEMENTSOF(widths));
        for (size_t i = 0; i < n; i++) {
                widths[i] = output.no_legend ? 0 : text_width(t->headers[i]);
                for (size_t r = 0; r < t->n_rows; r++)
                        widths[i] = MAX(widths[i], text_width(t->cells[r * t->n_columns + i]));
        }
        /* Straight on a terminal the last column takes what is left of its width (a pager chops lines itself;
         * a pipe or file gets everything). */
        size_t columns = isatty(STDOUT_FILENO) ? terminal_columns() : 0;
        size_t used = 0;
        for (size_t i = 0; i + 1 < n; i++)
                used += widths[i] + 1;
        if (columns > used + 10 && widths[n - 1] > columns - used)
                widths[n - 1] = columns - used;

        if (!output.no_legend) {
                for (size_t i = 0; i < n; i++) {
                        fputs(ansi_highlight(), stdout);
                        print_cell(t->headers[i], widths[i], i + 1 < n, NULL);
                        fputs(ansi_normal(), stdout);
                        if (i + 1 < n)
                                putchar(' ');
                }
                putchar('\n');
        }
        for (size_t r = 0; r < t->n_rows; r++) {
                for (size_t i = 0; i < n; i++) {
                        print_cell(t->cells[r * t->n_columns + i], widths[i], i + 1 < n,
                                t->colors[r * t->n_columns + i]);
                        if (i + 1 < n)
                                putchar(' ');
                }
                putchar('\n');
        }
        if (!output.no_legend)
                printf("\n%zu %s listed.\n", t->n_rows, what);
}
