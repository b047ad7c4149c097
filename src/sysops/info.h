/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: the system://info resource, and the facts about this machine the other families use. */
#pragma once

#include <stdint.h>

#include "mcp-server.h"

/* Reads system://info: what system_info answers, as one application/json text resource. */
int sysops_read_system_info(McpRequest *req, const char *uri, json_object *variables);

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
