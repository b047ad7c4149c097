/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-pythond: its context (configuration, warm pool, sessions) and the tables of its tools. */
#pragma once

#include <stdint.h>

#include "hashmap.h"
#include "mcp-server.h"

/* The polkit action of every tool (polkit/org.aios.policy). */
#define PYTHON_ACTION_RUN "org.aios.python.run"

typedef struct WorkerPool WorkerPool;
typedef struct PythonSession PythonSession;

/* What the administrator sets (environment, see aios-pythond(8)); the maxima bound what a caller asks. */
typedef struct PythonConfig {
        char *interpreter;       /* the host path of python3, run inside the sandbox at the same path */
        char *worker_dir;        /* the directory of aios_worker.py, bound read-only into each sandbox */
        char *preload;           /* modules the warm workers import ahead, comma-separated */
        unsigned pool_size;      /* warm workers kept ready for one-shot runs and new sessions */
        uint64_t pool_idle_usec; /* the warm pool empties after this long without a run; 0: never */
        unsigned max_workers;    /* sandboxes at once: warm, running and those of sessions */
        unsigned max_sessions;   /* sessions at once, all principals */
        unsigned max_sessions_per_principal;
        uint64_t session_idle_usec;              /* a session unused this long ends */
        uint64_t timeout_usec, max_timeout_usec; /* a run's default and the most a caller may ask */
        uint64_t grace_usec;                     /* from the interrupt (SIGINT) to the kill */
        uint64_t memory_bytes, max_memory_bytes; /* a run's default address space, and the sandbox's */
        uint64_t tasks;                          /* processes and threads in one sandbox */
        uint64_t cpu_quota_pct;                  /* of one CPU, per sandbox (with a delegated cgroup) */
        uint64_t workspace_bytes, tmp_bytes;     /* the sandbox's writable tmpfs sizes */
        size_t max_output;                       /* of each of stdout and stderr, kept for the answer */
        size_t flood_output;                     /* past this much output in one run, the sandbox is killed */
        size_t max_code;                         /* code and stdin, each */
        size_t max_input_files;                  /* the input files of one call, together */
        size_t max_file_read;                    /* of one file returned (written files, python_file_read) */
        size_t max_files_returned;               /* written files returned by one run, together */
        unsigned max_figures;
} PythonConfig;

typedef struct PythonContext {
        PythonConfig config;
        McpServer *server;
        sd_event *event;
        char *cgroup_parent;                                  /* the delegated cgroup subtree for sandboxes, or NULL */
        char **worker_argv, **worker_envp, **worker_ro_binds; /* every worker's sandbox, made once */
        WorkerPool *pool;
        Hashmap *sessions; /* id -> PythonSession */
        sd_event_source *session_sweep;
        unsigned n_workers;    /* live sandboxes */
        json_object *packages; /* python_packages' answer, once asked */
} PythonContext;

/* config.c */
int python_config_load(PythonConfig *c);
void python_config_done(PythonConfig *c);

/* context.c: set up once the engine exists (the pool starts filling), and torn down. */
int python_context_init(PythonContext *ctx, McpServer *server);
void python_context_done(PythonContext *ctx);
/* Whether sessions or runs keep the server from exiting when idle. */
bool python_context_busy(void *userdata);

/* The tool families, each ending with an entry whose name is NULL. */
extern const McpTool python_run_tools[];     /* run-tools.c: python_run, python_packages */
extern const McpTool python_session_tools[]; /* session-tools.c: python_session_* */
extern const McpTool python_file_tools[];    /* file-tools.c: python_file_read, python_file_write, python_files_list */
extern const McpResourceTemplate python_resource_templates[]; /* file-tools.c: python://session/{id}/files/{path} */
extern const McpTool *const python_tool_families[];           /* server.c */
int python_add_tools(McpServer *server);
