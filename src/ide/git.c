/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Opening a workspace's repository, and what the git tools share. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "git.h"
#include "job.h"
#include "strv.h"
#include "workspace.h"

static pthread_once_t git_once = PTHREAD_ONCE_INIT;
static bool git_started = false;

static void git_start(void) {
        if (git_libgit2_init() < 0)
                return;
        for (int level = GIT_CONFIG_LEVEL_SYSTEM; level <= GIT_CONFIG_LEVEL_GLOBAL; level++)
                (void) git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, "");
        (void) git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
        git_started = true;
}

int ide_git_init(void) {
        (void) pthread_once(&git_once, git_start);
        return git_started ? 0 : -EIO;
}

void ide_git_done(void) {
        if (git_started)
                (void) git_libgit2_shutdown();
}

int ide_git_error(IdeTask *t, const char *what) {
        const git_error *e = git_error_last();
        ide_job_set_error(t->job, "%s: %s.", what, e && e->message ? e->message : "libgit2 gave no reason");
        return -EIO;
}

int ide_git_open(IdeTask *t, git_repository **ret) {
        if (ide_git_init() < 0) {
                ide_job_set_error(t->job, "libgit2 could not be started.");
                return -EIO;
        }
        int r = git_repository_open_ext(ret, t->ws->path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
        if (r == GIT_ENOTFOUND) {
                ide_job_set_error(t->job, "Workspace %s is not a git repository (no .git at %s).", t->ws->name,
                        t->ws->path);
                return -ENOENT;
        }
        if (r < 0)
                return ide_git_error(t, "The repository cannot be opened");
        if (git_repository_is_bare(*ret)) {
                git_repository_free(*ret);
                *ret = NULL;
                ide_job_set_error(t->job, "Workspace %s is a bare repository, without a work tree.", t->ws->name);
                return -EINVAL;
        }
        return 0;
}

static int add_spec(IdeTask *t, char ***l, const char *path) {
        _cleanup_free_ char *n = NULL;
        const char *reason;
        int r = ide_path_normalize(path, &n, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                ide_job_set_error(t->job, "\"%s\" is refused: %s.", path, reason);
                return -EINVAL;
        }
        if (streq(n, "..") || strncmp(n, "../", 3) == 0 || strstr(n, "/../") ||
                (strlen(n) >= 3 && streq(n + strlen(n) - 3, "/.."))) {
                ide_job_set_error(t->job, "\"%s\" is refused: it leads outside the workspace.", path);
                return -EXDEV;
        }
        return strv_extend(l, n);
}

int ide_git_pathspec(IdeTask *t, const char *key, git_strarray *ret) {
        json_object *v = NULL;
        _cleanup_strv_free_ char **l = NULL;
        *ret = (git_strarray){};
        if (!json_object_object_get_ex(t->arguments, key, &v) || !v)
                return 0;
        int r = 0;
        if (json_object_is_type(v, json_type_string))
                r = add_spec(t, &l, json_object_get_string(v));
        else
                for (size_t i = 0; r >= 0 && i < json_object_array_length(v); i++)
                        r = add_spec(t, &l, json_object_get_string(json_object_array_get_idx(v, i)));
        if (r < 0)
                return r;
        ret->count = strv_length(l);
        ret->strings = TAKE_PTR(l);
        return 0;
}

void ide_git_pathspec_done(git_strarray *a) {
        strv_free(a->strings);
        *a = (git_strarray){};
}

void ide_git_oid_str(const git_oid *oid, char full[GIT_OID_HEXSZ + 1], char abbrev[11]) {
        git_oid_tostr(full, GIT_OID_HEXSZ + 1, oid);
        if (abbrev)
                snprintf(abbrev, 11, "%.10s", full);
}

void ide_git_time_str(const git_time *t, char buf[64]) {
        time_t tt = (time_t) t->time + (time_t) t->offset * 60;
        struct tm tm;
        gmtime_r(&tt, &tm);
        int off = t->offset < 0 ? -t->offset : t->offset;
        snprintf(buf, 64, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, t->offset < 0 ? '-' : '+', off / 60, off % 60);
}
