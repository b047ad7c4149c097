/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every aios daemon does around its event loop: signals, sd_notify, the watchdog. */
#pragma once

#include <systemd/sd-event.h>

#include "macro.h"

/* The default event loop with SIGTERM and SIGINT ending it and the watchdog armed when systemd asks. */
int daemon_event_new(sd_event **ret);

/* Tells systemd we are ready (with status), runs the loop, tells systemd we are stopping. Returns the
 * loop's exit code. */
int daemon_run(sd_event *e, const char *status);

/* Ends the loop once is_idle(userdata) has held for usec without a break: a socket- or bus-activated daemon
 * that nobody uses goes away, and systemd starts it again on the next connection or call. */
int daemon_exit_when_idle(sd_event *e, uint64_t usec, bool (*is_idle)(void *userdata), void *userdata,
        sd_event_source **ret);

/* Calls reload(userdata) on SIGHUP (systemctl reload: ExecReload=kill -HUP $MAINPID), telling systemd
 * RELOADING=1 before and READY=1 after. Without it SIGHUP is ignored: it never stops a daemon. */
int daemon_on_reload(sd_event *e, int (*reload)(void *userdata), void *userdata);
