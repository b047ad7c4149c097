/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-ided's context: set up once the engine exists, torn down at exit. */
#include "bus-files.h"
#include "git.h"
#include "ide.h"
#include "job.h"
#include "log.h"
#include "sandbox.h"

int ide_context_init(IdeContext *ctx, McpServer *server) {
        ctx->server = server;
        ctx->event = mcp_server_get_event(server);
        /* Under systemd with Delegate=yes every sandbox of ide_run gets a cgroup with its limits. */
        int r = sandbox_cgroup_setup(&ctx->cgroup_parent);
        if (r < 0)
                log_info_errno(r, "No delegated cgroup (%m): ide_run's sandboxes are limited by rlimits alone.");
        ctx->inotify_fd = -EBADF;
        /* libgit2 is started by the first git tool (ide_git_open()). */
        return ide_resources_init(ctx);
}

int ide_context_bus_setup(McpBus *bus, sd_bus *system_bus, void *userdata) {
        IdeContext *ctx = userdata;
        return ide_bus_files_new(ctx, bus, system_bus, &ctx->files);
}

void ide_context_done(IdeContext *ctx) {
        ide_jobs_stop(ctx);
        ctx->files = ide_bus_files_free(ctx->files);
        ide_resources_done(ctx);
        ide_config_done(&ctx->config);
        if (ctx->server)
                ide_git_done();
        ctx->server = NULL;
        ctx->cgroup_parent = mfree(ctx->cgroup_parent);
}

bool ide_context_busy(void *userdata) {
        IdeContext *ctx = userdata;
        return ctx->jobs != NULL || ctx->n_runs > 0 || ide_bus_files_busy(ctx->files);
}
