/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The depth-first walk every tree tool shares. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ignore.h"
#include "job.h"
#include "walk.h"
#include "workspace.h"

typedef struct Walk {
        const IdeWalkOptions *o;
        IdeJob *job;
        IdeWalkVisit visit;
        void *userdata;
        IdeIgnore *ignore;
        char path[IDE_PATH_MAX + 1];
} Walk;

typedef struct Entry {
        char *name;
        unsigned char type;
} Entry;

static int entry_compare(const void *a, const void *b) {
        return strcmp(((const Entry *) a)->name, ((const Entry *) b)->name);
}

static int walk_dir(Walk *w, int fd, size_t path_len, unsigned depth) {
        if (w->job && ide_job_cancelled(w->job))
                return -ECANCELED;
        int pushed = 0;
        if (w->o->gitignore) {
                pushed = ide_ignore_push(&w->ignore, fd, path_len == 0 ? "" : w->path, path_len == 0);
                if (pushed < 0)
                        return pushed;
        }

        /* Read the whole directory first: the fd of each level stays open below, the DIR buffers do not. */
        int dfd = dup(fd);
        DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
        if (!d) {
                safe_close(dfd);
                if (pushed > 0)
                        ide_ignore_pop(&w->ignore);
                return 0; /* unreadable: nothing in it is seen */
        }
        rewinddir(d);
        Entry *entries = NULL;
        size_t n = 0, allocated = 0;
        int r = 0;
        for (struct dirent *de; (de = readdir(d));) {
                const char *name = de->d_name;
                if (streq(name, ".") || streq(name, ".."))
                        continue;
                if (streq(name, ".git") || (path_len == 0 && streq(name, IDE_TRASH_DIR)))
                        continue;
                if (name[0] == '.' && !w->o->hidden)
                        continue;
                if (n == allocated) {
                        allocated = allocated * 2 + 64;
                        Entry *m = realloc(entries, allocated * sizeof(Entry));
                        if (!m) {
                                r = -ENOMEM;
                                break;
                        }
                        entries = m;
                }
                entries[n].name = strdup(name);
                entries[n].type = de->d_type;
                if (!entries[n].name) {
                        r = -ENOMEM;
                        break;
                }
                n++;
        }
        closedir(d);
        if (r >= 0)
                qsort(entries, n, sizeof(Entry), entry_compare);

        for (size_t i = 0; r >= 0 && i < n; i++) {
                Entry *e = &entries[i];
                size_t len = strlen(e->name);
                if (path_len + 1 + len > IDE_PATH_MAX)
                        continue;
                if (path_len > 0)
                        w->path[path_len] = '/';
                memcpy(w->path + path_len + (path_len > 0), e->name, len + 1);
                size_t sub_len = path_len + (path_len > 0) + len;

                if (e->type == DT_UNKNOWN) {
                        struct stat st;
                        if (fstatat(fd, e->name, &st, AT_SYMLINK_NOFOLLOW) >= 0)
                                e->type = IFTODT(st.st_mode);
                }
                if (w->o->gitignore && ide_ignore_match(w->ignore, w->path, e->type == DT_DIR))
                        continue;
                IdeWalkEntry we = { w->path, e->name, fd, e->type, depth };
                int v = w->visit(&we, w->userdata);
                if (v < 0 || v == IDE_WALK_STOP) {
                        r = v < 0 ? v : IDE_WALK_STOP;
                        break;
                }
                if (e->type != DT_DIR || v == IDE_WALK_SKIP || (w->o->max_depth > 0 && depth >= w->o->max_depth) ||
                        depth >= IDE_WALK_DEPTH_MAX)
                        continue;
                int sub = ide_openat(fd, e->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
                if (sub < 0)
                        continue;
                r = walk_dir(w, sub, sub_len, depth + 1);
                safe_close(sub);
                w->path[path_len] = 0;
        }
        for (size_t i = 0; i < n; i++)
                free(entries[i].name);
        free(entries);
        w->path[path_len] = 0;
        if (pushed > 0)
                ide_ignore_pop(&w->ignore);
        return r;
}

/* The rules of the directories above start count too: push them on the way down to it. */
static int push_above(Walk *w, IdeWorkspace *ws, const char *start) {
        _cleanup_free_ char *prefix = strdup(start);
        if (!prefix)
                return -ENOMEM;
        for (char *p = prefix;;) {
                char *slash = strchr(p, '/');
                /* The directory above the next component: "" (the root), then "a", "a/b", ... */
                size_t len = p == prefix ? 0 : (size_t) (p - prefix - 1);
                char saved = prefix[len];
                prefix[len] = 0;
                _cleanup_close_ int fd = ide_open(ws, len == 0 ? "." : prefix, O_RDONLY | O_DIRECTORY, 0);
                if (fd >= 0 && ide_ignore_push(&w->ignore, fd, prefix, len == 0) < 0)
                        return -ENOMEM;
                prefix[len] = saved;
                if (!slash)
                        return 0;
                p = slash + 1;
        }
}

int ide_walk(IdeWorkspace *ws, const char *start, const IdeWalkOptions *o, IdeJob *job, IdeWalkVisit visit,
        void *userdata) {
        Walk w = { .o = o, .job = job, .visit = visit, .userdata = userdata };
        _cleanup_close_ int fd = ide_open(ws, start, O_RDONLY | O_DIRECTORY, 0);
        if (fd < 0)
                return fd;
        bool root = streq(start, ".");
        if (!root) {
                if (strlen(start) > IDE_PATH_MAX)
                        return -ENAMETOOLONG;
                strcpy(w.path, start);
                if (o->gitignore) {
                        int r = push_above(&w, ws, start);
                        if (r < 0) {
                                ide_ignore_free(&w.ignore);
                                return r;
                        }
                }
        }
        int r = walk_dir(&w, fd, root ? 0 : strlen(start), 1);
        ide_ignore_free(&w.ignore);
        return r == IDE_WALK_STOP ? 0 : r;
}
