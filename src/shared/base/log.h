/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logging to stderr with syslog priorities; journald picks up the <N> prefixes. */
#pragma once

#include <stdarg.h>
#include <syslog.h>

#include "macro.h"

void log_set_max_level(int level);
/* "debug", "info", "notice", "warning", "err" (and "error", "crit", "alert", "emerg") to a syslog
 * priority, or -EINVAL. */
int log_level_from_string(const char *s);
int log_get_max_level(void);
void log_set_ident(const char *ident);

/* Logs the message and returns -abs(error) so that callers can write `return log_error_errno(r, ...)`.
 * %m in the format expands to strerror(abs(error)). */
int log_internal(int level, int error, const char *file, int line, const char *func, const char *format, ...)
        _printf_(6, 7);

#define log_full_errno(level, error, ...) log_internal((level), (error), __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_full(level, ...) (void) log_full_errno((level), 0, __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(error, ...) log_full_errno(LOG_DEBUG, (error), __VA_ARGS__)
#define log_info_errno(error, ...) log_full_errno(LOG_INFO, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, (error), __VA_ARGS__)
#define log_error_errno(error, ...) log_full_errno(LOG_ERR, (error), __VA_ARGS__)

#define log_oom() log_full_errno(LOG_ERR, ENOMEM, "Out of memory.")
