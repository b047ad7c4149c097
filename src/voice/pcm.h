/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mono 16-bit PCM in memory, the form every part of the server hands audio on in; its bounds. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* What the server takes in and makes: VOICE_MAX_SECONDS of audio, VOICE_MAX_AUDIO_BYTES of encoded input. */
#define VOICE_MAX_SECONDS 120U
#define VOICE_MAX_AUDIO_BYTES (16U * 1024U * 1024U)
/* The rate the recognizer's acoustic model was trained at. */
#define VOICE_RECOGNIZER_RATE 16000U

typedef struct VoicePcm {
        int16_t *samples;
        size_t n;
        size_t allocated;
        unsigned rate;
} VoicePcm;

int voice_pcm_append(VoicePcm *p, const int16_t *samples, size_t n);
void voice_pcm_done(VoicePcm *p);
static inline double voice_pcm_seconds(const VoicePcm *p) {
        return p->rate ? (double) p->n / p->rate : 0;
}
/* The root mean square of n samples, 0 to 32768. */
double voice_pcm_rms(const int16_t *samples, size_t n);
