/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: the helpers the tool families share (sysops-util.h). */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>

#include "mcp-content.h"
#include "mcp-request.h"
#include "sysops-util.h"

char *sysops_format_timestamp(char *buf, uint64_t usec, bool with_usec) {
        time_t sec = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;

        if (!gmtime_r(&sec, &tm)) {
                snprintf(buf, SYSOPS_TIMESTAMP_MAX, "1970-01-01T00:00:00Z");
                return buf;
        }
        size_t n = strftime(buf, SYSOPS_TIMESTAMP_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
        if (with_usec)
                snprintf(buf + n, SYSOPS_TIMESTAMP_MAX - n, ".%06lluZ", (unsigned long long) (usec % USEC_PER_SEC));
        else
                snprintf(buf + n, SYSOPS_TIMESTAMP_MAX - n, "Z");
        return buf;
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it is not one. */
static size_t utf8_sequence_length(const unsigned char *s, size_t n) {
        size_t len;
        uint32_t c;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                len = 2, c = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                len = 3, c = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                len = 4, c = s[0] & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (s[i] & 0x3f);
        }
        /* Overlong forms, surrogates and code points beyond Unicode. */
        if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        return len;
}

json_object *sysops_json_string_clean(const char *s, size_t n) {
        /* Each byte becomes at most three (U+FFFD). */
        _cleanup_free_ char *out = malloc(n * 3 + 1);
        if (!out)
                return NULL;

        const unsigned char *p = (const unsigned char *) s;
        size_t o = 0;
        for (size_t i = 0; i < n;) {
                size_t len = utf8_sequence_length(p + i, n - i);
                if (len == 0) {
                        memcpy(out + o, "\xef\xbf\xbd", 3);
                        o += 3;
                        i++;
                } else if (len == 1 && (p[i] < 0x20 || p[i] == 0x7f) && p[i] != '\t' && p[i] != '\n') {
                        out[o++] = ' ';
                        i++;
                } else {
                        memcpy(out + o, p + i, len);
                        o += len;
                        i += len;
                }
        }
        return json_object_new_string_len(out, (int) o);
}

json_object *sysops_json_number(double value, int decimals) {
        char text[64];
        snprintf(text, sizeof(text), "%.*f", decimals, value);
        return json_object_new_double_s(value, text);
}

/* Reads a small file (a /proc or /sys attribute, os-release) whole, NUL-terminated. Files longer than max are
 * refused with -EFBIG rather than cut, so that nothing parses half a table. */
int sysops_read_small_file(const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        size_t size = 0, allocated = 0;
        _cleanup_free_ char *buf = NULL;
        for (;;) {
                /* Room for one more byte than max, to tell a file of max bytes from a longer one. */
                if (allocated - size < 2) {
                        size_t bigger = MIN(allocated == 0 ? (size_t) 4096 : allocated * 2, max + 2);
                        char *p = realloc(buf, bigger);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        allocated = bigger;
                }
                ssize_t k = read(fd, buf + size, allocated - 1 - size);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                size += (size_t) k;
                if (size > max)
                        return -EFBIG;
        }
        buf[size] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

/* The first line of a small file, without its newline and trailing blanks. */
int sysops_read_one_line(const char *path, char **ret) {
        _cleanup_free_ char *text = NULL;
        int r = sysops_read_small_file(path, SMALL_FILE_MAX, &text, NULL);
        if (r < 0)
                return r;
        text[strcspn(text, "\n")] = 0;
        for (size_t n = strlen(text); n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'); n--)
                text[n - 1] = 0;
        *ret = TAKE_PTR(text);
        return 0;
}

int sysops_read_uptime_usec(uint64_t *ret) {
        _cleanup_free_ char *text = NULL;
        int r = sysops_read_small_file("/proc/uptime", SMALL_FILE_MAX, &text, NULL);
        if (r < 0)
                return r;
        double uptime;
        if (sscanf(text, "%lf", &uptime) != 1 || !(uptime >= 0))
                return -EBADMSG;
        *ret = (uint64_t) (uptime * USEC_PER_SEC);
        return 0;
}

uint64_t sysops_realtime_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000U;
}

int sysops_boot_time_usec(uint64_t *ret) {
        uint64_t uptime;
        int r = sysops_read_uptime_usec(&uptime);
        if (r < 0)
                return r;
        uint64_t now = sysops_realtime_usec();
        *ret = now > uptime ? now - uptime : 0;
        return 0;
}

/* json_add for a string that may be missing: JSON null then. */
int sysops_add_string_or_null(json_object *o, const char *key, const char *value) {
        if (!value)
                return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
        return json_add(o, key, sysops_json_string_clean(value, strlen(value)));
}

/* "1.5 GiB": for the text summaries. */
const char *sysops_format_bytes(char *buf, size_t size, uint64_t bytes) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
        double v = (double) bytes;
        size_t u = 0;
        while (v >= 1024 && u + 1 < ELEMENTSOF(units)) {
                v /= 1024;
                u++;
        }
        if (u == 0)
                snprintf(buf, size, "%llu B", (unsigned long long) bytes);
        else
                snprintf(buf, size, "%.1f %s", v, units[u]);
        return buf;
}

int sysops_reply_structured(McpRequest *req, const char *summary, json_object *structured) {
        _cleanup_json_ json_object *text = sysops_json_string_clean(summary, strlen(summary));
        if (!text) {
                json_object_put(structured);
                return -ENOMEM;
        }
        return mcp_request_reply_content(req, JSON_ARRAY(mcp_content_text(json_object_get_string(text))), structured,
                false);
}
