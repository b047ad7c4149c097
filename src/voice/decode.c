/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Decoding from memory: libsndfile's virtual I/O over the bytes, every channel mixed to one, then resampled. */
#include <samplerate.h>
#include <sndfile.h>

#include "decode.h"

/* Below this the speech band is cut off; above it the file is something other than speech. */
#define MIN_RATE 8000
#define MAX_RATE 192000
#define MAX_CHANNELS 8

typedef struct Memory {
        const char *data;
        sf_count_t size;
        sf_count_t offset;
} Memory;

static sf_count_t mem_length(void *userdata) {
        return ((Memory *) userdata)->size;
}

static sf_count_t mem_seek(sf_count_t offset, int whence, void *userdata) {
        Memory *m = userdata;
        sf_count_t to = whence == SEEK_SET ? offset : whence == SEEK_CUR ? m->offset + offset : m->size + offset;
        if (to < 0 || to > m->size)
                return -1;
        m->offset = to;
        return to;
}

static sf_count_t mem_read(void *p, sf_count_t n, void *userdata) {
        Memory *m = userdata;
        sf_count_t k = MIN(n, m->size - m->offset);
        memcpy(p, m->data + m->offset, (size_t) k);
        m->offset += k;
        return k;
}

static sf_count_t mem_write(const void *p, sf_count_t n, void *userdata) {
        return 0;
}

static sf_count_t mem_tell(void *userdata) {
        return ((Memory *) userdata)->offset;
}

static const char *format_name(int format) {
        switch (format & SF_FORMAT_TYPEMASK) {
        case SF_FORMAT_WAV:
        case SF_FORMAT_WAVEX:
        case SF_FORMAT_RF64:
                return "wav";
        case SF_FORMAT_FLAC:
                return "flac";
        case SF_FORMAT_OGG:
                return "ogg";
        default:
                return NULL;
        }
}

DEFINE_TRIVIAL_CLEANUP_FUNC(SNDFILE *, sf_close);

int voice_resample(const VoicePcm *in, unsigned rate, VoicePcm *out) {
        out->rate = rate;
        if (in->rate == rate)
                return voice_pcm_append(out, in->samples, in->n);
        size_t n_out = (size_t) ((double) in->n * rate / in->rate) + 16;
        _cleanup_free_ float *fin = malloc(in->n * sizeof(float));
        _cleanup_free_ float *fout = malloc(n_out * sizeof(float));
        _cleanup_free_ int16_t *sout = malloc(n_out * sizeof(int16_t));
        if (!fin || !fout || !sout)
                return -ENOMEM;
        src_short_to_float_array(in->samples, fin, (int) in->n);
        SRC_DATA d = { .data_in = fin,
                .data_out = fout,
                .input_frames = (long) in->n,
                .output_frames = (long) n_out,
                .src_ratio = (double) rate / in->rate };
        /* Speech for a recognizer needs no better than the fast sinc converter. */
        if (src_simple(&d, SRC_SINC_FASTEST, 1) != 0)
                return -EINVAL;
        src_float_to_short_array(fout, sout, (int) d.output_frames_gen);
        return voice_pcm_append(out, sout, (size_t) d.output_frames_gen);
}

int voice_decode(VoiceChild *c, const void *data, size_t size, VoicePcm *out, DecodeInfo *info) {
        if (size == 0) {
                voice_child_fail(c, "The audio is empty (0 bytes).");
                return -ENODATA;
        }
        if (size > VOICE_MAX_AUDIO_BYTES) {
                voice_child_fail(c, "The audio is %zu bytes; at most %u are taken.", size, VOICE_MAX_AUDIO_BYTES);
                return -EFBIG;
        }
        Memory m = { .data = data, .size = (sf_count_t) size };
        SF_VIRTUAL_IO io = { .get_filelen = mem_length,
                .seek = mem_seek,
                .read = mem_read,
                .write = mem_write,
                .tell = mem_tell };
        SF_INFO sfi = {};
        _cleanup_(sf_closep) SNDFILE *f = sf_open_virtual(&io, SFM_READ, &sfi, &m);
        if (!f) {
                voice_child_fail(c, "The audio could not be read as WAV, FLAC or Ogg: %s.", sf_strerror(NULL));
                return -EBADMSG;
        }
        const char *name = format_name(sfi.format);
        if (!name) {
                SF_FORMAT_INFO fi = { .format = sfi.format & SF_FORMAT_TYPEMASK };
                (void) sf_command(NULL, SFC_GET_FORMAT_INFO, &fi, sizeof(fi));
                voice_child_fail(c, "The audio is %s; WAV, FLAC and Ogg are taken.", fi.name ?: "of another kind");
                return -EPROTONOSUPPORT;
        }
        if (sfi.samplerate < MIN_RATE || sfi.samplerate > MAX_RATE) {
                voice_child_fail(c,
                        "The audio's sample rate is %d Hz; %d to %d Hz are taken (speech needs at least %d).",
                        sfi.samplerate, MIN_RATE, MAX_RATE, MIN_RATE);
                return -ERANGE;
        }
        if (sfi.channels < 1 || sfi.channels > MAX_CHANNELS) {
                voice_child_fail(c, "The audio has %d channels; 1 to %d are taken.", sfi.channels, MAX_CHANNELS);
                return -ERANGE;
        }
        double seconds = (double) sfi.frames / sfi.samplerate;
        if (sfi.frames > (sf_count_t) VOICE_MAX_SECONDS * sfi.samplerate) {
                voice_child_fail(c, "The audio lasts %.1f s; at most %u s are transcribed at once: split it.", seconds,
                        VOICE_MAX_SECONDS);
                return -EFBIG;
        }
        *info = (DecodeInfo){ .rate = (unsigned) sfi.samplerate,
                .channels = (unsigned) sfi.channels,
                .seconds = seconds };
        snprintf(info->format, sizeof(info->format), "%s", name);

        /* Every channel mixed into one, as the file is read, a second at a time. */
        _cleanup_(voice_pcm_done) VoicePcm mono = { .rate = (unsigned) sfi.samplerate };
        size_t chunk = (size_t) sfi.samplerate;
        _cleanup_free_ float *frames = malloc(chunk * (size_t) sfi.channels * sizeof(float));
        _cleanup_free_ int16_t *mixed = malloc(chunk * sizeof(int16_t));
        if (!frames || !mixed)
                return -ENOMEM;
        for (;;) {
                sf_count_t k = sf_readf_float(f, frames, (sf_count_t) chunk);
                if (k <= 0)
                        break;
                for (sf_count_t i = 0; i < k; i++) {
                        float sum = 0;
                        for (int ch = 0; ch < sfi.channels; ch++)
                                sum += frames[i * sfi.channels + ch];
                        float v = sum / sfi.channels;
                        v = v > 1.0f ? 1.0f : v < -1.0f ? -1.0f : v;
                        mixed[i] = (int16_t) (v * 32767.0f);
                }
                if (voice_pcm_append(&mono, mixed, (size_t) k) < 0)
                        return -ENOMEM;
                if (mono.n > (size_t) VOICE_MAX_SECONDS * sfi.samplerate) {
                        voice_child_fail(c, "The audio lasts more than %u s: split it.", VOICE_MAX_SECONDS);
                        return -EFBIG;
                }
        }
        if (mono.n == 0) {
                voice_child_fail(c, "The %s audio holds no samples%s.", name,
                        sfi.frames > 0 ? " (its header promises some: the file is cut short)" : "");
                return -ENODATA;
        }
        info->seconds = voice_pcm_seconds(&mono);
        int r = voice_resample(&mono, VOICE_RECOGNIZER_RATE, out);
        if (r < 0) {
                voice_child_fail(c, "The audio could not be resampled to %u Hz.", VOICE_RECOGNIZER_RATE);
                return r;
        }
        return 0;
}
