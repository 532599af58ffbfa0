/*
 * HPKE behaviour beyond the vectors: rejected inputs, small-order points, the sequence limit,
 * export-only contexts, in-place operation. (HKDF, the salt state and the random generator are
 * the crypto module's: tests/unit/crypto.)
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hpke/hpke.h"
#include "unit/test.h"

static const oe_hpke_suite_t aes128 = {OE_HPKE_KEM_X25519_SHA256, OE_HPKE_KDF_HKDF_SHA256,
                                       OE_HPKE_AEAD_AES128GCM};
static const uint16_t aeads[] = {OE_HPKE_AEAD_AES128GCM, OE_HPKE_AEAD_AES256GCM,
                                 OE_HPKE_AEAD_CHACHA20POLY1305};

/* Deterministic test randomness: a counter stream. */
static int counter_rng(void *arg, unsigned char *out, size_t len)
{
    unsigned *c = arg;
    for (size_t i = 0; i < len; i++)
        out[i] = (unsigned char)((*c)++ * 131u + 7u);
    return 0;
}

static int failing_rng(void *arg, unsigned char *out, size_t len)
{
    (void)arg, (void)out, (void)len;
    return -1;
}

static void pair(oe_hpke_ctx_t *s, oe_hpke_ctx_t *r, oe_hpke_keypair_t *kp, uint16_t aead)
{
    oe_hpke_suite_t suite = {OE_HPKE_KEM_X25519_SHA256, OE_HPKE_KDF_HKDF_SHA256, aead};
    uint8_t enc[OE_HPKE_NENC];
    unsigned c = 1;
    CHECK_INT(oe_hpke_derive_keypair(kp, (const uint8_t *)"recipient", 9), 0);
    CHECK_INT(oe_hpke_setup_base_s(s, enc, &suite, kp->pk, sizeof(kp->pk), OE_SLICE_STR("info"),
                                   counter_rng, &c),
              0);
    CHECK_INT(oe_hpke_setup_base_r(r, &suite, enc, sizeof(enc), kp, OE_SLICE_STR("info")), 0);
}

TEST(hpke_seal_open_each_aead_and_tamper)
{
    for (size_t a = 0; a < OE_ARRAY_SIZE(aeads); a++) {
        oe_hpke_ctx_t s, r;
        oe_hpke_keypair_t kp;
        uint8_t ct[64], pt[64];
        const char *msg = "a DNS message";
        size_t n = strlen(msg);

        pair(&s, &r, &kp, aeads[a]);
        CHECK_INT(oe_hpke_seal(&s, ct, sizeof(ct), OE_SLICE_STR("aad"), OE_SLICE_STR(msg)),
                  n + OE_HPKE_NT);
        /* Every flipped bit of ciphertext and tag, and of the aad, fails authentication and
         * leaves neither plaintext in out nor the sequence number advanced. */
        for (size_t bit = 0; bit < (n + OE_HPKE_NT) * 8; bit++) {
            ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            memset(pt, 0xaa, sizeof(pt));
            CHECK_INT(
                oe_hpke_open(&r, pt, sizeof(pt), OE_SLICE_STR("aad"), OE_SLICE(ct, n + OE_HPKE_NT)),
                OE_EAUTH);
            for (size_t i = 0; i < n; i++)
                CHECK_INT(pt[i], 0);
            ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        CHECK_INT(r.seq, 0);
        CHECK_INT(
            oe_hpke_open(&r, pt, sizeof(pt), OE_SLICE_STR("aaD"), OE_SLICE(ct, n + OE_HPKE_NT)),
            OE_EAUTH);
        CHECK_INT(
            oe_hpke_open(&r, pt, sizeof(pt), OE_SLICE_STR("aad"), OE_SLICE(ct, n + OE_HPKE_NT)), n);
        CHECK_MEM(pt, n, msg, n);
        /* A replay under the next sequence number fails. */
        CHECK_INT(
            oe_hpke_open(&r, pt, sizeof(pt), OE_SLICE_STR("aad"), OE_SLICE(ct, n + OE_HPKE_NT)),
            OE_EAUTH);
        oe_hpke_ctx_wipe(&s);
        oe_hpke_ctx_wipe(&r);
    }
}

TEST(hpke_flipped_enc_bits_fail)
{
    oe_hpke_keypair_t kp;
    oe_hpke_ctx_t s, r;
    uint8_t enc[OE_HPKE_NENC], ct[64], pt[64];
    unsigned c = 5;
    int rc;

    CHECK_INT(oe_hpke_derive_keypair(&kp, (const uint8_t *)"r", 1), 0);
    CHECK_INT(oe_hpke_setup_base_s(&s, enc, &aes128, kp.pk, 32, OE_SLICE_STR(""), counter_rng, &c),
              0);
    CHECK_INT(oe_hpke_seal(&s, ct, sizeof(ct), OE_SLICE_STR(""), OE_SLICE_STR("hello")), 21);
    for (int bit = 0; bit < 256; bit++) {
        enc[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        rc = oe_hpke_setup_base_r(&r, &aes128, enc, sizeof(enc), &kp, OE_SLICE_STR(""));
        /* Even bit 255, which X25519 ignores, changes kem_context = enc | pkR (RFC 9180 §4.1). */
        if (rc == 0)
            CHECK_INT(oe_hpke_open(&r, pt, sizeof(pt), OE_SLICE_STR(""), OE_SLICE(ct, 21)),
                      OE_EAUTH);
        else
            CHECK_INT(rc, OE_ECRYPTO);
        enc[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
}

/* Points of small order on Curve25519 and on its twist (also with bit 255 set, which X25519
 * ignores): each makes the DH
 * output all zero, which RFC 9180 §7.1.4 requires us to reject. */
static const char *const small_order[] = {
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7",
};

static void check_small_order(void)
{
    oe_hpke_keypair_t kp;
    oe_hpke_ctx_t ctx;
    uint8_t ss[32], out[32], enc[32];
    unsigned c = 9;

    CHECK_INT(oe_hpke_derive_keypair(&kp, (const uint8_t *)"r", 1), 0);
    for (size_t i = 0; i < OE_ARRAY_SIZE(small_order); i++) {
        size_t len;
        uint8_t *p = oe_test_unhex(small_order[i], &len);
        CHECK_INT(len, 32);
        CHECK_INT(oe_hpke_x25519(out, kp.sk, p), OE_ECRYPTO);
        CHECK_INT(oe_hpke_decap(ss, p, len, &kp), OE_ECRYPTO);
        CHECK_INT(oe_hpke_setup_base_r(&ctx, &aes128, p, len, &kp, OE_SLICE_STR("")), OE_ECRYPTO);
        CHECK_INT(
            oe_hpke_setup_base_s(&ctx, enc, &aes128, p, len, OE_SLICE_STR(""), counter_rng, &c),
            OE_ECRYPTO);
        free(p);
    }
}

TEST(hpke_rejects_small_order_points_everest)
{
    check_small_order();
}

TEST(hpke_rejects_small_order_points_generic_ecp)
{
    oe_hpke_set_x25519_impl(OE_HPKE_X25519_GENERIC);
    check_small_order();
    oe_hpke_set_x25519_impl(OE_HPKE_X25519_EVEREST);
}

TEST(hpke_rejects_bad_lengths_and_suites)
{
    oe_hpke_keypair_t kp;
    oe_hpke_ctx_t s, r;
    uint8_t enc[OE_HPKE_NENC], buf[64], ss[32];
    unsigned c = 3;
    oe_hpke_suite_t bad[] = {
        {0x0010, 1, 1}, {0x0020, 2, 1}, {0x0020, 1, 4}, {0x0020, 1, 0}, {0x0021, 1, 1}};

    CHECK_INT(oe_hpke_derive_keypair(&kp, (const uint8_t *)"r", 1), 0);
    for (size_t i = 0; i < OE_ARRAY_SIZE(bad); i++) {
        CHECK_INT(oe_hpke_suite_check(&bad[i]), OE_EUNSUPPORTED);
        CHECK_INT(
            oe_hpke_setup_base_s(&s, enc, &bad[i], kp.pk, 32, OE_SLICE_STR(""), counter_rng, &c),
            OE_EUNSUPPORTED);
        CHECK_INT(oe_hpke_setup_base_r(&r, &bad[i], kp.pk, 32, &kp, OE_SLICE_STR("")),
                  OE_EUNSUPPORTED);
    }
    CHECK_INT(oe_hpke_setup_base_s(&s, enc, &aes128, kp.pk, 31, OE_SLICE_STR(""), counter_rng, &c),
              OE_EFORMAT);
    CHECK_INT(oe_hpke_setup_base_s(&s, enc, &aes128, kp.pk, 33, OE_SLICE_STR(""), counter_rng, &c),
              OE_EFORMAT);
    CHECK_INT(
        oe_hpke_setup_base_s(&s, enc, &aes128, kp.pk, 32, OE_SLICE_STR(""), failing_rng, NULL),
        OE_ECRYPTO);
    CHECK_INT(oe_hpke_decap(ss, kp.pk, 31, &kp), OE_EFORMAT);
    CHECK_INT(oe_hpke_decap(ss, kp.pk, 33, &kp), OE_EFORMAT);
    CHECK_INT(oe_hpke_setup_base_r(&r, &aes128, kp.pk, 0, &kp, OE_SLICE_STR("")), OE_EFORMAT);

    CHECK_INT(oe_hpke_setup_base_s(&s, enc, &aes128, kp.pk, 32, OE_SLICE_STR(""), counter_rng, &c),
              0);
    CHECK_INT(oe_hpke_setup_base_r(&r, &aes128, enc, 32, &kp, OE_SLICE_STR("")), 0);
    /* Output space: pt_len + Nt exactly is enough, one less is not. */
    CHECK_INT(oe_hpke_seal(&s, buf, 20, OE_SLICE_STR(""), OE_SLICE_STR("12345")), OE_ESPACE);
    CHECK_INT(s.seq, 0);
    CHECK_INT(oe_hpke_seal(&s, buf, 21, OE_SLICE_STR(""), OE_SLICE_STR("12345")), 21);
    for (size_t n = 0; n < OE_HPKE_NT; n++)
        CHECK_INT(oe_hpke_open(&r, buf + 32, 32, OE_SLICE_STR(""), OE_SLICE(buf, n)), OE_ETRUNC);
    CHECK_INT(oe_hpke_open(&r, buf + 32, 4, OE_SLICE_STR(""), OE_SLICE(buf, 21)), OE_ESPACE);
    CHECK_INT(oe_hpke_open(&r, buf + 32, 5, OE_SLICE_STR(""), OE_SLICE(buf, 21)), 5);
    /* Partially overlapping buffers are refused; exactly in place is fine. */
    CHECK_INT(oe_hpke_seal(&s, buf + 1, 40, OE_SLICE_STR(""), OE_SLICE(buf, 5)), OE_EINVAL);
    /* Export bounds: 1..255*Nh. */
    uint8_t big[OE_HPKE_EXPORT_MAX + 1];
    CHECK_INT(oe_hpke_export(&s, big, 0, OE_SLICE_STR("")), OE_EINVAL);
    CHECK_INT(oe_hpke_export(&s, big, OE_HPKE_EXPORT_MAX + 1, OE_SLICE_STR("")), OE_EINVAL);
    CHECK_INT(oe_hpke_export(&s, big, OE_HPKE_EXPORT_MAX, OE_SLICE_STR("")), 0);
}

TEST(hpke_in_place_seal_open)
{
    for (size_t a = 0; a < OE_ARRAY_SIZE(aeads); a++) {
        oe_hpke_ctx_t s, r;
        oe_hpke_keypair_t kp;
        uint8_t buf[300], want[284];
        for (size_t i = 0; i < sizeof(want); i++)
            want[i] = (uint8_t)i;
        memcpy(buf, want, sizeof(want));
        pair(&s, &r, &kp, aeads[a]);
        CHECK_INT(oe_hpke_seal(&s, buf, sizeof(buf), OE_SLICE_STR("x"), OE_SLICE(buf, 284)), 300);
        CHECK(memcmp(buf, want, 284) != 0);
        CHECK_INT(oe_hpke_open(&r, buf, sizeof(buf), OE_SLICE_STR("x"), OE_SLICE(buf, 300)), 284);
        CHECK_MEM(buf, 284, want, sizeof(want));
    }
}

/* Open writes only len - Nt bytes: a plaintext buffer that ends where the ciphertext begins does
 * not overlap it. The overlap check once counted Nt bytes more (the Seal size) and refused this
 * with OE_EINVAL: seen under qemu on armhf and mipsel, whose stacks put two arrays so. */
TEST(hpke_open_into_the_buffer_just_before_the_ciphertext)
{
    oe_hpke_ctx_t s, r;
    oe_hpke_keypair_t kp;
    uint8_t buf[64];

    pair(&s, &r, &kp, OE_HPKE_AEAD_AES128GCM);
    CHECK_INT(oe_hpke_seal(&s, buf + 32, 32, OE_SLICE_STR(""), OE_SLICE_STR("last")), 20);
    CHECK_INT(oe_hpke_open(&r, buf + 29, 4, OE_SLICE_STR(""), OE_SLICE(buf + 32, 20)), OE_EINVAL);
    CHECK_INT(r.seq, 0);
    CHECK_INT(oe_hpke_open(&r, buf + 28, 4, OE_SLICE_STR(""), OE_SLICE(buf + 32, 20)), 4);
    CHECK_MEM(buf + 28, 4, "last", 4);
}

TEST(hpke_sequence_number_limit)
{
    oe_hpke_ctx_t s, r;
    oe_hpke_keypair_t kp;
    uint8_t ct[32], pt[32], nonce[OE_HPKE_NN];

    pair(&s, &r, &kp, OE_HPKE_AEAD_AES128GCM);
    s.seq = r.seq = UINT64_MAX - 1;
    CHECK_INT(oe_hpke_seal(&s, ct, sizeof(ct), OE_SLICE_STR(""), OE_SLICE_STR("last")), 20);
    CHECK_INT(oe_hpke_open(&r, pt, sizeof(pt), OE_SLICE_STR(""), OE_SLICE(ct, 20)), 4);
    /* The nonce for that message was base_nonce XOR I2OSP(2^64 - 2, 12). */
    memcpy(nonce, s.base_nonce, sizeof(nonce));
    for (int i = 4; i < 11; i++)
        nonce[i] ^= 0xff;
    nonce[11] ^= 0xfe;
    CHECK_INT(oe_crypto_aead_open(OE_HPKE_AEAD_AES128GCM, s.key, nonce, pt, sizeof(pt),
                                  OE_SLICE_STR(""), OE_SLICE(ct, 20)),
              4);
    CHECK_INT(oe_hpke_seal(&s, ct, sizeof(ct), OE_SLICE_STR(""), OE_SLICE_STR("more")),
              OE_EOVERFLOW);
    CHECK_INT(oe_hpke_open(&r, pt, sizeof(pt), OE_SLICE_STR(""), OE_SLICE(ct, 20)), OE_EOVERFLOW);
    CHECK(s.seq == UINT64_MAX);
}

TEST(hpke_export_only_context)
{
    oe_hpke_ctx_t s, r;
    oe_hpke_keypair_t kp;
    uint8_t a[40], b[40], ct[32];

    pair(&s, &r, &kp, OE_HPKE_AEAD_EXPORT_ONLY);
    CHECK_INT(s.nk, 0);
    CHECK_INT(oe_hpke_seal(&s, ct, sizeof(ct), OE_SLICE_STR(""), OE_SLICE_STR("x")),
              OE_EUNSUPPORTED);
    CHECK_INT(oe_hpke_open(&r, ct, sizeof(ct), OE_SLICE_STR(""), OE_SLICE(ct, 17)),
              OE_EUNSUPPORTED);
    CHECK_INT(oe_hpke_export(&s, a, sizeof(a), OE_SLICE_STR("ctx")), 0);
    CHECK_INT(oe_hpke_export(&r, b, sizeof(b), OE_SLICE_STR("ctx")), 0);
    CHECK_MEM(a, sizeof(a), b, sizeof(b));
    CHECK_INT(oe_crypto_aead_seal(OE_HPKE_AEAD_EXPORT_ONLY, a, a, ct, sizeof(ct), OE_SLICE_STR(""),
                                  OE_SLICE_STR("x")),
              OE_EUNSUPPORTED);
}

TEST(hpke_private_key_serialization_round_trip)
{
    oe_hpke_keypair_t kp, kp2;
    uint8_t sk[OE_HPKE_NSK];

    CHECK_INT(oe_hpke_derive_keypair(&kp, (const uint8_t *)"seed", 4), 0);
    oe_hpke_serialize_private_key(sk, &kp);
    CHECK_INT(sk[0] & 7, 0);
    CHECK_INT(sk[31] & 0xc0, 0x40);
    CHECK_INT(oe_hpke_keypair_from_private(&kp2, sk, sizeof(sk)), 0);
    CHECK_MEM(kp2.pk, 32, kp.pk, 32);
    CHECK_INT(oe_hpke_keypair_from_private(&kp2, sk, 31), OE_EFORMAT);
    oe_hpke_keypair_wipe(&kp);
    for (size_t i = 0; i < sizeof(kp); i++)
        CHECK_INT(((uint8_t *)&kp)[i], 0);
}

TEST(hpke_generate_keypair_uses_rng)
{
    oe_hpke_keypair_t a, b;
    unsigned c1 = 42, c2 = 42;
    CHECK_INT(oe_hpke_generate_keypair(&a, counter_rng, &c1), 0);
    CHECK_INT(oe_hpke_generate_keypair(&b, counter_rng, &c2), 0);
    CHECK_MEM(a.pk, 32, b.pk, 32);
    CHECK_INT(oe_hpke_generate_keypair(&a, failing_rng, NULL), OE_ECRYPTO);
    CHECK_INT(oe_hpke_generate_keypair(&a, oe_crypto_random, NULL), 0);
    CHECK_INT(oe_hpke_generate_keypair(&b, oe_crypto_random, NULL), 0);
    CHECK(memcmp(a.pk, b.pk, 32) != 0);
}
