/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aios-gatewayd's context: its configuration, backends, endpoints and metrics. */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "gateway-config.h"
#include "hashmap.h"
#include "mcp-http.h"
#include "mcp-server.h"
#include "metrics.h"

typedef struct Backend Backend;
typedef struct BackendCall BackendCall;
typedef struct Aggregate Aggregate;
typedef struct Guard Guard;
typedef struct GatewayAuth GatewayAuth;
typedef struct Monitor Monitor;
typedef struct ResultCache ResultCache;
typedef struct Web Web;

typedef struct Gateway {
        sd_event *event;
        sd_bus *bus;
        GatewayConfig *config;
        Metrics *metrics;
        Guard *guard; /* rate limits, response filtering, audit (guard.c) */
        GatewayAuth *auth;
        Monitor *monitor;     /* what each backend's server uses (monitor.c) */
        ResultCache *results; /* reusable tool results (result-cache.c); NULL with CacheResults=no */
        Web *web;             /* the dashboard (web.c) */

        Backend **backends; /* the enabled ones, in configuration order */
        size_t n_backends;
        Hashmap *calls; /* tag -> BackendCall in flight, for signals and client calls */
        uint64_t next_tag;

        Aggregate *aggregate; /* /mcp */
        McpHttp *http;
        McpHttp *http_local;        /* the AF_UNIX socket, whose clients are unix-user:NAME; NULL without one */
        sd_bus_slot *client_object; /* org.aios.MCPClient1 */
        sd_bus_slot *signal_match;
        sd_bus_slot *bus_gone;      /* the broker's connection ended */
        sd_event_source *bus_retry; /* connecting to the broker again */
        sd_event_source *health_timer;
} Gateway;

Backend *gateway_find_backend(Gateway *g, const char *name);
/* Whether every enabled backend answered its last health check. */
bool gateway_is_ready(Gateway *g);
