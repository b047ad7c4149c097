/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The a{sv} context dictionaries of org.aios.MCP1 and org.aios.MCPClient1. */
#pragma once

#include <systemd/sd-bus.h>

#include "macro.h"

typedef struct BusContextField {
        const char *key;
        const char **value; /* set to the string, which lives as long as the message; untouched when absent */
} BusContextField;

/* Reads an a{sv} from m: each key of fields whose value is a string lands in its field; other keys, and
 * other types, are skipped (unknown keys are for later versions). */
int bus_context_read(sd_bus_message *m, const BusContextField *fields, size_t n_fields);
