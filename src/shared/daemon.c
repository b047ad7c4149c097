/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The frame of a daemon's run(): signals, readiness, watchdog, stopping. */
#include <signal.h>
#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "log.h"

int daemon_event_new(sd_event **ret) {
        sd_event *e = NULL;
        int r = sd_event_default(&e);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");

        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        /* A client that goes away must not kill us while we write to it. */
        signal(SIGPIPE, SIG_IGN);

        /* NULL handlers: the signal ends the loop. */
        if ((r = sd_event_add_signal(e, NULL, SIGTERM, NULL, NULL)) < 0 ||
            (r = sd_event_add_signal(e, NULL, SIGINT, NULL, NULL)) < 0) {
                sd_event_unref(e);
                return log_error_errno(r, "Failed to handle signals: %m");
        }

        r = sd_event_set_watchdog(e, true);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the watchdog, continuing without: %m");

        *ret = e;
        return 0;
}

int daemon_run(sd_event *e, const char *status) {
        (void) sd_notifyf(false, "READY=1\nSTATUS=%s", status);
        int r = sd_event_loop(e);
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Shutting down...");
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return r;
}
