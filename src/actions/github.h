/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GitHub's REST API on the server's loop: requests through libcurl's multi interface, answers remembered by
 * ETag, rate limits waited out (and reported) when the wait is short, pagination by Link headers. */
#pragma once

#include <systemd/sd-event.h>

#include "actions-config.h"
#include "json-util.h"

typedef struct GitHub GitHub;
typedef struct GitHubCall GitHubCall;

typedef struct GitHubResponse {
        int error;              /* < 0: no usable answer (failure, rate limit too long), see error_text */
        long status;            /* the HTTP status; a 304 answered from the cache says 200 */
        json_object *json;      /* the body (borrowed, for this callback), or NULL (none, streamed, not JSON) */
        const char *next;       /* Link: rel="next", on the API's own origin, or NULL */
        const char *location;   /* Location of a redirect, or NULL */
        bool cached;            /* the server answered 304 Not Modified: json is the remembered body */
        const char *error_text; /* for a failure or a status >= 300: a sentence for the client */
} GitHubResponse;

typedef void (*GitHubDone)(const GitHubResponse *r, void *userdata);
/* Receives a 2xx body as it arrives instead of it being parsed as JSON. A negative return ends the transfer
 * (and the call fails with that error). */
typedef int (*GitHubSink)(const char *p, size_t n, void *userdata);

typedef struct GitHubRequest {
        const char *method; /* NULL: GET */
        const char *url;    /* a path below the API URL ("/repos/o/r/actions/runs?per_page=100") or a URL */
        json_object *body;  /* a JSON body (POST), or NULL */
        bool anonymous;     /* without the token: the target of a redirect, such as a log's URL */
        GitHubSink sink;
        /* Optional: told, with a sentence, that the call waits out a rate limit before it goes on. */
        void (*waiting)(const char *message, void *userdata);
} GitHubRequest;

/* token: a token to call GitHub with (or NULL: none); app_key: with AppID= in config, the App's private key as
 * PEM, from which installation tokens are minted as needed instead. */
int github_new(sd_event *event, const ActionsConfig *config, const char *token, const char *app_key, GitHub **ret);
GitHub *github_free(GitHub *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(GitHub *, github_free);

/* Starts a request; done is called exactly once, later, unless the call is freed first. */
int github_call(GitHub *g, const GitHubRequest *rq, GitHubDone done, void *userdata, GitHubCall **ret);
/* Stops the call (done is not called). */
GitHubCall *github_call_free(GitHubCall *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(GitHubCall *, github_call_free);

/* The requests the rate limit still allows until it resets (CLOCK_REALTIME seconds); remaining is -1 while
 * unknown. */
void github_rate_limit(GitHub *g, long *ret_remaining, uint64_t *ret_reset);
/* How many answers came from the ETag cache (304), for tests and metrics. */
unsigned github_cache_hits(GitHub *g);

/* s escaped for a URL's query or path segment; NULL when out of memory. */
char *github_escape(const char *s);
