/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The git tools that only read: ide_git_status, ide_git_diff, ide_git_log, ide_git_show, ide_git_blame. */
#include <inttypes.h>
#include <stdio.h>

#include "git.h"
#include "job.h"
#include "mcp-request.h"
#include "schemas.h"

static unsigned get_unsigned(json_object *o, const char *key, unsigned def) {
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return def;
        int64_t i = json_object_get_int64(v);
        return i < 0 ? def : (unsigned) MIN(i, (int64_t) UINT32_MAX);
}

/* --- ide_git_status ------------------------------------------------------------------------------------ */

static const char *status_word(unsigned s, bool index) {
        if (index) {
                if (s & GIT_STATUS_INDEX_NEW)
                        return "added";
                if (s & GIT_STATUS_INDEX_MODIFIED)
                        return "modified";
                if (s & GIT_STATUS_INDEX_DELETED)
                        return "deleted";
                if (s & GIT_STATUS_INDEX_RENAMED)
                        return "renamed";
                if (s & GIT_STATUS_INDEX_TYPECHANGE)
                        return "typechange";
                return NULL;
        }
        if (s & GIT_STATUS_WT_NEW)
                return "untracked";
        if (s & GIT_STATUS_WT_MODIFIED)
                return "modified";
        if (s & GIT_STATUS_WT_DELETED)
                return "deleted";
        if (s & GIT_STATUS_WT_RENAMED)
                return "renamed";
        if (s & GIT_STATUS_WT_TYPECHANGE)
                return "typechange";
        if (s & GIT_STATUS_CONFLICTED)
                return "conflicted";
        return NULL;
}

static char status_letter(const char *w) {
        return !w                        ? ' '
                : streq(w, "untracked")  ? '?'
                : streq(w, "added")      ? 'A'
                : streq(w, "modified")   ? 'M'
                : streq(w, "deleted")    ? 'D'
                : streq(w, "renamed")    ? 'R'
                : streq(w, "typechange") ? 'T'
                                         : 'U';
}

static int work_git_status(IdeTask *t) {
        _cleanup_(git_repository_freep) git_repository *repo = NULL;
        int r = ide_git_open(t, &repo);
        if (r < 0)
                return 0;
        git_status_options opts = GIT_STATUS_OPTIONS_INIT;
        opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
        opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
                GIT_STATUS_OPT_RENAMES_HEAD_TO_INDEX | GIT_STATUS_OPT_SORT_CASE_SENSITIVELY;
        _cleanup_(ide_git_pathspec_done) git_strarray spec = {};
        if (ide_git_pathspec(t, "path", &spec) < 0)
                return 0;
        opts.pathspec = spec;
        _cleanup_(git_status_list_freep) git_status_list *list = NULL;
        if (git_status_list_new(&list, repo, &opts) < 0)
                return ide_git_error(t, "The status cannot be read"), 0;

        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        _cleanup_(fclosep) FILE *f = open_memstream(&text, &size);
        _cleanup_json_ json_object *o = json_object_new_object(), *entries = json_object_new_array();
        if (!f || !o || !entries)
                return -ENOMEM;

        _cleanup_(git_reference_freep) git_reference *head = NULL;
        int hr = git_repository_head(&head, repo);
        const char *branch = hr == 0 && git_reference_is_branch(head) ? git_reference_shorthand(head) : NULL;
        if (branch) {
                if (json_add_string(o, "branch", branch) < 0)
                        return -ENOMEM;
                fprintf(f, "## %s", branch);
                _cleanup_(git_reference_freep) git_reference *upstream = NULL;
                size_t ahead = 0, behind = 0;
                if (git_branch_upstream(&upstream, head) == 0 &&
                        git_graph_ahead_behind(&ahead, &behind, repo, git_reference_target(head),
                                git_reference_target(upstream)) == 0) {
                        if (json_add_string(o, "upstream", git_reference_shorthand(upstream)) < 0 ||
                                json_add(o, "ahead", json_object_new_int64(ahead)) < 0 ||
                                json_add(o, "behind", json_object_new_int64(behind)) < 0)
                                return -ENOMEM;
                        fprintf(f, "...%s [ahead %zu, behind %zu]", git_reference_shorthand(upstream), ahead, behind);
                }
                fputc('\n', f);
        } else if (hr == GIT_EUNBORNBRANCH)
                fputs("## (no commits yet)\n", f);
        else if (hr == 0)
                fputs("## HEAD (detached)\n", f);
        if (json_add(o, "detached", json_object_new_boolean(hr == 0 && !branch)) < 0)
                return -ENOMEM;

        size_t n = git_status_list_entrycount(list);
        for (size_t i = 0; i < n; i++) {
                const git_status_entry *e = git_status_byindex(list, i);
                const git_diff_delta *d = e->head_to_index ?: e->index_to_workdir;
                if (!d || e->status == GIT_STATUS_CURRENT || (e->status & GIT_STATUS_IGNORED))
                        continue;
                const char *path = d->new_file.path ?: d->old_file.path;
                const char *iw = status_word(e->status, true), *ww = status_word(e->status, false);
                json_object *j = json_object_new_object();
                if (!j || json_add_string(j, "path", path) < 0 || (iw && json_add_string(j, "index", iw) < 0) ||
                        (ww && json_add_string(j, "worktree", ww) < 0) || json_object_array_add(entries, j) < 0) {
                        json_object_put(j);
                        return -ENOMEM;
                }
                if (e->head_to_index && (e->status & GIT_STATUS_INDEX_RENAMED) &&
                        json_add_string(j, "from", e->head_to_index->old_file.path) < 0)
                        return -ENOMEM;
                char x = status_letter(iw), y = status_letter(ww);
                if (ww && streq(ww, "untracked"))
                        x = '?';
                fprintf(f, "%c%c %s\n", x, y, path);
        }
        if (json_object_array_length(entries) == 0)
                fputs("nothing to commit, working tree clean\n", f);
        if (json_add(o, "entries", TAKE_PTR(entries)) < 0 || fflush(f) != 0)
                return -ENOMEM;
        ide_job_set_result(t->job, TAKE_PTR(o), text);
        return 0;
}

static int tool_git_status(McpRequest *req, json_object *arguments) {
        return ide_call(req, arguments, IDE_ACTION_READ, NULL, work_git_status);
}

/* --- ide_git_diff -------------------------------------------------------------------------------------- */

static int tree_of(IdeTask *t, git_repository *repo, const char *rev, git_tree **ret) {
        _cleanup_(git_object_freep) git_object *o = NULL;
        if (git_revparse_single(&o, repo, rev) < 0) {
                _cleanup_free_ char *what = NULL;
                if (asprintf(&what, "\"%s\" names no revision", rev) < 0)
                        return -ENOMEM;
                return ide_git_error(t, what);
        }
        if (git_object_peel((git_object **) ret, o, GIT_OBJECT_TREE) < 0)
                return ide_git_error(t, "It has no tree");
        return 0;
}

static int diff_result(IdeTask *t, git_diff *diff, json_object *o, FILE *f) {
        git_diff_find_options find = GIT_DIFF_FIND_OPTIONS_INIT;
        (void) git_diff_find_similar(diff, &find);
        _cleanup_(git_buf_disposep) git_buf buf = {};
        if (git_diff_to_buf(&buf, diff, GIT_DIFF_FORMAT_PATCH) < 0)
                return ide_git_error(t, "The diff cannot be made");
        git_diff_stats *stats = NULL;
        size_t files = 0, ins = 0, del = 0;
        if (git_diff_get_stats(&stats, diff) == 0) {
                files = git_diff_stats_files_changed(stats);
                ins = git_diff_stats_insertions(stats);
                del = git_diff_stats_deletions(stats);
                git_diff_stats_free(stats);
        }
        size_t max = t->config->max_read_bytes, shown = MIN(buf.size, max);
        /* Cut at a line. */
        while (shown < buf.size && shown > 0 && buf.ptr[shown - 1] != '\n')
                shown--;
        _cleanup_json_ json_object *paths = json_object_new_array();
        if (!paths)
                return -ENOMEM;
        for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
                const git_diff_delta *d = git_diff_get_delta(diff, i);
                if (json_object_array_add(paths, json_object_new_string(d->new_file.path ?: d->old_file.path)) < 0)
                        return -ENOMEM;
        }
        if (json_add(o, "files_changed", json_object_new_int64(files)) < 0 ||
                json_add(o, "insertions", json_object_new_int64(ins)) < 0 ||
                json_add(o, "deletions", json_object_new_int64(del)) < 0 || json_add(o, "files", TAKE_PTR(paths)) < 0 ||
                json_add(o, "diff", json_object_new_string_len(buf.ptr ?: "", (int) shown)) < 0 ||
                json_add(o, "truncated", json_object_new_boolean(shown < buf.size)) < 0)
                return -ENOMEM;
        fwrite(buf.ptr ?: "", 1, shown, f);
        if (shown < buf.size)
                fprintf(f, "... (the diff is cut at %zu of %zu bytes; give path to narrow it)\n", shown, buf.size);
        fprintf(f, "%zu file%s changed, %zu insertion%s(+), %zu deletion%s(-)\n", files, files == 1 ? "" : "s", ins,
                ins == 1 ? "" : "s", del, del == 1 ? "" : "s");
        return 0;
}

static int work_git_diff(IdeTask *t) {
        _cleanup_(git_repository_freep) git_repository *repo = NULL;
        if (ide_git_open(t, &repo) < 0)
                return 0;
        git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
        opts.context_lines = get_unsigned(t->arguments, "context", 3);
        opts.flags = GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_SHOW_UNTRACKED_CONTENT | GIT_DIFF_RECURSE_UNTRACKED_DIRS;
        if (!json_get_bool(t->arguments, "untracked", false))
                opts.flags = 0;
        _cleanup_(ide_git_pathspec_done) git_strarray spec = {};
        if (ide_git_pathspec(t, "path", &spec) < 0)
                return 0;
        opts.pathspec = spec;

        const char *from = json_get_string(t->arguments, "from"), *to = json_get_string(t->arguments, "to");
        bool staged = json_get_bool(t->arguments, "staged", false);
        _cleanup_(git_tree_freep) git_tree *a = NULL, *b = NULL;
        _cleanup_(git_diff_freep) git_diff *diff = NULL;
        int r;
        if (to && !from) {
                ide_job_set_error(t->job, "to needs from: the diff goes from one revision to the other.");
                return 0;
        }
        if (from && (r = tree_of(t, repo, from, &a)) < 0)
                return r == -ENOMEM ? r : 0;
        if (to && (r = tree_of(t, repo, to, &b)) < 0)
                return r == -ENOMEM ? r : 0;
        if (from && to)
                r = git_diff_tree_to_tree(&diff, repo, a, b, &opts);
        else if (from)
                r = git_diff_tree_to_workdir_with_index(&diff, repo, a, &opts);
        else if (staged) {
                /* Against HEAD's tree, or an empty one before the first commit. */
                if (git_repository_head_unborn(repo) != 1 && (r = tree_of(t, repo, "HEAD", &a)) < 0)
                        return r == -ENOMEM ? r : 0;
                r = git_diff_tree_to_index(&diff, repo, a, NULL, &opts);
        } else
                r = git_diff_index_to_workdir(&diff, repo, NULL, &opts);
        if (r < 0)
                return ide_git_error(t, "The diff cannot be made"), 0;

        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        _cleanup_(fclosep) FILE *f = open_memstream(&text, &size);
        _cleanup_json_ json_object *o = json_object_new_object();
        if (!f || !o)
                return -ENOMEM;
        r = diff_result(t, diff, o, f);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        if (fflush(f) != 0)
                return -ENOMEM;
        ide_job_set_result(t->job, TAKE_PTR(o), text);
        return 0;
}

static int tool_git_diff(McpRequest *req, json_object *arguments) {
        return ide_call(req, arguments, IDE_ACTION_READ, NULL, work_git_diff);
}

/* --- ide_git_log --------------------------------------------------------------------------------------- */

/* Whether commit touches spec: its diff against its first parent (or the empty tree) has a delta there. */
static int commit_touches(git_repository *repo, git_commit *c, const git_strarray *spec) {
        _cleanup_(git_tree_freep) git_tree *tree = NULL, *ptree = NULL;
        _cleanup_(git_commit_freep) git_commit *parent = NULL;
        if (git_commit_tree(&tree, c) < 0)
                return -EIO;
        if (git_commit_parentcount(c) > 0 &&
                (git_commit_parent(&parent, c, 0) < 0 || git_commit_tree(&ptree, parent) < 0))
                return -EIO;
        git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
        opts.pathspec = *spec;
        _cleanup_(git_diff_freep) git_diff *diff = NULL;
        if (git_diff_tree_to_tree(&diff, repo, ptree, tree, &opts) < 0)
                return -EIO;
        return git_diff_num_deltas(diff) > 0;
}

static json_object *commit_json(git_commit *c) {
        char id[GIT_OID_HEXSZ + 1], short_id[11], when[64];
        ide_git_oid_str(git_commit_id(c), id, short_id);
        const git_signature *a = git_commit_author(c);
        ide_git_time_str(&a->when, when);
        json_object *o = json_object_new_object();
        if (!o || json_add_string(o, "id", id) < 0 || json_add_string(o, "short_id", short_id) < 0 ||
                json_add_string(o, "author", a->name) < 0 || json_add_string(o, "email", a->email) < 0 ||
                json_add_string(o, "date", when) < 0 ||
                json_add_string(o, "summary", git_commit_summary(c) ?: "") < 0 ||
                json_add(o, "parents", json_object_new_int(git_commit_parentcount(c))) < 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

static int work_git_log(IdeTask *t) {
        _cleanup_(git_repository_freep) git_repository *repo = NULL;
        if (ide_git_open(t, &repo) < 0)
                return 0;
        _cleanup_(ide_git_pathspec_done) git_strarray spec = {};
        if (ide_git_pathspec(t, "path", &spec) < 0)
                return 0;
        const char *rev = json_get_string(t->arguments, "revision") ?: "HEAD";
        unsigned max = MIN(get_unsigned(t->arguments, "max_count", 20), t->config->max_results),
                 skip = get_unsigned(t->arguments, "skip", 0);

        _cleanup_(git_revwalk_freep) git_revwalk *walk = NULL;
        _cleanup_(git_object_freep) git_object *start = NULL;
        if (git_revwalk_new(&walk, repo) < 0)
                return ide_git_error(t, "The history cannot be walked"), 0;
        git_revwalk_sorting(walk, GIT_SORT_TIME);
        if (git_revparse_single(&start, repo, rev) < 0) {
                if (streq(rev, "HEAD") && git_repository_head_unborn(repo) == 1) {
                        ide_job_set_error(t->job, "The repository has no commits yet.");
                        return 0;
                }
                return ide_git_error(t, "The revision names nothing"), 0;
        }
        _cleanup_(git_object_freep) git_object *commit = NULL;
        if (git_object_peel(&commit, start, GIT_OBJECT_COMMIT) < 0 || git_revwalk_push(walk, git_object_id(commit)) < 0)
                return ide_git_error(t, "The revision is no commit"), 0;

        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        _cleanup_(fclosep) FILE *f = open_memstream(&text, &size);
        _cleanup_json_ json_object *o = json_object_new_object(), *commits = json_object_new_array();
        if (!f || !o || !commits)
                return -ENOMEM;
        git_oid oid;
        unsigned n = 0, seen = 0;
        bool more = false;
        while (git_revwalk_next(&oid, walk) == 0) {
                if (ide_job_cancelled(t->job))
                        return -ECANCELED;
                _cleanup_(git_commit_freep) git_commit *c = NULL;
                if (git_commit_lookup(&c, repo, &oid) < 0)
                        return ide_git_error(t, "A commit cannot be read"), 0;
                if (spec.count > 0) {
                        int touches = commit_touches(repo, c, &spec);
                        if (touches < 0)
                                return ide_git_error(t, "A commit cannot be compared"), 0;
                        if (!touches)
                                continue;
                }
                if (seen++ < skip)
                        continue;
                if (n >= max) {
                        more = true;
                        break;
                }
                json_object *j = commit_json(c);
                if (!j || json_object_array_add(commits, j) < 0) {
                        json_object_put(j);
                        return -ENOMEM;
                }
                fprintf(f, "%s %s %s <%s> %s\n", json_get_string(j, "short_id"), json_get_string(j, "date"),
                        json_get_string(j, "author"), json_get_string(j, "email"), json_get_string(j, "summary"));
                n++;
        }
        if (n == 0)
                fputs("No commit.\n", f);
        if (more)
                fprintf(f, "... (more: skip=%u shows the next ones)\n", skip + n);
        if (json_add(o, "commits", TAKE_PTR(commits)) < 0 || json_add(o, "more", json_object_new_boolean(more)) < 0 ||
                fflush(f) != 0)
                return -ENOMEM;
        ide_job_set_result(t->job, TAKE_PTR(o), text);
        return 0;
}

static int tool_git_log(McpRequest *req, json_object *arguments) {
        return ide_call(req, arguments, IDE_ACTION_READ, NULL, work_git_log);
}

/* --- ide_git_show -------------------------------------------------------------------------------------- */

static int work_git_show(IdeTask *t) {
        _cleanup_(git_repository_freep) git_repository *repo = NULL;
        if (ide_git_open(t, &repo) < 0)
                return 0;
        const char *rev = json_get_string(t->arguments, "revision") ?: "HEAD";
        _cleanup_(git_object_freep) git_object *obj = NULL;
        if (git_revparse_single(&obj, repo, rev) < 0)
                return ide_git_error(t, "The revision names nothing"), 0;

        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        _cleanup_(fclosep) FILE *f = open_memstream(&text, &size);
        _cleanup_json_ json_object *o = json_object_new_object();
        if (!f || !o)
                return -ENOMEM;

        if (git_object_type(obj) == GIT_OBJECT_BLOB) {
                /* "REV:path": the file as it was. */
                git_blob *blob = (git_blob *) obj;
                size_t n = git_blob_rawsize(blob), shown = MIN(n, (size_t) t->config->max_read_bytes);
                bool binary = git_blob_is_binary(blob);
                if (json_add_string(o, "type", "blob") < 0 || json_add(o, "size", json_object_new_int64(n)) < 0 ||
                        json_add(o, "binary", json_object_new_boolean(binary)) < 0 ||
                        json_add(o, "truncated", json_object_new_boolean(shown < n)) < 0 ||
                        json_add(o, "content",
                                binary ? json_object_new_string("")
                                       : json_object_new_string_len(git_blob_rawcontent(blob), shown)) < 0)
                        return -ENOMEM;
                if (binary)
                        fprintf(f, "(binary, %zu bytes)\n", n);
                else
                        fwrite(git_blob_rawcontent(blob), 1, shown, f);
        } else {
                _cleanup_(git_object_freep) git_object *cobj = NULL;
                if (git_object_peel(&cobj, obj, GIT_OBJECT_COMMIT) < 0)
                        return ide_git_error(t, "The revision is neither a commit nor a file"), 0;
                git_commit *c = (git_commit *) cobj;
                _cleanup_json_ json_object *j = commit_json(c);
                if (!j)
                        return -ENOMEM;
                json_object_object_foreach (j, key, value)
                        if (json_add(o, key, json_object_get(value)) < 0)
                                return -ENOMEM;
                if (json_add_string(o, "type", "commit") < 0 ||
                        json_add_string(o, "message", git_commit_message(c)) < 0)
                        return -ENOMEM;
                fprintf(f, "commit %s\nAuthor: %s <%s>\nDate:   %s\n\n%s\n", json_get_string(o, "id"),
                        json_get_string(o, "author"), json_get_string(o, "email"), json_get_string(o, "date"),
                        git_commit_message(c));
                _cleanup_(git_tree_freep) git_tree *tree = NULL, *ptree = NULL;
                _cleanup_(git_commit_freep) git_commit *parent = NULL;
                if (git_commit_tree(&tree, c) < 0 ||
                        (git_commit_parentcount(c) > 0 &&
                                (git_commit_parent(&parent, c, 0) < 0 || git_commit_tree(&ptree, parent) < 0)))
                        return ide_git_error(t, "The commit's trees cannot be read"), 0;
                git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
                _cleanup_(git_diff_freep) git_diff *diff = NULL;
                if (git_diff_tree_to_tree(&diff, repo, ptree, tree, &opts) < 0)
                        return ide_git_error(t, "The diff cannot be made"), 0;
                int r = diff_result(t, diff, o, f);
                if (r < 0)
                        return r == -ENOMEM ? r : 0;
        }
        if (fflush(f) != 0)
                return -ENOMEM;
        ide_job_set_result(t->job, TAKE_PTR(o), text);
        return 0;
}

static int tool_git_show(McpRequest *req, json_object *arguments) {
        return ide_call(req, arguments, IDE_ACTION_READ, NULL, work_git_show);
}

/* --- ide_git_blame ------------------------------------------------------------------------------------- */

static int work_git_blame(IdeTask *t) {
        _cleanup_(git_repository_freep) git_repository *repo = NULL;
        if (ide_git_open(t, &repo) < 0)
                return 0;
        _cleanup_(ide_git_pathspec_done) git_strarray spec = {};
        if (ide_git_pathspec(t, "path", &spec) < 0)
                return 0;
        if (spec.count != 1) {
                ide_job_set_error(t->job, "path names one committed file.");
                return 0;
        }
        const char *path = spec.strings[0];
        unsigned start = get_unsigned(t->arguments, "start_line", 0), end = get_unsigned(t->arguments, "end_line", 0);
        git_blame_options opts = GIT_BLAME_OPTIONS_INIT;
        if (start > 0)
                opts.min_line = start;
        if (end > 0)
                opts.max_line = end;
        _cleanup_(git_blame_freep) git_blame *blame = NULL;
        if (git_blame_file(&blame, repo, path, &opts) < 0)
                return ide_git_error(t, "The file cannot be blamed"), 0;

        /* The lines' text: the committed file's (HEAD:path). */
        _cleanup_free_ char *spec_text = NULL;
        if (asprintf(&spec_text, "HEAD:%s", path) < 0)
                return -ENOMEM;
        _cleanup_(git_object_freep) git_object *obj = NULL;
        if (git_revparse_single(&obj, repo, spec_text) < 0 || git_object_type(obj) != GIT_OBJECT_BLOB)
                return ide_git_error(t, "The committed file cannot be read"), 0;
        const char *content = git_blob_rawcontent((git_blob *) obj);
        size_t content_size = git_blob_rawsize((git_blob *) obj);

        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        _cleanup_(fclosep) FILE *f = open_memstream(&text, &size);
        _cleanup_json_ json_object *o = json_object_new_object(), *lines = json_object_new_array();
        if (!f || !o || !lines)
                return -ENOMEM;
        const char *p = content, *stop = content + content_size;
        unsigned number = 1, shown = 0;
        for (; p < stop; number++) {
                const char *nl = memchr(p, '\n', stop - p);
                size_t len = (nl ?: stop) - p;
                if ((start == 0 || number >= start) && (end == 0 || number <= end)) {
                        const git_blame_hunk *h = git_blame_get_hunk_byline(blame, number);
                        if (!h)
                                break;
                        if (shown++ >= t->config->max_results)
                                break;
                        char id[GIT_OID_HEXSZ + 1], short_id[11], when[64];
                        ide_git_oid_str(&h->final_commit_id, id, short_id);
                        ide_git_time_str(&h->final_signature->when, when);
                        json_object *j = json_object_new_object();
                        if (!j || json_add(j, "line", json_object_new_int(number)) < 0 ||
                                json_add_string(j, "commit", id) < 0 ||
                                json_add_string(j, "author", h->final_signature ? h->final_signature->name : "") < 0 ||
                                json_add_string(j, "date", when) < 0 ||
                                json_add(j, "text", json_object_new_string_len(p, (int) len)) < 0 ||
                                json_object_array_add(lines, j) < 0) {
                                json_object_put(j);
                                return -ENOMEM;
                        }
                        fprintf(f, "%s (%s %.10s %u) %.*s\n", short_id,
                                h->final_signature ? h->final_signature->name : "", when, number, (int) len, p);
                }
                if (end > 0 && number >= end)
                        break;
                p = nl ? nl + 1 : stop;
        }
        if (json_add_string(o, "path", path) < 0 || json_add(o, "lines", TAKE_PTR(lines)) < 0 || fflush(f) != 0)
                return -ENOMEM;
        ide_job_set_result(t->job, TAKE_PTR(o), text);
        return 0;
}

static int tool_git_blame(McpRequest *req, json_object *arguments) {
        return ide_call(req, arguments, IDE_ACTION_READ, (const char *const[]){ "path", NULL }, work_git_blame);
}

/* --- the table ------------------------------------------------------------------------------------------ */

#define READ_ONLY "{\"readOnlyHint\":true,\"openWorldHint\":false}"

const McpTool ide_git_tools[] = {
        { .name = "ide_git_status",
                .title = "Git status",
                .description = "The workspace repository's status: the branch (with its upstream, ahead and behind), "
                               "and each changed path with its state in the index (staged) and in the work tree, "
                               "untracked files included, as `git status --short` shows them. path narrows it.",
                .input_schema = ide_schema_ide_git_status_input,
                .output_schema = ide_schema_ide_git_status_output,
                .annotations = READ_ONLY,
                .polkit_action = IDE_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_git_status },
        { .name = "ide_git_diff",
                .title = "Git diff",
                .description = "A unified diff: of the work tree against the index (default), of the index against "
                               "HEAD (staged), of the work tree against a revision (from), or between two "
                               "revisions (from and to); path narrows it to files or directories; untracked adds "
                               "new files. With the number of files changed, insertions and deletions.",
                .input_schema = ide_schema_ide_git_diff_input,
                .output_schema = ide_schema_ide_git_diff_output,
                .annotations = READ_ONLY,
                .polkit_action = IDE_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_git_diff },
        { .name = "ide_git_log",
                .title = "Git log",
                .description = "Commits reachable from a revision (default HEAD), newest first: id, author, date, "
                               "summary. path keeps only commits that changed those paths; max_count and skip page.",
                .input_schema = ide_schema_ide_git_log_input,
                .output_schema = ide_schema_ide_git_log_output,
                .annotations = READ_ONLY,
                .polkit_action = IDE_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_git_log },
        { .name = "ide_git_show",
                .title = "Git show",
                .description = "A commit (default HEAD) with its message and its diff against its first parent; "
                               "or, for \"REV:path\", the file as it was in that revision.",
                .input_schema = ide_schema_ide_git_show_input,
                .output_schema = ide_schema_ide_git_show_output,
                .annotations = READ_ONLY,
                .polkit_action = IDE_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_git_show },
        { .name = "ide_git_blame",
                .title = "Git blame",
                .description = "Which commit last changed each line of a committed file (its HEAD version), with "
                               "author and date; start_line and end_line narrow it.",
                .input_schema = ide_schema_ide_git_blame_input,
                .output_schema = ide_schema_ide_git_blame_output,
                .annotations = READ_ONLY,
                .polkit_action = IDE_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_git_blame },
        {}
};
