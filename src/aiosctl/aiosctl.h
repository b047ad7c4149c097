/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aiosctl's verbs and the options they share. */
#pragma once

#include <stdint.h>

#include "client.h"
#include "output.h"

typedef struct Arguments {
        const char *url;       /* --url: a remote gateway; NULL: the local socket */
        const char *key;       /* --key or $AIOS_API_KEY */
        const char *socket;    /* --socket or $AIOS_GATEWAY_SOCKET */
        const char *server;    /* --server: one backend's endpoint instead of /mcp */
        char **call_arguments; /* --arg KEY=VALUE, in order */
        const char *principal; /* audit --principal */
        const char *tool;      /* audit --tool */
        bool follow;           /* audit --follow */
        unsigned lines;        /* audit -n */
        const char *store;     /* key: --store */
        const char *pepper;    /* key: --pepper */
        char **scopes;         /* key create: --scope */
        uint64_t expires_usec; /* key create: --expires, a duration; 0: never */
} Arguments;

extern Arguments arg;

/* The client for the gateway the options name. */
int gateway_connect(Client **ret);
/* "/mcp", or "/servers/NAME/mcp" with --server= (or server when given). */
const char *gateway_endpoint(const char *server, char buf[static 256]);

/* The tool named name, as tools/list gives it to the caller (--server's endpoint or /mcp). */
int fetch_tool(const char *name, json_object **ret);

/* Each verb takes its own arguments (after the verb's name) and returns an EXIT_* code. */
int verb_status(char **args);
int verb_list_servers(char **args);
int verb_metrics(char **args);
int verb_list_tools(char **args);
int verb_describe(char **args);
int verb_list_resources(char **args);
int verb_list_prompts(char **args);
int verb_call(char **args);
int verb_read(char **args);
int verb_get_prompt(char **args);
int verb_audit(char **args);
int verb_completion(char **args);
int verb_key(char **args);

/* The --arg KEY=VALUE pairs as an object: VALUE as JSON when it parses as JSON, else as a string, so that
 * --arg count=3 gives a number and --arg unit=nginx.service a string. schema (may be NULL) decides for a
 * property declared "type": "string": then VALUE is always a string. */
int arguments_from_pairs(char **pairs, json_object *schema, json_object **ret);

/* Answers an elicitation/create at the terminal, field by field of its requestedSchema. */
json_object *elicit_at_terminal(json_object *params, void *userdata);
