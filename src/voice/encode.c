/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* WAV by hand (a 44-byte header), Ogg Opus through libopusenc, which resamples to Opus's 48 kHz itself. */
#include <endian.h>
#include <opus/opusenc.h>

#include "encode.h"

int voice_format_from_string(const char *s, VoiceFormat *ret) {
        if (!s || streq(s, "wav"))
                *ret = VOICE_FORMAT_WAV;
        else if (streq(s, "ogg"))
                *ret = VOICE_FORMAT_OGG_OPUS;
        else
                return -EINVAL;
        return 0;
}

const char *voice_format_mime_type(VoiceFormat f) {
        return f == VOICE_FORMAT_OGG_OPUS ? "audio/ogg" : "audio/wav";
}

typedef struct Sink {
        char *data;
        size_t size;
        size_t allocated;
} Sink;

static int sink_write(Sink *s, const void *p, size_t n) {
        if (s->size + n > s->allocated) {
                size_t want = MAX(s->allocated * 2, s->size + n);
                char *d = realloc(s->data, want);
                if (!d)
                        return -ENOMEM;
                s->data = d;
                s->allocated = want;
        }
        memcpy(s->data + s->size, p, n);
        s->size += n;
        return 0;
}

static int put_le32(Sink *s, uint32_t v) {
        v = htole32(v);
        return sink_write(s, &v, 4);
}

static int put_le16(Sink *s, uint16_t v) {
        v = htole16(v);
        return sink_write(s, &v, 2);
}

static int encode_wav(const VoicePcm *pcm, Sink *s) {
        uint32_t data_size = (uint32_t) (pcm->n * 2);
        int r = sink_write(s, "RIFF", 4);
        if (r >= 0)
                r = put_le32(s, 36 + data_size);
        if (r >= 0)
                r = sink_write(s, "WAVEfmt ", 8);
        if (r >= 0)
                r = put_le32(s, 16);
        if (r >= 0)
                r = put_le16(s, 1); /* PCM */
        if (r >= 0)
                r = put_le16(s, 1); /* mono */
        if (r >= 0)
                r = put_le32(s, pcm->rate);
        if (r >= 0)
                r = put_le32(s, pcm->rate * 2); /* bytes per second */
        if (r >= 0)
                r = put_le16(s, 2); /* block align */
        if (r >= 0)
                r = put_le16(s, 16);
        if (r >= 0)
                r = sink_write(s, "data", 4);
        if (r >= 0)
                r = put_le32(s, data_size);
        for (size_t i = 0; r >= 0 && i < pcm->n; i++)
                r = put_le16(s, (uint16_t) pcm->samples[i]);
        return r;
}

static int opus_write(void *userdata, const unsigned char *p, opus_int32 n) {
        return sink_write(userdata, p, (size_t) n) < 0 ? 1 : 0;
}

static int opus_close(void *userdata) {
        return 0;
}

static int encode_opus(const VoicePcm *pcm, Sink *s) {
        static const OpusEncCallbacks callbacks = { .write = opus_write, .close = opus_close };
        OggOpusComments *comments = ope_comments_create();
        if (!comments)
                return -ENOMEM;
        (void) ope_comments_add(comments, "ENCODER", "aios-voiced");
        int error = OPE_OK;
        OggOpusEnc *enc = ope_encoder_create_callbacks(&callbacks, s, comments, (opus_int32) pcm->rate, 1, 0, &error);
        ope_comments_destroy(comments);
        if (!enc)
                return error == OPE_ALLOC_FAIL ? -ENOMEM : -EINVAL;
        /* Speech: the application and a bit rate that keep it clear at a tenth of WAV's size. */
        (void) ope_encoder_ctl(enc, OPUS_SET_APPLICATION(OPUS_APPLICATION_VOIP));
        (void) ope_encoder_ctl(enc, OPUS_SET_BITRATE(32000));
        error = ope_encoder_write(enc, pcm->samples, (int) pcm->n);
        if (error == OPE_OK)
                error = ope_encoder_drain(enc);
        ope_encoder_destroy(enc);
        return error == OPE_OK ? 0 : error == OPE_ALLOC_FAIL ? -ENOMEM : -EIO;
}

int voice_encode(const VoicePcm *pcm, VoiceFormat f, char **ret, size_t *ret_size) {
        Sink s = {};
        int r = f == VOICE_FORMAT_OGG_OPUS ? encode_opus(pcm, &s) : encode_wav(pcm, &s);
        if (r < 0) {
                free(s.data);
                return r;
        }
        *ret = s.data;
        *ret_size = s.size;
        return 0;
}
