/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The browser process: started through the launcher on two pipes, attached to every target it makes, restarted
 * after a crash (with a growing pause when it keeps crashing), and its sessions told when it went away. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "browser.h"
#include "launcher.h"
#include "log.h"
#include "socks-proxy.h"
#include "time-util.h"

typedef struct BrowserWaiter {
        BrowserReady ready;
        void *userdata;
        LIST_FIELDS(struct BrowserWaiter);
} BrowserWaiter;

static void browser_waiters_done(Browser *b, const char *error) {
        while (b->waiters) {
                BrowserWaiter *w = b->waiters;
                LIST_REMOVE(b->waiters, w);
                w->ready(b, error, w->userdata);
                free(w);
        }
}

static int on_reap_cdp(sd_event_source *s, void *userdata) {
        Browser *b = userdata;
        b->dead_cdp = cdp_free(b->dead_cdp);
        return 0;
}

static int on_restart(sd_event_source *s, uint64_t usec, void *userdata);

void browser_lost(Browser *b, const char *why) {
        if (b->state == BROWSER_STOPPED && !b->cdp)
                return;
        bool was_ready = b->state == BROWSER_READY;
        log_warning("The browser went away: %s.", why);
        if (b->launcher_fd >= 0)
                (void) launcher_send_stop(b->launcher_fd);
        if (b->cdp) {
                /* Not freed here: this may run inside one of its callbacks. */
                b->dead_cdp = cdp_free(b->dead_cdp);
                b->dead_cdp = TAKE_PTR(b->cdp);
                (void) sd_event_source_set_enabled(b->reap_cdp, SD_EVENT_ONESHOT);
        }
        b->state = BROWSER_STOPPED;
        b->crashes++;
        /* Started again at once after one crash; a browser that keeps crashing waits longer each time. */
        b->next_start = now_usec() + (b->crashes > 1 ? MIN(USEC_PER_SEC << MIN(b->crashes, 6U), 60 * USEC_PER_SEC) : 0);
        browser_waiters_done(b, "The browser could not be started (it exited at once; the server's log says why).");

        char text[256];
        snprintf(text, sizeof(text),
                "The browser went away (%s) and is restarted: the pages, cookies and storage of this session are "
                "gone.",
                why);
        LIST_FOREACH(s, b->sessions)
        browser_session_lost(s, text);
        routes_clear(b, NULL);

        if (was_ready && b->sessions)
                (void) sd_event_source_set_time(b->restart_timer, b->next_start),
                        (void) sd_event_source_set_enabled(b->restart_timer, SD_EVENT_ONESHOT);
}

static void on_cdp_closed(Cdp *c, const char *reason, void *userdata) {
        browser_lost(userdata, reason);
}

static const CdpOps browser_cdp_ops = {
        .event = browser_on_event,
        .closed = on_cdp_closed,
};

static void on_auto_attach(Cdp *c, json_object *result, const char *error, void *userdata) {
        Browser *b = userdata;
        if (error) {
                log_error("The browser refused to attach to its targets: %s", error);
                browser_lost(b, "it refused to attach to its targets");
                return;
        }
        b->state = BROWSER_READY;
        b->crashes = 0;
        log_info("The browser is ready (pid %d).", (int) b->pid);
        browser_waiters_done(b, NULL);
}

static void on_version(Cdp *c, json_object *result, const char *error, void *userdata) {
        Browser *b = userdata;
        if (error) {
                browser_lost(b, "it did not answer on the DevTools pipe");
                return;
        }
        log_info("Browser %s on the DevTools pipe.", strempty(json_get_string(result, "product")));
        json_object *discover = json_object_new_object();
        json_add(discover, "discover", json_object_new_boolean(true));
        (void) cdp_send(b->cdp, NULL, "Target.setDiscoverTargets", discover, NULL, NULL);
        /* Every page (those made for sessions, and popups) is attached and paused until it is configured:
         * no request of it leaves before Fetch interception is on. */
        json_object *p = json_object_new_object();
        json_add(p, "autoAttach", json_object_new_boolean(true));
        json_add(p, "waitForDebuggerOnStart", json_object_new_boolean(true));
        json_add(p, "flatten", json_object_new_boolean(true));
        if (cdp_send(b->cdp, NULL, "Target.setAutoAttach", p, on_auto_attach, b) < 0)
                browser_lost(b, "its pipe broke");
}

static int browser_start(Browser *b) {
        if (!b->config.executable)
                return log_error_errno(ENOENT,
                        "No browser: neither /usr/bin/chromium nor /usr/bin/chromium-headless-shell exists, and "
                        "browser.conf names no Executable=.");
        if (b->launcher_fd < 0)
                return log_error_errno(ECHILD, "The browser's launcher is gone; restart the server.");

        int to_browser[2] = { -EBADF, -EBADF }, from_browser[2] = { -EBADF, -EBADF };
        if (pipe2(to_browser, O_CLOEXEC) < 0)
                return log_error_errno(errno, "Failed to make the DevTools pipes: %m");
        if (pipe2(from_browser, O_CLOEXEC) < 0) {
                int r = -errno;
                safe_close(to_browser[0]);
                safe_close(to_browser[1]);
                return log_error_errno(r, "Failed to make the DevTools pipes: %m");
        }
        /* Commands may be large (a long text to type); so may answers. */
        (void) fcntl(to_browser[1], F_SETPIPE_SZ, 1 << 20);
        (void) fcntl(from_browser[0], F_SETPIPE_SZ, 1 << 20);
        int r = launcher_send_start(b->launcher_fd, to_browser[0], from_browser[1]);
        safe_close(to_browser[0]);
        safe_close(from_browser[1]);
        if (r < 0) {
                safe_close(to_browser[1]);
                safe_close(from_browser[0]);
                return log_error_errno(r, "Failed to ask the launcher for the browser: %m");
        }
        r = cdp_new(b->event, to_browser[1], from_browser[0], &browser_cdp_ops, b, &b->cdp);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the DevTools pipe: %m");
        b->state = BROWSER_STARTING;
        b->starts++;
        r = cdp_send(b->cdp, NULL, "Browser.getVersion", NULL, on_version, b);
        if (r < 0)
                return log_error_errno(r, "Failed to talk to the browser: %m");
        return 0;
}

int browser_ensure(Browser *b, BrowserReady ready, void *userdata) {
        if (b->state == BROWSER_READY) {
                ready(b, NULL, userdata);
                return 0;
        }
        if (b->state == BROWSER_STOPPED) {
                uint64_t now = now_usec();
                if (b->crashes > 0 && now < b->next_start) {
                        char text[200];
                        snprintf(text, sizeof(text),
                                "The browser went away %u times in a row; it is started again in %llu s.", b->crashes,
                                (unsigned long long) ((b->next_start - now) / USEC_PER_SEC + 1));
                        ready(b, text, userdata);
                        return 0;
                }
                int r = browser_start(b);
                if (r < 0) {
                        b->cdp = cdp_free(b->cdp);
                        b->state = BROWSER_STOPPED;
                        ready(b, "The browser could not be started; the server's log says why.", userdata);
                        return 0;
                }
        }
        BrowserWaiter *w = new0(BrowserWaiter, 1);
        if (!w)
                return -ENOMEM;
        *w = (BrowserWaiter){ .ready = ready, .userdata = userdata };
        LIST_PREPEND(b->waiters, w);
        return 0;
}

static void on_restarted(Browser *b, const char *error, void *userdata) {
        if (error)
                log_warning("Restarting the browser failed: %s", error);
}

static int on_restart(sd_event_source *s, uint64_t usec, void *userdata) {
        Browser *b = userdata;
        if (b->state == BROWSER_STOPPED && b->sessions)
                (void) browser_ensure(b, on_restarted, NULL);
        return 0;
}

static int on_launcher(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Browser *b = userdata;
        char buf[128];
        ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0) {
                log_error("The browser's launcher exited; no browser can be started until the server restarts.");
                b->launcher_source = sd_event_source_disable_unref(b->launcher_source);
                b->launcher_fd = safe_close(b->launcher_fd);
                (void) waitpid(b->launcher_pid, NULL, WNOHANG);
                browser_lost(b, "its launcher exited");
                return 0;
        }
        buf[n] = 0;
        int pid, status, e;
        if (sscanf(buf, "started %d", &pid) == 1) {
                b->pid = pid;
                log_debug("The browser runs as pid %d.", pid);
        } else if (sscanf(buf, "failed %d", &e) == 1) {
                log_error_errno(e, "The launcher could not start the browser: %m");
                browser_lost(b, "it could not be started");
        } else if (sscanf(buf, "exited %d %d", &pid, &status) == 2) {
                char why[128];
                if (WIFSIGNALED(status))
                        snprintf(why, sizeof(why), "it was killed by signal %s", strsignal(WTERMSIG(status)));
                else
                        snprintf(why, sizeof(why), "it exited with status %d", WEXITSTATUS(status));
                b->pid = 0;
                browser_lost(b, why);
        }
        return 0;
}

static int on_sweep(sd_event_source *s, uint64_t usec, void *userdata);

/* The sessions of the stateless wire have no end of their own: unused for this long, their context goes. */
#define STATELESS_SESSION_IDLE_USEC (15 * 60 * USEC_PER_SEC)

static int on_sweep(sd_event_source *s, uint64_t usec, void *userdata) {
        Browser *b = userdata;
        uint64_t now = now_usec();
        LIST_FOREACH(bs, b->sessions)
        if (!bs->mcp && bs->last_used + STATELESS_SESSION_IDLE_USEC < now && !bs->waiters)
                browser_session_free(bs);
        (void) sd_event_source_set_time_relative(s, 60 * USEC_PER_SEC);
        return 0;
}

static int strv_add(char ***l, size_t *n, const char *s) {
        char **grown = reallocarray(*l, *n + 2, sizeof(char *));
        if (!grown)
                return -ENOMEM;
        *l = grown;
        grown[*n] = strdup(s);
        grown[*n + 1] = NULL;
        return grown[(*n)++] ? 0 : -ENOMEM;
}

/* The browser's command line: headless, the DevTools pipe, nothing that phones home or updates itself. */
static int browser_command_line(Browser *b) {
        size_t n = 0;
        char size[64];
        snprintf(size, sizeof(size), "--window-size=%u,%u", b->config.width, b->config.height);
        /* Every connection through the server's SOCKS5 proxy (socks-proxy.h), loopback too (not bypassed). */
        char proxy[64];
        snprintf(proxy, sizeof(proxy), "--proxy-server=socks5://127.0.0.1:%u", socks_proxy_port(b->socks));
        const char *const args[] = {
                b->config.executable,
                "--headless",
                "--remote-debugging-pipe",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-crash-reporter",
                "--disable-breakpad",
                "--disable-extensions",
                "--disable-default-apps",
                "--disable-domain-reliability",
                "--disable-client-side-phishing-detection",
                "--disable-features=Translate,MediaRouter,OptimizationHints,DialMediaRouteProvider,"
                "AutofillServerCommunication,CertificateTransparencyComponentUpdater",
                "--metrics-recording-only",
                "--password-store=basic",
                "--use-mock-keychain",
                "--mute-audio",
                "--hide-scrollbars",
                "--disable-dev-shm-usage",
                "--no-service-autorun",
                "--noerrdialogs",
                size,
                proxy,
                "--proxy-bypass-list=<-loopback>",
        };
        FOREACH_ELEMENT(a, args)
        if (strv_add(&b->argv, &n, *a) < 0)
                return log_oom();
        /* Chromium's sandbox refuses root. As root (the development stack, a container) the browser runs without
         * it, with a warning; an installed server runs as aios-browser and never does. */
        if (geteuid() == 0) {
                if (getenv("INVOCATION_ID"))
                        log_warning("Running as root under systemd: the browser runs without its own sandbox. The "
                                    "installed unit runs as aios-browser; do not override User=.");
                else
                        log_warning("Running as root: the browser runs without its own sandbox (--no-sandbox), "
                                    "which is for development only.");
                if (strv_add(&b->argv, &n, "--no-sandbox") < 0)
                        return log_oom();
        }
        if (strv_add(&b->argv, &n, "about:blank") < 0)
                return log_oom();

        n = 0;
        const char *path = getenv("PATH") ?: "/usr/local/bin:/usr/bin:/bin";
        char buf[4096];
        snprintf(buf, sizeof(buf), "PATH=%s", path);
        if (strv_add(&b->envp, &n, buf) < 0 || strv_add(&b->envp, &n, "LANG=C.UTF-8") < 0 ||
                /* No desktop bus to talk to; Chromium would retry one for every feature that wants it. */
                strv_add(&b->envp, &n, "DBUS_SESSION_BUS_ADDRESS=disabled:") < 0 ||
                strv_add(&b->envp, &n, "DBUS_SYSTEM_BUS_ADDRESS=disabled:") < 0)
                return log_oom();
        if (getenv("TZ")) {
                snprintf(buf, sizeof(buf), "TZ=%s", getenv("TZ"));
                if (strv_add(&b->envp, &n, buf) < 0)
                        return log_oom();
        }
        return 0;
}

int browser_host_addresses(char ***ret); /* host-addresses.c */

int browser_init(Browser *b, McpServer *server, const char *config_path) {
        *b = (Browser){ .server = server, .event = sd_event_ref(mcp_server_get_event(server)), .launcher_fd = -EBADF };
        int r = browser_config_load(&b->config, config_path);
        if (r < 0)
                return r;
        b->policy = (OriginPolicy){ .allow = b->config.allow,
                .block = b->config.block,
                .allow_loopback = b->config.allow_loopback };
        r = browser_host_addresses(&b->policy.host_addresses);
        if (r < 0)
                log_warning_errno(r, "Failed to list this machine's addresses; only loopback names are refused: %m");
        r = socks_proxy_new(b->event, &b->policy, &b->socks);
        if (r < 0)
                return log_error_errno(r, "Failed to start the browser's SOCKS proxy: %m");
        r = browser_command_line(b);
        if (r < 0)
                return r;
        b->by_cdp_session = hashmap_new();
        if (!b->by_cdp_session)
                return log_oom();

        /* The profile lives where the unit's RuntimeDirectory= (or PrivateTmp=) puts it. */
        const char *base = getenv("RUNTIME_DIRECTORY");
        b->profile_base = base ? strndup(base, strcspn(base, ":")) : strdup(getenv("TMPDIR") ?: "/tmp");
        if (!b->profile_base)
                return log_oom();
        LauncherConfig lc = { .argv = b->argv, .envp = b->envp, .profile_base = b->profile_base };
        r = launcher_fork(&lc, &b->launcher_pid);
        if (r < 0)
                return log_error_errno(r, "Failed to start the browser's launcher: %m");
        b->launcher_fd = r;
        r = sd_event_add_io(b->event, &b->launcher_source, b->launcher_fd, EPOLLIN, on_launcher, b);
        if (r >= 0)
                r = sd_event_add_defer(b->event, &b->reap_cdp, on_reap_cdp, b);
        if (r >= 0)
                r = sd_event_source_set_enabled(b->reap_cdp, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_time(b->event, &b->restart_timer, CLOCK_MONOTONIC, 0, 0, on_restart, b);
        if (r >= 0)
                r = sd_event_source_set_enabled(b->restart_timer, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_time_relative(b->event, &b->sweep, CLOCK_MONOTONIC, 60 * USEC_PER_SEC, 0, on_sweep, b);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the browser's launcher: %m");
        log_info("Browser: %s; origins allowed: %s%s; loopback %s; connections through 127.0.0.1:%u.",
                b->config.executable ?: "(none found)",
                b->config.allow && b->config.allow[0] ? "the Allow= list" : "all",
                b->config.block && b->config.block[0] ? ", less the Block= list" : "",
                b->config.allow_loopback ? "allowed" : "refused", socks_proxy_port(b->socks));
        return 0;
}

void browser_done(Browser *b) {
        while (b->sessions)
                browser_session_free(b->sessions);
        browser_waiters_done(b, "The server is stopping.");
        b->cdp = cdp_free(b->cdp);
        b->dead_cdp = cdp_free(b->dead_cdp);
        sd_event_source_disable_unref(b->launcher_source);
        sd_event_source_disable_unref(b->reap_cdp);
        sd_event_source_disable_unref(b->restart_timer);
        sd_event_source_disable_unref(b->sweep);
        socks_proxy_free(b->socks);
        if (b->launcher_fd >= 0) {
                /* Closing the socket stops the launcher, which kills the browser. */
                b->launcher_fd = safe_close(b->launcher_fd);
                (void) waitpid(b->launcher_pid, NULL, 0);
        }
        if (b->by_cdp_session)
                routes_clear(b, NULL);
        hashmap_free(b->by_cdp_session);
        for (size_t i = 0; b->argv && b->argv[i]; i++)
                free(b->argv[i]);
        free(b->argv);
        for (size_t i = 0; b->envp && b->envp[i]; i++)
                free(b->envp[i]);
        free(b->envp);
        for (size_t i = 0; b->policy.host_addresses && b->policy.host_addresses[i]; i++)
                free(b->policy.host_addresses[i]);
        free(b->policy.host_addresses);
        browser_config_done(&b->config);
        free(b->profile_base);
        sd_event_unref(b->event);
        *b = (Browser){ .launcher_fd = -EBADF };
}

bool browser_busy(void *userdata) {
        Browser *b = userdata;
        return b->state == BROWSER_STARTING;
}
