/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Configuration files in systemd's ini style (gateway.conf, backends.d/, a server's NAME.conf), read with
 * libinih: a section of Key=Value items, each value checked by its parser, with the file and line in every
 * message; unknown sections and keys are warned about and ignored, as systemd does. */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "macro.h"

#define CONFIG_EXPECTED_BOOLEAN "a boolean: yes, no, true, false, on, off, 1 or 0"
#define CONFIG_EXPECTED_TIME_SPAN                                                                                      \
        "a positive time span: seconds, or a number followed by us, ms, s, min or h, such as 300 or 1.5min"
#define CONFIG_EXPECTED_POSITIVE_INTEGER "a positive integer"
#define CONFIG_EXPECTED_ABSOLUTE_PATH "an absolute path"

/* The value parsers. An empty value resets strings and numbers to 0 or NULL, which
 * the caller's finishing step replaces with the default. They return 0, -EINVAL
 * when the value does not parse, or -ENOMEM. */
typedef int (*ConfigParser)(const char *value, void *data);

typedef struct ConfigItem {
        const char *key;
        ConfigParser parse;
        size_t offset;
        const char *expected; /* ends the sentence "Invalid value ... expected " */
} ConfigItem;

#define CONFIG_ITEMS_MAX 32

/* A further section a file may hold, whose keys are items, stored into target. */
typedef struct ConfigSection {
        const char *name;
        const ConfigItem *items;
        size_t n_items;
        void *target;
} ConfigSection;

/* One file being parsed: it may hold one section, whose keys are items, stored into target, and the
 * sections in more. */
typedef struct ConfigFile {
        const char *path;
        const char *section;
        const ConfigItem *items;
        size_t n_items;
        void *target;
        const ConfigSection *more;
        size_t n_more;

        FILE *file;
        unsigned line;                         /* the line inih is working on */
        unsigned item_lines[CONFIG_ITEMS_MAX]; /* where each item was last set, 0: not set */
        char warned_section[64];
        unsigned error_line; /* the first line that failed in the handler or the reader */
        int r;
} ConfigFile;

/* Parses the file f->path into f->target (and the targets of f->more). Returns 1 when the file was parsed,
 * 0 when it does not exist, or a negative errno after logging what is wrong and where. */
int config_file_parse(ConfigFile *f);
/* The line where key of f's own section was last set, 0 when it was not. */
unsigned config_file_item_line(const ConfigFile *f, const char *key);
/* The names of the regular files in dir that end in ".conf", in bytewise order (drop-ins, backends.d);
 * NULL when there are none or dir does not exist. */
int config_list_files(const char *dir, char ***ret);
/* Parses path, then the drop-ins path.d/NAME.conf in bytewise order of NAME, each with parse(), which returns
 * a negative errno after logging; a missing file or directory is not an error. Stops at the first failure. */
int config_parse_with_dropins(const char *path, int (*parse)(const char *path, void *userdata), void *userdata);

/* The value parsers, for ConfigItem.parse. data points at the field. */
int config_parse_string(const char *value, void *data);     /* char * */
int config_parse_path(const char *value, void *data);       /* char *, absolute */
int config_parse_unit_name(const char *value, void *data);  /* char *, a systemd unit name */
int config_parse_credential(const char *value, void *data); /* char *, a credential's name or an absolute path */
int config_parse_bool(const char *value, void *data);       /* bool */
int config_parse_unsigned(const char *value, void *data);   /* unsigned, positive */
int config_parse_size(const char *value, void *data);       /* uint64_t bytes, K, M, G suffixes */
int config_parse_sec(const char *value, void *data);        /* uint64_t µs, a time span */

/* Pieces for parsers of one's own. */
int config_set_string(char **s, const char *value);
int config_parse_boolean(const char *s); /* 1, 0, or -EINVAL */
int config_parse_digits(const char *s, uint64_t *ret, const char **ret_end);
bool config_string_is_token(const char *s, const char *extra, size_t max);
