/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The durable outbox: ID.message (written once) and ID.state (rewritten on every change) in DIR/outbox, each
 * written to a temporary file, fsync'd, renamed into place and the directory fsync'd. A .message without its
 * .state is an acceptance that did not finish: the tool never answered, so it is removed. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <systemd/sd-id128.h>
#include <time.h>

#include "log.h"
#include "outbox.h"

#define MESSAGE_SIZE_MAX (64U * 1024U * 1024U)
#define STATE_SIZE_MAX (1024U * 1024U)

static const char *const outbox_state_table[_OUTBOX_STATE_MAX] = {
        [OUTBOX_QUEUED] = "queued",
        [OUTBOX_SENDING] = "sending",
        [OUTBOX_SENT] = "sent",
        [OUTBOX_FAILED] = "failed",
        [OUTBOX_UNKNOWN] = "unknown",
        [OUTBOX_CANCELLED] = "cancelled",
};

const char *outbox_state_to_string(OutboxState s) {
        return s >= 0 && s < _OUTBOX_STATE_MAX ? outbox_state_table[s] : NULL;
}

OutboxState outbox_state_from_string(const char *s) {
        for (OutboxState i = 0; s && i < _OUTBOX_STATE_MAX; i++)
                if (streq(s, outbox_state_table[i]))
                        return i;
        return _OUTBOX_STATE_INVALID;
}

struct Outbox {
        int dir_fd;
        char *path;
        OutboxEntry *entries;
};

static uint64_t now_realtime(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static OutboxEntry *outbox_entry_free(OutboxEntry *e) {
        if (!e)
                return NULL;
        free(e->last_error);
        free(e->smtp_reply);
        free(e->principal);
        json_object_put(e->summary);
        free(e);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(OutboxEntry *, outbox_entry_free);

Outbox *outbox_free(Outbox *o) {
        if (!o)
                return NULL;
        LIST_FOREACH(e, o->entries) {
                LIST_REMOVE(o->entries, e);
                outbox_entry_free(e);
        }
        safe_close(o->dir_fd);
        free(o->path);
        free(o);
        return NULL;
}

OutboxEntry *outbox_entries(Outbox *o) {
        return o->entries;
}

OutboxEntry *outbox_find(Outbox *o, const char *id) {
        LIST_FOREACH(e, o->entries)
        if (streq(e->id, id))
                return e;
        return NULL;
}

size_t outbox_n_pending(Outbox *o) {
        size_t n = 0;
        LIST_FOREACH(e, o->entries)
        n += e->state == OUTBOX_QUEUED || e->state == OUTBOX_SENDING;
        return n;
}

void outbox_new_id(char ret[OUTBOX_ID_LENGTH + 1]) {
        sd_id128_t id;
        if (sd_id128_randomize(&id) < 0)
                abort(); /* getrandom() does not fail once the pool is initialised */
        sd_id128_to_string(id, ret);
}

/* name atomically and durably: a temporary file, fsync, rename, fsync of the directory. */
static int write_file_atomic(Outbox *o, const char *name, const char *data, size_t size) {
        char tmp[NAME_MAX + 1];
        snprintf(tmp, sizeof(tmp), ".#%s", name);
        _cleanup_close_ int fd = openat(o->dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        for (size_t done = 0; done < size;) {
                ssize_t k = write(fd, data + done, size - done);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        int r = -errno;
                        (void) unlinkat(o->dir_fd, tmp, 0);
                        return r;
                }
                done += k;
        }
        if (fsync(fd) < 0 || renameat(o->dir_fd, tmp, o->dir_fd, name) < 0) {
                int r = -errno;
                (void) unlinkat(o->dir_fd, tmp, 0);
                return r;
        }
        if (fsync(o->dir_fd) < 0)
                return -errno;
        return 0;
}

static int read_json_file(Outbox *o, const char *name, size_t max, json_object **ret) {
        _cleanup_close_ int fd = openat(o->dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        if ((uint64_t) st.st_size > max)
                return -EFBIG;
        _cleanup_free_ char *data = malloc(st.st_size + 1);
        if (!data)
                return -ENOMEM;
        size_t done = 0;
        while (done < (size_t) st.st_size) {
                ssize_t k = read(fd, data + done, st.st_size - done);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                done += k;
        }
        const char *reason = NULL;
        int r = json_parse_strict(data, done, ret, &reason);
        return r == -EINVAL ? -EBADMSG : r;
}

static json_object *state_to_json(const OutboxEntry *e) {
        _cleanup_json_ json_object *o = json_object_new_object();
        if (!o || json_add_string(o, "id", e->id) < 0 ||
                json_add_string(o, "state", outbox_state_to_string(e->state)) < 0 ||
                json_add(o, "attempts", json_object_new_int64(e->attempts)) < 0 ||
                json_add(o, "created_usec", json_object_new_uint64(e->created_usec)) < 0 ||
                json_add(o, "updated_usec", json_object_new_uint64(e->updated_usec)) < 0 ||
                json_add(o, "queued_usec", json_object_new_uint64(e->queued_usec)) < 0 ||
                json_add(o, "next_attempt_usec", json_object_new_uint64(e->next_attempt_usec)) < 0 ||
                (e->last_error && json_add_string(o, "last_error", e->last_error) < 0) ||
                (e->smtp_reply && json_add_string(o, "smtp_reply", e->smtp_reply) < 0) ||
                (e->principal && json_add_string(o, "principal", e->principal) < 0) ||
                json_add(o, "summary", json_object_get(e->summary)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static uint64_t json_get_u64(json_object *o, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return 0;
        return json_object_get_uint64(v);
}

static int dup_string(json_object *o, const char *key, char **ret) {
        const char *s = json_get_string(o, key);
        if (s && !(*ret = strdup(s)))
                return -ENOMEM;
        return 0;
}

static int state_from_json(json_object *o, const char *id, OutboxEntry **ret) {
        _cleanup_(outbox_entry_freep) OutboxEntry *e = new0(OutboxEntry, 1);
        if (!e)
                return -ENOMEM;
        if (!streq_ptr(json_get_string(o, "id"), id))
                return -EBADMSG;
        memcpy(e->id, id, OUTBOX_ID_LENGTH + 1);
        e->state = outbox_state_from_string(json_get_string(o, "state"));
        if (e->state < 0)
                return -EBADMSG;
        e->attempts = json_get_u64(o, "attempts");
        e->created_usec = json_get_u64(o, "created_usec");
        e->updated_usec = json_get_u64(o, "updated_usec");
        e->queued_usec = json_get_u64(o, "queued_usec");
        e->next_attempt_usec = json_get_u64(o, "next_attempt_usec");
        if (dup_string(o, "last_error", &e->last_error) < 0 || dup_string(o, "smtp_reply", &e->smtp_reply) < 0 ||
                dup_string(o, "principal", &e->principal) < 0)
                return -ENOMEM;
        e->summary = json_object_get(json_get_object(o, "summary"));
        if (!e->summary)
                return -EBADMSG;
        *ret = TAKE_PTR(e);
        return 0;
}

int outbox_save(Outbox *o, OutboxEntry *e) {
        e->updated_usec = now_realtime();
        _cleanup_json_ json_object *j = state_to_json(e);
        if (!j)
                return -ENOMEM;
        const char *text = json_to_string(j);
        char name[OUTBOX_ID_LENGTH + 16];
        snprintf(name, sizeof(name), "%s.state", e->id);
        int r = write_file_atomic(o, name, text, strlen(text));
        if (r < 0)
                return log_error_errno(r, "Failed to write %s/%s: %m", o->path, name);
        return 0;
}

static int replace_string(char **s, const char *value) {
        char *copy = NULL;
        if (value && !(copy = strdup(value)))
                return -ENOMEM;
        free(*s);
        *s = copy;
        return 0;
}

int outbox_set_state(Outbox *o, OutboxEntry *e, OutboxState state, const char *error, const char *reply) {
        if (replace_string(&e->last_error, error) < 0 || replace_string(&e->smtp_reply, reply) < 0)
                return log_oom();
        e->state = state;
        return outbox_save(o, e);
}

int outbox_add(Outbox *o, const char *id, json_object *message, json_object *summary, const char *principal,
        OutboxEntry **ret) {
        _cleanup_(outbox_entry_freep) OutboxEntry *e = new0(OutboxEntry, 1);
        if (!e)
                return -ENOMEM;
        memcpy(e->id, id, OUTBOX_ID_LENGTH + 1);
        e->state = OUTBOX_QUEUED;
        e->created_usec = e->queued_usec = e->next_attempt_usec = now_realtime();
        e->summary = json_object_get(summary);
        if (principal && !(e->principal = strdup(principal)))
                return -ENOMEM;

        const char *text = json_to_string(message);
        char name[OUTBOX_ID_LENGTH + 16];
        snprintf(name, sizeof(name), "%s.message", id);
        int r = write_file_atomic(o, name, text, strlen(text));
        if (r < 0)
                return log_error_errno(r, "Failed to write %s/%s: %m", o->path, name);
        /* The .state makes the acceptance complete. */
        r = outbox_save(o, e);
        if (r < 0) {
                (void) unlinkat(o->dir_fd, name, 0);
                return r;
        }
        LIST_PREPEND(o->entries, e);
        *ret = TAKE_PTR(e);
        return 0;
}

int outbox_load_message(Outbox *o, OutboxEntry *e, json_object **ret) {
        char name[OUTBOX_ID_LENGTH + 16];
        snprintf(name, sizeof(name), "%s.message", e->id);
        int r = read_json_file(o, name, MESSAGE_SIZE_MAX, ret);
        if (r < 0)
                return log_error_errno(r, "Failed to read %s/%s: %m", o->path, name);
        return 0;
}

static bool id_is_valid(const char *s, size_t n) {
        if (n != OUTBOX_ID_LENGTH)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

static int load_entry(Outbox *o, const char *id) {
        char name[OUTBOX_ID_LENGTH + 16];
        snprintf(name, sizeof(name), "%s.state", id);
        _cleanup_json_ json_object *j = NULL;
        int r = read_json_file(o, name, STATE_SIZE_MAX, &j);
        if (r == -ENOENT) {
                /* The acceptance did not finish: nobody was told the message was taken. */
                snprintf(name, sizeof(name), "%s.message", id);
                (void) unlinkat(o->dir_fd, name, 0);
                log_info("Removed %s/%s, a message whose acceptance did not complete.", o->path, name);
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "Failed to read %s/%s, leaving it alone: %m", o->path, name);

        OutboxEntry *e = NULL;
        r = state_from_json(j, id, &e);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return log_error_errno(r, "%s/%s is not an outbox state, leaving it alone.", o->path, name);
        LIST_PREPEND(o->entries, e);

        if (e->state == OUTBOX_SENDING) {
                log_warning("Message %s was being handed to the SMTP server when aios-commd stopped: its outcome "
                            "is unknown, and it is not sent again unless comm_outbox_retry asks.",
                        e->id);
                return outbox_set_state(o, e, OUTBOX_UNKNOWN,
                        "aios-commd stopped while the SMTP server was receiving the message; it may or may not "
                        "have been delivered",
                        e->smtp_reply);
        }
        return 0;
}

int outbox_open(const char *dir, Outbox **ret) {
        _cleanup_(outbox_freep) Outbox *o = new0(Outbox, 1);
        if (!o)
                return log_oom();
        o->dir_fd = -EBADF;
        if (asprintf(&o->path, "%s/outbox", dir) < 0)
                return log_oom();
        if (mkdir(o->path, 0700) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create %s: %m", o->path);
        o->dir_fd = open(o->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (o->dir_fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", o->path);

        int fd = fcntl(o->dir_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", o->path);
        DIR *d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return log_error_errno(errno, "Failed to open %s: %m", o->path);
        }
        int r = 0;
        for (struct dirent *de; (de = readdir(d));) {
                const char *dot = strchr(de->d_name, '.');
                if (de->d_name[0] == '.' && startswith_ptr(de->d_name, ".#")) {
                        /* A temporary file of a write that did not finish. */
                        (void) unlinkat(o->dir_fd, de->d_name, 0);
                        continue;
                }
                if (!dot || !streq(dot, ".message") || !id_is_valid(de->d_name, dot - de->d_name))
                        continue;
                char id[OUTBOX_ID_LENGTH + 1];
                memcpy(id, de->d_name, OUTBOX_ID_LENGTH);
                id[OUTBOX_ID_LENGTH] = 0;
                r = load_entry(o, id);
                if (r == -ENOMEM)
                        break;
                r = 0;
        }
        closedir(d);
        if (r < 0)
                return r;
        log_info("Outbox %s: %zu messages, %zu waiting to be delivered.", o->path, ({
                size_t n = 0;
                LIST_FOREACH(e, o->entries)
                n++;
                n;
        }),
                outbox_n_pending(o));
        *ret = TAKE_PTR(o);
        return 0;
}

size_t outbox_prune(Outbox *o, uint64_t keep_usec) {
        uint64_t now = now_realtime();
        size_t n = 0;
        LIST_FOREACH(e, o->entries) {
                if (e->state == OUTBOX_QUEUED || e->state == OUTBOX_SENDING || e->updated_usec + keep_usec > now)
                        continue;
                /* The .state goes first: a .message left alone is removed as an incomplete acceptance. */
                char name[OUTBOX_ID_LENGTH + 16];
                snprintf(name, sizeof(name), "%s.state", e->id);
                if (unlinkat(o->dir_fd, name, 0) < 0 && errno != ENOENT) {
                        log_warning_errno(errno, "Failed to remove %s/%s: %m", o->path, name);
                        continue;
                }
                snprintf(name, sizeof(name), "%s.message", e->id);
                (void) unlinkat(o->dir_fd, name, 0);
                LIST_REMOVE(o->entries, e);
                outbox_entry_free(e);
                n++;
        }
        if (n > 0) {
                (void) fsync(o->dir_fd);
                log_info("Removed %zu finished messages from the outbox (KeepSec=).", n);
        }
        return n;
}

static json_object *time_to_json(uint64_t usec) {
        char buf[64];
        time_t t = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;
        if (!gmtime_r(&t, &tm))
                return NULL;
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
        return json_object_new_string(buf);
}

json_object *outbox_entry_to_json(const OutboxEntry *e) {
        _cleanup_json_ json_object *o = json_object_new_object();
        if (!o || json_add_string(o, "id", e->id) < 0 ||
                json_add_string(o, "state", outbox_state_to_string(e->state)) < 0)
                return NULL;
        json_object_object_foreach (e->summary, key, value) {
                if (json_add(o, key, json_object_get(value)) < 0)
                        return NULL;
        }
        if (json_add(o, "attempts", json_object_new_int64(e->attempts)) < 0 ||
                json_add(o, "created", time_to_json(e->created_usec)) < 0 ||
                json_add(o, "updated", time_to_json(e->updated_usec)) < 0 ||
                (e->state == OUTBOX_QUEUED && json_add(o, "next_attempt", time_to_json(e->next_attempt_usec)) < 0) ||
                (e->last_error && json_add_string(o, "last_error", e->last_error) < 0) ||
                (e->smtp_reply && json_add_string(o, "smtp_reply", e->smtp_reply) < 0) ||
                (e->principal && json_add_string(o, "principal", e->principal) < 0))
                return NULL;
        return TAKE_PTR(o);
}
