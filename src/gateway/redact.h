/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Response filtering: secrets in tool results replaced by a mark before they leave the gateway. */
#pragma once

#include <json-c/json.h>
#include <stdint.h>

#include "macro.h"

/* Backtracking budget for one pattern on one string, as for JSON Schema patterns. A string on which a
 * pattern runs out of it is replaced whole: it could not be checked. */
#define REDACT_MATCH_LIMIT 200000U
#define REDACT_DEPTH_LIMIT 5000U

/* What a redacted string (or part of it) reads: "[REDACTED:NAME]", NAME a built-in pattern's name or
 * "pattern" for a configured one. */
#define REDACT_MARK_PREFIX "[REDACTED:"

typedef struct Redactor Redactor;

/* The built-in patterns (when builtin is set): private-key (PEM, also cut off), aws-access-key (AKIA, ASIA,
 * ...), github-token (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_), slack-token (xoxa-, xoxb-, xoxp-, xoxo-,
 * xoxs-, xoxr-), jwt, url-password (the password of scheme://user:password@host), then patterns (a
 * NULL-terminated list of PCRE2 patterns, may be NULL), each match replaced whole. Returns 0, -EINVAL when a
 * pattern does not compile (with the reason in *ret_error when given, to free), or -ENOMEM. */
int redactor_new(bool builtin, char *const *patterns, Redactor **ret, char **ret_error);
Redactor *redactor_free(Redactor *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(Redactor *, redactor_free);

/* The patterns in the order they are applied, and their names ("pattern" for configured ones). */
size_t redactor_n_patterns(Redactor *r);
const char *redactor_pattern_name(Redactor *r, size_t i);

/* Redacts the len bytes at s. Returns the number of redactions (0: *ret is NULL) with the new string in
 * *ret and its length in *ret_len (optional), or -ENOMEM. counts (optional, redactor_n_patterns() long) is
 * added to per pattern. */
int redactor_redact_string(Redactor *r, const char *s, size_t len, char **ret, size_t *ret_len, uint64_t *counts);
/* Redacts every string in v, at any depth (keys are left alone), in place. Returns the number of
 * redactions or -ENOMEM. */
int redactor_redact_json(Redactor *r, json_object *v, uint64_t *counts);
