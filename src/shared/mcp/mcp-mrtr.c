/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Multi round-trip requests of the stateless wire: a handler's questions to the client become an
 * input_required result, and the retry that carries the answers runs the handler again, which finds
 * them waiting. What earlier rounds answered travels in requestState, sealed, so any replica can go on. */
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <time.h>

#include "log.h"
#include "mcp-internal.h"

/* v2: bound by SHA-256 (v1 states, bound by a weaker hash, no longer open) */
#define MCP_REQUEST_STATE_CONTEXT "aios-mcp-requestState-v2"

struct McpDeferredAnswer {
        McpDeferredAnswer *next;
        McpRequest *req;
        sd_event_source *source;
        McpAnswerHandler answer;
        void *userdata;
        json_object *result;
};

static void deferred_answer_free(McpDeferredAnswer *d) {
        sd_event_source_disable_unref(d->source);
        json_object_put(d->result);
        free(d);
}

static void deferred_answer_unlink(McpDeferredAnswer *d) {
        for (McpDeferredAnswer **p = &d->req->deferred_answers; *p; p = &(*p)->next)
                if (*p == d) {
                        *p = d->next;
                        return;
                }
}

static int on_deferred_answer(sd_event_source *s, void *userdata) {
        McpDeferredAnswer *d = userdata;
        _cleanup_(mcp_request_unrefp) McpRequest *req = mcp_request_ref(d->req);

        deferred_answer_unlink(d);
        if (!req->done)
                d->answer(req, d->result, NULL, d->userdata);
        deferred_answer_free(d);
        return 0;
}

/* What a state is bound to: the method, its target (tool or prompt name, resource URI), the arguments and
 * the caller the transport vouches for, as the SHA-256 of their canonical JSON (keys sorted, numbers and
 * strings exact), in hex. A state issued for one of these opens for no other. */
static int request_binding(McpRequest *req, char **ret) {
        json_object *name = NULL, *arguments = NULL;
        if (!json_object_object_get_ex(req->params, "name", &name))
                json_object_object_get_ex(req->params, "uri", &name);
        json_object_object_get_ex(req->params, "arguments", &arguments);

        /* An object that failed to be made must not become a null that another request could match. */
        _cleanup_json_ json_object *bound = json_object_new_array(), *method = json_object_new_string(req->method),
                                   *principal = req->principal ? json_object_new_string(req->principal) : NULL;
        if (!bound || !method || (req->principal && !principal) || json_object_array_add(bound, TAKE_PTR(method)) < 0 ||
                json_object_array_add(bound, json_object_get(name)) < 0 ||
                json_object_array_add(bound, TAKE_PTR(principal)) < 0 ||
                json_object_array_add(bound, json_object_get(arguments)) < 0)
                return -ENOMEM;

        _cleanup_free_ char *text = NULL;
        int r = json_canonical_text(bound, &text);
        if (r < 0)
                return r;

        uint8_t digest[SHA256_DIGEST_LENGTH];
        if (EVP_Digest(text, strlen(text), digest, NULL, EVP_sha256(), NULL) != 1)
                return -EIO;
        char *hex = new0(char, sizeof(digest) * 2 + 1);
        if (!hex)
                return -ENOMEM;
        for (size_t i = 0; i < sizeof(digest); i++)
                sprintf(hex + 2 * i, "%02x", digest[i]);
        *ret = hex;
        return 0;
}

static int64_t now_realtime_sec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec;
}

static int state_seal(McpRequest *req, char **ret) {
        _cleanup_free_ char *binding = NULL;
        int r = request_binding(req, &binding);
        if (r < 0)
                return r;

        _cleanup_json_ json_object *state = json_object_new_object();
        if (!state || json_add_string(state, "b", binding) < 0 ||
                json_add(state, "x", json_object_new_int64(now_realtime_sec() + (int64_t) req->server->state_ttl_sec)) <
                        0 ||
                json_add(state, "a", json_object_get(req->used_answers) ?: json_object_new_object()) < 0)
                return -ENOMEM;

        const char *text = json_to_string(state);
        return seal(&req->server->state_key, MCP_REQUEST_STATE_CONTEXT, text, strlen(text), ret);
}

static int state_refuse(McpRequest *req, const char *why) {
        (void) mcp_request_reply_error(req, JSONRPC_INVALID_PARAMS, "Invalid params: requestState %s", why);
        return 0;
}

int mcp_mrtr_state_open(McpRequest *req, const char *token) {
        _cleanup_free_ void *data = NULL;
        size_t size;
        int r = unseal(&req->server->state_key, MCP_REQUEST_STATE_CONTEXT, token, &data, &size);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return state_refuse(req, "failed its integrity check (altered, truncated or not issued here)");

        _cleanup_json_ json_object *state = NULL;
        if (json_parse_strict(data, size, &state, NULL) < 0 || !json_object_is_type(state, json_type_object))
                return state_refuse(req, "failed its integrity check");

        _cleanup_free_ char *binding = NULL;
        r = request_binding(req, &binding);
        if (r < 0)
                return r;
        if (!streq_ptr(json_get_string(state, "b"), binding))
                return state_refuse(req,
                        "belongs to another request (a different method, target, arguments or caller)");

        json_object *expiry;
        if (!json_object_object_get_ex(state, "x", &expiry) || json_object_get_int64(expiry) <= now_realtime_sec())
                return state_refuse(req, "has expired; start the request again without it");

        json_object *answers = json_get_object(state, "a");
        if (!answers)
                return state_refuse(req, "failed its integrity check");
        req->state_answers = json_object_get(answers);
        req->resumed = true;
        return 1;
}

static int on_flush(sd_event_source *s, void *userdata) {
        McpRequest *req = userdata;
        _cleanup_(mcp_request_unrefp) McpRequest *ref = req; /* the reference the source held */

        req->mrtr_flush = sd_event_source_disable_unref(req->mrtr_flush);
        if (req->done || !req->input_requests || json_object_object_length(req->input_requests) == 0)
                return 0;

        _cleanup_free_ char *token = NULL;
        int r = state_seal(req, &token);
        _cleanup_json_ json_object *result = json_object_new_object();
        if (r < 0 || !result || json_add_string(result, "resultType", "input_required") < 0 ||
                json_add(result, "inputRequests", json_object_get(req->input_requests)) < 0 ||
                json_add_string(result, "requestState", token) < 0) {
                (void) mcp_request_reply_errno(req, r < 0 ? r : -ENOMEM);
                return 0;
        }

        /* The handler's run ends here; the retry starts a new one. Let it release what it holds. */
        if (req->cancel)
                req->cancel(req, req->cancel_userdata);
        (void) mcp_request_reply(req, TAKE_PTR(result));
        return 0;
}

static json_object *find_answer(McpRequest *req, const char *key) {
        json_object *answer;
        if (req->input_responses && json_object_object_get_ex(req->input_responses, key, &answer) && answer)
                return answer;
        if (req->state_answers && json_object_object_get_ex(req->state_answers, key, &answer) && answer)
                return answer;
        return NULL;
}

static int ensure_object(json_object **o) {
        if (!*o)
                *o = json_object_new_object();
        return *o ? 0 : -ENOMEM;
}

int mcp_mrtr_ask(McpRequest *req, const char *key, json_object *question, McpAnswerHandler answer, void *userdata) {
        _cleanup_json_ json_object *q = question;

        json_object *known = find_answer(req, key);
        if (known) {
                /* Answered on an earlier round: the handler hears it on the next loop iteration, as it
                 * would hear a client's answer on the session wire. */
                _cleanup_free_ McpDeferredAnswer *d = new0(McpDeferredAnswer, 1);
                if (!d || ensure_object(&req->used_answers) < 0 ||
                        json_add(req->used_answers, key, json_object_get(known)) < 0)
                        return -ENOMEM;
                int r = sd_event_add_defer(req->server->event, &d->source, on_deferred_answer, d);
                if (r < 0)
                        return r;
                d->req = req; /* the request outlives its deferred answers: mcp_mrtr_done() frees them */
                d->answer = answer;
                d->userdata = userdata;
                d->result = json_object_get(known);
                d->next = req->deferred_answers;
                req->deferred_answers = TAKE_PTR(d);
                return 0;
        }

        if (ensure_object(&req->input_requests) < 0)
                return -ENOMEM;
        if (json_object_object_get_ex(req->input_requests, key, NULL))
                return -EEXIST;
        if (json_add(req->input_requests, key, TAKE_PTR(q)) < 0)
                return -ENOMEM;

        /* Answer with input_required once the handler has asked all it can ask now: after every pending
         * answer was handed out, at idle priority. */
        if (!req->mrtr_flush) {
                int r = sd_event_add_defer(req->server->event, &req->mrtr_flush, on_flush, req);
                if (r < 0)
                        return r;
                (void) sd_event_source_set_priority(req->mrtr_flush, SD_EVENT_PRIORITY_IDLE);
                mcp_request_ref(req);
        }
        return 0;
}

void mcp_mrtr_done(McpRequest *req) {
        while (req->deferred_answers) {
                McpDeferredAnswer *d = req->deferred_answers;
                req->deferred_answers = d->next;
                deferred_answer_free(d);
        }
        if (req->mrtr_flush) {
                req->mrtr_flush = sd_event_source_disable_unref(req->mrtr_flush);
                mcp_request_unref(req); /* the source's reference */
        }
}
