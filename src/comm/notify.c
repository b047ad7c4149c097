/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* comm_notify_user: a desktop notification (org.freedesktop.Notifications.Notify) on the session bus of a
 * user the administrator allows ([Notifications] AllowUser= in comm.conf).
 *
 * A session bus takes only connections of its own user: dbus-daemon and dbus-broker compare the uid that
 * EXTERNAL authentication claims with the socket's peer credentials, and /run/user/UID is that user's alone.
 * So the call is made by a short-lived child that becomes the user (setgroups, setresgid, setresuid) before
 * it connects to /run/user/UID/bus, makes the one call, writes the answer to a pipe and exits; the daemon
 * watches the child's pidfd and the pipe on its loop and never blocks. The child keeps no capability: a
 * change of every uid away from the daemon's own clears them. For that the daemon needs CAP_SETUID and
 * CAP_SETGID, the @setuid system calls and the host's users (no PrivateUsers=), which the installed unit
 * does not give: aios-commd(8) has the drop-in that does, and what it costs. Without it the tool says so. */
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "address.h"
#include "comm.h"
#include "log.h"
#include "mcp-content.h"
#include "mcp-request.h"
#include "schemas.h"

#define ANSWER_MAX 1024U
#define USER_RUNTIME_DIRECTORY "/run/user"

/* What the child reports, as the first word of its answer. */
#define ANSWER_OK "ok"              /* ok ID SERVER */
#define ANSWER_NO_SETUID "nosetuid" /* nosetuid ERRNO */
#define ANSWER_NO_BUS "nobus"       /* nobus ERRNO */
#define ANSWER_NO_SERVICE "noservice"
#define ANSWER_FAILED "failed" /* failed TEXT */

struct Notification {
        LIST_FIELDS(Notification);
        CommContext *ctx;
        McpRequest *req;
        char *user;
        uid_t uid;
        pid_t pid;
        int pidfd;
        int pipe_fd;
        sd_event_source *pidfd_source;
        sd_event_source *timer;
        char answer[ANSWER_MAX];
        size_t answer_size;
};

static Notification *notification_free(Notification *n) {
        if (!n)
                return NULL;
        LIST_REMOVE(n->ctx->notifications, n);
        sd_event_source_disable_unref(n->pidfd_source);
        sd_event_source_disable_unref(n->timer);
        if (n->pidfd >= 0)
                close(n->pidfd);
        if (n->pipe_fd >= 0)
                close(n->pipe_fd);
        free(n->user);
        mcp_request_unref(n->req);
        free(n);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Notification *, notification_free);

void notify_done(CommContext *c) {
        while (c->notifications)
                notification_free(c->notifications);
}

/* --- the child ----------------------------------------------------------------------------------------------- */

static __attribute__((noreturn)) void child_answer(int fd, const char *format, ...) _printf_(2, 3);
static __attribute__((noreturn)) void child_answer(int fd, const char *format, ...) {
        char text[ANSWER_MAX];
        va_list ap;
        va_start(ap, format);
        int n = vsnprintf(text, sizeof(text), format, ap);
        va_end(ap);
        if (n > 0)
                (void) write(fd, text, MIN((size_t) n, sizeof(text) - 1));
        _exit(0);
}

static __attribute__((noreturn)) void child_run(int fd, uid_t uid, gid_t gid, const char *summary, const char *body,
        uint8_t urgency, uint64_t timeout_usec) {
        /* Once it is the user the daemon may not signal it (no CAP_KILL): it ends itself when its time is up,
         * by SIGALRM's default action. */
        sigset_t alarm_only;
        sigemptyset(&alarm_only);
        sigaddset(&alarm_only, SIGALRM);
        (void) signal(SIGALRM, SIG_DFL);
        (void) sigprocmask(SIG_UNBLOCK, &alarm_only, NULL);
        alarm((unsigned) ((timeout_usec + USEC_PER_SEC - 1) / USEC_PER_SEC) + 1);

        if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
                child_answer(fd, ANSWER_NO_SETUID " %d", errno);

        char path[64];
        snprintf(path, sizeof(path), USER_RUNTIME_DIRECTORY "/%u/bus", (unsigned) uid);
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
                child_answer(fd, ANSWER_NO_BUS " %d", errno ?: ENOTSOCK);

        sd_bus *bus = NULL;
        char address[96];
        snprintf(address, sizeof(address), "unix:path=%s", path);
        int r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = sd_bus_set_method_call_timeout(bus, timeout_usec);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0)
                child_answer(fd, ANSWER_NO_BUS " %d", -r);

        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.Notifications", "/org/freedesktop/Notifications",
                "org.freedesktop.Notifications", "Notify");
        if (r >= 0)
                r = sd_bus_message_append(m, "susssas", "aios", 0U, "", summary, body, 0);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 1, "urgency", "y", urgency);
        if (r >= 0)
                r = sd_bus_message_append(m, "i", (int32_t) -1);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0 &&
                (sd_bus_error_has_name(&error, "org.freedesktop.DBus.Error.ServiceUnknown") ||
                        sd_bus_error_has_name(&error, "org.freedesktop.DBus.Error.NameHasNoOwner")))
                child_answer(fd, ANSWER_NO_SERVICE);
        if (r < 0)
                child_answer(fd, ANSWER_FAILED " %s", error.message ?: strerror(-r));
        uint32_t id = 0;
        if (sd_bus_message_read(reply, "u", &id) < 0)
                child_answer(fd,
                        ANSWER_FAILED " The notification service answered Notify with something else than an id.");

        /* Its name, for the answer; a service without GetServerInformation is still one. */
        const char *name = NULL;
        sd_bus_message *info = NULL;
        sd_bus_error_free(&error);
        if (sd_bus_call_method(bus, "org.freedesktop.Notifications", "/org/freedesktop/Notifications",
                    "org.freedesktop.Notifications", "GetServerInformation", &error, &info, "") < 0 ||
                sd_bus_message_read(info, "s", &name) < 0)
                name = NULL;
        child_answer(fd, ANSWER_OK " %u %s", id, strempty(name));
}

/* --- the daemon's side ---------------------------------------------------------------------------------------- */

static void reply_answer(Notification *n) {
        char *a = n->answer;
        a[n->answer_size] = 0;
        for (char *c = a; *c; c++)
                if ((unsigned char) *c < 0x20)
                        *c = ' ';
        const char *rest = strchr(a, ' ') ? strchr(a, ' ') + 1 : "";
        size_t word = strcspn(a, " ");

        if (word == strlen(ANSWER_OK) && startswith_ptr(a, ANSWER_OK)) {
                char *end;
                unsigned long id = strtoul(rest, &end, 10);
                const char *server = *end == ' ' ? end + 1 : "";
                if (!utf8_is_valid(server, strlen(server)))
                        server = "";
                _cleanup_json_ json_object *o = json_object_new_object();
                if (!o || json_add_string(o, "user", n->user) < 0 ||
                        json_add(o, "uid", json_object_new_int64(n->uid)) < 0 ||
                        json_add(o, "id", json_object_new_int64((int64_t) id)) < 0 ||
                        (server[0] && json_add_string(o, "server", server) < 0)) {
                        (void) mcp_request_reply_error(n->req, -32603, "Out of memory.");
                        return;
                }
                char text[512];
                snprintf(text, sizeof(text), "Notified %s on their desktop (notification %lu%s%s).", n->user, id,
                        server[0] ? " from " : "", server);
                (void) mcp_request_reply_content(n->req, JSON_ARRAY(mcp_content_text(text)), TAKE_PTR(o), false);
        } else if (startswith_ptr(a, ANSWER_NO_SETUID))
                (void) mcp_request_reply_tool_error(n->req,
                        "aios-commd cannot act as %s to reach their session bus (%s): its unit does not give it "
                        "CAP_SETUID and CAP_SETGID, which desktop notifications need (aios-commd(8) has the drop-in "
                        "that does).",
                        n->user, strerror(atoi(rest)));
        else if (startswith_ptr(a, ANSWER_NO_BUS))
                (void) mcp_request_reply_tool_error(n->req,
                        "%s has no graphical session: there is no session bus at " USER_RUNTIME_DIRECTORY "/%u"
                        "/bus to reach (%s). They need to be logged in.",
                        n->user, (unsigned) n->uid, strerror(atoi(rest)));
        else if (startswith_ptr(a, ANSWER_NO_SERVICE))
                (void) mcp_request_reply_tool_error(n->req,
                        "%s has a session bus but no notification service on it (org.freedesktop.Notifications): "
                        "there is no graphical session showing notifications.",
                        n->user);
        else if (startswith_ptr(a, ANSWER_FAILED))
                (void) mcp_request_reply_tool_error(n->req, "The notification service of %s refused: %.300s", n->user,
                        rest);
        else
                (void) mcp_request_reply_tool_error(n->req,
                        "The notification to %s failed: its helper process ended "
                        "without an answer.",
                        n->user);
}

static int on_child_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        _cleanup_(notification_freep) Notification *n = userdata;
        siginfo_t si = {};
        if (waitid(P_PIDFD, (id_t) n->pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0) {
                /* Woken before it is a zombie: wait for the next event. */
                TAKE_PTR(n);
                return 0;
        }
        n->pid = 0;
        if (!n->req)
                return 0; /* answered already (timed out), or cancelled: only reaped */
        /* It wrote its answer (at most ANSWER_MAX, less than a pipe holds) before it exited. */
        ssize_t k = read(n->pipe_fd, n->answer, sizeof(n->answer) - 1);
        n->answer_size = k > 0 ? (size_t) k : 0;
        if (si.si_code == CLD_KILLED && si.si_status == SIGALRM)
                (void) mcp_request_reply_tool_error(n->req,
                        "The session bus or notification service of %s did not answer within TimeoutSec= "
                        "([Notifications] in comm.conf); the notification may not have been shown.",
                        n->user);
        else {
                if (si.si_code != CLD_EXITED)
                        n->answer_size = 0;
                reply_answer(n);
        }
        return 0;
}

/* The request is gone or answered; the child, which the daemon cannot signal, is reaped when it ends (by its
 * alarm at the latest). */
static void notification_detach(Notification *n) {
        n->req = mcp_request_unref(n->req);
        (void) sd_event_source_set_enabled(n->timer, SD_EVENT_OFF);
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Notification *n = userdata;
        /* A backstop: the child's alarm comes first. */
        (void) mcp_request_reply_tool_error(n->req,
                "The session bus or notification service of %s did not answer in time; the notification may not "
                "have been shown.",
                n->user);
        notification_detach(n);
        return 0;
}

static void on_cancel(McpRequest *req, void *userdata) {
        notification_detach(userdata);
}

static int tool_notify_user(McpRequest *req, json_object *args) {
        CommContext *ctx = mcp_server_get_userdata(mcp_request_get_server(req));
        const char *user = json_get_string(args, "user"), *summary = json_get_string(args, "summary"),
                   *body = json_get_string(args, "body") ?: "", *urgency = json_get_string(args, "urgency");

        if (strv_length(ctx->config.notify_users) == 0)
                return mcp_request_reply_tool_error(req,
                        "No user may be notified: the administrator's list ([Notifications] AllowUser= in comm.conf) "
                        "is empty.");
        if (!strv_contains(ctx->config.notify_users, strempty(user)))
                return mcp_request_reply_tool_error(req,
                        "%s is not among the users the administrator allows notifications for ([Notifications] "
                        "AllowUser= in comm.conf).",
                        strempty(user));
        json_object *v;
        /* json-c keeps "\u0000": the lengths it has, not strlen(). */
        if ((json_object_object_get_ex(args, "summary", &v) &&
                    !utf8_is_valid(json_object_get_string(v), json_object_get_string_len(v))) ||
                (json_object_object_get_ex(args, "body", &v) &&
                        !utf8_is_valid(json_object_get_string(v), json_object_get_string_len(v))))
                return mcp_request_reply_tool_error(req, "The summary or body is not valid UTF-8 (or holds a NUL).");

        struct passwd pw, *found = NULL;
        char buf[4096];
        int e = getpwnam_r(user, &pw, buf, sizeof(buf), &found);
        if (e != 0 || !found)
                return mcp_request_reply_tool_error(req, "There is no user %s on this system%s%s.", user, e ? ": " : "",
                        e ? strerror(e) : "");
        if (pw.pw_uid == 0)
                return mcp_request_reply_tool_error(req, "root has no desktop notifications from aios-commd.");

        _cleanup_(notification_freep) Notification *n = new0(Notification, 1);
        if (!n)
                return -ENOMEM;
        n->ctx = ctx;
        n->pidfd = n->pipe_fd = -1;
        LIST_PREPEND(ctx->notifications, n);
        n->req = mcp_request_ref(req);
        n->uid = pw.pw_uid;
        if (!(n->user = strdup(user)))
                return -ENOMEM;

        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return log_error_errno(errno, "Failed to make a pipe for a notification: %m");
        n->pipe_fd = fds[0];
        uint8_t level = urgency && streq(urgency, "low") ? 0 : urgency && streq(urgency, "critical") ? 2 : 1;
        pid_t pid = fork();
        if (pid < 0) {
                close(fds[1]);
                return log_error_errno(errno, "Failed to start the notification's helper process: %m");
        }
        if (pid == 0) {
                /* Of the daemon's descriptors (its buses, sockets, outbox) the child keeps only its pipe, as 3. */
                if (dup2(fds[1], 3) < 0 || syscall(SYS_close_range, 4U, ~0U, 0U) < 0)
                        _exit(1);
                child_run(3, pw.pw_uid, pw.pw_gid, summary, body, level, ctx->config.notify_timeout_usec);
        }
        close(fds[1]);
        n->pid = pid;
        n->pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (n->pidfd < 0)
                return log_error_errno(errno, "Failed to watch the notification's helper process: %m");
        int r = sd_event_add_io(mcp_request_get_event(req), &n->pidfd_source, n->pidfd, EPOLLIN, on_child_exit, n);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(mcp_request_get_event(req), &n->timer, CLOCK_MONOTONIC,
                ctx->config.notify_timeout_usec + 5 * USEC_PER_SEC, USEC_PER_MSEC, on_timeout, n);
        if (r < 0)
                return r;
        mcp_request_on_cancel(req, on_cancel, n);
        TAKE_PTR(n);
        return 0;
}

const McpTool comm_notify_tools[] = {
        {
                .name = "comm_notify_user",
                .title = "Notify a user on their desktop",
                .description = "Shows a desktop notification (summary, optional body, urgency) to a user the "
                               "administrator allows, on their graphical session's notification service. A user "
                               "who is not logged in graphically gets nothing, and the answer says so.",
                .input_schema = comm_schema_comm_notify_user_input,
                .output_schema = comm_schema_comm_notify_user_output,
                .annotations = "{\"readOnlyHint\":false,\"destructiveHint\":false,\"idempotentHint\":false,"
                               "\"openWorldHint\":false}",
                .polkit_action = COMM_ACTION_SEND,
                /* A rule can allow a principal one user: action.lookup("user"). */
                .polkit_detail_argument = "user",
                .polkit_required = true,
                .handler = tool_notify_user,
        },
        {}
};
