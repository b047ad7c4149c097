/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ALSA's blocking interface: fine in a job's child, which has nothing else to do. */
#include <alsa/asoundlib.h>

#include "device.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(snd_pcm_t *, snd_pcm_close);

const char *voice_output_device(void) {
        const char *d = getenv("AIOS_VOICE_OUTPUT");
        return isempty(d) ? "default" : d;
}

const char *voice_input_device(void) {
        const char *d = getenv("AIOS_VOICE_INPUT");
        return isempty(d) ? "default" : d;
}

/* ALSA prints its own errors to stderr; ours say more, once. */
static void alsa_quiet(const char *file, int line, const char *function, int err, const char *fmt, ...) {
}

static int open_device(VoiceChild *c, const char *name, snd_pcm_stream_t stream, unsigned rate, snd_pcm_t **ret) {
        bool playback = stream == SND_PCM_STREAM_PLAYBACK;
        (void) snd_lib_error_set_handler(alsa_quiet);
        _cleanup_(snd_pcm_closep) snd_pcm_t *pcm = NULL;
        int r = snd_pcm_open(&pcm, name, stream, 0);
        if (r < 0) {
                voice_child_fail(c,
                        "There is no audio %s on this host: ALSA could not open \"%s\" (%s). aios-voiced needs a sound "
                        "card in /dev/snd that its unit lets it use, or a sound server reached through ALSA's plugin "
                        "(aios-voiced(8), AUDIO DEVICES).",
                        playback ? "output" : "input", name, snd_strerror(r));
                return r;
        }
        r = snd_pcm_set_params(pcm, SND_PCM_FORMAT_S16, SND_PCM_ACCESS_RW_INTERLEAVED, 1, rate, 1, 200000);
        if (r < 0) {
                voice_child_fail(c, "The audio %s \"%s\" does not take 16-bit mono at %u Hz: %s.",
                        playback ? "output" : "input", name, rate, snd_strerror(r));
                return r;
        }
        *ret = TAKE_PTR(pcm);
        return 0;
}

int voice_play(VoiceChild *c, const VoicePcm *pcm) {
        _cleanup_(snd_pcm_closep) snd_pcm_t *dev = NULL;
        int r = open_device(c, voice_output_device(), SND_PCM_STREAM_PLAYBACK, pcm->rate, &dev);
        if (r < 0)
                return r;
        size_t step = pcm->rate / 10;
        for (size_t at = 0; at < pcm->n;) {
                snd_pcm_sframes_t k = snd_pcm_writei(dev, pcm->samples + at, MIN(step, pcm->n - at));
                if (k < 0)
                        k = snd_pcm_recover(dev, (int) k, 1);
                if (k < 0) {
                        voice_child_fail(c, "Playing on \"%s\" failed: %s.", voice_output_device(),
                                snd_strerror((int) k));
                        return (int) k;
                }
                at += (size_t) k;
        }
        (void) snd_pcm_drain(dev);
        return 0;
}

int voice_record(VoiceChild *c, const ListenOptions *o, VoicePcm *out) {
        _cleanup_(snd_pcm_closep) snd_pcm_t *dev = NULL;
        int r = open_device(c, voice_input_device(), SND_PCM_STREAM_CAPTURE, VOICE_RECOGNIZER_RATE, &dev);
        if (r < 0)
                return r;
        out->rate = VOICE_RECOGNIZER_RATE;
        int16_t block[VOICE_RECOGNIZER_RATE / 10];
        size_t max = (size_t) (o->max_seconds * VOICE_RECOGNIZER_RATE);
        bool heard = false;
        double quiet = 0, loudest = 0;
        voice_child_progress(c, 0, o->max_seconds, "Listening");
        while (out->n < max) {
                snd_pcm_sframes_t k = snd_pcm_readi(dev, block, ELEMENTSOF(block));
                if (k < 0)
                        k = snd_pcm_recover(dev, (int) k, 1);
                if (k < 0) {
                        voice_child_fail(c, "Recording from \"%s\" failed: %s.", voice_input_device(),
                                snd_strerror((int) k));
                        return (int) k;
                }
                if (voice_pcm_append(out, block, (size_t) k) < 0)
                        return -ENOMEM;
                double rms = voice_pcm_rms(block, (size_t) k);
                loudest = MAX(loudest, rms);
                if (rms >= o->threshold) {
                        heard = true;
                        quiet = 0;
                } else if (heard) {
                        quiet += (double) k / VOICE_RECOGNIZER_RATE;
                        if (quiet >= o->silence_seconds)
                                break;
                }
                voice_child_progress(c, voice_pcm_seconds(out), o->max_seconds, heard ? "Hearing speech" : "Listening");
        }
        if (!heard) {
                voice_child_fail(c,
                        "The input \"%s\" was silent for %.1f s (its loudest level %.0f, the threshold %.0f): check "
                        "that the microphone is connected and not muted, or lower silence_threshold.",
                        voice_input_device(), voice_pcm_seconds(out), loudest, o->threshold);
                return -ENODATA;
        }
        return 0;
}
