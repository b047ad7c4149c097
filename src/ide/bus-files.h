/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.aios.IDE1 at /org/aios/IDE1: workspace files opened for the other aios servers (workspace-file.h). */
#pragma once

#include "ide.h"
#include "mcp-bus.h"

#define IDE_FILES_BUS_PATH "/org/aios/IDE1"
#define IDE_FILES_BUS_INTERFACE "org.aios.IDE1"

typedef struct IdeBusFiles IdeBusFiles;

int ide_bus_files_new(IdeContext *ctx, McpBus *mcp_bus, sd_bus *bus, IdeBusFiles **ret);
IdeBusFiles *ide_bus_files_free(IdeBusFiles *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(IdeBusFiles *, ide_bus_files_free);
/* Checks waiting for polkit, or files being written: the server should not exit. */
bool ide_bus_files_busy(IdeBusFiles *f);
