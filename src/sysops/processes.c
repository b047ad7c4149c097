/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-sysopsd: system_processes, from /proc/PID/{stat,status,cmdline}. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pwd.h>
#include <stdio.h>
#include <time.h>

#include "mcp-request.h"
#include "schemas.h"
#include "sysops-util.h"
#include "sysops.h"

/* Bounds: /proc entries looked at, and the length of a command line in an answer. */
#define PROC_ENTRIES_MAX 65536U
#define COMMAND_LINE_MAX 1024U
#define USER_CACHE_MAX 64U

typedef enum StateFilter {
        STATE_ANY,
        STATE_RUNNING,
        STATE_SLEEPING,
        STATE_STOPPED,
        STATE_ZOMBIE,
} StateFilter;

typedef enum SortKey {
        SORT_CPU,
        SORT_MEMORY,
        SORT_PID,
        SORT_NAME,
} SortKey;

typedef struct Process {
        pid_t pid, ppid;
        uid_t uid;
        char state;
        bool kernel_thread;
        char comm[64];
        unsigned long long cpu_ticks, start_ticks;
        uint64_t rss_bytes;
        long threads;
        double cpu_percent;
} Process;

typedef struct Query {
        SortKey sort;
        StateFilter state;
        size_t limit;
        bool by_user;
        uid_t uid;
        const char *name;
        bool name_is_glob;
} Query;

/* Reads what fits of a /proc file relative to the process's directory, NUL-terminated. Returns the length or a
 * negative errno (ENOENT, ESRCH: the process is gone). */
static ssize_t read_at(int dir_fd, const char *file, char *buf, size_t size) {
        _cleanup_close_ int fd = openat(dir_fd, file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        size_t n = 0;
        while (n + 1 < size) {
                ssize_t k = read(fd, buf + n, size - 1 - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = 0;
        return (ssize_t) n;
}

/* /proc/PID/stat: "pid (comm) state ppid ... flags ... utime stime ... num_threads ... starttime vsize rss ...".
 * comm may hold anything, spaces and parentheses included: it ends at the last ')'. */
static int parse_stat(const char *text, Process *p, long page_size) {
        const char *open = strchr(text, '('), *close = strrchr(text, ')');
        if (!open || !close || close < open)
                return -EBADMSG;
        size_t len = MIN((size_t) (close - open - 1), sizeof(p->comm) - 1);
        memcpy(p->comm, open + 1, len);
        p->comm[len] = 0;

        unsigned flags;
        unsigned long long utime, stime, start;
        long threads, rss;
        if (sscanf(close + 1,
                    " %c %d %*d %*d %*d %*d %u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %ld %*d %llu %*u %ld",
                    &p->state, &p->ppid, &flags, &utime, &stime, &threads, &start, &rss) != 8)
                return -EBADMSG;
        p->kernel_thread = flags & 0x00200000U; /* PF_KTHREAD */
        p->cpu_ticks = utime + stime;
        p->start_ticks = start;
        p->threads = threads;
        p->rss_bytes = rss > 0 ? (uint64_t) rss * (uint64_t) page_size : 0;
        return 0;
}

/* The effective uid from /proc/PID/status ("Uid:\treal\teffective\tsaved\tfs"), as ps shows it. */
static int parse_status_uid(const char *text, uid_t *ret) {
        const char *line = strstr(text, "\nUid:");
        unsigned real, effective;
        if (!line || sscanf(line + 5, "%u %u", &real, &effective) != 2)
                return -EBADMSG;
        *ret = effective;
        return 0;
}

static bool state_matches(StateFilter filter, char state) {
        switch (filter) {
        case STATE_ANY:
                return true;
        case STATE_RUNNING:
                return state == 'R';
        case STATE_SLEEPING:
                return state == 'S' || state == 'D' || state == 'I';
        case STATE_STOPPED:
                return state == 'T' || state == 't';
        case STATE_ZOMBIE:
                return state == 'Z' || state == 'X';
        }
        return false;
}

static const char *state_name(char state) {
        switch (state) {
        case 'R':
                return "running";
        case 'S':
                return "sleeping";
        case 'D':
                return "disk-sleep";
        case 'I':
                return "idle";
        case 'T':
                return "stopped";
        case 't':
                return "tracing-stop";
        case 'Z':
                return "zombie";
        case 'X':
                return "dead";
        case 'P':
                return "parked";
        default:
                return "unknown";
        }
}

static bool name_matches(const Query *q, const char *name) {
        if (q->name_is_glob)
                return fnmatch(q->name, name, 0) == 0;
        return strstr(name, q->name) != NULL;
}

/* The command line's first word without its directory: what the name filter also looks at, since comm is cut at
 * 15 characters. */
static void argv0_basename(int dir_fd, char *buf, size_t size) {
        char cmdline[COMMAND_LINE_MAX + 1];
        buf[0] = 0;
        if (read_at(dir_fd, "cmdline", cmdline, sizeof(cmdline)) <= 0)
                return;
        const char *slash = strrchr(cmdline, '/');
        snprintf(buf, size, "%s", slash ? slash + 1 : cmdline);
}

/* Reads one process. 0: read (and *ret filled), -ENOENT/-ESRCH: gone meanwhile, other negative errno: unreadable. */
static int process_read(int proc_fd, const char *pid_text, long page_size, const Query *q, Process *ret,
        bool *ret_match) {
        _cleanup_close_ int dir_fd = openat(proc_fd, pid_text, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;

        char buf[4096];
        Process p = { .pid = (pid_t) strtol(pid_text, NULL, 10) };
        ssize_t n = read_at(dir_fd, "stat", buf, sizeof(buf));
        if (n < 0)
                return (int) n;
        if (n == 0)
                return -ESRCH;
        int r = parse_stat(buf, &p, page_size);
        if (r < 0)
                return r;
        n = read_at(dir_fd, "status", buf, sizeof(buf));
        if (n < 0)
                return (int) n;
        r = parse_status_uid(buf, &p.uid);
        if (r < 0)
                return r;

        bool match = state_matches(q->state, p.state) && (!q->by_user || p.uid == q->uid);
        if (match && q->name) {
                char argv0[COMMAND_LINE_MAX + 1];
                argv0_basename(dir_fd, argv0, sizeof(argv0));
                match = name_matches(q, p.comm) || (argv0[0] && name_matches(q, argv0));
        }
        *ret = p;
        *ret_match = match;
        return 0;
}

static int compare_pid(const Process *a, const Process *b) {
        return (a->pid > b->pid) - (a->pid < b->pid);
}

static int compare_cpu(const void *x, const void *y) {
        const Process *a = x, *b = y;
        if (a->cpu_percent != b->cpu_percent)
                return a->cpu_percent < b->cpu_percent ? 1 : -1;
        return compare_pid(a, b);
}

static int compare_memory(const void *x, const void *y) {
        const Process *a = x, *b = y;
        if (a->rss_bytes != b->rss_bytes)
                return a->rss_bytes < b->rss_bytes ? 1 : -1;
        return compare_pid(a, b);
}

static int compare_pid_qsort(const void *x, const void *y) {
        return compare_pid(x, y);
}

static int compare_name(const void *x, const void *y) {
        const Process *a = x, *b = y;
        int c = strcmp(a->comm, b->comm);
        return c != 0 ? c : compare_pid(a, b);
}

/* User names, looked up once per uid and call: NSS may be slow (a remote directory), so never twice. */
typedef struct UserCache {
        size_t n;
        struct {
                uid_t uid;
                char *name; /* NULL: no such user */
        } entries[USER_CACHE_MAX];
} UserCache;

static void user_cache_done(UserCache *c) {
        for (size_t i = 0; i < c->n; i++)
                free(c->entries[i].name);
        c->n = 0;
}

static char *user_lookup(uid_t uid) {
        struct passwd pw, *found = NULL;
        char buf[16384];
        if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) != 0 || !found)
                return NULL;
        return strdup(found->pw_name);
}

/* Returns the name (owned by the cache, or by *ret_owned when the cache is full), or NULL when unknown. */
static const char *user_cache_get(UserCache *c, uid_t uid, char **ret_owned) {
        for (size_t i = 0; i < c->n; i++)
                if (c->entries[i].uid == uid)
                        return c->entries[i].name;
        char *name = user_lookup(uid);
        if (c->n < USER_CACHE_MAX) {
                c->entries[c->n].uid = uid;
                c->entries[c->n].name = name;
                c->n++;
                return name;
        }
        *ret_owned = name;
        return name;
}

/* The command line with NULs as spaces, cut at COMMAND_LINE_MAX bytes (on a character boundary); a kernel
 * thread's (empty) one is "[comm]" as ps shows it. */
static int command_line_json(int proc_fd, const Process *p, json_object **ret, bool *ret_truncated) {
        char pid_text[32], path[64], buf[COMMAND_LINE_MAX + 2];
        snprintf(pid_text, sizeof(pid_text), "%d", (int) p->pid);
        snprintf(path, sizeof(path), "%s/cmdline", pid_text);

        _cleanup_close_ int fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        ssize_t n = 0;
        if (fd >= 0) {
                while ((size_t) n < COMMAND_LINE_MAX + 1) {
                        ssize_t k = read(fd, buf + n, COMMAND_LINE_MAX + 1 - (size_t) n);
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k <= 0)
                                break;
                        n += k;
                }
        }

        bool truncated = (size_t) n > COMMAND_LINE_MAX;
        if (truncated) {
                n = COMMAND_LINE_MAX;
                /* Do not cut a UTF-8 sequence in two. */
                for (int back = 0; back < 3 && n > 0 && ((unsigned char) buf[n] & 0xc0) == 0x80; back++)
                        n--;
        }
        for (ssize_t i = 0; i < n; i++)
                if (buf[i] == 0)
                        buf[i] = ' ';
        while (n > 0 && buf[n - 1] == ' ')
                n--;

        if (n == 0) {
                char bracketed[sizeof(p->comm) + 2];
                snprintf(bracketed, sizeof(bracketed), "[%s]", p->comm);
                *ret = sysops_json_string_clean(bracketed, strlen(bracketed));
        } else
                *ret = sysops_json_string_clean(buf, (size_t) n);
        *ret_truncated = truncated;
        return *ret ? 0 : -ENOMEM;
}

static int process_to_json(int proc_fd, const Process *p, UserCache *users, uint64_t boot_usec, long ticks,
        json_object **ret) {
        _cleanup_free_ char *owned_name = NULL;
        const char *user = user_cache_get(users, p->uid, &owned_name);
        char start[SYSOPS_TIMESTAMP_MAX];
        json_object *command = NULL;
        bool truncated = false;

        int r = command_line_json(proc_fd, p, &command, &truncated);
        if (r < 0)
                return r;

        _cleanup_json_ json_object *o = json_object_new_object();
        if (!o) {
                json_object_put(command);
                return -ENOMEM;
        }
        if (json_add(o, "command", command) < 0 || json_add(o, "pid", json_object_new_int64(p->pid)) < 0 ||
                json_add(o, "ppid", json_object_new_int64(p->ppid)) < 0 ||
                json_add(o, "uid", json_object_new_int64(p->uid)) < 0 ||
                json_object_object_add(o, "user", user ? sysops_json_string_clean(user, strlen(user)) : NULL) < 0 ||
                json_add(o, "name", sysops_json_string_clean(p->comm, strlen(p->comm))) < 0 ||
                json_add(o, "command_truncated", json_object_new_boolean(truncated)) < 0 ||
                json_add_string(o, "state", state_name(p->state)) < 0 ||
                json_add(o, "state_code", json_object_new_string_len(&p->state, 1)) < 0 ||
                json_add(o, "threads", json_object_new_int64(p->threads)) < 0 ||
                json_add(o, "rss_bytes", json_object_new_uint64(p->rss_bytes)) < 0 ||
                json_add(o, "cpu_seconds", sysops_json_number((double) p->cpu_ticks / (double) ticks, 2)) < 0 ||
                json_add(o, "cpu_percent", sysops_json_number(p->cpu_percent, 1)) < 0 ||
                json_add_string(o, "start_time",
                        sysops_format_timestamp(start,
                                boot_usec + p->start_ticks * USEC_PER_SEC / (unsigned long long) ticks, false)) < 0 ||
                json_add(o, "kernel_thread", json_object_new_boolean(p->kernel_thread)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}

/* fnmatch() takes anything; an unclosed bracket or a trailing backslash is surely a mistake, so say so. */
static const char *glob_problem(const char *pattern) {
        for (const char *p = pattern; *p; p++) {
                if (*p == '\\') {
                        if (!p[1])
                                return "it ends with a lone backslash";
                        p++;
                } else if (*p == '[') {
                        const char *q = p + 1;
                        if (*q == '!' || *q == '^')
                                q++;
                        if (*q == ']')
                                q++;
                        while (*q && *q != ']')
                                q++;
                        if (!*q)
                                return "a '[' is never closed by ']'";
                        p = q;
                }
        }
        return NULL;
}

static int parse_query(McpRequest *req, json_object *args, Query *q) {
        static const char *const
                sorts[] = { [SORT_CPU] = "cpu", [SORT_MEMORY] = "memory", [SORT_PID] = "pid", [SORT_NAME] = "name" };
        static const char *const states[] = {
                [STATE_ANY] = "any",
                [STATE_RUNNING] = "running",
                [STATE_SLEEPING] = "sleeping",
                [STATE_STOPPED] = "stopped",
                [STATE_ZOMBIE] = "zombie",
        };
        json_object *v;

        *q = (Query){ .sort = SORT_CPU, .state = STATE_ANY, .limit = 50 };
        const char *sort = json_get_string(args, "sort"), *state = json_get_string(args, "state");
        for (size_t i = 0; sort && i < ELEMENTSOF(sorts); i++)
                if (streq(sort, sorts[i]))
                        q->sort = (SortKey) i;
        for (size_t i = 0; state && i < ELEMENTSOF(states); i++)
                if (streq(state, states[i]))
                        q->state = (StateFilter) i;
        if (json_object_object_get_ex(args, "limit", &v))
                q->limit = (size_t) json_object_get_int64(v);

        const char *user = json_get_string(args, "user");
        if (user) {
                struct passwd pw, *found = NULL;
                char buf[16384];
                if (getpwnam_r(user, &pw, buf, sizeof(buf), &found) == 0 && found)
                        q->uid = found->pw_uid;
                else if (user[strspn(user, "0123456789")] == 0 && strlen(user) < 11)
                        q->uid = (uid_t) strtoul(user, NULL, 10);
                else {
                        (void) mcp_request_reply_tool_error(req, "No user is named \"%s\" on this system.", user);
                        return 0;
                }
                q->by_user = true;
        }

        q->name = json_get_string(args, "name");
        if (q->name) {
                q->name_is_glob = strpbrk(q->name, "*?[") != NULL;
                const char *problem = q->name_is_glob ? glob_problem(q->name) : NULL;
                if (problem) {
                        (void) mcp_request_reply_tool_error(req,
                                "The name pattern \"%s\" is malformed: %s. Use a plain substring, or a glob with *, ? and [...].",
                                q->name, problem);
                        return 0;
                }
        }
        return 1;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);
typedef struct Scan {
        Process *matched;
        size_t n_matched, allocated, total;
        bool truncated;
        uint64_t boot_usec;
        long ticks, page_size;
} Scan;

static void scan_done(Scan *s) {
        s->matched = mfree(s->matched);
}

static int scan_add(Scan *s, const Process *p) {
        if (s->n_matched == s->allocated) {
                size_t bigger = s->allocated ? s->allocated * 2 : 256;
                Process *a = realloc(s->matched, bigger * sizeof(Process));
                if (!a)
                        return -ENOMEM;
                s->matched = a;
                s->allocated = bigger;
        }
        s->matched[s->n_matched++] = *p;
        return 0;
}

/* Reads every process in /proc (at most PROC_ENTRIES_MAX entries), keeping those that match. */
static int scan_proc(DIR *proc, const Query *q, Scan *s) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t now = (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000U;

        size_t entries = 0;
        for (;;) {
                errno = 0;
                struct dirent *de = readdir(proc);
                if (!de) {
                        if (errno != 0)
                                return -errno;
                        break;
                }
                if (++entries > PROC_ENTRIES_MAX) {
                        s->truncated = true;
                        break;
                }
                if (!isdigit((unsigned char) de->d_name[0]))
                        continue;

                Process p;
                bool match = false;
                if (process_read(dirfd(proc), de->d_name, s->page_size, q, &p, &match) < 0)
                        continue; /* gone meanwhile, or not ours to read */
                s->total++;
                if (!match)
                        continue;

                uint64_t started = s->boot_usec + p.start_ticks * USEC_PER_SEC / (unsigned long long) s->ticks;
                double lifetime = now > started ? (double) (now - started) / USEC_PER_SEC : 0;
                double cpu = (double) p.cpu_ticks / (double) s->ticks;
                p.cpu_percent = lifetime > 0 ? MIN(cpu * 100.0 / lifetime, 100.0 * (double) MAX(p.threads, 1L)) : 0;
                int r = scan_add(s, &p);
                if (r < 0)
                        return r;
        }
        return 0;
}

static char *processes_summary(const Scan *s, size_t returned) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        _cleanup_(fclosep) FILE *f = open_memstream(&text, &size);
        if (!f)
                return NULL;
        fprintf(f, "%zu processes, %zu matching, %zu shown", s->total, s->n_matched, returned);
        for (size_t i = 0; i < returned && i < 10; i++) {
                const Process *p = &s->matched[i];
                fprintf(f, "%s%d %s (%s, cpu %.1f%%, rss %llu KiB)", i == 0 ? ": " : "; ", (int) p->pid, p->comm,
                        state_name(p->state), p->cpu_percent, (unsigned long long) (p->rss_bytes / 1024));
        }
        if (returned > 10)
                fputs("; ...", f);
        if (fclose(TAKE_PTR(f)) != 0)
                return NULL;
        return TAKE_PTR(text);
}

static int tool_system_processes(McpRequest *req, json_object *args) {
        static int (*const compare[])(const void *, const void *) = {
                [SORT_CPU] = compare_cpu,
                [SORT_MEMORY] = compare_memory,
                [SORT_PID] = compare_pid_qsort,
                [SORT_NAME] = compare_name,
        };
        Query q;
        int r = parse_query(req, args, &q);
        if (r <= 0)
                return r;

        _cleanup_(scan_done) Scan s = { .ticks = sysconf(_SC_CLK_TCK), .page_size = sysconf(_SC_PAGESIZE) };
        if (s.ticks <= 0 || s.page_size <= 0)
                return -EINVAL;
        r = sysops_boot_time_usec(&s.boot_usec);
        if (r < 0)
                return mcp_request_reply_tool_error(req, "Cannot read /proc/uptime: %s", strerror(-r));

        _cleanup_(closedirp) DIR *proc = opendir("/proc");
        if (!proc)
                return mcp_request_reply_tool_error(req, "Cannot read /proc: %s", strerror(errno));
        r = scan_proc(proc, &q, &s);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return mcp_request_reply_tool_error(req, "Cannot read /proc: %s", strerror(-r));
        if (s.n_matched > 0)
                qsort(s.matched, s.n_matched, sizeof(Process), compare[q.sort]);

        _cleanup_json_ json_object *list = json_object_new_array();
        _cleanup_(user_cache_done) UserCache users = {};
        if (!list)
                return -ENOMEM;
        size_t returned = MIN(s.n_matched, q.limit);
        for (size_t i = 0; i < returned; i++) {
                json_object *o = NULL;
                r = process_to_json(dirfd(proc), &s.matched[i], &users, s.boot_usec, s.ticks, &o);
                if (r < 0)
                        return r;
                if (json_object_array_add(list, o) < 0) {
                        json_object_put(o);
                        return -ENOMEM;
                }
        }

        _cleanup_free_ char *summary = processes_summary(&s, returned);
        _cleanup_json_ json_object *result = json_object_new_object();
        if (!summary || !result || json_add(result, "processes", TAKE_PTR(list)) < 0 ||
                json_add(result, "total", json_object_new_int64((int64_t) s.total)) < 0 ||
                json_add(result, "matched", json_object_new_int64((int64_t) s.n_matched)) < 0 ||
                json_add(result, "returned", json_object_new_int64((int64_t) returned)) < 0 ||
                json_add(result, "scan_truncated", json_object_new_boolean(s.truncated)) < 0)
                return -ENOMEM;
        return sysops_reply_structured(req, summary, TAKE_PTR(result));
}

const McpTool sysops_process_tools[] = {
        { .name = "system_processes",
                .title = "Processes",
                .description =
                        "Running processes with pid, parent, user, command line, state, threads, resident memory, CPU time "
                        "and start time, sorted by CPU use, memory, pid or name, filtered by user, command name (substring "
                        "or glob) and state. Reports how many processes exist and how many match besides the ones returned.",
                .input_schema = sysops_schema_system_processes_input,
                .output_schema = sysops_schema_system_processes_output,
                .annotations = "{\"readOnlyHint\":true,\"openWorldHint\":false}",
                .polkit_action = SYSOPS_ACTION_READ,
                .handler = tool_system_processes },
        {}
};
