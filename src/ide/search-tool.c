/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ide_search: a regular expression (PCRE2, JIT-compiled) or a literal over a workspace's files, one match a
 * line, with context lines; .gitignore respected, binary files skipped, bounded in matches, in time and in
 * backtracking. A search that runs long streams what it finds as logging notifications. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "glob.h"
#include "job.h"
#include "mcp-request.h"
#include "schemas.h"
#include "text.h"
#include "walk.h"
#include "workspace.h"

#define LINE_SHOWN_MAX 400                      /* bytes of a matching line returned */
#define FILE_SIZE_MAX (UINT64_C(256) << 20)     /* larger files are not searched */
#define BINARY_PROBE 8192                       /* a NUL in the first bytes makes a file binary */
#define MATCH_LIMIT 5000000                     /* backtracking steps for one match attempt */
#define STREAM_AFTER_USEC (250 * USEC_PER_MSEC) /* a search running this long streams its results */
#define CONTEXT_MAX 10

#define WORKERS_MAX 4
#define QUEUE_MAX 256 /* files opened ahead of the searchers */

/* One file to search: opened by the walker (beneath the workspace, O_NOFOLLOW), searched by a worker. */
typedef struct Item {
        size_t seq; /* the walk's order, in which results are given */
        char *path;
        int fd;
        json_object *matches; /* filled by the worker */
        bool searched, skipped;
} Item;

typedef struct Search {
        IdeTask *t;
        pcre2_code *code; /* NULL: memmem() of literal */
        const char *literal;
        size_t literal_size;
        json_object *includes, *excludes;
        unsigned context, max_matches;
        uint64_t start, deadline;

        pthread_mutex_t lock;
        pthread_cond_t changed;
        Item **queue; /* waiting for a worker: a ring of QUEUE_MAX */
        size_t head, n_queued;
        bool walk_done;
        size_t n_walked; /* the walker's alone */
        Item **done;     /* searched (or skipped), in no order */
        size_t n_done, allocated_done;
        atomic_uint n_matches;
        atomic_bool truncated, timed_out, costly, failed;
} Search;

static uint64_t now_monotonic(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

static bool any_glob(json_object *globs, const char *path) {
        for (size_t i = 0; globs && i < json_object_array_length(globs); i++)
                if (ide_glob_match_path(json_object_get_string(json_object_array_get_idx(globs, i)), path))
                        return true;
        return false;
}

static void item_free(Item *i) {
        if (!i)
                return;
        free(i->path);
        safe_close(i->fd);
        json_object_put(i->matches);
        free(i);
}

/* A worker's own: its buffer and PCRE2 match data. */
typedef struct Worker {
        Search *s;
        pthread_t thread;
        char *buf;
        size_t allocated;
        pcre2_match_data *md;
        pcre2_match_context *mctx;
} Worker;

/* Reads the file into w->buf; 0 with *size, or 1 when it is skipped (binary, too large, not regular). */
static int read_item(Worker *w, Item *it, size_t *ret_size) {
        struct stat st;
        if (fstat(it->fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t) st.st_size > FILE_SIZE_MAX)
                return 1;
        size_t want = st.st_size + 1;
        if (want > w->allocated) {
                size_t a = MAX(want, w->allocated * 2);
                char *m = realloc(w->buf, a);
                if (!m)
                        return -ENOMEM;
                w->buf = m;
                w->allocated = a;
        }
        size_t size = 0;
        for (;;) {
                /* A file that grows while read is read as far as its size was. */
                ssize_t n = read(it->fd, w->buf + size, w->allocated - 1 - size);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                size += n;
                if (size == w->allocated - 1)
                        break;
        }
        if (memchr(w->buf, 0, MIN(size, (size_t) BINARY_PROBE)))
                return 1;
        *ret_size = size;
        return 0;
}

/* The next match at or after offset: its start, or -1 (none), -2 (too costly). */
static ssize_t find(Worker *w, const char *buf, size_t size, size_t offset) {
        Search *s = w->s;
        if (!s->code) {
                const char *p = memmem(buf + offset, size - offset, s->literal, s->literal_size);
                return p ? p - buf : -1;
        }
        int rc = pcre2_match(s->code, (PCRE2_SPTR) buf, size, offset, 0, w->md, w->mctx);
        if (rc == PCRE2_ERROR_NOMATCH)
                return -1;
        if (rc < 0)
                return -2;
        return pcre2_get_ovector_pointer(w->md)[0];
}

static json_object *line_string(const char *p, size_t n) {
        if (n > 0 && p[n - 1] == '\r')
                n--;
        /* Long lines (minified code) are cut, at a character boundary. */
        if (n > LINE_SHOWN_MAX) {
                n = LINE_SHOWN_MAX;
                while (n > 0 && ((unsigned char) p[n] & 0xc0) == 0x80)
                        n--;
        }
        return ide_json_string(p, n);
}

static const char *line_start(const char *buf, const char *p) {
        while (p > buf && p[-1] != '\n')
                p--;
        return p;
}

static const char *line_end(const char *p, const char *end) {
        const char *nl = memchr(p, '\n', end - p);
        return nl ?: end;
}

static int add_context(json_object *m, const char *key, const char *buf, const char *end, const char *ls,
        const char *le, unsigned n, bool before) {
        json_object *a = json_object_new_array();
        if (!a || json_add(m, key, a) < 0)
                return -ENOMEM;
        if (before) {
                /* Collect backwards, then put in order. */
                const char *starts[CONTEXT_MAX];
                unsigned k = 0;
                for (const char *p = ls; k < n && p > buf; k++)
                        p = starts[k] = line_start(buf, p - 1);
                for (unsigned i = k; i > 0; i--) {
                        const char *p = starts[i - 1];
                        if (json_object_array_add(a, line_string(p, line_end(p, end) - p)) < 0)
                                return -ENOMEM;
                }
        } else
                for (const char *p = le < end ? le + 1 : end; n > 0 && p < end; n--) {
                        const char *e = line_end(p, end);
                        if (json_object_array_add(a, line_string(p, e - p)) < 0)
                                return -ENOMEM;
                        p = e < end ? e + 1 : end;
                }
        return 0;
}

/* Takes one more match from the search's budget; false when it is spent. */
static bool take_match(Search *s) {
        unsigned n = atomic_fetch_add(&s->n_matches, 1);
        if (n < s->max_matches)
                return true;
        atomic_store(&s->truncated, true);
        return false;
}

static int search_item(Worker *w, Item *it, const char *buf, size_t size) {
        Search *s = w->s;
        const char *end = buf + size, *counted = buf;
        unsigned line = 1;
        for (size_t offset = 0; offset <= size;) {
                ssize_t at = find(w, buf, size, offset);
                if (at == -2) {
                        atomic_store(&s->costly, true);
                        break;
                }
                if (at < 0 || !take_match(s))
                        break;
                const char *p = buf + at, *ls = line_start(buf, p), *le = line_end(p, end);
                /* Line numbers count the newlines since the last match. */
                for (const char *q = counted; (q = memchr(q, '\n', ls - q)); q++)
                        line++;
                counted = ls;
                if (!it->matches && !(it->matches = json_object_new_array()))
                        return -ENOMEM;
                json_object *m = json_object_new_object();
                if (!m || json_add(m, "path", ide_json_string(it->path, strlen(it->path))) < 0 ||
                        json_add(m, "line", json_object_new_int(line)) < 0 ||
                        json_add(m, "column", json_object_new_int((int) (p - ls) + 1)) < 0 ||
                        json_add(m, "text", line_string(ls, le - ls)) < 0 ||
                        (s->context > 0 &&
                                (add_context(m, "before", buf, end, ls, le, s->context, true) < 0 ||
                                        add_context(m, "after", buf, end, ls, le, s->context, false) < 0)) ||
                        json_object_array_add(it->matches, m) < 0) {
                        json_object_put(m);
                        return -ENOMEM;
                }
                /* One match a line: go on after this line. */
                offset = (size_t) (le - buf) + 1;
        }
        return 0;
}

static bool search_should_stop(Search *s) {
        if (atomic_load(&s->truncated) || atomic_load(&s->failed) || atomic_load(&s->timed_out))
                return true;
        if (ide_job_cancelled(s->t->job) || now_monotonic() > s->deadline) {
                if (!ide_job_cancelled(s->t->job))
                        atomic_store(&s->timed_out, true);
                return true;
        }
        return false;
}

static void *worker_run(void *userdata) {
        Worker *w = userdata;
        Search *s = w->s;
        for (;;) {
                pthread_mutex_lock(&s->lock);
                while (s->n_queued == 0 && !s->walk_done)
                        pthread_cond_wait(&s->changed, &s->lock);
                if (s->n_queued == 0) {
                        pthread_mutex_unlock(&s->lock);
                        return NULL;
                }
                Item *it = s->queue[s->head];
                s->head = (s->head + 1) % QUEUE_MAX;
                s->n_queued--;
                pthread_cond_broadcast(&s->changed);
                pthread_mutex_unlock(&s->lock);

                int r = 0;
                size_t size = 0;
                if (!search_should_stop(s)) {
                        r = read_item(w, it, &size);
                        if (r == 0) {
                                r = search_item(w, it, w->buf, size);
                                it->searched = true;
                        } else if (r > 0)
                                it->skipped = true;
                }
                it->fd = safe_close(it->fd);
                if (r < 0)
                        atomic_store(&s->failed, true);
                /* A long search shows what it finds as it goes. */
                if (it->matches && ide_job_streams(s->t->job) && now_monotonic() - s->start > STREAM_AFTER_USEC) {
                        json_object *item = json_object_new_object();
                        if (item &&
                                (json_add_string(item, "path",
                                         json_get_string(json_object_array_get_idx(it->matches, 0), "path")) < 0 ||
                                        json_add(item, "matches", json_object_get(it->matches)) < 0))
                                item = (json_object_put(item), NULL);
                        /* The copy the notification takes must not share the item's objects across threads. */
                        json_object *copy = NULL;
                        if (item && json_object_deep_copy(item, &copy, NULL) == 0)
                                ide_job_emit(s->t->job, copy, atomic_load(&s->n_matches));
                        json_object_put(item);
                }
                pthread_mutex_lock(&s->lock);
                if (s->n_done == s->allocated_done) {
                        size_t a = s->allocated_done * 2 + 256;
                        Item **m = realloc(s->done, a * sizeof(Item *));
                        if (!m) {
                                atomic_store(&s->failed, true);
                                pthread_mutex_unlock(&s->lock);
                                item_free(it);
                                continue;
                        }
                        s->done = m;
                        s->allocated_done = a;
                }
                s->done[s->n_done++] = it;
                pthread_mutex_unlock(&s->lock);
        }
}

static int visit_search(const IdeWalkEntry *e, void *userdata) {
        Search *s = userdata;
        if (any_glob(s->excludes, e->path))
                return IDE_WALK_SKIP;
        if (e->type != DT_REG)
                return 0;
        if (s->includes && json_object_array_length(s->includes) > 0 && !any_glob(s->includes, e->path))
                return 0;
        if (search_should_stop(s))
                return ide_job_cancelled(s->t->job) ? -ECANCELED : IDE_WALK_STOP;

        Item *it = new0(Item, 1);
        if (!it)
                return -ENOMEM;
        it->fd = openat(e->dirfd, e->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        it->path = strdup(e->path);
        if (it->fd < 0 || !it->path) {
                bool oom = !it->path;
                item_free(it);
                return oom ? -ENOMEM : 0;
        }
        pthread_mutex_lock(&s->lock);
        while (s->n_queued == QUEUE_MAX)
                pthread_cond_wait(&s->changed, &s->lock);
        it->seq = s->n_walked++;
        s->queue[(s->head + s->n_queued) % QUEUE_MAX] = it;
        s->n_queued++;
        pthread_cond_broadcast(&s->changed);
        pthread_mutex_unlock(&s->lock);
        return 0;
}

static int compile(Search *s, const char *pattern, bool literal, bool caseless, char **ret_error) {
        uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
        if (literal)
                options |= PCRE2_LITERAL;
        else
                options |= PCRE2_MULTILINE;
        if (caseless)
                options |= PCRE2_CASELESS;
        int error;
        PCRE2_SIZE at;
        s->code = pcre2_compile((PCRE2_SPTR) pattern, PCRE2_ZERO_TERMINATED, options, &error, &at, NULL);
        if (!s->code) {
                PCRE2_UCHAR message[256];
                pcre2_get_error_message(error, message, sizeof(message));
                if (asprintf(ret_error, "The pattern does not compile at offset %zu: %s.", (size_t) at,
                            (const char *) message) < 0)
                        *ret_error = NULL;
                return -EINVAL;
        }
        /* Without the JIT (an architecture without one) the interpreter runs, slower but the same. */
        (void) pcre2_jit_compile(s->code, PCRE2_JIT_COMPLETE);
        return 0;
}

static int worker_init(Worker *w, Search *s) {
        *w = (Worker){ .s = s };
        if (!s->code)
                return 0;
        w->md = pcre2_match_data_create_from_pattern(s->code, NULL);
        w->mctx = pcre2_match_context_create(NULL);
        if (!w->md || !w->mctx)
                return -ENOMEM;
        pcre2_set_match_limit(w->mctx, MATCH_LIMIT);
        pcre2_set_depth_limit(w->mctx, 100000);
        return 0;
}

static void worker_done(Worker *w) {
        pcre2_match_data_free(w->md);
        pcre2_match_context_free(w->mctx);
        free(w->buf);
}

static int item_compare(const void *a, const void *b) {
        const Item *x = *(Item *const *) a, *y = *(Item *const *) b;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void search_done(Search *s) {
        for (size_t i = 0; i < s->n_queued; i++)
                item_free(s->queue[(s->head + i) % QUEUE_MAX]);
        for (size_t i = 0; i < s->n_done; i++)
                item_free(s->done[i]);
        free(s->queue);
        free(s->done);
        pcre2_code_free(s->code);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->changed);
}

/* The walk feeds the workers (the job's thread walks, opening each file beneath its directory; the workers
 * read and match), then the answer is put together in the walk's order. */
static int search_run(Search *s, IdeWorkspace *ws, const char *start, const IdeWalkOptions *o) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        size_t n = (size_t) MIN(MAX(cpus, 1L), (long) WORKERS_MAX);
        Worker workers[WORKERS_MAX];
        size_t started = 0;
        int r = 0;
        for (; started < n; started++) {
                r = worker_init(&workers[started], s);
                if (r >= 0)
                        r = -pthread_create(&workers[started].thread, NULL, worker_run, &workers[started]);
                if (r < 0) {
                        worker_done(&workers[started]);
                        break;
                }
        }
        if (started == 0)
                return r;
        r = ide_walk(ws, start, o, s->t->job, visit_search, s);
        if (r == -ENOTDIR) {
                /* A file: search it alone. */
                const char *name;
                _cleanup_close_ int dir = ide_open_parent(ws, start, false, &name);
                IdeWalkEntry e = { start, name, dir, DT_REG, 1 };
                r = dir < 0 ? dir : visit_search(&e, s);
                r = r == IDE_WALK_STOP ? 0 : r;
        }
        pthread_mutex_lock(&s->lock);
        s->walk_done = true;
        pthread_cond_broadcast(&s->changed);
        pthread_mutex_unlock(&s->lock);
        for (size_t i = 0; i < started; i++) {
                (void) pthread_join(workers[i].thread, NULL);
                worker_done(&workers[i]);
        }
        if (r >= 0 && atomic_load(&s->failed))
                r = -ENOMEM;
        qsort(s->done, s->n_done, sizeof(Item *), item_compare);
        return r;
}

static int work_search(IdeTask *t) {
        json_object *a = t->arguments;
        const char *pattern = json_get_string(a, "pattern");
        bool literal = json_get_bool(a, "literal", false), caseless = json_get_bool(a, "case_insensitive", false);
        _cleanup_free_ char *start = NULL, *text = NULL, *error = NULL;
        const char *reason;
        if (ide_path_normalize(json_get_string(a, "path"), &start, &reason) < 0)
                return -ENOMEM;

        json_object *v = NULL;
        unsigned context = 0, max = t->config->max_results;
        uint64_t timeout = t->config->search_time_usec;
        if (json_object_object_get_ex(a, "context", &v))
                context = MIN((unsigned) MAX(json_object_get_int(v), 0), (unsigned) CONTEXT_MAX);
        if (json_object_object_get_ex(a, "max_matches", &v) && json_object_get_int(v) > 0)
                max = MIN((unsigned) json_object_get_int(v), max);
        if (json_object_object_get_ex(a, "timeout_ms", &v) && json_object_get_int64(v) > 0)
                timeout = MIN((uint64_t) json_object_get_int64(v) * USEC_PER_MSEC, timeout);

        uint64_t now = now_monotonic();
        _cleanup_(search_done) Search s = {
                .t = t,
                .literal = pattern,
                .literal_size = strlen(pattern),
                .includes = json_get_array(a, "include"),
                .excludes = json_get_array(a, "exclude"),
                .context = context,
                .max_matches = max,
                .start = now,
                .deadline = now + timeout,
                .lock = PTHREAD_MUTEX_INITIALIZER,
                .changed = PTHREAD_COND_INITIALIZER,
                .queue = new0(Item *, QUEUE_MAX),
        };
        if (!s.queue)
                return -ENOMEM;
        /* A case-sensitive literal is found by memmem(); everything else by PCRE2. */
        if (!literal || caseless) {
                int r = compile(&s, pattern, literal, caseless, &error);
                if (r == -EINVAL) {
                        ide_job_set_error(t->job, "%s", error ?: "The pattern does not compile.");
                        return 0;
                }
                if (r < 0)
                        return r;
        }
        IdeWalkOptions o = {
                .gitignore = json_get_bool(a, "gitignore", true),
                .hidden = json_get_bool(a, "hidden", true),
        };
        int r = search_run(&s, t->ws, start, &o);
        if (r == -ECANCELED || r == -ENOMEM)
                return r;
        if (r < 0) {
                ide_job_set_error(t->job, "%s cannot be searched: %s.", start, ide_errno_text(r));
                return 0;
        }

        size_t text_size = 0;
        _cleanup_(fclosep) FILE *f = open_memstream(&text, &text_size);
        _cleanup_json_ json_object *matches = json_object_new_array();
        if (!f || !matches)
                return -ENOMEM;
        unsigned searched = 0, matched = 0, skipped = 0;
        for (size_t i = 0; i < s.n_done; i++) {
                Item *it = s.done[i];
                searched += it->searched;
                skipped += it->skipped;
                matched += it->matches != NULL;
                for (size_t j = 0; it->matches && j < json_object_array_length(it->matches); j++) {
                        json_object *m = json_object_array_get_idx(it->matches, j);
                        const char *path = json_get_string(m, "path");
                        int line = json_object_get_int(json_get_object(m, "line"));
                        json_object *before = json_get_array(m, "before"), *after = json_get_array(m, "after");
                        size_t nb = before ? json_object_array_length(before) : 0;
                        for (size_t k = 0; k < nb; k++)
                                fprintf(f, "%s-%zu-%s\n", path, line - nb + k,
                                        json_object_get_string(json_object_array_get_idx(before, k)));
                        fprintf(f, "%s:%d:%s\n", path, line, json_get_string(m, "text"));
                        for (size_t k = 0; after && k < json_object_array_length(after); k++)
                                fprintf(f, "%s-%zu-%s\n", path, line + 1 + k,
                                        json_object_get_string(json_object_array_get_idx(after, k)));
                        if (json_object_array_add(matches, json_object_get(m)) < 0)
                                return -ENOMEM;
                }
        }
        uint64_t elapsed = now_monotonic() - s.start;
        bool truncated = atomic_load(&s.truncated), timed_out = atomic_load(&s.timed_out),
             costly = atomic_load(&s.costly);
        if (json_object_array_length(matches) == 0)
                fputs("No match.\n", f);
        if (truncated)
                fprintf(f,
                        "... (the search stopped at %u matches: narrow it with path, include or a more precise "
                        "pattern)\n",
                        s.max_matches);
        if (timed_out)
                fprintf(f, "... (the search stopped after %" PRIu64 " ms: its time bound)\n",
                        (uint64_t) (elapsed / USEC_PER_MSEC));
        if (costly)
                fputs("... (the pattern backtracks too much on some files, which were not searched to their end; "
                      "simplify it)\n",
                        f);
        if (fflush(f) != 0)
                return -ENOMEM;
        _cleanup_json_ json_object *o_json = json_object_new_object();
        if (!o_json || json_add(o_json, "matches", TAKE_PTR(matches)) < 0 ||
                json_add(o_json, "files_searched", json_object_new_int(searched)) < 0 ||
                json_add(o_json, "files_matched", json_object_new_int(matched)) < 0 ||
                json_add(o_json, "files_skipped", json_object_new_int(skipped)) < 0 ||
                json_add(o_json, "truncated", json_object_new_boolean(truncated)) < 0 ||
                json_add(o_json, "timed_out", json_object_new_boolean(timed_out)) < 0 ||
                json_add(o_json, "backtrack_limited", json_object_new_boolean(costly)) < 0 ||
                json_add(o_json, "elapsed_ms", json_object_new_int64(elapsed / USEC_PER_MSEC)) < 0)
                return -ENOMEM;
        ide_job_set_result(t->job, TAKE_PTR(o_json), text);
        return 0;
}

static int tool_search(McpRequest *req, json_object *arguments) {
        return ide_call(req, arguments, IDE_ACTION_READ, (const char *const[]){ "path", NULL }, work_search);
}

const McpTool ide_search_tools[] = {
        { .name = "ide_search",
                .title = "Search file contents",
                .description =
                        "Searches the files of a workspace (or of path in it) for a regular expression (PCRE2 "
                        "syntax; ^ and $ match at lines) or, with literal, a plain string; one match a line, with "
                        "its line and column, and context lines before and after. include and exclude globs choose "
                        "files (\"*.c\", \"src/**\"); .gitignore is respected unless gitignore is false; binary "
                        "files are skipped. Bounded by max_matches, by timeout_ms and by the server's limits; a "
                        "pattern that backtracks without end is cut off. A long search streams its matches as "
                        "logging notifications while it runs.",
                .input_schema = ide_schema_ide_search_input,
                .output_schema = ide_schema_ide_search_output,
                .annotations = "{\"readOnlyHint\":true,\"openWorldHint\":false}",
                .polkit_action = IDE_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_search },
        {}
};
