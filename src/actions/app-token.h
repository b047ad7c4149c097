/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A GitHub App's credentials: its private key, and the JSON Web Token signed with it (RS256) that asks GitHub
 * for an installation token. */
#pragma once

#include <openssl/evp.h>
#include <stdint.h>

#include "macro.h"

/* The App's private key from PEM text (GitHub gives an RSA key in PKCS#1 or PKCS#8 PEM). */
int app_key_from_pem(const char *pem, EVP_PKEY **ret);
/* The JWT GitHub wants: iat a minute in the past (clock drift), exp nine minutes on, iss the App's id. */
int app_jwt_new(EVP_PKEY *key, const char *app_id, uint64_t now_sec, char **ret);
