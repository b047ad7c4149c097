/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The log sink: one line per message on stderr, prefixed for journald when it is our stream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int max_level = LOG_INFO;
static const char *ident = NULL;
static int use_prefix = -1;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

void log_set_ident(const char *i) {
        ident = i;
}

static bool stderr_is_journal(void) {
        /* systemd sets JOURNAL_STREAM=dev:inode when stderr is connected to journald. */
        const char *e = getenv("JOURNAL_STREAM");
        return !isempty(e);
}

int log_internal(int level, int error, const char *file, int line, const char *func, const char *format, ...) {
        int saved_errno = errno;
        if (error < 0)
                error = -error;

        if (level > max_level)
                return -error;

        if (use_prefix < 0)
                use_prefix = stderr_is_journal();

        /* Expand %m ourselves with the error we were given, not whatever errno is now. */
        errno = error;
        char buf[2048];
        va_list ap;
        va_start(ap, format);
        vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);

        if (use_prefix)
                fprintf(stderr, "<%d>%s\n", level, buf);
        else if (ident)
                fprintf(stderr, "%s: %s\n", ident, buf);
        else
                fprintf(stderr, "%s\n", buf);

        errno = saved_errno;
        return -error;
}

int log_level_from_string(const char *s) {
        static const struct {
                const char *name;
                int level;
        } levels[] = {
                { "debug", LOG_DEBUG },
                { "info", LOG_INFO },
                { "notice", LOG_NOTICE },
                { "warning", LOG_WARNING },
                { "err", LOG_ERR },
                { "error", LOG_ERR },
                { "crit", LOG_CRIT },
                { "alert", LOG_ALERT },
                { "emerg", LOG_EMERG },
        };
        FOREACH_ELEMENT(l, levels)
        if (streq_ptr(l->name, s))
                return l->level;
        return -EINVAL;
}
