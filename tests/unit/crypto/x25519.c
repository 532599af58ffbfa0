/*
 * X25519 (crypto/x25519.c and whichever code oe_crypto_x25519 runs): RFC 7748 §5.2's two test
 * vectors and its iterated ones (1 and 1,000 iterations), the §6.1 Diffie-Hellman example, and
 * our code against Everest/HACL* on pseudo-random scalars and points, including u-coordinates
 * with bit 255 set and non-canonical ones (>= p).
 */
#include <stdlib.h>

#include "crypto/crypto.h"
#include "crypto/x25519.h"
#include "unit/test.h"

static void check_rfc7748(void)
{
    static const char *v[][3] = {
        {"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
         "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
         "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
        {"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
         "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
         "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
        /* §6.1: Alice's public key, Bob's, and the shared secret both ways */
        {"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
         "0900000000000000000000000000000000000000000000000000000000000000",
         "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"},
        {"5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
         "0900000000000000000000000000000000000000000000000000000000000000",
         "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"},
        {"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
         "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
         "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"},
        {"5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
         "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
         "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"},
    };
    uint8_t k[32], u[32], want[32], out[32];
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        oe_test_unhex_into(k, 32, v[i][0]);
        oe_test_unhex_into(u, 32, v[i][1]);
        oe_test_unhex_into(want, 32, v[i][2]);
        CHECK_INT(oe_crypto_x25519(out, k, u), 0);
        CHECK_MEM(out, 32, want, 32);
    }
    /* §5.2 iterated: k = u = 9; each round, u = old k and k = the result. */
    memset(k, 0, 32);
    k[0] = 9;
    memcpy(u, k, 32);
    for (int i = 1; i <= 1000; i++) {
        CHECK_INT(oe_crypto_x25519(out, k, u), 0);
        memcpy(u, k, 32);
        memcpy(k, out, 32);
        if (i == 1) {
            oe_test_unhex_into(want, 32,
                               "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
            CHECK_MEM(k, 32, want, 32);
        }
    }
    oe_test_unhex_into(want, 32,
                       "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
    CHECK_MEM(k, 32, want, 32);
}

TEST(x25519_rfc7748_own)
{
    oe_crypto_set_x25519_impl(OE_CRYPTO_X25519_OWN);
    check_rfc7748();
}

TEST(x25519_rfc7748_everest)
{
    oe_crypto_set_x25519_impl(OE_CRYPTO_X25519_EVEREST);
    check_rfc7748();
}

TEST(x25519_own_equals_everest)
{
    uint64_t s = 0x0123456789abcdefULL;
    uint8_t k[32], u[32], a[32], b[32];
    for (int round = 0; round < 2000; round++) {
        for (int i = 0; i < 32; i++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            k[i] = (uint8_t)(s >> 11);
            u[i] = (uint8_t)(s >> 29);
        }
        if (round % 10 == 1) /* p .. 2^255 - 1 and their bit-255 twins: non-canonical */
            memset(u + 1, 0xff, 31), u[0] = (uint8_t)(0xed + round % 19), u[31] = 0x7f;
        if (round % 10 == 2)
            memset(u, 0, 32), u[0] = (uint8_t)(round % 3); /* 0, 1, 2 */
        if (round & 4)
            u[31] |= 0x80;
        oe_crypto_set_x25519_impl(OE_CRYPTO_X25519_OWN);
        CHECK_INT(oe_crypto_x25519(a, k, u), 0);
        oe_crypto_set_x25519_impl(OE_CRYPTO_X25519_EVEREST);
        CHECK_INT(oe_crypto_x25519(b, k, u), 0);
        CHECK_MEM(a, 32, b, 32);
    }
}

/* The fixed-base path (public keys, X25519(k, 9)): RFC 7748 §6.1's two public keys, then the
 * ladder's answer for pseudo-random scalars and for scalars whose signed radix-16 digits hit the
 * ends of their range (all bits set or clear below the clamped ones, alternating nibbles). A
 * target without our X25519 (32-bit: Everest's) checks the two public keys through the API. The
 * test exists on every target: the test table is made from the sources, not per target. */
TEST(x25519_base_rfc7748_and_equals_ladder)
{
    static const uint8_t nine[32] = {9};
    static const char *v[][2] = {
        {"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
         "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"},
        {"5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
         "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"},
    };
    static const uint8_t edge[8] = {0x00, 0xff, 0x88, 0x77, 0x0f, 0xf0, 0x80, 0x08};
    uint8_t k[32], want[32], a[32];
#if defined(OE_X25519_OWN)
    uint8_t b[32];
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        oe_test_unhex_into(k, 32, v[i][0]);
        oe_test_unhex_into(want, 32, v[i][1]);
        oe_x25519_base_own(a, k);
        CHECK_MEM(a, 32, want, 32);
    }
    uint64_t s = 0xfedcba9876543210ULL;
    for (int round = 0; round < 3000; round++) {
        for (int i = 0; i < 32; i++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            k[i] = (uint8_t)(s >> 17);
        }
        if (round < 8) /* 00, ff, 88, 77, 0f, f0, 80, 08 in every byte */
            memset(k, edge[round], 32);
        oe_x25519_base_own(a, k);
        oe_x25519_own(b, k, nine);
        CHECK_MEM(a, 32, b, 32);
    }
#else
    (void)edge;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        oe_test_unhex_into(k, 32, v[i][0]);
        oe_test_unhex_into(want, 32, v[i][1]);
        CHECK_INT(oe_crypto_x25519(a, k, nine), 0);
        CHECK_MEM(a, 32, want, 32);
    }
#endif
}
