/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-ided's configuration: ide.conf and the drop-ins ide.conf.d/NAME.conf, the [IDE] limits and the [Workspace]
 * sections, and each workspace's directory opened once. */
#include <fcntl.h>
#include <stdio.h>

#include "conf-parser.h"
#include "ide.h"
#include "log.h"
#include "strv.h"

#define MIB (UINT64_C(1024) * 1024)

/* The [Workspace] keys all write into the one list: Name= starts a workspace (or starts over one of that name
 * from an earlier file, so that a drop-in can redefine it), Path= and ReadOnly= set the last one started. */
static int parse_workspace_name(const char *value, void *data) {
        IdeWorkspaces *l = data;
        if (isempty(value) || value[0] == '.' || !config_string_is_token(value, "_.-", 64))
                return -EINVAL;
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->items[i].name, value)) {
                        IdeWorkspace w = l->items[i];
                        memmove(l->items + i, l->items + i + 1, (l->n - i - 1) * sizeof(IdeWorkspace));
                        l->items[l->n - 1] = w;
                        l->items[l->n - 1].path = mfree(w.path);
                        l->items[l->n - 1].read_only = false;
                        return 0;
                }
        IdeWorkspace *m = realloc(l->items, (l->n + 1) * sizeof(IdeWorkspace));
        if (!m)
                return -ENOMEM;
        l->items = m;
        l->items[l->n] = (IdeWorkspace){ .name = strdup(value), .fd = -EBADF };
        if (!l->items[l->n].name)
                return -ENOMEM;
        l->n++;
        return 0;
}

static int parse_workspace_path(const char *value, void *data) {
        IdeWorkspaces *l = data;
        if (l->n == 0 || isempty(value) || value[0] != '/')
                return -EINVAL;
        return config_set_string(&l->items[l->n - 1].path, value);
}

static int parse_workspace_read_only(const char *value, void *data) {
        IdeWorkspaces *l = data;
        if (l->n == 0)
                return -EINVAL;
        return config_parse_bool(value, &l->items[l->n - 1].read_only);
}

static const ConfigItem ide_items[] = {
        { "MaxReadSize", config_parse_size, offsetof(IdeConfig, max_read_bytes), "a size in bytes (K, M, G)" },
        { "MaxWriteSize", config_parse_size, offsetof(IdeConfig, max_write_bytes), "a size in bytes (K, M, G)" },
        { "MaxResults", config_parse_unsigned, offsetof(IdeConfig, max_results), CONFIG_EXPECTED_POSITIVE_INTEGER },
        { "SearchTimeoutSec", config_parse_sec, offsetof(IdeConfig, search_time_usec), CONFIG_EXPECTED_TIME_SPAN },
        { "MaxJobs", config_parse_unsigned, offsetof(IdeConfig, max_jobs), CONFIG_EXPECTED_POSITIVE_INTEGER },
        { "CommitAuthorName", config_parse_string, offsetof(IdeConfig, author_name), "a name" },
        { "CommitAuthorEmail", config_parse_string, offsetof(IdeConfig, author_email), "an email address" },
        { "RunTimeoutSec", config_parse_sec, offsetof(IdeConfig, run_timeout_usec), CONFIG_EXPECTED_TIME_SPAN },
        { "RunMaxTimeoutSec", config_parse_sec, offsetof(IdeConfig, run_max_timeout_usec), CONFIG_EXPECTED_TIME_SPAN },
        { "RunMemoryMax", config_parse_size, offsetof(IdeConfig, run_memory_bytes), "a size in bytes (K, M, G)" },
        { "RunTasksMax", config_parse_unsigned, offsetof(IdeConfig, run_tasks), CONFIG_EXPECTED_POSITIVE_INTEGER },
        { "RunTmpSize", config_parse_size, offsetof(IdeConfig, run_tmp_bytes), "a size in bytes (K, M, G)" },
        { "RunMaxOutput", config_parse_size, offsetof(IdeConfig, run_max_output), "a size in bytes (K, M, G)" },
        { "RunNetwork", config_parse_bool, offsetof(IdeConfig, run_network), CONFIG_EXPECTED_BOOLEAN },
        { "AllowShell", config_parse_bool, offsetof(IdeConfig, allow_shell), CONFIG_EXPECTED_BOOLEAN },
};

static const ConfigItem workspace_items[] = {
        { "Name", parse_workspace_name, 0,
                "a name of letters, digits, \"_\", \".\" and \"-\" (at most 64, not starting with \".\")" },
        { "Path", parse_workspace_path, 0, "an absolute path, after Name= in the same section" },
        { "ReadOnly", parse_workspace_read_only, 0, CONFIG_EXPECTED_BOOLEAN ", after Name= in the same section" },
};

static int parse_file(const char *path, void *userdata) {
        IdeConfig *c = userdata;
        ConfigSection more = { "Workspace", workspace_items, ELEMENTSOF(workspace_items), &c->workspaces };
        ConfigFile f = {
                .path = path,
                .section = "IDE",
                .items = ide_items,
                .n_items = ELEMENTSOF(ide_items),
                .target = c,
                .more = &more,
                .n_more = 1,
        };
        return config_file_parse(&f);
}

int ide_config_load(IdeConfig *c, const char *path) {
        int r;

        if (!path)
                path = getenv("AIOS_IDE_CONFIG") ?: IDE_CONFIG_FILE;
        r = config_parse_with_dropins(path, parse_file, c);
        if (r < 0)
                return r;

        if (c->max_read_bytes == 0)
                c->max_read_bytes = 1 * MIB;
        if (c->max_write_bytes == 0)
                c->max_write_bytes = 16 * MIB;
        if (c->max_results == 0)
                c->max_results = 1000;
        if (c->search_time_usec == 0)
                c->search_time_usec = 30 * USEC_PER_SEC;
        if (c->max_jobs == 0)
                c->max_jobs = 4;
        if (c->run_timeout_usec == 0)
                c->run_timeout_usec = 5 * 60 * USEC_PER_SEC;
        if (c->run_max_timeout_usec == 0)
                c->run_max_timeout_usec = 60 * 60 * USEC_PER_SEC;
        c->run_timeout_usec = MIN(c->run_timeout_usec, c->run_max_timeout_usec);
        if (c->run_memory_bytes == 0)
                c->run_memory_bytes = 2048 * MIB;
        if (c->run_tasks == 0)
                c->run_tasks = 512;
        if (c->run_tmp_bytes == 0)
                c->run_tmp_bytes = 512 * MIB;
        if (c->run_max_output == 0)
                c->run_max_output = 256 * 1024;

        for (size_t i = 0; i < c->workspaces.n; i++) {
                IdeWorkspace *w = &c->workspaces.items[i];
                if (!w->path)
                        return log_error_errno(EINVAL, "Workspace %s has no Path=.", w->name);
                /* The administrator's path may go through symlinks; what a tool names below it may not leave it. */
                w->fd = open(w->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (w->fd < 0) {
                        w->fd = -errno;
                        log_warning_errno(errno, "Workspace %s: cannot open %s, its tools will fail: %m", w->name,
                                w->path);
                } else
                        log_debug("Workspace %s: %s%s", w->name, w->path, w->read_only ? " (read-only)" : "");
        }
        if (c->workspaces.n == 0)
                log_notice("No workspace is configured (%s, [Workspace] sections): every tool will refuse.", path);
        return 0;
}

void ide_config_done(IdeConfig *c) {
        for (size_t i = 0; i < c->workspaces.n; i++) {
                free(c->workspaces.items[i].name);
                free(c->workspaces.items[i].path);
                if (c->workspaces.items[i].fd >= 0)
                        safe_close(c->workspaces.items[i].fd);
        }
        free(c->workspaces.items);
        free(c->author_name);
        free(c->author_email);
        *c = (IdeConfig){};
}

IdeWorkspace *ide_config_find_workspace(IdeConfig *c, const char *name) {
        for (size_t i = 0; name && i < c->workspaces.n; i++)
                if (streq(c->workspaces.items[i].name, name))
                        return &c->workspaces.items[i];
        return NULL;
}

char *ide_config_workspace_names(IdeConfig *c) {
        _cleanup_strv_free_ char **names = new0(char *, c->workspaces.n + 1);
        if (!names)
                return NULL;
        for (size_t i = 0; i < c->workspaces.n; i++)
                if (!(names[i] = strdup(c->workspaces.items[i].name)))
                        return NULL;
        return c->workspaces.n > 0 ? strv_join(names, ", ") : strdup("none is configured");
}
