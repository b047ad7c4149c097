/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a mail address, a header value and a text may be, the recipients' allow-list, and header encoding. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define ADDRESS_MAX 254U

/* Valid UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF, no NUL within n bytes. */
bool utf8_is_valid(const char *s, size_t n);
/* A header value may not break out of its line: no CR, LF or other control character but tab. */
bool header_value_is_safe(const char *s);
/* A plain addr-spec, local@domain, in ASCII: a dot-atom local part and a domain of letters, digits and
 * hyphens in dot-separated labels. No display names, comments, quoted local parts or address literals. */
bool address_is_valid(const char *s);
/* A domain as in address_is_valid(). */
bool domain_is_valid(const char *s);
/* An allow-list entry: an address, or "@domain". */
bool allow_entry_is_valid(const char *s);
/* Whether address is on the list: an entry equal to it, or "@domain" with domain its domain (compared
 * without regard to ASCII case; a subdomain is another domain). An empty list allows nothing. */
bool allowlist_match(char *const *list, const char *address);
/* value for a header: as it is when it is printable ASCII, else as RFC 2047 encoded words (UTF-8, base64)
 * of at most 75 characters each, separated by CRLF SPACE. NULL when out of memory. */
char *header_encode(const char *value);
/* A file name for Content-Disposition: 1 to 255 bytes of valid UTF-8 without control characters, quotes,
 * backslashes or slashes. */
bool filename_is_valid(const char *s);
