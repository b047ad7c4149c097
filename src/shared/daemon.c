/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The frame of a daemon's run(): signals, readiness, watchdog, stopping. */
#include <signal.h>
#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "log.h"
#include "time-util.h"

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
        /* A client that goes away must not kill us while we write to it, nor a stray SIGHUP (a daemon that
         * reloads takes it with daemon_on_reload()). */
        signal(SIGPIPE, SIG_IGN);
        signal(SIGHUP, SIG_IGN);

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

typedef struct Reload {
        int (*reload)(void *userdata);
        void *userdata;
} Reload;

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Reload *r = userdata;
        (void) sd_notify(false, "RELOADING=1\nSTATUS=Reloading...");
        int k = r->reload(r->userdata);
        if (k < 0)
                log_warning_errno(k, "Reloading failed, going on with what was loaded before: %m");
        (void) sd_notify(false, "READY=1\nSTATUS=Reloaded");
        return 0;
}

int daemon_on_reload(sd_event *e, int (*reload)(void *userdata), void *userdata) {
        Reload *r = new0(Reload, 1);
        if (!r)
                return log_oom();
        *r = (Reload){ .reload = reload, .userdata = userdata };
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        sd_event_source *s = NULL;
        int k = sd_event_add_signal(e, &s, SIGHUP, on_sighup, r);
        if (k < 0) {
                free(r);
                return log_error_errno(k, "Failed to handle SIGHUP: %m");
        }
        /* The loop owns the source, and the source its Reload. */
        (void) sd_event_source_set_destroy_callback(s, free);
        (void) sd_event_source_set_floating(s, true);
        sd_event_source_unref(s);
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

typedef struct IdleWatch {
        uint64_t usec;
        uint64_t idle_since; /* 0: busy at the last look */
        bool (*is_idle)(void *userdata);
        void *userdata;
} IdleWatch;

static int on_idle_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        IdleWatch *w = userdata;
        uint64_t now = now_usec();

        if (!w->is_idle(w->userdata))
                w->idle_since = 0;
        else if (w->idle_since == 0)
                w->idle_since = now;
        else if (now - w->idle_since >= w->usec) {
                log_info("Idle for %llu s, exiting.", (unsigned long long) (w->usec / USEC_PER_SEC));
                return sd_event_exit(sd_event_source_get_event(s), 0);
        }
        return sd_event_source_set_time_relative(s, MIN(w->usec / 4, USEC_PER_SEC) ?: 1);
}

int daemon_exit_when_idle(sd_event *e, uint64_t usec, bool (*is_idle)(void *userdata), void *userdata,
        sd_event_source **ret) {
        IdleWatch *w = new0(IdleWatch, 1);
        if (!w)
                return log_oom();
        *w = (IdleWatch){ .usec = usec, .is_idle = is_idle, .userdata = userdata };

        sd_event_source *s = NULL;
        int r = sd_event_add_time_relative(e, &s, CLOCK_MONOTONIC, MIN(usec / 4, USEC_PER_SEC) ?: 1, 0, on_idle_tick,
                w);
        if (r < 0) {
                free(w);
                return log_error_errno(r, "Failed to add the idle timer: %m");
        }
        (void) sd_event_source_set_destroy_callback(s, free);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ON);
        *ret = s;
        return 0;
}
