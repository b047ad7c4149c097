/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Configuration files in systemd's ini style, read with libinih, and the parsers of the values they hold. */
#include <dirent.h>
#include <ini.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>

#include "conf-parser.h"
#include "log.h"
#include "strv.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

/* ASCII letters, digits and the characters in extra; the locale must not widen the set. */
bool config_string_is_token(const char *s, const char *extra, size_t max) {
        size_t n = 0;
        for (; s[n]; n++)
                if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9') ||
                            strchr(extra, s[n])))
                        return false;
        return n <= max;
}

/* A decimal number without sign or spaces; *ret_end points after its last digit. */
int config_parse_digits(const char *s, uint64_t *ret, const char **ret_end) {
        uint64_t v = 0;
        const char *p = s;
        for (; *p >= '0' && *p <= '9'; p++) {
                unsigned d = *p - '0';
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        if (p == s)
                return -EINVAL;
        *ret = v;
        *ret_end = p;
        return 0;
}

int config_parse_boolean(const char *s) {
        static const char *const yes[] = { "yes", "true", "on", "1" };
        static const char *const no[] = { "no", "false", "off", "0" };
        FOREACH_ELEMENT(i, yes)
        if (strcasecmp(s, *i) == 0)
                return 1;
        FOREACH_ELEMENT(i, no)
        if (strcasecmp(s, *i) == 0)
                return 0;
        return -EINVAL;
}

int config_set_string(char **s, const char *value) {
        char *copy = NULL;
        if (!isempty(value) && !(copy = strdup(value)))
                return -ENOMEM;
        free(*s);
        *s = copy;
        return 0;
}

int config_parse_string(const char *value, void *data) {
        return config_set_string(data, value);
}

int config_parse_path(const char *value, void *data) {
        if (!isempty(value) && value[0] != '/')
                return -EINVAL;
        return config_set_string(data, value);
}

/* A unit name: a name and a unit type suffix, of the characters systemd allows. */
int config_parse_unit_name(const char *value, void *data) {
        const char *dot = strrchr(value, '.');
        if (!dot || dot == value || strlen(value) > 255 || !dot[1] ||
                value[strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:-_.\\@")])
                return -EINVAL;
        return config_set_string(data, value);
}

/* A systemd credential's name ([A-Za-z0-9_.-], not "." or ".."), or an absolute path. */
int config_parse_credential(const char *value, void *data) {
        if (value[0] != '/' &&
                (isempty(value) || streq(value, ".") || streq(value, "..") ||
                        value[strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")]))
                return -EINVAL;
        return config_set_string(data, value);
}

int config_parse_bool(const char *value, void *data) {
        int b = config_parse_boolean(value);
        if (b < 0)
                return b;
        *(bool *) data = b;
        return 0;
}

int config_parse_unsigned(const char *value, void *data) {
        uint64_t v = 0;
        const char *end;
        if (!isempty(value) && (config_parse_digits(value, &v, &end) < 0 || *end || v == 0 || v > UINT_MAX))
                return -EINVAL;
        *(unsigned *) data = v;
        return 0;
}

/* Bytes, with an optional K, M or G suffix (powers of 1024, as in systemd). */
int config_parse_size(const char *value, void *data) {
        uint64_t v = 0, factor = 1;
        const char *end;
        if (!isempty(value)) {
                if (config_parse_digits(value, &v, &end) < 0)
                        return -EINVAL;
                if (*end) {
                        const char *units = "KMG", *u = strchr(units, *end);
                        if (!u || end[1])
                                return -EINVAL;
                        for (const char *i = units; i <= u; i++)
                                factor *= 1024;
                }
                if (v == 0 || v > UINT64_MAX / factor)
                        return -EINVAL;
        }
        *(uint64_t *) data = v * factor;
        return 0;
}

/* A time span: a number with an optional fraction and an optional unit; no unit means seconds. */
int config_parse_sec(const char *value, void *data) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                { "", USEC_PER_SEC },
                { "us", 1 },
                { "ms", USEC_PER_MSEC },
                { "s", USEC_PER_SEC },
                { "sec", USEC_PER_SEC },
                { "min", 60 * USEC_PER_SEC },
                { "h", 3600 * USEC_PER_SEC },
        };
        uint64_t whole, fraction = 0, scale = 1, usec = 0;
        const char *p;

        if (!isempty(value)) {
                if (config_parse_digits(value, &whole, &p) < 0)
                        return -EINVAL;
                if (*p == '.') {
                        if (!(p[1] >= '0' && p[1] <= '9'))
                                return -EINVAL;
                        /* Digits beyond the nanoseconds do not matter, and would overflow. */
                        for (p++; *p >= '0' && *p <= '9'; p++)
                                if (scale < 1000000000) {
                                        fraction = fraction * 10 + (uint64_t) (*p - '0');
                                        scale *= 10;
                                }
                }
                p += strspn(p, " ");

                bool found = false;
                FOREACH_ELEMENT(u, units) {
                        if (!streq(p, u->suffix))
                                continue;
                        uint64_t part = fraction * u->usec / scale;
                        if (whole > (UINT64_MAX - part) / u->usec)
                                return -EINVAL;
                        usec = whole * u->usec + part;
                        found = true;
                        break;
                }
                if (!found || usec == 0)
                        return -EINVAL;
        }
        *(uint64_t *) data = usec;
        return 0;
}

static bool endswith(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && streq(s + n - m, suffix);
}

unsigned config_file_item_line(const ConfigFile *f, const char *key) {
        for (size_t i = 0; i < f->n_items; i++)
                if (streq(f->items[i].key, key))
                        return f->item_lines[i];
        return 0;
}

/* inih's fgets-style reader. We read for it to count lines (its handler only gets them when inih is built
 * with INI_HANDLER_LINENO, which distributions do not do) and to refuse lines longer than its buffer, which
 * it would otherwise parse as two lines. */
static char *config_read_line(char *buf, int size, void *userdata) {
        ConfigFile *f = userdata;

        if (!fgets(buf, size, f->file))
                return NULL;
        f->line++;

        size_t n = strlen(buf);
        if ((int) n == size - 1 && buf[n - 1] != '\n') {
                int c = getc(f->file);
                if (c != EOF) {
                        log_error("%s:%u: Line too long, expected at most %d characters.", f->path, f->line, size - 2);
                        if (f->r >= 0) {
                                f->r = -EINVAL;
                                f->error_line = f->line;
                        }
                        return NULL;
                }
        }

        /* inih takes an indented line for the continuation of the previous value (as Python's configparser
         * does); in systemd's format indentation means nothing, so it never gets to see any. */
        size_t skip = strspn(buf, " \t");
        memmove(buf, buf + skip, n - skip + 1);
        return buf;
}

/* Records the first failure and tells inih that this line failed. */
static int config_file_fail(ConfigFile *f, int r) {
        if (f->r >= 0) {
                f->r = r;
                f->error_line = f->line;
        }
        return 0;
}

static int config_parse_item(ConfigFile *f, const ConfigItem *item, void *target, const char *key, const char *value) {
        int r = item->parse(value, (uint8_t *) target + item->offset);
        if (r == -ENOMEM)
                return config_file_fail(f, log_oom());
        if (r < 0) {
                log_error("%s:%u: Invalid value \"%s\" for %s=, expected %s.", f->path, f->line, value, key,
                        item->expected);
                return config_file_fail(f, -EINVAL);
        }
        return 1;
}

/* An assignment in one of the further sections; 0 when section is none of them. */
static int config_handle_more(ConfigFile *f, const char *section, const char *key, const char *value) {
        for (size_t s = 0; s < f->n_more; s++) {
                const ConfigSection *m = &f->more[s];
                if (!streq(section, m->name))
                        continue;
                for (size_t i = 0; i < m->n_items; i++)
                        if (streq(key, m->items[i].key))
                                return config_parse_item(f, &m->items[i], m->target, key, value);
                log_warning("%s:%u: Unknown key %s= in section [%s], ignoring.", f->path, f->line, key, section);
                return 1;
        }
        return 0;
}

static int config_handle_assignment(void *userdata, const char *section, const char *key, const char *value) {
        ConfigFile *f = userdata;

        if (isempty(section)) {
                log_warning("%s:%u: Assignment %s= outside of any section, ignoring.", f->path, f->line, key);
                return 1;
        }
        if (!streq(section, f->section) && config_handle_more(f, section, key, value) > 0)
                return 1;
        if (!streq(section, f->section)) {
                if (!streq(section, f->warned_section)) {
                        log_warning("%s:%u: Unknown section [%s], ignoring its assignments.", f->path, f->line,
                                section);
                        snprintf(f->warned_section, sizeof(f->warned_section), "%s", section);
                }
                return 1;
        }
        f->warned_section[0] = 0;

        for (size_t i = 0; i < f->n_items; i++) {
                const ConfigItem *item = &f->items[i];
                if (!streq(key, item->key))
                        continue;

                int r = item->parse(value, (uint8_t *) f->target + item->offset);
                if (r == -ENOMEM)
                        return config_file_fail(f, log_oom());
                if (r < 0) {
                        log_error("%s:%u: Invalid value \"%s\" for %s=, expected %s.", f->path, f->line, value, key,
                                item->expected);
                        return config_file_fail(f, -EINVAL);
                }
                f->item_lines[i] = f->line;
                return 1;
        }

        log_warning("%s:%u: Unknown key %s= in section [%s], ignoring.", f->path, f->line, key, section);
        return 1;
}

int config_file_parse(ConfigFile *f) {
        _cleanup_(fclosep) FILE *file = fopen(f->path, "re");
        if (!file) {
                if (errno == ENOENT)
                        return 0;
                return log_error_errno(errno, "Failed to open %s: %m", f->path);
        }

        struct stat st;
        if (fstat(fileno(file), &st) < 0)
                return log_error_errno(errno, "Failed to check %s: %m", f->path);
        if (S_ISDIR(st.st_mode))
                return log_error_errno(EISDIR, "Failed to read %s: %m", f->path);

        f->file = file;
        int k = ini_parse_stream(config_read_line, f, config_handle_assignment, f);
        f->file = NULL;

        if (ferror(file))
                return log_error_errno(EIO, "Failed to read %s: %m", f->path);
        if (k == -2)
                return log_oom();
        /* inih returns the first line that failed: if it is not one of ours, inih could not parse it. */
        if (k > 0 && (unsigned) k != f->error_line)
                return log_error_errno(EINVAL,
                        "%s:%d: Syntax error, expected a [Section] header, a Key=Value assignment or a comment.",
                        f->path, k);
        if (k < 0)
                return log_error_errno(EIO, "Failed to parse %s.", f->path);
        if (f->r < 0)
                return f->r;
        return 1;
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The names of the regular files in dir that end in ".conf", in bytewise order; NULL when there are none. */
int config_list_files(const char *dir, char ***ret) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        if (!d) {
                if (errno != ENOENT)
                        return log_error_errno(errno, "Failed to open directory %s: %m", dir);
                *ret = NULL;
                return 0;
        }

        _cleanup_(strv_freep) char **names = NULL;
        size_t n = 0;
        for (;;) {
                errno = 0;
                struct dirent *de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                return log_error_errno(errno, "Failed to read directory %s: %m", dir);
                        break;
                }
                if (!endswith(de->d_name, ".conf"))
                        continue;

                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, 0) < 0) {
                        if (errno == ENOENT) /* removed meanwhile, or a dangling symlink */
                                continue;
                        return log_error_errno(errno, "Failed to check %s/%s: %m", dir, de->d_name);
                }
                if (!S_ISREG(st.st_mode)) {
                        log_warning("%s/%s is not a regular file, ignoring.", dir, de->d_name);
                        continue;
                }

                char **grown = realloc(names, (n + 2) * sizeof(char *));
                if (!grown)
                        return log_oom();
                names = grown;
                names[n + 1] = NULL;
                names[n] = strdup(de->d_name);
                if (!names[n])
                        return log_oom();
                n++;
        }

        if (n > 0)
                qsort(names, n, sizeof(char *), compare_names);
        *ret = TAKE_PTR(names);
        return 0;
}

int config_parse_with_dropins(const char *path, int (*parse)(const char *path, void *userdata), void *userdata) {
        int r = parse(path, userdata);
        if (r < 0)
                return r;

        _cleanup_free_ char *dir = NULL;
        _cleanup_(strv_freep) char **dropins = NULL;
        if (asprintf(&dir, "%s.d", path) < 0)
                return log_oom();
        r = config_list_files(dir, &dropins);
        if (r < 0)
                return r;
        for (char **d = dropins; d && *d; d++) {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/%s", dir, *d) < 0)
                        return log_oom();
                r = parse(p, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}
