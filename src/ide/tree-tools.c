/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ide_list_directory and ide_find_files: walks of a workspace's tree. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "call.h"
#include "glob.h"
#include "job.h"
#include "mcp-request.h"
#include "schemas.h"
#include "text.h"
#include "walk.h"
#include "workspace.h"

static unsigned get_unsigned(json_object *o, const char *key, unsigned def) {
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return def;
        int64_t i = json_object_get_int64(v);
        return i < 0 ? def : (unsigned) MIN(i, (int64_t) UINT32_MAX);
}

static const char *type_name(unsigned char type) {
        switch (type) {
        case DT_REG:
                return "file";
        case DT_DIR:
                return "directory";
        case DT_LNK:
                return "symlink";
        case DT_FIFO:
                return "fifo";
        case DT_SOCK:
                return "socket";
        default:
                return "device";
        }
}

typedef struct Collect {
        IdeTask *t;
        json_object *entries;
        FILE *text;
        unsigned max, n;
        bool truncated, sizes;
        json_object *globs; /* ide_find_files: any of them */
        json_object *excludes;
        const char *type; /* "file", "directory" or NULL */
} Collect;

static int add_entry(Collect *c, const IdeWalkEntry *e) {
        if (c->n >= c->max) {
                c->truncated = true;
                return IDE_WALK_STOP;
        }
        json_object *o = json_object_new_object();
        if (!o || json_add(o, "path", ide_json_string(e->path, strlen(e->path))) < 0 ||
                json_add_string(o, "type", type_name(e->type)) < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        struct stat st;
        bool sized = c->sizes && e->type == DT_REG && fstatat(e->dirfd, e->name, &st, AT_SYMLINK_NOFOLLOW) >= 0;
        if (sized && json_add(o, "size", json_object_new_int64(st.st_size)) < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        if (json_object_array_add(c->entries, o) < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        c->n++;
        return 0;
}

/* --- ide_list_directory -------------------------------------------------------------------------------- */

static int visit_list(const IdeWalkEntry *e, void *userdata) {
        Collect *c = userdata;
        int r = add_entry(c, e);
        if (r != 0)
                return r;
        json_object *o = json_object_array_get_idx(c->entries, c->n - 1);
        fprintf(c->text, "%*s%s%s", (int) (e->depth - 1) * 2, "", e->name, e->type == DT_DIR ? "/" : "");
        if (json_get_object(o, "size"))
                fprintf(c->text, " (%" PRId64 " bytes)", json_object_get_int64(json_get_object(o, "size")));
        if (e->type == DT_LNK)
                fputs(" (symlink)", c->text);
        fputc('\n', c->text);
        return 0;
}

static int work_list_directory(IdeTask *t) {
        _cleanup_free_ char *start = NULL, *text = NULL;
        const char *reason;
        if (ide_path_normalize(json_get_string(t->arguments, "path"), &start, &reason) < 0)
                return -ENOMEM;
        size_t size = 0;
        _cleanup_(fclosep) FILE *f = open_memstream(&text, &size);
        _cleanup_json_ json_object *entries = json_object_new_array();
        if (!f || !entries)
                return -ENOMEM;
        Collect c = {
                .t = t,
                .entries = entries,
                .text = f,
                .max = MIN(get_unsigned(t->arguments, "max_entries", t->config->max_results), t->config->max_results),
                .sizes = json_get_bool(t->arguments, "sizes", true),
        };
        IdeWalkOptions o = {
                .gitignore = json_get_bool(t->arguments, "gitignore", true),
                .hidden = json_get_bool(t->arguments, "hidden", true),
                .max_depth = MAX(get_unsigned(t->arguments, "depth", 1), 1u),
        };
        int r = ide_walk(t->ws, start, &o, t->job, visit_list, &c);
        if (r == -ECANCELED || r == -ENOMEM)
                return r;
        if (r < 0) {
                ide_job_set_error(t->job, "%s cannot be listed: %s.", start, ide_errno_text(r));
                return 0;
        }
        if (c.truncated)
                fprintf(f, "... (more entries: the listing stops at %u; list a subdirectory or lower depth)\n", c.max);
        if (fflush(f) != 0)
                return -ENOMEM;
        _cleanup_json_ json_object *result = json_object_new_object();
        if (!result || json_add_string(result, "path", start) < 0 ||
                json_add(result, "entries", TAKE_PTR(entries)) < 0 ||
                json_add(result, "truncated", json_object_new_boolean(c.truncated)) < 0)
                return -ENOMEM;
        ide_job_set_result(t->job, TAKE_PTR(result), isempty(text) ? "(empty)" : text);
        return 0;
}

static int tool_list_directory(McpRequest *req, json_object *arguments) {
        return ide_call(req, arguments, IDE_ACTION_READ, (const char *const[]){ "path", NULL }, work_list_directory);
}

/* --- ide_find_files ------------------------------------------------------------------------------------ */

static bool any_glob(json_object *globs, const char *path) {
        for (size_t i = 0; globs && i < json_object_array_length(globs); i++)
                if (ide_glob_match_path(json_object_get_string(json_object_array_get_idx(globs, i)), path))
                        return true;
        return false;
}

static int visit_find(const IdeWalkEntry *e, void *userdata) {
        Collect *c = userdata;
        if (any_glob(c->excludes, e->path))
                return IDE_WALK_SKIP;
        if (c->type && !streq(c->type, type_name(e->type)))
                return 0;
        if (!any_glob(c->globs, e->path))
                return 0;
        int r = add_entry(c, e);
        if (r != 0)
                return r;
        fprintf(c->text, "%s%s\n", e->path, e->type == DT_DIR ? "/" : "");
        return 0;
}

static int work_find_files(IdeTask *t) {
        _cleanup_free_ char *start = NULL, *text = NULL;
        const char *reason;
        if (ide_path_normalize(json_get_string(t->arguments, "path"), &start, &reason) < 0)
                return -ENOMEM;
        size_t size = 0;
        _cleanup_(fclosep) FILE *f = open_memstream(&text, &size);
        _cleanup_json_ json_object *entries = json_object_new_array(), *globs = json_object_new_array();
        if (!f || !entries || !globs)
                return -ENOMEM;
        json_object *pattern = NULL;
        json_object_object_get_ex(t->arguments, "pattern", &pattern);
        if (json_object_is_type(pattern, json_type_string))
                (void) json_object_array_add(globs, json_object_get(pattern));
        else
                for (size_t i = 0; i < json_object_array_length(pattern); i++)
                        (void) json_object_array_add(globs, json_object_get(json_object_array_get_idx(pattern, i)));
        const char *type = json_get_string(t->arguments, "type");
        Collect c = {
                .t = t,
                .entries = entries,
                .text = f,
                .max = MIN(get_unsigned(t->arguments, "max_results", t->config->max_results), t->config->max_results),
                .sizes = true,
                .globs = globs,
                .excludes = json_get_array(t->arguments, "exclude"),
                .type = type && !streq(type, "any") ? type : NULL,
        };
        IdeWalkOptions o = {
                .gitignore = json_get_bool(t->arguments, "gitignore", true),
                .hidden = json_get_bool(t->arguments, "hidden", true),
                .max_depth = get_unsigned(t->arguments, "max_depth", 0),
        };
        int r = ide_walk(t->ws, start, &o, t->job, visit_find, &c);
        if (r == -ECANCELED || r == -ENOMEM)
                return r;
        if (r < 0) {
                ide_job_set_error(t->job, "%s cannot be searched: %s.", start, ide_errno_text(r));
                return 0;
        }
        if (c.truncated)
                fprintf(f, "... (more matches: the list stops at %u)\n", c.max);
        if (fflush(f) != 0)
                return -ENOMEM;
        _cleanup_json_ json_object *result = json_object_new_object();
        if (!result || json_add(result, "matches", TAKE_PTR(entries)) < 0 ||
                json_add(result, "truncated", json_object_new_boolean(c.truncated)) < 0)
                return -ENOMEM;
        ide_job_set_result(t->job, TAKE_PTR(result), isempty(text) ? "No file matches." : text);
        return 0;
}

static int tool_find_files(McpRequest *req, json_object *arguments) {
        return ide_call(req, arguments, IDE_ACTION_READ, (const char *const[]){ "path", NULL }, work_find_files);
}

/* --- the table ------------------------------------------------------------------------------------------ */

#define READ_ONLY "{\"readOnlyHint\":true,\"openWorldHint\":false}"

const McpTool ide_tree_tools[] = {
        { .name = "ide_list_directory",
                .title = "List a directory",
                .description = "Lists a directory of a workspace as a tree, depth levels deep (1: its entries "
                               "only), with file sizes; what .gitignore files ignore is left out unless gitignore "
                               "is false, and .git and the trash always. Symlinks are shown, not followed.",
                .input_schema = ide_schema_ide_list_directory_input,
                .output_schema = ide_schema_ide_list_directory_output,
                .annotations = READ_ONLY,
                .polkit_action = IDE_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_list_directory },
        { .name = "ide_find_files",
                .title = "Find files",
                .description = "Finds files (or directories: type) of a workspace whose path matches a glob or any "
                               "of a list of globs: \"*.c\" matches names anywhere, \"src/**/test_*.py\" whole paths, "
                               "\"**\" any number of directories. exclude globs prune. .gitignore is respected unless "
                               "gitignore is false.",
                .input_schema = ide_schema_ide_find_files_input,
                .output_schema = ide_schema_ide_find_files_output,
                .annotations = READ_ONLY,
                .polkit_action = IDE_ACTION_READ,
                .polkit_required = true,
                .polkit_detail_argument = "workspace",
                .handler = tool_find_files },
        {}
};
