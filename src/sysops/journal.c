/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: system_journal and journal://unit/{name}, through sd-journal. */
#include <ctype.h>
#include <stdio.h>
#include <systemd/sd-id128.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "journal.h"
#include "jsonrpc.h"
#include "mcp-content.h"
#include "mcp-request.h"
#include "schemas.h"
#include "sysops-util.h"
#include "sysops.h"

/* Bounds of one call: the answer's size, one message's length, how many entries are looked at and for how long
 * (a rare grep on a large journal stops early and says where to continue), and the text given to the model.
 * The journal is read on the event loop, so the time bound is what one call may hold up the others. */
#define OUTPUT_MAX (1024U * 1024U)
#define MESSAGE_MAX 4096U
#define SCAN_MAX 200000U
#define SCAN_USEC (100U * USEC_PER_MSEC)
#define DATA_THRESHOLD (16U * 1024U)
#define TEXT_MAX (32U * 1024U)
#define UNIT_NAME_MAX 256U
#define RESOURCE_LINES 100U

typedef struct JournalQuery {
        char *unit;            /* with its suffix */
        int priority;          /* -1: any */
        uint64_t since, until; /* µs since the epoch; 0 and UINT64_MAX when open */
        bool has_boot;
        sd_id128_t boot;
        const char *grep;
        size_t limit;
        const char *cursor;
        bool reverse;
} JournalQuery;

typedef struct JournalResult {
        json_object *entries;
        char *next_cursor; /* the last entry examined in the window */
        bool more;         /* entries remain in the window after next_cursor */
        bool truncated;    /* stopped by the size bound */
        bool scan_limited; /* stopped by SCAN_MAX or SCAN_USEC */
        size_t scanned, bytes;
        uint64_t journal_bytes;
} JournalResult;

static void journal_query_done(JournalQuery *q) {
        q->unit = mfree(q->unit);
}

static void journal_result_done(JournalResult *r) {
        json_object_put(r->entries);
        r->entries = NULL;
        r->next_cursor = mfree(r->next_cursor);
}

static uint64_t clock_usec(clockid_t clock) {
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000U;
}

/* --- arguments ---------------------------------------------------------------------------------------- */

/* A unit name as systemd spells it: printable ASCII without spaces or '/', with a suffix (".service" when it
 * has none). Returns NULL with *ret_problem set when it is not one. */
static char *unit_name_normalize(const char *name, const char **ret_problem) {
        size_t n = strlen(name);
        if (n == 0 || n > UNIT_NAME_MAX) {
                *ret_problem = "it must be 1 to 256 characters long";
                return NULL;
        }
        for (const char *p = name; *p; p++)
                if (*p <= ' ' || *p >= 0x7f || *p == '/') {
                        *ret_problem = "it may only hold printable characters, without spaces or '/'";
                        return NULL;
                }
        char *unit = NULL;
        if (asprintf(&unit, "%s%s", name, strchr(name, '.') ? "" : ".service") < 0) {
                *ret_problem = "out of memory";
                return NULL;
        }
        return unit;
}

static int priority_from_argument(json_object *v) {
        static const char *const names[] = { "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug" };
        if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) {
                double p = json_object_get_double(v);
                return p >= 0 && p <= 7 && p == (int) p ? (int) p : -EINVAL;
        }
        const char *s = json_object_get_string(v);
        if (streq(s, "error"))
                return 3;
        if (streq(s, "warn"))
                return 4;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(s, names[i]))
                        return (int) i;
        return -EINVAL;
}

static bool take_digits(const char **p, int n, int *ret) {
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (!isdigit((unsigned char) (*p)[i]))
                        return false;
                v = v * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *ret = v;
        return true;
}

/* "2025-01-02", "2025-01-02T03:04", "2025-01-02 03:04:05.123456", each optionally followed by "Z", "+02:00" or
 * "-0130". Without a zone the time is UTC. */
static int parse_iso8601(const char *s, uint64_t *ret) {
        struct tm tm = {};
        int year, month, day, hour = 0, minute = 0, second = 0, offset = 0;
        uint64_t fraction = 0;
        const char *p = s;

        if (!take_digits(&p, 4, &year) || *p++ != '-' || !take_digits(&p, 2, &month) || *p++ != '-' ||
                !take_digits(&p, 2, &day))
                return -EINVAL;
        if (*p == 'T' || *p == 't' || *p == ' ') {
                p++;
                if (!take_digits(&p, 2, &hour) || *p++ != ':' || !take_digits(&p, 2, &minute))
                        return -EINVAL;
                if (*p == ':') {
                        p++;
                        if (!take_digits(&p, 2, &second))
                                return -EINVAL;
                        if (*p == '.' || *p == ',') {
                                p++;
                                uint64_t scale = USEC_PER_SEC;
                                if (!isdigit((unsigned char) *p))
                                        return -EINVAL;
                                for (; isdigit((unsigned char) *p); p++)
                                        if (scale > 1) {
                                                scale /= 10;
                                                fraction += (uint64_t) (*p - '0') * scale;
                                        }
                        }
                }
                if (*p == 'Z' || *p == 'z')
                        p++;
                else if (*p == '+' || *p == '-') {
                        int sign = *p++ == '-' ? -1 : 1, oh, om;
                        if (!take_digits(&p, 2, &oh))
                                return -EINVAL;
                        if (*p == ':')
                                p++;
                        if (!take_digits(&p, 2, &om) || oh > 23 || om > 59)
                                return -EINVAL;
                        offset = sign * (oh * 3600 + om * 60);
                }
        }
        if (*p || year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
                second > 60)
                return -EINVAL;

        tm = (struct tm){ .tm_year = year - 1900,
                .tm_mon = month - 1,
                .tm_mday = day,
                .tm_hour = hour,
                .tm_min = minute,
                .tm_sec = second };
        time_t t = timegm(&tm);
        /* timegm() moves 2025-02-30 to March: such a date does not exist. */
        if (t == (time_t) -1 || tm.tm_mday != day || tm.tm_mon != month - 1)
                return -EINVAL;
        int64_t sec = (int64_t) t - offset;
        if (sec < 0)
                return -ERANGE;
        *ret = (uint64_t) sec * USEC_PER_SEC + fraction;
        return 0;
}

/* "-1h", "-30min", "-1h30min", "+2d" relative to now, and "now". */
static int parse_relative(const char *s, uint64_t now, uint64_t *ret) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                { "seconds", USEC_PER_SEC },
                { "second", USEC_PER_SEC },
                { "secs", USEC_PER_SEC },
                { "sec", USEC_PER_SEC },
                { "s", USEC_PER_SEC },
                { "minutes", 60 * USEC_PER_SEC },
                { "minute", 60 * USEC_PER_SEC },
                { "mins", 60 * USEC_PER_SEC },
                { "min", 60 * USEC_PER_SEC },
                { "m", 60 * USEC_PER_SEC },
                { "hours", 3600 * USEC_PER_SEC },
                { "hour", 3600 * USEC_PER_SEC },
                { "hr", 3600 * USEC_PER_SEC },
                { "h", 3600 * USEC_PER_SEC },
                { "days", 86400 * USEC_PER_SEC },
                { "day", 86400 * USEC_PER_SEC },
                { "d", 86400 * USEC_PER_SEC },
                { "weeks", 604800 * USEC_PER_SEC },
                { "week", 604800 * USEC_PER_SEC },
                { "w", 604800 * USEC_PER_SEC },
        };
        if (streq(s, "now")) {
                *ret = now;
                return 0;
        }
        if (*s != '-' && *s != '+')
                return -EINVAL;
        bool minus = *s++ == '-';
        uint64_t total = 0;
        if (!*s)
                return -EINVAL;
        while (*s) {
                if (*s == ' ') {
                        s++;
                        continue;
                }
                if (!isdigit((unsigned char) *s))
                        return -EINVAL;
                uint64_t n = 0;
                for (; isdigit((unsigned char) *s); s++) {
                        n = n * 10 + (uint64_t) (*s - '0');
                        if (n > 1000000000ULL)
                                return -ERANGE;
                }
                size_t i;
                for (i = 0; i < ELEMENTSOF(units); i++)
                        if (strncmp(s, units[i].suffix, strlen(units[i].suffix)) == 0 &&
                                !isalpha((unsigned char) s[strlen(units[i].suffix)]))
                                break;
                if (i == ELEMENTSOF(units))
                        return -EINVAL;
                s += strlen(units[i].suffix);
                if (n > (UINT64_MAX / 2 - total) / units[i].usec)
                        return -ERANGE;
                total += n * units[i].usec;
        }
        if (minus)
                *ret = total > now ? 0 : now - total;
        else
                *ret = now + total;
        return 0;
}

static int parse_time(const char *s, uint64_t now, uint64_t *ret) {
        if (parse_relative(s, now, ret) >= 0)
                return 0;
        return parse_iso8601(s, ret);
}

/* Fills q from the validated arguments. Returns 1, or 0 after answering with a tool error. */
static int journal_query_parse(McpRequest *req, json_object *args, JournalQuery *q) {
        json_object *v;
        uint64_t now = clock_usec(CLOCK_REALTIME);

        *q = (JournalQuery){ .priority = -1, .until = UINT64_MAX, .limit = 100, .reverse = true };

        const char *unit = json_get_string(args, "unit"), *problem = NULL;
        if (unit && !(q->unit = unit_name_normalize(unit, &problem))) {
                (void) mcp_request_reply_tool_error(req, "\"%s\" is not a unit name: %s.", unit, problem);
                return 0;
        }
        if (json_object_object_get_ex(args, "priority", &v) && (q->priority = priority_from_argument(v)) < 0) {
                (void) mcp_request_reply_tool_error(req,
                        "priority must be 0 to 7 or one of emerg, alert, crit, err, "
                        "warning, notice, info, debug.");
                return 0;
        }

        const char *since = json_get_string(args, "since"), *until = json_get_string(args, "until");
        if (since && parse_time(since, now, &q->since) < 0) {
                (void) mcp_request_reply_tool_error(req,
                        "Cannot understand since=\"%s\": give an ISO 8601 time "
                        "(2025-01-02T03:04:05Z; UTC without a zone) or a relative one (-1h, -30min, -2d).",
                        since);
                return 0;
        }
        if (until && parse_time(until, now, &q->until) < 0) {
                (void) mcp_request_reply_tool_error(req,
                        "Cannot understand until=\"%s\": give an ISO 8601 time "
                        "(2025-01-02T03:04:05Z; UTC without a zone) or a relative one (-1h, -30min, -2d).",
                        until);
                return 0;
        }
        if (q->until < q->since) {
                char a[SYSOPS_TIMESTAMP_MAX], b[SYSOPS_TIMESTAMP_MAX];
                (void) mcp_request_reply_tool_error(req,
                        "The time window is upside down: until (%s) is before since (%s).",
                        sysops_format_timestamp(a, q->until, true), sysops_format_timestamp(b, q->since, true));
                return 0;
        }

        const char *boot = json_get_string(args, "boot");
        if (boot) {
                int r = streq(boot, "current") ? sd_id128_get_boot(&q->boot) : sd_id128_from_string(boot, &q->boot);
                if (r < 0) {
                        if (streq(boot, "current"))
                                (void) mcp_request_reply_tool_error(req, "Cannot tell the current boot's id: %s.",
                                        strerror(-r));
                        else
                                (void) mcp_request_reply_tool_error(req,
                                        "\"%s\" is not a boot id: give \"current\" or 32 "
                                        "hexadecimal digits (as _BOOT_ID in the journal).",
                                        boot);
                        return 0;
                }
                q->has_boot = true;
        }

        q->grep = json_get_string(args, "grep");
        q->cursor = json_get_string(args, "cursor");
        q->reverse = json_get_bool(args, "reverse", true);
        if (json_object_object_get_ex(args, "limit", &v))
                q->limit = (size_t) json_object_get_int64(v);
        return 1;
}

/* --- the query ---------------------------------------------------------------------------------------------- */

static int add_matches(sd_journal *j, const JournalQuery *q) {
        char match[UNIT_NAME_MAX + 64];
        int r;

        if (q->unit) {
                /* The unit's own lines, or what systemd (PID 1) said about it, as journalctl -u does. */
                snprintf(match, sizeof(match), "_SYSTEMD_UNIT=%s", q->unit);
                if ((r = sd_journal_add_match(j, match, 0)) < 0 || (r = sd_journal_add_disjunction(j)) < 0)
                        return r;
                snprintf(match, sizeof(match), "UNIT=%s", q->unit);
                if ((r = sd_journal_add_match(j, "_PID=1", 0)) < 0 || (r = sd_journal_add_match(j, match, 0)) < 0 ||
                        (r = sd_journal_add_conjunction(j)) < 0)
                        return r;
        }
        if (q->priority >= 0) {
                for (int p = 0; p <= q->priority; p++) {
                        snprintf(match, sizeof(match), "PRIORITY=%d", p);
                        if ((r = sd_journal_add_match(j, match, 0)) < 0)
                                return r;
                }
                if ((r = sd_journal_add_conjunction(j)) < 0)
                        return r;
        }
        if (q->has_boot) {
                char id[SD_ID128_STRING_MAX];
                snprintf(match, sizeof(match), "_BOOT_ID=%s", sd_id128_to_string(q->boot, id));
                if ((r = sd_journal_add_match(j, match, 0)) < 0)
                        return r;
        }
        return 0;
}

/* The value of field in the current entry, not NUL-terminated. */
static bool get_field(sd_journal *j, const char *field, const char **ret, size_t *ret_size) {
        const void *data;
        size_t size, n = strlen(field);
        if (sd_journal_get_data(j, field, &data, &size) < 0 || size <= n || ((const char *) data)[n] != '=')
                return false;
        *ret = (const char *) data + n + 1;
        *ret_size = size - n - 1;
        return true;
}

static bool contains_ignoring_case(const char *haystack, size_t n, const char *needle) {
        size_t m = strlen(needle);
        if (m == 0)
                return true;
        for (size_t i = 0; i + m <= n; i++)
                if (strncasecmp(haystack + i, needle, m) == 0)
                        return true;
        return false;
}

static json_object *field_string(sd_journal *j, const char *field) {
        const char *v;
        size_t n;
        if (!get_field(j, field, &v, &n))
                return NULL;
        return sysops_json_string_clean(v, MIN(n, (size_t) 1024));
}

static json_object *field_int(sd_journal *j, const char *field) {
        const char *v;
        size_t n;
        char buf[32];
        if (!get_field(j, field, &v, &n) || n == 0 || n >= sizeof(buf))
                return NULL;
        memcpy(buf, v, n);
        buf[n] = 0;
        char *end;
        long long x = strtoll(buf, &end, 10);
        return *end == 0 ? json_object_new_int64(x) : NULL;
}

static int entry_to_json(sd_journal *j, uint64_t realtime, const char *cursor, json_object **ret) {
        char ts[SYSOPS_TIMESTAMP_MAX];
        const char *message;
        size_t size;
        bool truncated = false;

        _cleanup_json_ json_object *e = json_object_new_object();
        if (!e)
                return -ENOMEM;
        if (get_field(j, "MESSAGE", &message, &size)) {
                if (size > MESSAGE_MAX) {
                        size = MESSAGE_MAX;
                        /* Do not cut a UTF-8 sequence in two. */
                        for (int back = 0; back < 3 && size > 0 && ((unsigned char) message[size] & 0xc0) == 0x80;
                                back++)
                                size--;
                        truncated = true;
                }
                if (json_add(e, "message", sysops_json_string_clean(message, size)) < 0)
                        return -ENOMEM;
        } else if (json_object_object_add(e, "message", NULL) < 0)
                return -ENOMEM;

        if (json_add_string(e, "timestamp", sysops_format_timestamp(ts, realtime, true)) < 0 ||
                json_object_object_add(e, "priority", field_int(j, "PRIORITY")) < 0 ||
                json_object_object_add(e, "unit", field_string(j, "_SYSTEMD_UNIT") ?: field_string(j, "UNIT")) < 0 ||
                json_object_object_add(e, "identifier",
                        field_string(j, "SYSLOG_IDENTIFIER") ?: field_string(j, "_COMM")) < 0 ||
                json_object_object_add(e, "pid", field_int(j, "_PID")) < 0 ||
                json_add(e, "message_truncated", json_object_new_boolean(truncated)) < 0 ||
                json_add_string(e, "cursor", cursor) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(e);
        return 0;
}

static bool in_window(const JournalQuery *q, uint64_t t) {
        return t >= q->since && t <= q->until;
}

/* Whether t is past the window in the direction of travel: nothing further on can be in it. */
static bool past_window(const JournalQuery *q, uint64_t t) {
        return q->reverse ? t < q->since : t > q->until;
}

static int journal_step(sd_journal *j, bool reverse) {
        return reverse ? sd_journal_previous(j) : sd_journal_next(j);
}

/* Positions j before the first entry to read: after the cursor, or at the window's edge. */
static int journal_position(sd_journal *j, const JournalQuery *q, bool *ret_at_entry) {
        int r;
        *ret_at_entry = false;
        if (q->cursor) {
                r = sd_journal_seek_cursor(j, q->cursor);
                if (r < 0)
                        return r;
                /* The cursor's own entry was read last time: step over it when it is still there. */
                r = journal_step(j, q->reverse);
                if (r <= 0)
                        return r;
                if (sd_journal_test_cursor(j, q->cursor) > 0)
                        return 0;
                *ret_at_entry = true;
                return 0;
        }
        if (q->reverse)
                return q->until != UINT64_MAX ? sd_journal_seek_realtime_usec(j, q->until) : sd_journal_seek_tail(j);
        return q->since > 0 ? sd_journal_seek_realtime_usec(j, q->since) : sd_journal_seek_head(j);
}

/* Runs the query. Returns 0, -EBADR for a cursor that cannot be parsed, or another negative errno. */
static int journal_run(const JournalQuery *q, JournalResult *res) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        int r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return r;
        (void) sd_journal_set_data_threshold(j, DATA_THRESHOLD);
        (void) sd_journal_get_usage(j, &res->journal_bytes);
        r = add_matches(j, q);
        if (r < 0)
                return r;

        res->entries = json_object_new_array();
        if (!res->entries)
                return -ENOMEM;

        bool at_entry;
        r = journal_position(j, q, &at_entry);
        if (r == -EINVAL && q->cursor)
                return -EBADR;
        if (r < 0)
                return r;

        uint64_t deadline = clock_usec(CLOCK_MONOTONIC) + SCAN_USEC;
        size_t returned = 0;
        for (;;) {
                if (returned >= q->limit || res->truncated) {
                        /* Peek: is there anything left in the window? */
                        uint64_t t;
                        r = at_entry ? 1 : journal_step(j, q->reverse);
                        res->more = r > 0 && sd_journal_get_realtime_usec(j, &t) >= 0 && !past_window(q, t);
                        break;
                }
                if (res->scanned >= SCAN_MAX ||
                        ((res->scanned & 255) == 255 && clock_usec(CLOCK_MONOTONIC) > deadline)) {
                        res->scan_limited = res->more = true;
                        break;
                }

                if (!at_entry) {
                        r = journal_step(j, q->reverse);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                break;
                }
                at_entry = false;
                res->scanned++;

                uint64_t t;
                r = sd_journal_get_realtime_usec(j, &t);
                if (r < 0)
                        continue;
                if (past_window(q, t))
                        break;
                if (!in_window(q, t))
                        continue;

                _cleanup_free_ char *cursor = NULL;
                r = sd_journal_get_cursor(j, &cursor);
                if (r < 0)
                        return r;

                const char *message;
                size_t size;
                if (q->grep &&
                        !(get_field(j, "MESSAGE", &message, &size) && contains_ignoring_case(message, size, q->grep))) {
                        free(res->next_cursor);
                        res->next_cursor = TAKE_PTR(cursor);
                        continue;
                }

                json_object *e = NULL;
                r = entry_to_json(j, t, cursor, &e);
                if (r < 0)
                        return r;
                size_t bytes = strlen(json_to_string(e)) + 1;
                if (res->bytes + bytes > OUTPUT_MAX) {
                        json_object_put(e);
                        res->truncated = true;
                        at_entry = true; /* this entry was not given out: it is the first one of the next call */
                        continue;
                }
                if (json_object_array_add(res->entries, e) < 0) {
                        json_object_put(e);
                        return -ENOMEM;
                }
                res->bytes += bytes;
                returned++;
                free(res->next_cursor);
                res->next_cursor = TAKE_PTR(cursor);
        }
        return 0;
}

/* --- system_journal ------------------------------------------------------------------------------------- */

/* One entry as journalctl's short format shows it, with a leading newline. */
static char *entry_line(json_object *e) {
        json_object *pid = NULL;
        char pid_text[32] = "";
        char *line = NULL;
        if (json_object_object_get_ex(e, "pid", &pid) && pid)
                snprintf(pid_text, sizeof(pid_text), "[%lld]", (long long) json_object_get_int64(pid));
        if (asprintf(&line, "\n%s %s%s: %s", json_get_string(e, "timestamp"), json_get_string(e, "identifier") ?: "-",
                    pid_text, strempty(json_get_string(e, "message"))) < 0)
                return NULL;
        return line;
}

/* The text for the model: what was found, and the lines themselves as journalctl shows them, up to TEXT_MAX. */
static char *journal_summary(const JournalQuery *q, const JournalResult *res) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0, written = 0;
        _cleanup_(fclosep) FILE *f = open_memstream(&text, &size);
        if (!f)
                return NULL;
        size_t n = json_object_array_length(res->entries);
        fprintf(f, "%zu journal entr%s%s%s%s", n, n == 1 ? "y" : "ies", q->unit ? " for " : "", strempty(q->unit),
                q->reverse ? ", newest first" : ", oldest first");
        if (res->truncated)
                fprintf(f, "; stopped at the 1 MiB answer size");
        if (res->scan_limited)
                fprintf(f, "; stopped after examining %zu entries", res->scanned);
        if (res->more)
                fprintf(f, "; more remain: pass next_cursor as cursor to continue");
        if (res->journal_bytes == 0)
                fprintf(f,
                        ". No journal files are readable here (journald is not running, or this user may not read them)");
        fprintf(f, ".");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *line = entry_line(json_object_array_get_idx(res->entries, i));
                if (!line)
                        return NULL;
                written += strlen(line);
                if (written > TEXT_MAX) {
                        fprintf(f, "\n(%zu more entries in structuredContent)", n - i);
                        break;
                }
                fputs(line, f);
        }
        if (fclose(TAKE_PTR(f)) != 0)
                return NULL;
        return TAKE_PTR(text);
}

static int tool_system_journal(McpRequest *req, json_object *args) {
        _cleanup_(journal_query_done) JournalQuery q = {};
        int r = journal_query_parse(req, args, &q);
        if (r <= 0)
                return r;

        _cleanup_(journal_result_done) JournalResult res = {};
        r = journal_run(&q, &res);
        if (r == -EBADR)
                return mcp_request_reply_tool_error(req,
                        "The cursor \"%s\" is malformed: pass next_cursor, or an entry's "
                        "cursor, from an earlier answer unchanged.",
                        q.cursor);
        if (r < 0)
                return mcp_request_reply_tool_error(req, "Cannot read the journal: %s.", strerror(-r));

        _cleanup_free_ char *summary = journal_summary(&q, &res);
        _cleanup_json_ json_object *result = json_object_new_object();
        if (!summary || !result)
                return -ENOMEM;
        size_t n = json_object_array_length(res.entries);
        if (json_add(result, "entries", TAKE_PTR(res.entries)) < 0 ||
                json_add(result, "returned", json_object_new_int64((int64_t) n)) < 0 ||
                json_object_object_add(result, "next_cursor",
                        res.next_cursor ? json_object_new_string(res.next_cursor) : NULL) < 0 ||
                json_add(result, "more", json_object_new_boolean(res.more)) < 0 ||
                json_add(result, "truncated", json_object_new_boolean(res.truncated)) < 0 ||
                json_add(result, "scan_limited", json_object_new_boolean(res.scan_limited)) < 0 ||
                json_add(result, "scanned", json_object_new_int64((int64_t) res.scanned)) < 0 ||
                json_add(result, "journal_available", json_object_new_boolean(res.journal_bytes > 0)) < 0)
                return -ENOMEM;
        return sysops_reply_structured(req, summary, TAKE_PTR(result));
}

/* --- journal://unit/{name} -------------------------------------------------------------------------------- */

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char) tolower((unsigned char) c);
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes s; NULL when an escape is broken or decodes to NUL. */
static char *percent_decode(const char *s) {
        _cleanup_free_ char *out = malloc(strlen(s) + 1);
        if (!out)
                return NULL;
        char *o = out;
        for (; *s; s++) {
                if (*s != '%') {
                        *o++ = *s;
                        continue;
                }
                int hi = hex_value(s[1]), lo = hi >= 0 ? hex_value(s[2]) : -1;
                if (lo < 0 || (hi == 0 && lo == 0))
                        return NULL;
                *o++ = (char) (hi * 16 + lo);
                s += 2;
        }
        *o = 0;
        return TAKE_PTR(out);
}

int sysops_read_journal_unit(McpRequest *req, const char *uri, json_object *variables) {
        const char *raw = json_get_string(variables, "name"), *problem = "it is not percent-encoded correctly";
        _cleanup_free_ char *name = raw ? percent_decode(raw) : NULL;
        _cleanup_(journal_query_done) JournalQuery q = {
                .priority = -1,
                .until = UINT64_MAX,
                .limit = RESOURCE_LINES,
                .reverse = true,
        };
        if (!name || !(q.unit = unit_name_normalize(name, &problem)))
                return mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS, "\"%s\" is not a unit name: %s.",
                        strempty(raw), problem);

        _cleanup_(journal_result_done) JournalResult res = {};
        int r = journal_run(&q, &res);
        if (r < 0)
                return mcp_request_reply_error(req, JSONRPC_INTERNAL_ERROR, "Cannot read the journal: %s.",
                        strerror(-r));

        /* Read newest first to get the last lines; shown oldest first, as a log reads. */
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        _cleanup_(fclosep) FILE *f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        size_t n = json_object_array_length(res.entries);
        if (n == 0 && res.journal_bytes == 0)
                fprintf(f,
                        "No journal entries for %s: no journal files are readable here (journald is not running, "
                        "or this user may not read them).",
                        q.unit);
        else if (n == 0)
                fprintf(f, "No journal entries for %s.", q.unit);
        for (size_t i = n; i > 0; i--) {
                _cleanup_free_ char *line = entry_line(json_object_array_get_idx(res.entries, i - 1));
                if (!line)
                        return -ENOMEM;
                fputs(line, f);
        }
        if (fclose(TAKE_PTR(f)) != 0)
                return -ENOMEM;

        const char *body = text[0] == '\n' ? text + 1 : text;
        _cleanup_json_ json_object *result = json_object_new_object();
        if (!result || json_add(result, "contents", JSON_ARRAY(mcp_resource_text(uri, "text/plain", body))) < 0)
                return -ENOMEM;
        return mcp_request_reply(req, TAKE_PTR(result));
}

/* --- the table ---------------------------------------------------------------------------------------- */

const McpTool sysops_journal_tools[] = {
        { .name = "system_journal",
                .title = "Journal",
                .description =
                        "Entries of the systemd journal, newest first unless reverse is false, filtered by unit, priority, "
                        "time window, boot and text, each with time, priority, unit, identifier, pid, message and cursor. "
                        "At most limit entries and 1 MiB; next_cursor continues where an answer stopped.",
                .input_schema = sysops_schema_system_journal_input,
                .output_schema = sysops_schema_system_journal_output,
                .annotations = "{\"readOnlyHint\":true,\"openWorldHint\":false}",
                .polkit_action = SYSOPS_ACTION_READ,
                /* The journal is for the systemd-journal group: only a caller polkit vouched for reads it. */
                .polkit_required = true,
                .handler = tool_system_journal },
        {}
};
