/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-actionsd: its context (configuration and GitHub client) and its tool tables, one family per file. */
#pragma once

#include "actions-config.h"
#include "github.h"
#include "mcp-server.h"

/* polkit actions (polkit/org.aios.policy); the checks carry the detail "repository". */
#define ACTIONS_ACTION_READ "org.aios.github.read"
#define ACTIONS_ACTION_RUN "org.aios.github.run"

typedef struct ActionsContext {
        ActionsConfig config;
        GitHub *github;
} ActionsContext;

/* Loads actions.conf (config_path, or the default places when NULL) and the token's credential, and sets up
 * the GitHub client on event. */
int actions_context_init(ActionsContext *c, sd_event *event, const char *config_path);
void actions_context_done(ActionsContext *c);

/* Each table ends with an entry whose name is NULL. */
extern const McpTool actions_list_tools[]; /* read-tools.c: workflows, runs, jobs, artifacts */
extern const McpTool actions_log_tools[];  /* logs.c: github_job_logs */
extern const McpTool actions_wait_tools[]; /* wait-run.c: github_wait_run */
/* artifact.c: github_download_artifact, which writes into an IDE workspace, not to GitHub */
extern const McpTool actions_artifact_tools[];
extern const McpTool actions_write_tools[]; /* dispatch.c: run, rerun, cancel; left out in read-only mode */

/* Adds the read tools, and the write tools unless the configuration says ReadOnly=yes. */
int actions_add_tools(McpServer *server, const ActionsContext *c);
