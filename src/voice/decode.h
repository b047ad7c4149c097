/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading audio the caller sends (WAV, FLAC, Ogg Vorbis or Opus) with libsndfile, down to the recognizer's
 * 16 kHz mono with libsamplerate. */
#pragma once

#include "job.h"
#include "pcm.h"

/* What the audio was before it was converted, for the result. */
typedef struct DecodeInfo {
        char format[32]; /* "wav", "flac", "ogg" */
        unsigned rate;
        unsigned channels;
        double seconds;
} DecodeInfo;

/* The bytes (at most VOICE_MAX_AUDIO_BYTES) as VOICE_RECOGNIZER_RATE mono PCM. Returns 0, or a negative errno
 * after voice_child_fail() with a sentence saying what is wrong with the audio. */
int voice_decode(VoiceChild *c, const void *data, size_t size, VoicePcm *out, DecodeInfo *info);
/* Converts in (any rate) to rate into out. */
int voice_resample(const VoicePcm *in, unsigned rate, VoicePcm *out);
