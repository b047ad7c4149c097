/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* .gitignore files, parsed once per directory the walk enters. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "glob.h"
#include "ignore.h"
#include "macro.h"
#include "workspace.h"

#define IGNORE_FILE_MAX (1024 * 1024)

typedef struct Rule {
        char *pattern; /* without "!", the trailing "/" or a leading "/" */
        bool negate, dir_only, anchored;
} Rule;

struct IdeIgnore {
        IdeIgnore *parent;
        char *base; /* the directory the rules are relative to, "" or "a/b" */
        Rule *rules;
        size_t n;
};

static int parse_rules(IdeIgnore *l, char *text) {
        for (char *line = text, *next; line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                size_t n = strlen(line);
                if (n > 0 && line[n - 1] == '\r')
                        line[--n] = 0;
                /* Trailing spaces are dropped unless escaped. */
                while (n > 0 && line[n - 1] == ' ' && !(n > 1 && line[n - 2] == '\\'))
                        line[--n] = 0;
                if (n == 0 || line[0] == '#')
                        continue;
                Rule r = {};
                if (line[0] == '!') {
                        r.negate = true;
                        line++, n--;
                } else if (line[0] == '\\' && (line[1] == '!' || line[1] == '#'))
                        line++, n--;
                if (n > 0 && line[n - 1] == '/') {
                        r.dir_only = true;
                        line[--n] = 0;
                }
                if (n == 0)
                        continue;
                r.anchored = strchr(line, '/') != NULL;
                if (line[0] == '/')
                        line++;
                Rule *m = realloc(l->rules, (l->n + 1) * sizeof(Rule));
                if (!m)
                        return -ENOMEM;
                l->rules = m;
                if (!(r.pattern = strdup(line)))
                        return -ENOMEM;
                l->rules[l->n++] = r;
        }
        return 0;
}

static int read_small(int dirfd, const char *path, char **ret) {
        _cleanup_close_ int fd = ide_openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW, 0);
        if (fd < 0)
                return fd;
        char *buf = malloc(IGNORE_FILE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        size_t size = 0;
        for (;;) {
                ssize_t n = read(fd, buf + size, IGNORE_FILE_MAX - size);
                if (n <= 0)
                        break;
                size += n;
                if (size == IGNORE_FILE_MAX)
                        break;
        }
        buf[size] = 0;
        *ret = buf;
        return 0;
}

int ide_ignore_push(IdeIgnore **stack, int dirfd, const char *base, bool root) {
        _cleanup_free_ char *text = NULL, *exclude = NULL;
        (void) read_small(dirfd, ".gitignore", &text);
        if (root)
                (void) read_small(dirfd, ".git/info/exclude", &exclude);
        if (!text && !exclude)
                return 0;
        IdeIgnore *l = new0(IdeIgnore, 1);
        if (!l)
                return -ENOMEM;
        l->base = strdup(base);
        /* info/exclude ranks below the root's .gitignore: its rules come first. */
        if (!l->base || (exclude && parse_rules(l, exclude) < 0) || (text && parse_rules(l, text) < 0)) {
                l->parent = NULL;
                ide_ignore_free(&l);
                return -ENOMEM;
        }
        l->parent = *stack;
        *stack = l;
        return 1;
}

static void level_free(IdeIgnore *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->rules[i].pattern);
        free(l->rules);
        free(l->base);
        free(l);
}

void ide_ignore_pop(IdeIgnore **stack) {
        IdeIgnore *l = *stack;
        if (!l)
                return;
        *stack = l->parent;
        level_free(l);
}

void ide_ignore_free(IdeIgnore **stack) {
        while (*stack)
                ide_ignore_pop(stack);
}

/* The deepest level decides first; within one, the last matching rule. */
bool ide_ignore_match(IdeIgnore *stack, const char *path, bool is_dir) {
        for (IdeIgnore *l = stack; l; l = l->parent) {
                size_t bn = strlen(l->base);
                const char *rel = path;
                if (bn > 0) {
                        if (strncmp(path, l->base, bn) != 0 || path[bn] != '/')
                                continue;
                        rel = path + bn + 1;
                }
                const char *name = strrchr(rel, '/');
                name = name ? name + 1 : rel;
                for (size_t i = l->n; i > 0; i--) {
                        Rule *r = &l->rules[i - 1];
                        if (r->dir_only && !is_dir)
                                continue;
                        if (r->anchored ? ide_glob_match(r->pattern, rel) : ide_glob_match(r->pattern, name))
                                return !r->negate;
                }
        }
        return false;
}
