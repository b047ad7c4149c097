/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The git tools that change the repository: ide_git_add, ide_git_commit, ide_git_branch, ide_git_checkout. */
#include <stdio.h>

#include "git.h"
#include "job.h"
#include "mcp-request.h"
#include "schemas.h"

/* --- ide_git_add --------------------------------------------------------------------------------------- */

static int work_git_add(IdeTask *t) {
        _cleanup_(git_repository_freep) git_repository *repo = NULL;
        if (ide_git_open(t, &repo) < 0)
                return 0;
        _cleanup_(ide_git_pathspec_done) git_strarray spec = {};
        if (ide_git_pathspec(t, "paths", &spec) < 0)
                return 0;
        _cleanup_(git_index_freep) git_index *index = NULL;
        if (git_repository_index(&index, repo) < 0)
                return ide_git_error(t, "The index cannot be read"), 0;
        /* New and changed files, then the removals (as `git add PATHS` does since git 2). */
        if (git_index_add_all(index, &spec, GIT_INDEX_ADD_DEFAULT, NULL, NULL) < 0 ||
                git_index_update_all(index, &spec, NULL, NULL) < 0)
                return ide_git_error(t, "The paths cannot be staged"), 0;
        if (git_index_write(index) < 0)
                return ide_git_error(t, "The index cannot be written"), 0;

        _cleanup_json_ json_object *o = json_object_new_object(), *paths = json_object_new_array();
        if (!o || !paths)
                return -ENOMEM;
        for (size_t i = 0; i < spec.count; i++)
                if (json_object_array_add(paths, json_object_new_string(spec.strings[i])) < 0)
                        return -ENOMEM;
        if (json_add(o, "paths", TAKE_PTR(paths)) < 0 ||
                json_add(o, "index_entries", json_object_new_int64(git_index_entrycount(index))) < 0)
                return -ENOMEM;
        ide_job_set_result(t->job, TAKE_PTR(o), "Staged; ide_git_status shows the index.");
        return 0;
}

static int tool_git_add(McpRequest *req, json_object *arguments) {
        return ide_call(req, arguments, IDE_ACTION_WRITE, (const char *const[]){ "paths", NULL }, work_git_add);
}

/* --- ide_git_commit ------------------------------------------------------------------------------------ */

/* The author: CommitAuthorName=/CommitAuthorEmail= of ide.conf, else the principal the call came for. */
static int author_of(IdeTask *t, git_signature **ret) {
        const char *principal = t->principal ?: "anonymous";
        const char *name = t->config->author_name ?: principal;
        _cleanup_free_ char *email = NULL;
        if (t->config->author_email)
                email = strdup(t->config->author_email);
        else {
                /* A principal as an address: "unix-user:alice" -> "unix-user.alice@aios.invalid". */
                if (asprintf(&email, "%s@aios.invalid", principal) < 0)
                        email = NULL;
                for (char *p = email; p && *p != '@'; p++)
                        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+", *p))
                                *p = '.';
        }
        if (!email)
                return -ENOMEM;
        return git_signature_now(ret, name, email) < 0 ? -EINVAL : 0;
}

static int work_git_commit(IdeTask *t) {
        _cleanup_(git_repository_freep) git_repository *repo = NULL;
        if (ide_git_open(t, &repo) < 0)
                return 0;
        const char *message = json_get_string(t->arguments, "message");
        _cleanup_(git_index_freep) git_index *index = NULL;
        git_oid tree_id, commit_id;
        if (git_repository_index(&index, repo) < 0 || git_index_write_tree(&tree_id, index) < 0)
                return ide_git_error(t, "The index cannot be written as a tree"), 0;
        _cleanup_(git_tree_freep) git_tree *tree = NULL;
        if (git_tree_lookup(&tree, repo, &tree_id) < 0)
                return ide_git_error(t, "The tree cannot be read"), 0;

        _cleanup_(git_object_freep) git_object *head = NULL;
        bool unborn = git_repository_head_unborn(repo) == 1;
        if (!unborn && git_revparse_single(&head, repo, "HEAD^{commit}") < 0)
                return ide_git_error(t, "HEAD cannot be read"), 0;
        if (head && git_oid_equal(git_tree_id(tree), git_commit_tree_id((git_commit *) head)) &&
                !json_get_bool(t->arguments, "allow_empty", false)) {
                ide_job_set_error(t->job,
                        "Nothing is staged: the index is the same as HEAD. ide_git_add stages "
                        "changes first (or set allow_empty).");
                return 0;
        }
        _cleanup_(git_signature_freep) git_signature *author = NULL;
        int r = author_of(t, &author);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return ide_git_error(t, "The author is not valid"), 0;
        _cleanup_(git_buf_disposep) git_buf clean = {};
        if (git_message_prettify(&clean, message, true, '#') < 0 || clean.size == 0) {
                ide_job_set_error(t->job, "The message is empty.");
                return 0;
        }
        const git_commit *parents[] = { (git_commit *) head };
        if (git_commit_create(&commit_id, repo, "HEAD", author, author, NULL, clean.ptr, tree, head ? 1 : 0, parents) <
                0)
                return ide_git_error(t, "The commit cannot be made"), 0;

        char id[GIT_OID_HEXSZ + 1], short_id[11];
        ide_git_oid_str(&commit_id, id, short_id);
        _cleanup_json_ json_object *o = json_object_new_object();
        _cleanup_free_ char *text = NULL;
        if (!o || json_add_string(o, "id", id) < 0 || json_add_string(o, "short_id", short_id) < 0 ||
                json_add_string(o, "author", author->name) < 0 || json_add_string(o, "email", author->email) < 0 ||
                asprintf(&text, "[%s] %.*s", short_id, (int) strcspn(clean.ptr, "\n"), clean.ptr) < 0)
                return -ENOMEM;
        ide_job_set_result(t->job, TAKE_PTR(o), text);
        return 0;
}

static int tool_git_commit(McpRequest *req, json_object *arguments) {
        return ide_call(req, arguments, IDE_ACTION_WRITE, NULL, work_git_commit);
}

/* --- ide_git_branch ------------------------------------------------------------------------------------ */

static bool branch_name_valid(const char *name) {
        int valid = 0;
        return git_branch_name_is_valid(&valid, name) == 0 && valid;
}

static int work_git_branch(IdeTask *t) {
        _cleanup_(git_repository_freep) git_repository *repo = NULL;
        if (ide_git_open(t, &repo) < 0)
                return 0;
        const char *create = json_get_string(t->arguments, "create");
        _cleanup_json_ json_object *o = json_object_new_object();
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        _cleanup_(fclosep) FILE *f = open_memstream(&text, &size);
        if (!o || !f)
                return -ENOMEM;
        if (create) {
                const char *from = json_get_string(t->arguments, "start_point") ?: "HEAD";
                _cleanup_(git_object_freep) git_object *obj = NULL, *c = NULL;
                _cleanup_(git_reference_freep) git_reference *ref = NULL;
                if (!branch_name_valid(create)) {
                        ide_job_set_error(t->job, "\"%s\" is not a valid branch name.", create);
                        return 0;
                }
                if (git_revparse_single(&obj, repo, from) < 0 || git_object_peel(&c, obj, GIT_OBJECT_COMMIT) < 0)
                        return ide_git_error(t, "The start point names no commit"), 0;
                if (git_branch_create(&ref, repo, create, (git_commit *) c, false) < 0)
                        return ide_git_error(t, "The branch cannot be made"), 0;
                char id[GIT_OID_HEXSZ + 1], short_id[11];
                ide_git_oid_str(git_object_id(c), id, short_id);
                if (json_add_string(o, "created", create) < 0 || json_add_string(o, "target", id) < 0)
                        return -ENOMEM;
                fprintf(f, "Created branch %s at %s (ide_git_checkout switches to it).\n", create, short_id);
        }
        _cleanup_(git_branch_iterator_freep) git_branch_iterator *it = NULL;
        _cleanup_json_ json_object *branches = json_object_new_array();
        if (!branches)
                return -ENOMEM;
        if (git_branch_iterator_new(&it, repo, GIT_BRANCH_LOCAL) < 0)
                return ide_git_error(t, "The branches cannot be listed"), 0;
        git_reference *ref;
        git_branch_t type;
        while (git_branch_next(&ref, &type, it) == 0) {
                _cleanup_(git_reference_freep) git_reference *r = ref, *upstream = NULL;
                const char *name = NULL;
                (void) git_branch_name(&name, r);
                bool head = git_branch_is_head(r) == 1;
                char id[GIT_OID_HEXSZ + 1] = "", short_id[11] = "";
                if (git_reference_target(r))
                        ide_git_oid_str(git_reference_target(r), id, short_id);
                json_object *b = json_object_new_object();
                if (!b || json_add_string(b, "name", name ?: "") < 0 || json_add_string(b, "target", id) < 0 ||
                        json_add(b, "current", json_object_new_boolean(head)) < 0 ||
                        (git_branch_upstream(&upstream, r) == 0 &&
                                json_add_string(b, "upstream", git_reference_shorthand(upstream)) < 0) ||
                        json_object_array_add(branches, b) < 0) {
                        json_object_put(b);
                        return -ENOMEM;
                }
                fprintf(f, "%c %s %s\n", head ? '*' : ' ', name ?: "", short_id);
        }
        if (json_add(o, "branches", TAKE_PTR(branches)) < 0 || fflush(f) != 0)
                return -ENOMEM;
        ide_job_set_result(t->job, TAKE_PTR(o), text);
        return 0;
}

static int tool_git_branch(McpRequest *req, json_object *arguments) {
        return ide_call(req, arguments, json_get_string(arguments, "create") ? IDE_ACTION_WRITE : IDE_ACTION_READ, NULL,
                work_git_branch);
}

/* --- ide_git_checkout ---------------------------------------------------------------------------------- */

typedef struct Conflicts {
        json_object *paths;
} Conflicts;

static int on_conflict(git_checkout_notify_t why, const char *path, const git_diff_file *baseline,
        const git_diff_file *target, const git_diff_file *workdir, void *payload) {
        Conflicts *c = payload;
        if (why == GIT_CHECKOUT_NOTIFY_CONFLICT)
                (void) json_object_array_add(c->paths, json_object_new_string(path));
        return 0;
}

static int work_git_checkout(IdeTask *t) {
        _cleanup_(git_repository_freep) git_repository *repo = NULL;
        if (ide_git_open(t, &repo) < 0)
                return 0;
        const char *target = json_get_string(t->arguments, "target");
        bool create = json_get_bool(t->arguments, "create", false);
        _cleanup_(git_reference_freep) git_reference *branch = NULL;
        _cleanup_(git_object_freep) git_object *obj = NULL, *commit = NULL;

        if (create) {
                if (!branch_name_valid(target)) {
                        ide_job_set_error(t->job, "\"%s\" is not a valid branch name.", target);
                        return 0;
                }
                if (git_revparse_single(&obj, repo, "HEAD") < 0 || git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0)
                        return ide_git_error(t, "HEAD names no commit"), 0;
                if (git_branch_create(&branch, repo, target, (git_commit *) commit, false) < 0)
                        return ide_git_error(t, "The branch cannot be made"), 0;
        } else if (git_branch_lookup(&branch, repo, target, GIT_BRANCH_LOCAL) < 0) {
                if (git_revparse_single(&obj, repo, target) < 0)
                        return ide_git_error(t, "The target is neither a branch nor a revision"), 0;
        }
        if (branch && !commit && git_reference_peel(&commit, branch, GIT_OBJECT_COMMIT) < 0)
                return ide_git_error(t, "The branch names no commit"), 0;
        if (!commit && git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0)
                return ide_git_error(t, "The target names no commit"), 0;

        /* SAFE: changes of the work tree that the checkout would overwrite stop it, and are listed. */
        _cleanup_json_ json_object *conflicts = json_object_new_array();
        if (!conflicts)
                return -ENOMEM;
        Conflicts c = { conflicts };
        git_checkout_options opts = GIT_CHECKOUT_OPTIONS_INIT;
        opts.checkout_strategy = GIT_CHECKOUT_SAFE;
        opts.notify_flags = GIT_CHECKOUT_NOTIFY_CONFLICT;
        opts.notify_cb = on_conflict;
        opts.notify_payload = &c;
        if (git_checkout_tree(repo, commit, &opts) < 0) {
                if (json_object_array_length(conflicts) > 0) {
                        ide_job_set_error(t->job,
                                "The checkout would overwrite local changes to %s; commit them, or move them away, "
                                "first. Nothing was changed.",
                                json_object_to_json_string_ext(conflicts, JSON_C_TO_STRING_PLAIN));
                        return 0;
                }
                return ide_git_error(t, "The checkout failed"), 0;
        }
        int r = branch ? git_repository_set_head(repo, git_reference_name(branch))
                       : git_repository_set_head_detached(repo, git_object_id(commit));
        if (r < 0)
                return ide_git_error(t, "HEAD cannot be moved"), 0;

        char id[GIT_OID_HEXSZ + 1], short_id[11];
        ide_git_oid_str(git_object_id(commit), id, short_id);
        _cleanup_json_ json_object *o = json_object_new_object();
        _cleanup_free_ char *text = NULL;
        if (!o || json_add_string(o, "target", target) < 0 || json_add_string(o, "commit", id) < 0 ||
                json_add(o, "detached", json_object_new_boolean(!branch)) < 0 ||
                json_add(o, "created", json_object_new_boolean(create)) < 0 ||
                asprintf(&text, "%s %s (%s)%s.", branch ? "Switched to branch" : "HEAD is now at", target, short_id,
                        create ? ", a new branch" : "") < 0)
                return -ENOMEM;
        ide_job_set_result(t->job, TAKE_PTR(o), text);
        return 0;
}

static int tool_git_checkout(McpRequest *req, json_object *arguments) {
        return ide_call(req, arguments, IDE_ACTION_WRITE, NULL, work_git_checkout);
}

/* --- the table ------------------------------------------------------------------------------------------ */

#define CHANGES "{\"readOnlyHint\":false,\"destructiveHint\":false,\"idempotentHint\":false,\"openWorldHint\":false}"

const McpTool ide_git_write_tools[] = {
        { .name = "ide_git_add",
                .title = "Git add",
                .description = "Stages paths (files or directories; \".\" for everything) of the workspace "
                               "repository: new and changed files are added, deleted ones removed from the index. "
                               "Ignored files are not added.",
                .input_schema = ide_schema_ide_git_add_input,
                .output_schema = ide_schema_ide_git_add_output,
                .annotations = CHANGES,
                .polkit_action = IDE_ACTION_WRITE,
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_git_add },
        { .name = "ide_git_commit",
                .title = "Git commit",
                .description = "Commits what is staged with a message, on the current branch. The author is the "
                               "one ide.conf names (CommitAuthorName=, CommitAuthorEmail=), or else the principal "
                               "the call comes for. Refused when nothing is staged, unless allow_empty.",
                .input_schema = ide_schema_ide_git_commit_input,
                .output_schema = ide_schema_ide_git_commit_output,
                .annotations = CHANGES,
                .polkit_action = IDE_ACTION_WRITE,
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_git_commit },
        { .name = "ide_git_branch",
                .title = "Git branches",
                .description = "Lists the local branches (the current one marked, with upstreams), or with create "
                               "makes a new branch at start_point (default HEAD) without switching to it.",
                .input_schema = ide_schema_ide_git_branch_input,
                .output_schema = ide_schema_ide_git_branch_output,
                .annotations = CHANGES,
                .polkit_action = IDE_ACTION_READ, /* org.aios.ide.write too when it creates */
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_git_branch },
        { .name = "ide_git_checkout",
                .title = "Git checkout",
                .description = "Switches the work tree to a branch (create makes it first, at HEAD) or to a "
                               "revision (detached HEAD). Local changes that it would overwrite stop it, and are "
                               "listed; nothing is lost.",
                .input_schema = ide_schema_ide_git_checkout_input,
                .output_schema = ide_schema_ide_git_checkout_output,
                .annotations = CHANGES,
                .polkit_action = IDE_ACTION_WRITE,
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_git_checkout },
        {}
};
