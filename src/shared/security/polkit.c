/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* polkit's CheckAuthorization over sd-bus, as systemd's daemons call it, with a short memory of answers. */
#include <stdio.h>

#include "hashmap.h"
#include "list.h"
#include "log.h"
#include "time-util.h" /* now_usec() */
#include "polkit.h"

#define POLKIT_CACHE_MAX 4096U

/* CheckAuthorization's flags. */
#define POLKIT_ALLOW_USER_INTERACTION 1U

typedef struct Answer {
        char *key;
        bool allowed;
        uint64_t until;
} Answer;

struct PolkitAuthority {
        sd_bus *bus;
        sd_bus_slot *changed;
        Hashmap *answers;
        struct Pending *pending; /* questions out at polkitd */
        uint64_t n_asked, n_remembered;
};

typedef struct Pending {
        PolkitAuthority *authority;
        LIST_FIELDS(struct Pending);
        sd_bus_slot *slot;
        char *key;
        PolkitDone done;
        void *userdata;
} Pending;

static void answer_free(Answer *a) {
        if (!a)
                return;
        free(a->key);
        free(a);
}

static void answers_clear(PolkitAuthority *a) {
        Answer *answer;
        size_t i = 0;
        while (hashmap_iterate(a->answers, &i, (void **) &answer, NULL)) {
                hashmap_remove(a->answers, answer->key);
                answer_free(answer);
        }
}

static int on_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        log_debug("polkit's policy changed: forgetting remembered answers.");
        answers_clear(userdata);
        return 0;
}

int polkit_authority_new(PolkitAuthority **ret, sd_bus *bus) {
        _cleanup_(polkit_authority_freep) PolkitAuthority *a = new0(PolkitAuthority, 1);
        if (!a)
                return log_oom();
        a->bus = sd_bus_ref(bus);
        a->answers = hashmap_new();
        if (!a->answers)
                return log_oom();

        int r = sd_bus_match_signal_async(bus, &a->changed, "org.freedesktop.PolicyKit1",
                "/org/freedesktop/PolicyKit1/Authority", "org.freedesktop.PolicyKit1.Authority", "Changed", on_changed,
                NULL, a);
        if (r < 0)
                return log_error_errno(r, "Failed to watch polkit for changes: %m");

        *ret = TAKE_PTR(a);
        return 0;
}

static void pending_free(Pending *p) {
        LIST_REMOVE(p->authority->pending, p);
        sd_bus_slot_unref(p->slot);
        free(p->key);
        free(p);
}

PolkitAuthority *polkit_authority_free(PolkitAuthority *a) {
        if (!a)
                return NULL;
        /* Questions still out are dropped: their callers go away with us. */
        while (a->pending)
                pending_free(a->pending);
        answers_clear(a);
        hashmap_free(a->answers);
        sd_bus_slot_unref(a->changed);
        sd_bus_unref(a->bus);
        free(a);
        return NULL;
}

void polkit_authority_stats(PolkitAuthority *a, uint64_t *ret_asked, uint64_t *ret_remembered) {
        *ret_asked = a->n_asked;
        *ret_remembered = a->n_remembered;
}

static char *cache_key(const char *sender, const char *action, const char *const *details) {
        char *key = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&key, &size);
        if (!f)
                return NULL;
        /* Unit separators cannot occur in bus names or action ids; details are escaped by length. */
        fprintf(f, "%s\x1f%s", sender, action);
        for (const char *const *d = details; d && *d; d++)
                fprintf(f, "\x1f%zu:%s", strlen(*d), *d);
        if (fclose(f) < 0) {
                free(key);
                return NULL;
        }
        return key;
}

static void remember(PolkitAuthority *a, char *key, bool allowed) {
        if (hashmap_size(a->answers) >= POLKIT_CACHE_MAX)
                answers_clear(a);

        Answer *old = hashmap_remove(a->answers, key);
        answer_free(old);

        Answer *answer = new0(Answer, 1);
        if (!answer)
                return;
        answer->key = strdup(key);
        answer->allowed = allowed;
        answer->until = now_usec() + POLKIT_CACHE_USEC;
        if (!answer->key || hashmap_put(a->answers, answer->key, answer) < 0)
                answer_free(answer);
}

static int parse_reply(sd_bus_message *reply, bool *ret_authorized, bool *ret_challenge) {
        int authorized, challenge;
        int r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r < 0)
                return r;
        *ret_authorized = authorized;
        *ret_challenge = challenge;
        return 0;
}

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Pending *p = userdata;
        int allowed;

        const sd_bus_error *e = sd_bus_message_get_error(reply);
        if (e) {
                log_warning("Failed to ask polkit: %s: %s", e->name, strempty(e->message));
                allowed = -sd_bus_error_get_errno(e) ?: -EACCES;
        } else {
                bool authorized, challenge;
                int r = parse_reply(reply, &authorized, &challenge);
                if (r < 0) {
                        log_warning_errno(r, "Failed to read polkit's answer: %m");
                        allowed = r;
                } else {
                        allowed = authorized;
                        /* A challenge means "ask again with authentication": never remembered. */
                        if (!challenge)
                                remember(p->authority, p->key, authorized);
                }
        }

        PolkitDone done = p->done;
        void *done_userdata = p->userdata;
        pending_free(p);
        done(allowed, done_userdata);
        return 0;
}

static int append_details(sd_bus_message *m, const char *const *details) {
        int r = sd_bus_message_open_container(m, 'a', "{ss}");
        if (r < 0)
                return r;
        for (const char *const *d = details; d && d[0] && d[1]; d += 2) {
                r = sd_bus_message_append(m, "{ss}", d[0], d[1]);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

/* The subject: a bus name, or a process (pid and uid; polkitd reads the start time itself). */
typedef struct Subject {
        const char *bus_name;
        pid_t pid;
        uid_t uid;
} Subject;

static int append_subject(sd_bus_message *m, const Subject *s) {
        if (s->bus_name)
                return sd_bus_message_append(m, "(sa{sv})", "system-bus-name", 1, "name", "s", s->bus_name);
        return sd_bus_message_append(m, "(sa{sv})", "unix-process", 3, "pid", "u", (uint32_t) s->pid, "start-time", "t",
                UINT64_C(0), "uid", "i", (int32_t) s->uid);
}

static int check(PolkitAuthority *a, const Subject *subject, const char *action, const char *const *details,
        bool interactive, PolkitDone done, void *userdata) {
        assert(a);
        assert(action);
        assert(done);

        _cleanup_free_ char *who = NULL;
        if (subject->bus_name)
                who = strdup(subject->bus_name);
        else if (asprintf(&who, "process:%d:%u", (int) subject->pid, (unsigned) subject->uid) < 0)
                who = NULL;
        if (!who)
                return -ENOMEM;
        _cleanup_free_ char *key = cache_key(who, action, details);
        if (!key)
                return -ENOMEM;

        Answer *answer = hashmap_get(a->answers, key);
        if (answer && answer->until > now_usec()) {
                a->n_remembered++;
                done(answer->allowed, userdata);
                return 0;
        }

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(a->bus, &m, "org.freedesktop.PolicyKit1",
                "/org/freedesktop/PolicyKit1/Authority", "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r < 0)
                return r;
        r = append_subject(m, subject);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", action);
        if (r < 0)
                return r;
        r = append_details(m, details);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "us", interactive ? POLKIT_ALLOW_USER_INTERACTION : 0U, "");
        if (r < 0)
                return r;

        Pending *p = new0(Pending, 1);
        if (!p)
                return -ENOMEM;
        *p = (Pending){ .authority = a, .key = TAKE_PTR(key), .done = done, .userdata = userdata };

        /* Interactive authentication waits for a person: longer than the default 25 s. */
        LIST_PREPEND(a->pending, p);

        r = sd_bus_call_async(a->bus, &p->slot, m, on_reply, p, interactive ? 5 * 60 * USEC_PER_SEC : 0);
        if (r < 0) {
                pending_free(p);
                return r;
        }
        a->n_asked++;
        return 0;
}

int polkit_check(PolkitAuthority *a, const char *sender, const char *action, const char *const *details,
        bool interactive, PolkitDone done, void *userdata) {
        assert(sender);
        return check(a, &(const Subject){ .bus_name = sender }, action, details, interactive, done, userdata);
}

int polkit_check_process(PolkitAuthority *a, pid_t pid, uid_t uid, const char *action, const char *const *details,
        bool interactive, PolkitDone done, void *userdata) {
        assert(pid > 0);
        return check(a, &(const Subject){ .pid = pid, .uid = uid }, action, details, interactive, done, userdata);
}
