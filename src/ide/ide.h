/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-ided: its context (configuration, workspaces, jobs) and the tables of its tools. */
#pragma once

#include <stdint.h>

#include "list.h"
#include "mcp-server.h"

/* The polkit actions (polkit/org.aios.policy); each check has the details "workspace" and, for a tool that
 * names one, "path". */
#define IDE_ACTION_READ "org.aios.ide.read"
#define IDE_ACTION_WRITE "org.aios.ide.write"
#define IDE_ACTION_RUN "org.aios.ide.run"

/* Where the configuration is read from; $AIOS_IDE_CONFIG names another file (its drop-ins are FILE.d/). */
#define IDE_CONFIG_FILE "/etc/aios/ide.conf"

typedef struct IdeJob IdeJob;
typedef struct IdeBusFiles IdeBusFiles;

/* One [Workspace] section. */
typedef struct IdeWorkspace {
        char *name;
        char *path;
        bool read_only;
        int fd; /* O_PATH|O_DIRECTORY of path, opened once at start; every path of a tool is resolved from it */
} IdeWorkspace;

typedef struct IdeWorkspaces {
        IdeWorkspace *items;
        size_t n;
} IdeWorkspaces;

/* The [IDE] section: limits and defaults (ide.conf(5)). */
typedef struct IdeConfig {
        IdeWorkspaces workspaces;
        uint64_t max_read_bytes;   /* of one file's content returned by ide_read_file */
        uint64_t max_write_bytes;  /* of one file written or edited */
        unsigned max_results;      /* matches of ide_search, entries of ide_list_directory and ide_find_files */
        uint64_t search_time_usec; /* the most one search may take */
        unsigned max_jobs;         /* work run off the loop at once (searches, walks, git); more wait */
        char *author_name;         /* ide_git_commit's author; unset: the principal */
        char *author_email;
        /* ide_run and ide_symbols: commands in sandboxes. */
        uint64_t run_timeout_usec, run_max_timeout_usec;
        uint64_t run_memory_bytes; /* address space of each process, and the sandbox's cgroup */
        unsigned run_tasks;
        uint64_t run_tmp_bytes;
        uint64_t run_max_output; /* of stdout and of stderr, each, kept for the answer */
        bool run_network;        /* the host's network in the sandbox */
        bool allow_shell;        /* ide_run takes a shell command line too */
} IdeConfig;

typedef struct IdeContext {
        IdeConfig config;
        McpServer *server;
        sd_event *event;
        IdeJob *jobs;        /* running and waiting, in the order they came */
        char *cgroup_parent; /* the delegated cgroup subtree for sandboxes, or NULL */
        /* resources.c: the directories of files read as resources, watched for their subscribers. */
        int inotify_fd;
        sd_event_source *inotify_source;
        struct Hashmap *watches; /* watch descriptor (text) -> Watch */
        unsigned n_running;
        unsigned n_runs;    /* sandboxes of ide_run and ide_symbols */
        IdeBusFiles *files; /* bus-files.c: org.aios.IDE1, on the system bus only */
} IdeContext;

/* config.c: reads ide.conf and its drop-ins, and opens each workspace's directory. */
int ide_config_load(IdeConfig *c, const char *path);
void ide_config_done(IdeConfig *c);
IdeWorkspace *ide_config_find_workspace(IdeConfig *c, const char *name);
/* The configured workspaces' names, comma-separated, for error messages. NULL on OOM. */
char *ide_config_workspace_names(IdeConfig *c);

/* context.c */
int ide_context_init(IdeContext *ctx, McpServer *server);
void ide_context_done(IdeContext *ctx);
bool ide_context_busy(void *userdata);
/* Exports org.aios.IDE1 (bus-files.c) once the server is on the system bus. */
typedef struct McpBus McpBus;
int ide_context_bus_setup(McpBus *bus, sd_bus *system_bus, void *userdata);

/* The tool families, each ending with an entry whose name is NULL. */
extern const McpTool ide_file_tools[];   /* file-tools.c: read, read_files, write, file_info */
extern const McpTool ide_change_tools[]; /* change-tools.c: edit, move, delete, restore */
extern const McpTool ide_tree_tools[];   /* tree-tools.c: list_directory, find_files */
extern const McpTool ide_search_tools[]; /* search-tool.c: ide_search */
extern const McpTool ide_git_tools[];    /* git-tools.c and git-write-tools.c */
extern const McpTool ide_git_write_tools[];
extern const McpTool ide_run_tools[];            /* run-tools.c: ide_run, ide_symbols */
extern const McpTool *const ide_tool_families[]; /* server.c */
/* resources.c: workspace://{workspace}/{path} */
extern const McpResourceTemplate ide_resource_templates[];
int ide_resources_init(IdeContext *ctx);
void ide_resources_done(IdeContext *ctx);
/* The URI of path in workspace (path as one percent-encoded segment). NULL on OOM. */
char *ide_resource_uri(const char *workspace, const char *path);
int ide_add_tools(McpServer *server);
