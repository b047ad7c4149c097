/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An exchange: the requests of one incoming message (or batch), collected into one answer. */
#include "log.h"
#include "mcp-internal.h"

void mcp_exchange_add_reply(McpExchange *x, json_object *reply) {
        assert(x);

        if (!reply) {
                log_oom();
                return;
        }

        if (x->batch) {
                if (json_object_array_add(x->replies, reply) < 0)
                        json_object_put(reply);
                return;
        }

        /* A single message has one answer. */
        json_object_put(x->replies);
        x->replies = reply;
}

static void exchange_unlink(McpExchange *x, McpRequest *req) {
        if (req->exchange_prev)
                req->exchange_prev->exchange_next = req->exchange_next;
        else
                x->requests = req->exchange_next;
        if (req->exchange_next)
                req->exchange_next->exchange_prev = req->exchange_prev;
        req->exchange_next = req->exchange_prev = NULL;
        req->exchange = NULL;
        assert(x->n_pending > 0);
        x->n_pending--;
}

static void exchange_free(McpExchange *x) {
        assert(!x->requests);
        json_object_put(x->replies);
        mcp_session_unref(x->session);
        free(x);
}

/* Called when req finished (reply is its response, or NULL when it was cancelled), and once more with
 * req == NULL after dispatching. Hands the answer to the sink when nothing is pending any more. */
void mcp_exchange_complete(McpExchange *x, McpRequest *req, json_object *reply) {
        assert(x);

        if (req) {
                exchange_unlink(x, req);
                if (reply)
                        mcp_exchange_add_reply(x, reply);
        }

        if (x->dispatching || x->n_pending > 0)
                return;

        json_object *answer = x->replies;
        if (x->batch && json_object_array_length(answer) == 0)
                answer = NULL; /* everything was cancelled */
        x->ops->done(x->userdata, answer);
        exchange_free(x);
}

void mcp_exchange_abort(McpExchange *x) {
        if (!x)
                return;

        /* Cancelling a request unlinks it; the last one would complete the exchange, which is not wanted now
         * that the sink is gone, so hold completion off until the end. */
        x->dispatching = true;
        while (x->requests)
                mcp_request_cancel(x->requests);
        exchange_free(x);
}
