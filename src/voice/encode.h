/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Encoding PCM for MCP's audio content: WAV (RIFF, 16-bit mono) or Ogg Opus (libopusenc). */
#pragma once

#include "pcm.h"

typedef enum VoiceFormat {
        VOICE_FORMAT_WAV,
        VOICE_FORMAT_OGG_OPUS,
} VoiceFormat;

/* "wav" or "ogg": -EINVAL for anything else. */
int voice_format_from_string(const char *s, VoiceFormat *ret);
const char *voice_format_mime_type(VoiceFormat f);

/* The encoded bytes in *ret (a new buffer) and their size. */
int voice_encode(const VoicePcm *pcm, VoiceFormat f, char **ret, size_t *ret_size);
