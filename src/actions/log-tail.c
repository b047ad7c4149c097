/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A job's log, line by line: which step each line belongs to, and the tail of the steps asked for. GitHub
 * starts every line with an ISO 8601 timestamp (seven decimals, Z); a step owns the lines from its start to
 * its completion, and a line within the second where one step ends and the next begins stays with the
 * earlier step unless it opens a group ("##[group]"), which is how a step's own output starts. */
#include <stdio.h>
#include <time.h>

#include "log-tail.h"
#include "macro.h"

int64_t log_parse_time(const char *s, size_t n) {
        if (!s || n < 20)
                return -1;
        struct tm tm = {};
        char buf[20];
        memcpy(buf, s, 19);
        buf[19] = 0;
        const char *end = strptime(buf, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!end || *end)
                return -1;
        size_t i = 19;
        if (s[i] == '.')
                for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
                        ;
        if (i >= n || s[i] != 'Z')
                return -1;
        return (int64_t) timegm(&tm);
}

static int64_t step_time(json_object *step, const char *key) {
        const char *s = json_get_string(step, key);
        return s ? log_parse_time(s, strlen(s)) : -1;
}

int log_tail_init(LogTail *t, json_object *steps, bool failed_only, unsigned tail_lines, size_t max_bytes) {
        *t = (LogTail){ .tail_lines = MAX(tail_lines, 1U), .max_bytes = max_bytes };
        size_t n = steps ? json_object_array_length(steps) : 0;
        t->steps = new0(LogStep, MAX(n, (size_t) 1));
        t->ring = new0(LogLine, t->tail_lines);
        if (!t->steps || !t->ring)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *s = json_object_array_get_idx(steps, i);
                LogStep *st = &t->steps[t->n_steps++];
                json_object *number;
                st->number =
                        json_object_object_get_ex(s, "number", &number) ? json_object_get_int(number) : (int) i + 1;
                st->name = strdup(json_get_string(s, "name") ?: "");
                st->conclusion = strdup(json_get_string(s, "conclusion") ?: "");
                if (!st->name || !st->conclusion)
                        return -ENOMEM;
                st->started = step_time(s, "started_at");
                st->completed = step_time(s, "completed_at");
                st->selected = !failed_only || streq(st->conclusion, "failure");
        }
        return 0;
}

void log_tail_done(LogTail *t) {
        for (size_t i = 0; i < t->n_steps; i++) {
                free(t->steps[i].name);
                free(t->steps[i].conclusion);
        }
        free(t->steps);
        for (size_t i = 0; t->ring && i < t->count; i++)
                free(t->ring[(t->head + i) % t->tail_lines].text);
        free(t->ring);
        buffer_done(&t->partial);
        *t = (LogTail){};
}

bool log_tail_any_selected(const LogTail *t) {
        for (size_t i = 0; i < t->n_steps; i++)
                if (t->steps[i].selected)
                        return true;
        return t->n_steps == 0;
}

/* Which step a line at time at (or -1: no timestamp) belongs to; lines before the first step's start (the
 * runner's preamble) go to the first step. */
static void assign(LogTail *t, int64_t at, bool opens_group) {
        if (at < 0)
                return;
        while (t->current + 1 < t->n_steps) {
                const LogStep *cur = &t->steps[t->current], *next = &t->steps[t->current + 1];
                if (next->started < 0 || next->started > at)
                        break;
                /* The second both share: the line stays unless it opens the next step's output. */
                if (next->started == at && cur->completed >= at && !opens_group)
                        break;
                t->current++;
        }
}

static void drop_oldest(LogTail *t) {
        LogLine *l = &t->ring[t->head];
        t->bytes -= strlen(l->text) + 1;
        l->text = mfree(l->text);
        t->head = (t->head + 1) % t->tail_lines;
        t->count--;
}

static int keep(LogTail *t, int step, const char *text, size_t n) {
        if (n + 1 > t->max_bytes)
                return 0;
        if (t->count == t->tail_lines)
                drop_oldest(t);
        while (t->count > 0 && t->bytes + n + 1 > t->max_bytes)
                drop_oldest(t);
        char *copy = strndup(text, n);
        if (!copy)
                return -ENOMEM;
        t->ring[(t->head + t->count) % t->tail_lines] = (LogLine){ .step = step, .text = copy };
        t->count++;
        t->bytes += n + 1;
        return 0;
}

static int line(LogTail *t, const char *p, size_t n) {
        if (n > 0 && p[n - 1] == '\r')
                n--;
        t->total_lines++;
        /* A UTF-8 byte order mark starts GitHub's log files. */
        if (t->total_lines == 1 && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
                p += 3, n -= 3;
        /* The timestamp and the space after it: the step is what tells the time here. */
        int64_t at = log_parse_time(p, n);
        const char *text = p;
        if (at >= 0) {
                const char *space = memchr(p, ' ', n);
                text = space ? space + 1 : p + n;
        }
        size_t l = n - (text - p);
        assign(t, at, l >= 9 && memcmp(text, "##[group]", 9) == 0);

        int step = t->n_steps > 0 ? (int) t->current : -1;
        if (step >= 0) {
                t->steps[step].lines++;
                if (!t->steps[step].selected)
                        return 0;
        }
        t->selected_lines++;
        return keep(t, step, text, MIN(l, (size_t) LOG_LINE_MAX));
}

int log_tail_feed(LogTail *t, const char *p, size_t n) {
        while (n > 0) {
                const char *nl = memchr(p, '\n', n);
                size_t k = nl ? (size_t) (nl - p) : n;
                if (!nl) {
                        /* Keep the start of a long line only; the rest is cut. */
                        size_t room = t->partial.size < LOG_LINE_MAX + 32 ? LOG_LINE_MAX + 32 - t->partial.size : 0;
                        return buffer_append(&t->partial, p, MIN(k, room), SIZE_MAX);
                }
                int r;
                if (t->partial.size > 0) {
                        size_t room = t->partial.size < LOG_LINE_MAX + 32 ? LOG_LINE_MAX + 32 - t->partial.size : 0;
                        r = buffer_append(&t->partial, p, MIN(k, room), SIZE_MAX);
                        if (r >= 0)
                                r = line(t, t->partial.data, t->partial.size);
                        t->partial.size = 0;
                } else
                        r = line(t, p, k);
                if (r < 0)
                        return r;
                p += k + 1;
                n -= k + 1;
        }
        return 0;
}

int log_tail_finish(LogTail *t) {
        if (t->partial.size == 0)
                return 0;
        int r = line(t, t->partial.data, t->partial.size);
        t->partial.size = 0;
        return r;
}

json_object *log_tail_lines(const LogTail *t) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < t->count; i++) {
                const LogLine *l = &t->ring[(t->head + i) % t->tail_lines];
                json_object *o = json_object_new_object();
                if (!o || json_add(o, "step", json_object_new_int(l->step >= 0 ? t->steps[l->step].number : 0)) < 0 ||
                        json_add_string(o, "text", l->text) < 0 || json_object_array_add(a, o) < 0) {
                        json_object_put(o);
                        return (json_object_put(a), NULL);
                }
        }
        return a;
}

int log_tail_text(const LogTail *t, char **ret) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        int last = -2;
        for (size_t i = 0; i < t->count; i++) {
                const LogLine *l = &t->ring[(t->head + i) % t->tail_lines];
                if (l->step != last && l->step >= 0) {
                        const LogStep *s = &t->steps[l->step];
                        fprintf(f, "== step %d: %s (%s) ==\n", s->number, s->name,
                                isempty(s->conclusion) ? "running" : s->conclusion);
                }
                last = l->step;
                fprintf(f, "%s\n", l->text);
        }
        if (fclose(f) != 0) {
                free(text);
                return -ENOMEM;
        }
        *ret = text;
        return 0;
}
