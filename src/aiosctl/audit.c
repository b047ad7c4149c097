/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aiosctl audit: the gateway's audit records (one per tool call) from the journal, filtered by principal and
 * tool, optionally followed as they come. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "aiosctl.h"
#include "audit.h"
#include "json-util.h"
#include "log.h"
#include "strv.h"

static const char *field(sd_journal *j, const char *name, char *buf, size_t size) {
        const void *data;
        size_t n;
        size_t l = strlen(name);
        if (sd_journal_get_data(j, name, &data, &n) < 0 || n <= l + 1)
                return NULL;
        snprintf(buf, size, "%.*s", (int) (n - l - 1), (const char *) data + l + 1);
        return buf;
}

static int print_entry(sd_journal *j) {
        char principal[256], tool[256], backend[128], result[64], duration[32], digest[80], reason[512];
        uint64_t usec = 0;
        (void) sd_journal_get_realtime_usec(j, &usec);
        field(j, "AIOS_PRINCIPAL", principal, sizeof(principal));
        field(j, "AIOS_TOOL", tool, sizeof(tool));
        field(j, "AIOS_BACKEND", backend, sizeof(backend));
        field(j, "AIOS_RESULT", result, sizeof(result));
        field(j, "AIOS_DURATION_USEC", duration, sizeof(duration));
        field(j, "AIOS_ARGUMENTS_SHA256", digest, sizeof(digest));
        bool has_reason = field(j, "AIOS_REASON", reason, sizeof(reason));

        if (output.json) {
                _cleanup_json_ json_object *o = json_object_new_object();
                json_add(o, "time_usec", json_object_new_int64((int64_t) usec));
                json_add_string(o, "principal", principal);
                json_add_string(o, "tool", tool);
                json_add_string(o, "backend", backend);
                json_add_string(o, "result", result);
                json_add(o, "duration_usec", json_object_new_int64(strtoll(duration, NULL, 10)));
                json_add_string(o, "arguments_sha256", digest);
                if (has_reason)
                        json_add_string(o, "reason", reason);
                puts(json_to_string(o));
        } else {
                char when[64];
                time_t t = (time_t) (usec / USEC_PER_SEC);
                struct tm tm;
                strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
                bool ok = streq(result, "ok");
                printf("%s %s%-8s%s %-24s %s/%s %.1f ms%s%s\n", when, ok ? ansi_green() : ansi_red(), result,
                        ansi_normal(), principal, backend, tool, strtod(duration, NULL) / 1000.0,
                        has_reason ? ": " : "", has_reason ? reason : "");
        }
        fflush(stdout);
        return 0;
}

int verb_audit(char **args) {
        if (strv_length(args) > 0)
                return log_error("audit takes no arguments; filter with --principal= and --tool=."), EXIT_USAGE;
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        int r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
        if (r < 0)
                return log_error_errno(r, "Failed to open the journal: %m"), EXIT_FAILED;
        char match[512];
        r = sd_journal_add_match(j, "MESSAGE_ID=" AUDIT_MESSAGE_ID, 0);
        if (r >= 0 && arg.principal) {
                snprintf(match, sizeof(match), "AIOS_PRINCIPAL=%s", arg.principal);
                r = sd_journal_add_match(j, match, 0);
        }
        if (r >= 0 && arg.tool) {
                snprintf(match, sizeof(match), "AIOS_TOOL=%s", arg.tool);
                r = sd_journal_add_match(j, match, 0);
        }
        if (r < 0)
                return log_error_errno(r, "Failed to filter the journal: %m"), EXIT_FAILED;

        /* The last -n records, then (with --follow) each new one as it is written. */
        unsigned n = arg.lines ?: 20;
        r = sd_journal_seek_tail(j);
        if (r >= 0)
                r = sd_journal_previous_skip(j, n);
        if (r < 0)
                return log_error_errno(r, "Failed to read the journal: %m"), EXIT_FAILED;
        /* Standing on the oldest of the n, or when there are fewer, before the first. */
        bool on_entry = r > 0 && (unsigned) r == n;
        if (!on_entry)
                (void) sd_journal_seek_head(j);

        if (!arg.follow)
                pager_open();
        unsigned shown = 0;
        for (;;) {
                r = on_entry ? 1 : sd_journal_next(j);
                on_entry = false;
                if (r < 0)
                        return log_error_errno(r, "Failed to read the journal: %m"), EXIT_FAILED;
                if (r > 0) {
                        print_entry(j);
                        shown++;
                        continue;
                }
                if (!arg.follow)
                        break;
                r = sd_journal_wait(j, UINT64_MAX);
                if (r < 0)
                        return log_error_errno(r, "Failed to wait for the journal: %m"), EXIT_FAILED;
        }
        if (shown == 0 && !output.json)
                fprintf(stderr,
                        "No audit records%s%s%s%s (journalctl MESSAGE_ID=" AUDIT_MESSAGE_ID " shows them all).\n",
                        arg.principal ? " of " : "", strempty(arg.principal), arg.tool ? " for " : "",
                        strempty(arg.tool));
        return EXIT_OK;
}
