/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ide_search: a regular expression (PCRE2, JIT-compiled) or a literal over a workspace's files, one match a
 * line, with context lines; .gitignore respected, binary files skipped, bounded in matches, in time and in
 * backtracking. A search that runs long streams what it finds as logging notifications. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pcre2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "glob.h"
#include "job.h"
#include "mcp-request.h"
#include "schemas.h"
#include "walk.h"
#include "workspace.h"

#define LINE_SHOWN_MAX 400                      /* bytes of a matching line returned */
#define FILE_SIZE_MAX (UINT64_C(256) << 20)     /* larger files are not searched */
#define BINARY_PROBE 8192                       /* a NUL in the first bytes makes a file binary */
#define MATCH_LIMIT 5000000                     /* backtracking steps for one match attempt */
#define STREAM_AFTER_USEC (250 * USEC_PER_MSEC) /* a search running this long streams its results */
#define CONTEXT_MAX 10

typedef struct Search {
        IdeTask *t;
        pcre2_code *code; /* NULL: memmem() of literal */
        const char *literal;
        size_t literal_size;
        pcre2_match_data *md;
        pcre2_match_context *mctx;
        json_object *includes, *excludes;
        unsigned context, max_matches;
        uint64_t start, deadline;

        json_object *matches; /* of the answer */
        FILE *text;
        unsigned n_matches, files_searched, files_matched, files_skipped;
        bool truncated, timed_out, costly;
        json_object *batch; /* the current file's matches, when streaming */

        char *buf;
        size_t allocated;
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

/* Reads the file into s->buf; 0 with *size, or 1 when it is skipped (binary, too large, not regular). */
static int read_file(Search *s, int dirfd, const char *name, size_t *ret_size) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return 1;
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t) st.st_size > FILE_SIZE_MAX)
                return 1;
        size_t want = st.st_size + 1;
        if (want > s->allocated) {
                size_t a = MAX(want, s->allocated * 2);
                char *m = realloc(s->buf, a);
                if (!m)
                        return -ENOMEM;
                s->buf = m;
                s->allocated = a;
        }
        size_t size = 0;
        for (;;) {
                /* A file that grows while read is read as far as its size was. */
                ssize_t n = read(fd, s->buf + size, s->allocated - 1 - size);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                size += n;
                if (size == s->allocated - 1)
                        break;
        }
        if (memchr(s->buf, 0, MIN(size, (size_t) BINARY_PROBE)))
                return 1;
        *ret_size = size;
        return 0;
}

/* The next match at or after offset: its start, or -1 (none), -2 (too costly). */
static ssize_t find(Search *s, const char *buf, size_t size, size_t offset, size_t *ret_end) {
        if (!s->code) {
                const char *p = memmem(buf + offset, size - offset, s->literal, s->literal_size);
                if (!p)
                        return -1;
                *ret_end = p - buf + s->literal_size;
                return p - buf;
        }
        int rc = pcre2_match(s->code, (PCRE2_SPTR) buf, size, offset, PCRE2_NO_UTF_CHECK, s->md, s->mctx);
        if (rc == PCRE2_ERROR_NOMATCH)
                return -1;
        if (rc < 0)
                return -2;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
        *ret_end = ov[1];
        return ov[0];
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
        return json_object_new_string_len(p, (int) n);
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

static int search_buffer(Search *s, const char *path, const char *buf, size_t size) {
        const char *end = buf + size, *counted = buf;
        unsigned line = 1;
        bool matched = false;
        for (size_t offset = 0; offset <= size;) {
                size_t mend = 0;
                ssize_t at = find(s, buf, size, offset, &mend);
                if (at == -2) {
                        s->costly = true;
                        break;
                }
                if (at < 0)
                        break;
                if (s->n_matches >= s->max_matches) {
                        s->truncated = true;
                        break;
                }
                const char *p = buf + at, *ls = line_start(buf, p), *le = line_end(p, end);
                /* Line numbers count the newlines since the last match. */
                for (const char *q = counted; (q = memchr(q, '\n', ls - q)); q++)
                        line++;
                counted = ls;

                json_object *m = json_object_new_object();
                if (!m || json_add_string(m, "path", path) < 0 || json_add(m, "line", json_object_new_int(line)) < 0 ||
                        json_add(m, "column", json_object_new_int((int) (p - ls) + 1)) < 0 ||
                        json_add(m, "text", line_string(ls, le - ls)) < 0 ||
                        (s->context > 0 &&
                                (add_context(m, "before", buf, end, ls, le, s->context, true) < 0 ||
                                        add_context(m, "after", buf, end, ls, le, s->context, false) < 0))) {
                        json_object_put(m);
                        return -ENOMEM;
                }
                json_object *before = json_get_array(m, "before");
                for (size_t i = 0; before && i < json_object_array_length(before); i++)
                        fprintf(s->text, "%s-%zu-%s\n", path, line - json_object_array_length(before) + i,
                                json_object_get_string(json_object_array_get_idx(before, i)));
                fprintf(s->text, "%s:%u:%s\n", path, line, json_get_string(m, "text"));
                json_object *after = json_get_array(m, "after");
                for (size_t i = 0; after && i < json_object_array_length(after); i++)
                        fprintf(s->text, "%s-%zu-%s\n", path, line + 1 + i,
                                json_object_get_string(json_object_array_get_idx(after, i)));
                if (s->batch && json_object_array_add(s->batch, json_object_get(m)) < 0)
                        json_object_put(m);
                if (json_object_array_add(s->matches, m) < 0) {
                        json_object_put(m);
                        return -ENOMEM;
                }
                s->n_matches++;
                matched = true;
                /* One match a line: go on after this line (or past an empty match). */
                offset = (size_t) (le - buf) + 1;
                (void) mend;
        }
        if (matched)
                s->files_matched++;
        return 0;
}

static int visit_search(const IdeWalkEntry *e, void *userdata) {
        Search *s = userdata;
        if (any_glob(s->excludes, e->path))
                return IDE_WALK_SKIP;
        if (e->type != DT_REG)
                return 0;
        if (s->includes && json_object_array_length(s->includes) > 0 && !any_glob(s->includes, e->path))
                return 0;
        uint64_t now = now_monotonic();
        if (now > s->deadline) {
                s->timed_out = true;
                return IDE_WALK_STOP;
        }
        if (ide_job_cancelled(s->t->job))
                return -ECANCELED;

        size_t size = 0;
        int r = read_file(s, e->dirfd, e->name, &size);
        if (r < 0)
                return r;
        if (r > 0) {
                s->files_skipped++;
                return 0;
        }
        s->files_searched++;
        bool stream = ide_job_streams(s->t->job) && now - s->start > STREAM_AFTER_USEC;
        if (stream && !(s->batch = json_object_new_array()))
                return -ENOMEM;
        r = search_buffer(s, e->path, s->buf, size);
        if (s->batch) {
                if (json_object_array_length(s->batch) > 0) {
                        json_object *item = json_object_new_object();
                        if (item &&
                                (json_add_string(item, "path", e->path) < 0 ||
                                        json_add(item, "matches", json_object_get(s->batch)) < 0))
                                item = (json_object_put(item), NULL);
                        ide_job_emit(s->t->job, item, s->n_matches);
                }
                s->batch = (json_object_put(s->batch), NULL);
        }
        if (r < 0)
                return r;
        return s->truncated ? IDE_WALK_STOP : 0;
}

static void search_done(Search *s) {
        pcre2_match_data_free(s->md);
        pcre2_match_context_free(s->mctx);
        pcre2_code_free(s->code);
        free(s->buf);
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
        s->md = pcre2_match_data_create_from_pattern(s->code, NULL);
        s->mctx = pcre2_match_context_create(NULL);
        if (!s->md || !s->mctx)
                return -ENOMEM;
        pcre2_set_match_limit(s->mctx, MATCH_LIMIT);
        pcre2_set_depth_limit(s->mctx, 100000);
        return 0;
}

static int work_search(IdeTask *t) {
        json_object *a = t->arguments;
        const char *pattern = json_get_string(a, "pattern");
        bool literal = json_get_bool(a, "literal", false), caseless = json_get_bool(a, "case_insensitive", false);
        _cleanup_free_ char *start = NULL, *text = NULL, *error = NULL;
        const char *reason;
        if (ide_path_normalize(json_get_string(a, "path"), &start, &reason) < 0)
                return -ENOMEM;
        size_t text_size = 0;
        _cleanup_(fclosep) FILE *f = open_memstream(&text, &text_size);
        _cleanup_json_ json_object *matches = json_object_new_array();
        if (!f || !matches)
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
                .matches = matches,
                .text = f,
        };
        int r = 0;
        /* A case-sensitive literal is found by memmem(); everything else by PCRE2. */
        if (!literal || caseless)
                r = compile(&s, pattern, literal, caseless, &error);
        if (r == -EINVAL) {
                ide_job_set_error(t->job, "%s", error ?: "The pattern does not compile.");
                return 0;
        }
        if (r >= 0) {
                IdeWalkOptions o = {
                        .gitignore = json_get_bool(a, "gitignore", true),
                        .hidden = json_get_bool(a, "hidden", true),
                };
                r = ide_walk(t->ws, start, &o, t->job, visit_search, &s);
                if (r == -ENOTDIR) {
                        /* A file: search it alone. */
                        const char *name;
                        _cleanup_close_ int dir = ide_open_parent(t->ws, start, false, &name);
                        IdeWalkEntry e = { start, name, dir, DT_REG, 1 };
                        r = dir < 0 ? dir : visit_search(&e, &s);
                        r = r == IDE_WALK_STOP ? 0 : r;
                }
        }
        if (r < 0 && r != -ECANCELED && r != -ENOMEM)
                ide_job_set_error(t->job, "%s cannot be searched: %s.", start, ide_errno_text(r));
        else if (r >= 0) {
                uint64_t elapsed = now_monotonic() - s.start;
                if (s.n_matches == 0)
                        fputs("No match.\n", f);
                if (s.truncated)
                        fprintf(f,
                                "... (the search stopped at %u matches: narrow it with path, include or a more "
                                "precise pattern)\n",
                                s.max_matches);
                if (s.timed_out)
                        fprintf(f, "... (the search stopped after %" PRIu64 " ms: its time bound)\n",
                                (uint64_t) (elapsed / USEC_PER_MSEC));
                if (s.costly)
                        fputs("... (the pattern backtracks too much on some files, which were not searched to "
                              "their end; simplify it)\n",
                                f);
                if (fflush(f) != 0)
                        return -ENOMEM;
                _cleanup_json_ json_object *o = json_object_new_object();
                if (!o || json_add(o, "matches", TAKE_PTR(matches)) < 0 ||
                        json_add(o, "files_searched", json_object_new_int(s.files_searched)) < 0 ||
                        json_add(o, "files_matched", json_object_new_int(s.files_matched)) < 0 ||
                        json_add(o, "files_skipped", json_object_new_int(s.files_skipped)) < 0 ||
                        json_add(o, "truncated", json_object_new_boolean(s.truncated)) < 0 ||
                        json_add(o, "timed_out", json_object_new_boolean(s.timed_out)) < 0 ||
                        json_add(o, "backtrack_limited", json_object_new_boolean(s.costly)) < 0 ||
                        json_add(o, "elapsed_ms", json_object_new_int64(elapsed / USEC_PER_MSEC)) < 0)
                        return -ENOMEM;
                ide_job_set_result(t->job, TAKE_PTR(o), text);
        }
        return r == -ECANCELED || r == -ENOMEM ? r : 0;
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
                .polkit_detail_argument = "workspace",
                .handler = tool_search },
        {}
};
