/*
 * AES-GCM behind MBEDTLS_GCM_ALT (modules/crypto/gcm.c): the 18 test cases of McGrew and Viega's
 * GCM specification (the NIST vectors mbedtls' own self-test carries; AES-128, -192, -256, IVs of
 * 8, 12 and 60 bytes) through each path (VAES, AES-NI, portable), one-shot and multipart in uneven
 * pieces; then the accelerated paths against the portable one on pseudo-random inputs, including
 * the 32-bit counter wrapping around. On targets without the hook these run against mbedtls' own
 * GCM.
 */
#define MBEDTLS_ALLOW_PRIVATE_ACCESS
#include <stdlib.h>

#include "crypto/crypto.h"
#include "mbedtls/gcm.h"
#include "unit/test.h"

static const struct {
    const char *key, *iv, *ad, *pt, *ct, *tag;
} gcm_vectors[] = {
    {"00000000000000000000000000000000", "000000000000000000000000", "", "", "",
     "58e2fccefa7e3061367f1d57a4e7455a"}, /* test case 1 */
    {"00000000000000000000000000000000", "000000000000000000000000", "",
     "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
     "ab6e47d42cec13bdf53a67b21257bddf"}, /* test case 2 */
    {"feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b"
     "525b16aedf5aa0de657ba637b391aafd255",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84a"
     "a051ba30b396a0aac973d58e091473f5985",
     "4d5c2af327cd64a62cf35abd2ba6fab4"}, /* test case 3 */
    {"feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b"
     "525b16aedf5aa0de657ba637b39",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84a"
     "a051ba30b396a0aac973d58e091",
     "5bc94fbc3221a5db94fae95ae7121a47"}, /* test case 4 */
    {"feffe9928665731c6d6a8f9467308308", "cafebabefacedbad",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b"
     "525b16aedf5aa0de657ba637b39",
     "61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c742373806900e49f24b22b097544d4896"
     "b424989b5e1ebac0f07c23f4598",
     "3612d2e79e3b0785561be14aaca2fccb"}, /* test case 5 */
    {"feffe9928665731c6d6a8f9467308308",
     "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728c3c0c95156809539fcf0e2429a6b5"
     "25416aedbf5a0de6a57a637b39b",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b"
     "525b16aedf5aa0de657ba637b39",
     "8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca701e4a9a4fba43c90ccdcb281d48c7"
     "c6fd62875d2aca417034c34aee5",
     "619cc5aefffe0bfa462af43c1699d050"}, /* test case 6 */
    {"000000000000000000000000000000000000000000000000", "000000000000000000000000", "", "", "",
     "cd33b28ac773f74ba00ed1f312572435"}, /* test case 7 */
    {"000000000000000000000000000000000000000000000000", "000000000000000000000000", "",
     "00000000000000000000000000000000", "98e7247c07f0fe411c267e4384b0f600",
     "2ff58d80033927ab8ef4d4587514f0fb"}, /* test case 8 */
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c", "cafebabefacedbaddecaf888", "",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b"
     "525b16aedf5aa0de657ba637b391aafd255",
     "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c7d773d00c144c525ac619d18c84a3"
     "f4718e2448b2fe324d9ccda2710acade256",
     "9924a7c8587336bfb118024db8674a14"}, /* test case 9 */
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c", "cafebabefacedbaddecaf888",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b"
     "525b16aedf5aa0de657ba637b39",
     "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c7d773d00c144c525ac619d18c84a3"
     "f4718e2448b2fe324d9ccda2710",
     "2519498e80f1478f37ba55bd6d27618c"}, /* test case 10 */
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c", "cafebabefacedbad",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b"
     "525b16aedf5aa0de657ba637b39",
     "0f10f599ae14a154ed24b36e25324db8c566632ef2bbb34f8347280fc4507057fddc29df9a471f75c66541d4d4dad"
     "1c9e93a19a58e8b473fa0f062f7",
     "65dcc57fcf623a24094fcca40d3533f8"}, /* test case 11 */
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c",
     "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728c3c0c95156809539fcf0e2429a6b5"
     "25416aedbf5a0de6a57a637b39b",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b"
     "525b16aedf5aa0de657ba637b39",
     "d27e88681ce3243c4830165a8fdcf9ff1de9a1d8e6b447ef6ef7b79828666e4581e79012af34ddd9e2f037589b292"
     "db3e67c036745fa22e7e9b7373b",
     "dcf566ff291c25bbb8568fc3d376a6d9"}, /* test case 12 */
    {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"}, /* test case 13 */
    {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     "", "00000000000000000000000000000000", "cea7403d4d606b6e074ec5d3baf39d18",
     "d0d1c8a799996bf0265b98b5d48ab919"}, /* test case 14 */
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b"
     "525b16aedf5aa0de657ba637b391aafd255",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828"
     "838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"}, /* test case 15 */
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b"
     "525b16aedf5aa0de657ba637b39",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828"
     "838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"}, /* test case 16 */
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbad",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b"
     "525b16aedf5aa0de657ba637b39",
     "c3762df1ca787d32ae47c13bf19844cbaf1ae14d0b976afac52ff7d79bba9de0feb582d33934a4f0954cc2363bc73"
     "f7862ac430e64abe499f47c9b1f",
     "3a337dbf46a792c45e454913fe2ea8f2"}, /* test case 17 */
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728c3c0c95156809539fcf0e2429a6b5"
     "25416aedbf5a0de6a57a637b39b",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b"
     "525b16aedf5aa0de657ba637b39",
     "5a8def2f0c9e53f1f75d7853659e2a20eeb2b22aafde6419a058ab4f6f746bf40fc0c3b780f244452da3ebf1c5d82"
     "cdea2418997200ef82e44ae7e3f",
     "a44a8266ee1c8eb0c8b5d4cf5ae9f19a"}, /* test case 18 */
};

typedef struct {
    uint8_t *p;
    size_t n;
} buf_t;

static buf_t unhex(const char *h)
{
    buf_t b;
    b.p = oe_test_unhex(h, &b.n);
    return b;
}

/* Multipart: AD and data fed in pieces of `step` bytes (0: one piece). */
static int gcm_multi(int mode, const buf_t *key, const buf_t *iv, const buf_t *ad,
                     const uint8_t *in, size_t n, uint8_t *out, uint8_t tag[16], size_t step)
{
    mbedtls_gcm_context g;
    size_t olen, done = 0;
    int rc;
    mbedtls_gcm_init(&g);
    rc = mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key->p, (unsigned)key->n * 8);
    if (rc == 0)
        rc = mbedtls_gcm_starts(&g, mode, iv->p, iv->n);
    for (size_t i = 0; rc == 0 && i < ad->n; i += step ? step : ad->n)
        rc = mbedtls_gcm_update_ad(&g, ad->p + i, OE_MIN(step ? step : ad->n, ad->n - i));
    for (size_t i = 0; rc == 0 && i < n; i += step ? step : n) {
        size_t k = OE_MIN(step ? step : n, n - i);
        rc = mbedtls_gcm_update(&g, in + i, k, out + done, k, &olen);
        done += olen;
    }
    if (rc == 0)
        rc = mbedtls_gcm_finish(&g, NULL, 0, &olen, tag, 16);
    mbedtls_gcm_free(&g);
    return rc;
}

static void run_vectors(void)
{
    static const size_t steps[] = {0, 1, 5, 16, 17, 33};
    for (size_t v = 0; v < sizeof(gcm_vectors) / sizeof(gcm_vectors[0]); v++) {
        buf_t key = unhex(gcm_vectors[v].key), iv = unhex(gcm_vectors[v].iv);
        buf_t ad = unhex(gcm_vectors[v].ad), pt = unhex(gcm_vectors[v].pt);
        buf_t ct = unhex(gcm_vectors[v].ct), tag = unhex(gcm_vectors[v].tag);
        uint8_t out[64], t[16];
        mbedtls_gcm_context g;

        mbedtls_gcm_init(&g);
        CHECK_INT(mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key.p, (unsigned)key.n * 8), 0);
        CHECK_INT(mbedtls_gcm_crypt_and_tag(&g, MBEDTLS_GCM_ENCRYPT, pt.n, iv.p, iv.n, ad.p, ad.n,
                                            pt.p, out, 16, t),
                  0);
        CHECK_MEM(out, pt.n, ct.p, ct.n);
        CHECK_MEM(t, 16, tag.p, tag.n);
        CHECK_INT(mbedtls_gcm_auth_decrypt(&g, ct.n, iv.p, iv.n, ad.p, ad.n, tag.p, 16, ct.p, out),
                  0);
        CHECK_MEM(out, ct.n, pt.p, pt.n);
        /* A 12-byte tag is the first 12 bytes; a flipped bit fails and wipes the output. */
        CHECK_INT(mbedtls_gcm_auth_decrypt(&g, ct.n, iv.p, iv.n, ad.p, ad.n, tag.p, 12, ct.p, out),
                  0);
        tag.p[v % 16] ^= 0x20;
        memset(out, 0x55, sizeof(out));
        CHECK_INT(mbedtls_gcm_auth_decrypt(&g, ct.n, iv.p, iv.n, ad.p, ad.n, tag.p, 16, ct.p, out),
                  MBEDTLS_ERR_GCM_AUTH_FAILED);
        for (size_t i = 0; i < ct.n; i++)
            CHECK_INT(out[i], 0);
        tag.p[v % 16] ^= 0x20;
        /* In place. */
        memcpy(out, pt.p, pt.n);
        CHECK_INT(mbedtls_gcm_crypt_and_tag(&g, MBEDTLS_GCM_ENCRYPT, pt.n, iv.p, iv.n, ad.p, ad.n,
                                            out, out, 16, t),
                  0);
        CHECK_MEM(out, pt.n, ct.p, ct.n);
        mbedtls_gcm_free(&g);

        for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
            memset(out, 0, sizeof(out));
            CHECK_INT(gcm_multi(MBEDTLS_GCM_ENCRYPT, &key, &iv, &ad, pt.p, pt.n, out, t, steps[s]),
                      0);
            CHECK_MEM(out, pt.n, ct.p, ct.n);
            CHECK_MEM(t, 16, tag.p, tag.n);
            CHECK_INT(gcm_multi(MBEDTLS_GCM_DECRYPT, &key, &iv, &ad, ct.p, ct.n, out, t, steps[s]),
                      0);
            CHECK_MEM(out, ct.n, pt.p, pt.n);
            CHECK_MEM(t, 16, tag.p, tag.n);
        }
        free(key.p), free(iv.p), free(ad.p), free(pt.p), free(ct.p), free(tag.p);
    }
}

TEST(gcm_nist_vectors)
{
    run_vectors();
}

TEST(gcm_nist_vectors_portable)
{
    oe_crypto_gcm_set_portable(1);
    run_vectors();
    oe_crypto_gcm_set_portable(0);
}

TEST(gcm_nist_vectors_aesni_without_vaes)
{
    oe_crypto_gcm_set_portable(2);
    run_vectors();
    oe_crypto_gcm_set_portable(0);
}

TEST(gcm_rejects_bad_parameters)
{
    static const uint8_t key[32], iv[12];
    uint8_t buf[64], tag[16];
    size_t olen;
    mbedtls_gcm_context g;
    mbedtls_gcm_init(&g);
    CHECK_INT(mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, 64), MBEDTLS_ERR_GCM_BAD_INPUT);
    CHECK_INT(mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, 128), 0);
    CHECK_INT(mbedtls_gcm_starts(&g, MBEDTLS_GCM_ENCRYPT, iv, 0), MBEDTLS_ERR_GCM_BAD_INPUT);
    CHECK_INT(mbedtls_gcm_starts(&g, MBEDTLS_GCM_ENCRYPT, iv, 12), 0);
    CHECK_INT(mbedtls_gcm_update(&g, buf, 32, buf + 8, 32, &olen), MBEDTLS_ERR_GCM_BAD_INPUT);
    CHECK_INT(mbedtls_gcm_update(&g, buf, 32, buf, 31, &olen), MBEDTLS_ERR_GCM_BUFFER_TOO_SMALL);
    CHECK_INT(mbedtls_gcm_finish(&g, NULL, 0, &olen, tag, 3), MBEDTLS_ERR_GCM_BAD_INPUT);
    CHECK_INT(mbedtls_gcm_finish(&g, NULL, 0, &olen, tag, 17), MBEDTLS_ERR_GCM_BAD_INPUT);
    mbedtls_gcm_free(&g);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint8_t rnd8(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint8_t)(rng_state >> 24);
}

/* One operation on one path; wrap > 0 moves the counter to 2^32 - wrap after starts. */
static void gcm_once(int portable, int mode, const uint8_t *key, unsigned bits, const uint8_t *iv,
                     size_t ivn, const uint8_t *ad, size_t adn, const uint8_t *in, size_t n,
                     uint8_t *out, uint8_t tag[16], size_t step, uint32_t wrap)
{
    mbedtls_gcm_context g;
    size_t olen, done = 0;
    oe_crypto_gcm_set_portable(portable);
    mbedtls_gcm_init(&g);
    CHECK_INT(mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, bits), 0);
    oe_crypto_gcm_set_portable(0);
    CHECK_INT(mbedtls_gcm_starts(&g, mode, iv, ivn), 0);
#if defined(MBEDTLS_GCM_ALT)
    if (wrap != 0) {
        uint32_t c = 0u - wrap;
        for (int i = 0; i < 4; i++)
            g.ctr[12 + i] = (uint8_t)(c >> (24 - 8 * i));
    }
#endif
    CHECK_INT(mbedtls_gcm_update_ad(&g, ad, adn), 0);
    for (size_t i = 0; i < n; i += step) {
        size_t k = OE_MIN(step, n - i);
        CHECK_INT(mbedtls_gcm_update(&g, in + i, k, out + done, k, &olen), 0);
        done += olen;
    }
    CHECK_INT(mbedtls_gcm_finish(&g, NULL, 0, &olen, tag, 16), 0);
    mbedtls_gcm_free(&g);
}

TEST(gcm_accelerated_equals_portable)
{
    static uint8_t in[20000], a[20000], b[20000];
    uint8_t key[32], iv[40], ad[100], ta[16], tb[16];
    for (int round = 0; round < 300; round++) {
        unsigned bits = round % 3 == 0 ? 128 : round % 3 == 1 ? 256 : 192;
        size_t n = round < 260 ? (size_t)round * 3 % 700 : 16384 + (size_t)rnd8(),
               ivn = round % 5 == 0 ? 1 + rnd8() % 40 : 12, adn = rnd8() % 100;
        size_t step = round % 4 == 0 ? n + 1 : 1 + (size_t)(rnd8() % 200);
        uint32_t wrap = round % 7 == 0 ? 1 + rnd8() % 20 : 0;
        for (size_t i = 0; i < sizeof(key); i++)
            key[i] = rnd8();
        for (size_t i = 0; i < ivn; i++)
            iv[i] = rnd8();
        for (size_t i = 0; i < adn; i++)
            ad[i] = rnd8();
        for (size_t i = 0; i < n; i++)
            in[i] = rnd8();
        int mode = round & 1 ? MBEDTLS_GCM_DECRYPT : MBEDTLS_GCM_ENCRYPT;
        gcm_once(0, mode, key, bits, iv, ivn, ad, adn, in, n, a, ta, n + 1, wrap);
        gcm_once(1, mode, key, bits, iv, ivn, ad, adn, in, n, b, tb, step, wrap);
        CHECK_MEM(a, n, b, n);
        CHECK_MEM(ta, 16, tb, 16);
        gcm_once(2, mode, key, bits, iv, ivn, ad, adn, in, n, b, tb, step, wrap);
        CHECK_MEM(a, n, b, n);
        CHECK_MEM(ta, 16, tb, 16);
    }
}

/* The TLS record layer seals and opens records in place (input == output), and PSA passes the
 * caller's buffers through (MBEDTLS_PSA_ASSUME_EXCLUSIVE_BUFFERS): every path must give the
 * same bytes and tag in place as into a separate buffer. */
TEST(gcm_in_place_equals_separate)
{
    static uint8_t in[17000], sep[17000], inplace[17000];
    uint8_t key[32], iv[12], ad[13], ts[16], ti[16];
    for (int round = 0; round < 60; round++) {
        unsigned bits = round % 2 == 0 ? 128 : 256;
        size_t n = round < 40 ? (size_t)round * 37 % 1000 : 16384 + (size_t)rnd8();
        size_t step = round % 3 == 0 ? n + 1 : 1 + (size_t)(rnd8() % 300);
        for (size_t i = 0; i < sizeof(key); i++)
            key[i] = rnd8();
        for (size_t i = 0; i < sizeof(iv); i++)
            iv[i] = rnd8();
        for (size_t i = 0; i < sizeof(ad); i++)
            ad[i] = rnd8();
        for (size_t i = 0; i < n; i++)
            in[i] = rnd8();
        for (int path = 0; path < 3; path++)
            for (int mode = 0; mode < 2; mode++) {
                int m = mode ? MBEDTLS_GCM_DECRYPT : MBEDTLS_GCM_ENCRYPT;
                gcm_once(path, m, key, bits, iv, sizeof(iv), ad, sizeof(ad), in, n, sep, ts, n + 1,
                         0);
                memcpy(inplace, in, n);
                gcm_once(path, m, key, bits, iv, sizeof(iv), ad, sizeof(ad), inplace, n, inplace,
                         ti, step, 0);
                CHECK_MEM(sep, n, inplace, n);
                CHECK_MEM(ts, 16, ti, 16);
            }
    }
}
