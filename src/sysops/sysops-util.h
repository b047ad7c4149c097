/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: the helpers the tool families share: small files, boot time, timestamps, clean JSON text, replies. */
#pragma once

#include <stdint.h>

#include "mcp-server.h"

/* Bounds: no small file read here is larger than this. */
#define SMALL_FILE_MAX (64U * 1024U)

/* When the machine booted, in µs since the epoch (CLOCK_REALTIME now minus /proc/uptime). */
int sysops_boot_time_usec(uint64_t *ret);

/* usec since the epoch as ISO 8601 UTC, "2025-01-02T03:04:05Z", or with microseconds
 * "2025-01-02T03:04:05.123456Z". buf must hold SYSOPS_TIMESTAMP_MAX bytes. Returns buf. */
#define SYSOPS_TIMESTAMP_MAX 40
char *sysops_format_timestamp(char *buf, uint64_t usec, bool with_usec);

/* Answers a tool call with a text summary (made valid UTF-8 first) and structuredContent (taken). */
int sysops_reply_structured(McpRequest *req, const char *summary, json_object *structured);

/* A JSON number written with that many decimals (json-c would print 0.1 as 0.10000000000000001). */
json_object *sysops_json_number(double value, int decimals);

/* A JSON string from n bytes that need not be UTF-8 or free of control characters (command lines, mount
 * points, journal messages): invalid sequences become U+FFFD, control characters other than tab and newline
 * become spaces. NULL on OOM. */
json_object *sysops_json_string_clean(const char *s, size_t n);

/* Reads a small file (a /proc or /sys attribute, os-release) whole, NUL-terminated. Files longer than max are
 * refused with -EFBIG rather than cut, so that nothing parses half a table. */
int sysops_read_small_file(const char *path, size_t max, char **ret, size_t *ret_size);

/* The first line of a small file, without its newline and trailing blanks. */
int sysops_read_one_line(const char *path, char **ret);

/* /proc/uptime in µs, and CLOCK_REALTIME now in µs since the epoch. */
int sysops_read_uptime_usec(uint64_t *ret);
uint64_t sysops_realtime_usec(void);

/* json_add for a string that may be missing: JSON null then. */
int sysops_add_string_or_null(json_object *o, const char *key, const char *value);

/* "1.5 GiB": for the text summaries. */
const char *sysops_format_bytes(char *buf, size_t size, uint64_t bytes);
