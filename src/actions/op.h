/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A tool call in flight: the request it answers, the repository it acts on, the GitHub call it waits for and
 * the steps it goes through; lists gathered across pages. */
#pragma once

#include "actions.h"
#include "mcp-request.h"

typedef struct ActionsOp ActionsOp;
/* The next step, with GitHub's answer to the op's last call (r->error or a status >= 400 included). */
typedef void (*OpStep)(ActionsOp *op, const GitHubResponse *r);
/* A list is complete: items holds at most the limit, total is GitHub's total_count (or the items' count). */
typedef void (*OpListDone)(ActionsOp *op, json_object *items, int64_t total);

struct ActionsOp {
        McpRequest *req;
        ActionsContext *ctx;
        char repository[ACTIONS_REPOSITORY_MAX + 1];
        GitHubCall *call;
        OpStep step;
        double progress; /* what the last progress notification said */

        /* op_list() */
        json_object *items;
        const char *list_key;
        json_object *(*summarize)(json_object *item);
        unsigned limit;
        int64_t total;
        OpListDone list_done;

        /* the tool's own state: what it acts on, or more */
        int64_t id;
        const char *what;
        void *data;
        void (*data_free)(void *data);
};

/* Checks arguments' "repository" (valid, in the allow-list) and makes the op. When it is refused the request
 * is answered with a tool error and NULL returned with *ret_error 0; -ENOMEM otherwise. No request to GitHub
 * is made for a refused repository. */
ActionsOp *op_new(McpRequest *req, json_object *arguments, int *ret_error);
/* Answers (content and structured taken) and frees the op. */
void op_reply(ActionsOp *op, json_object *content, json_object *structured);
/* Answers with a tool error and frees the op. */
void op_fail(ActionsOp *op, const char *format, ...) _printf_(2, 3);
/* Answers with GitHub's failure (r->error_text), and frees the op. */
void op_fail_response(ActionsOp *op, const GitHubResponse *r);
void op_free(ActionsOp *op);

/* GET (body NULL) or method with a JSON body (taken); the answer goes to step. On failure to start, the op is
 * answered with an error and freed; returns < 0 then. */
int op_request(ActionsOp *op, const char *method, const char *url, json_object *body, OpStep step);
/* The request as it is (its waiting callback is the op's). */
int op_call(ActionsOp *op, const GitHubRequest *rq, OpStep step);
/* GET of every page of a list under list_key, following Link: rel="next", until limit items. */
int op_list(ActionsOp *op, const char *url, const char *list_key, unsigned limit,
        json_object *(*summarize)(json_object *), OpListDone done);
/* A progress notification (the count goes up by one) and a log message with the text. */
void op_report(ActionsOp *op, const char *format, ...) _printf_(2, 3);

/* "/repos/OWNER/NAME" + the rest, formatted; NULL when out of memory. */
char *op_url(ActionsOp *op, const char *format, ...) _printf_(2, 3);
/* A positive integer argument (ids: GitHub's are 64-bit), or -1 when absent, 0 when invalid. */
int64_t op_argument_id(json_object *arguments, const char *key);
/* Whether GitHub's answer failed: an error, a refusal, or a redirect where an answer was expected (a renamed
 * repository, which the allow-list names by its old name). */
static inline bool github_failed(const GitHubResponse *r) {
        return r->error < 0 || r->status >= 300;
}

/* Copies the named members of from that exist into a new object (NULL when out of memory). */
json_object *json_pick(json_object *from, const char *const *keys);
