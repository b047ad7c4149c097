/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Secrets a daemon is handed: systemd credentials (LoadCredential=, SetCredentialEncrypted=), by name. */
#pragma once

#include <stddef.h>

#define CREDENTIAL_SIZE_MAX (256U * 1024U)

/* Reads a credential into *ret, NUL-terminated: name is a credential's name, looked up in
 * $CREDENTIALS_DIRECTORY, or an absolute path (a file outside systemd's credentials, for development).
 * Returns 1, 0 with *ret NULL when there is no such credential (or no credentials directory), -EFBIG past
 * max bytes, or another negative errno. */
int credential_read(const char *name, size_t max, char **ret);
