/*
 * Our ECDSA P-256 signer (crypto/p256.c) against known answers and against mbedtls: RFC 6979
 * A.2.5 (P-256, SHA-256, "sample" and "test"), 2,000 pseudo-random keys and hashes signed by
 * both (byte for byte the same, and mbedtls verifies ours), edge keys and nonces (1, 2, n-2, n-1,
 * and 0, n refused), k*G against mbedtls' ecp_mul, and the PSA path TLS 1.3 uses (psa_sign_hash
 * with a deterministic ECDSA key, and mbedtls_pk_sign's DER) served by our code, P-384 not.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/p256.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/ecp.h"
#include "mbedtls/pk.h"
#include "psa/crypto.h"
#include "unit/test.h"

/* How many signatures the PSA wrapper hands to p256.c: none on targets without it. */
#if defined(OE_P256_OWN)
#define OURS 1
#else
#define OURS 0
#endif

static int rng(void *arg, unsigned char *out, size_t len)
{
    return oe_crypto_random(arg, out, len);
}

#if defined(OE_P256_OWN)

static const char N_HEX[] = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

/* n - v for a small v, big-endian. */
static void n_minus(uint8_t out[32], unsigned v)
{
    oe_test_unhex_into(out, 32, N_HEX);
    out[31] = (uint8_t)(out[31] - v); /* n ends in 0x51: no borrow for v <= 0x51 */
}

static void small(uint8_t out[32], unsigned v)
{
    memset(out, 0, 32);
    out[31] = (uint8_t)v;
}

/* mbedtls' deterministic ECDSA of hash with d, as r | s. */
static void mbedtls_sign(uint8_t sig[64], const uint8_t d[32], const uint8_t hash[32])
{
    mbedtls_ecp_group grp;
    mbedtls_mpi md, r, s;
    mbedtls_ecp_group_init(&grp);
    mbedtls_mpi_init(&md);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    CHECK_INT(mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1), 0);
    CHECK_INT(mbedtls_mpi_read_binary(&md, d, 32), 0);
    CHECK_INT(mbedtls_ecdsa_sign_det_ext(&grp, &r, &s, &md, hash, 32, MBEDTLS_MD_SHA256, rng, NULL),
              0);
    CHECK_INT(mbedtls_mpi_write_binary(&r, sig, 32), 0);
    CHECK_INT(mbedtls_mpi_write_binary(&s, sig + 32, 32), 0);
    mbedtls_mpi_free(&s);
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&md);
    mbedtls_ecp_group_free(&grp);
}

/* mbedtls verifies sig over hash with the public key of d; also checks k*G against ecp_mul. */
static int mbedtls_verify(const uint8_t d[32], const uint8_t hash[32], const uint8_t sig[64])
{
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi md, r, s;
    uint8_t pub[65], ours[65];
    size_t olen;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&md);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    CHECK_INT(mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1), 0);
    CHECK_INT(mbedtls_mpi_read_binary(&md, d, 32), 0);
    CHECK_INT(mbedtls_ecp_mul(&grp, &q, &md, &grp.G, rng, NULL), 0);
    CHECK_INT(mbedtls_ecp_point_write_binary(&grp, &q, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, pub,
                                             sizeof(pub)),
              0);
    CHECK_INT(oe_p256_base_mul(ours, d), 0);
    CHECK_MEM(ours, 65, pub, 65);
    CHECK_INT(mbedtls_mpi_read_binary(&r, sig, 32), 0);
    CHECK_INT(mbedtls_mpi_read_binary(&s, sig + 32, 32), 0);
    int rc = mbedtls_ecdsa_verify(&grp, hash, 32, &q, &r, &s);
    mbedtls_mpi_free(&s);
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&md);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return rc;
}

#endif

/* The next three test p256.c itself: nothing to test on targets without it (32-bit). */
TEST(p256_rfc6979_vectors)
{
#if defined(OE_P256_OWN)
    uint8_t d[32], sig[64];
    oe_test_unhex_into(d, 32, "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
    uint8_t pub[65];
    CHECK_INT(oe_p256_base_mul(pub, d), 0);
    CHECK_HEX(pub, 65,
              "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
              "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299");
    static const struct {
        const char *msg, *sig;
    } v[] = {
        {"sample", "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
                   "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"},
        {"test", "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367"
                 "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint8_t h[32];
        oe_crypto_sha256(h, v[i].msg, strlen(v[i].msg));
        CHECK_INT(oe_p256_sign(sig, d, h), 0);
        CHECK_HEX(sig, 64, v[i].sig);
    }
#endif
}

/* 2,000 random keys and hashes: the same bytes as mbedtls, which verifies them. */
TEST(p256_differential_mbedtls)
{
#if defined(OE_P256_OWN)
    for (int i = 0; i < 2000; i++) {
        uint8_t d[32], h[32], ours[64], theirs[64];
        do
            CHECK_INT(oe_crypto_random(NULL, d, 32), 0);
        while (d[0] == 0xff); /* keep d below n without a bignum compare */
        CHECK_INT(oe_crypto_random(NULL, h, 32), 0);
        if (i % 4 == 1)
            memset(h, 0xff, 32); /* a hash above n: reduced */
        CHECK_INT(oe_p256_sign(ours, d, h), 0);
        mbedtls_sign(theirs, d, h);
        CHECK_MEM(ours, 64, theirs, 64);
        CHECK_INT(mbedtls_verify(d, h, ours), 0);
        h[i % 32] ^= 1;
        CHECK(mbedtls_verify(d, h, ours) != 0);
    }
#endif
}

/* Keys 1, 2, n-2, n-1; nonces at both ends (through oe_p256_sign_k, checked by mbedtls' verify);
 * 0 and n refused as keys and nonces. */
TEST(p256_edge_scalars)
{
#if defined(OE_P256_OWN)
    uint8_t keys[4][32], h[32], sig[64], theirs[64];
    small(keys[0], 1);
    small(keys[1], 2);
    n_minus(keys[2], 2);
    n_minus(keys[3], 1);
    oe_crypto_sha256(h, "edge", 4);
    for (int i = 0; i < 4; i++) {
        CHECK_INT(oe_p256_sign(sig, keys[i], h), 0);
        mbedtls_sign(theirs, keys[i], h);
        CHECK_MEM(sig, 64, theirs, 64);
        CHECK_INT(mbedtls_verify(keys[i], h, sig), 0);
        for (int j = 0; j < 4; j++) {
            CHECK(oe_p256_sign_k(sig, keys[i], h, keys[j]) == UINT64_MAX);
            CHECK_INT(mbedtls_verify(keys[i], h, sig), 0);
        }
    }
    uint8_t zero[32], n[32], big[32];
    small(zero, 0);
    n_minus(n, 0);
    memset(big, 0xff, 32);
    CHECK_INT(oe_p256_sign(sig, zero, h), -1);
    CHECK_INT(oe_p256_sign(sig, n, h), -1);
    CHECK_INT(oe_p256_sign(sig, big, h), -1);
    CHECK(oe_p256_sign_k(sig, keys[0], h, zero) == 0);
    CHECK(oe_p256_sign_k(sig, keys[0], h, n) == 0);
    CHECK(oe_p256_sign_k(sig, n, h, keys[0]) == 0);
    uint8_t pub[65];
    CHECK_INT(oe_p256_base_mul(pub, zero), -1);
    CHECK_INT(oe_p256_base_mul(pub, n), -1);
    /* k*G for k >= n is (k mod n)*G: n+1 gives G, 2^256-1 gives (2^256-1-n)*G. */
    uint8_t g[65], n1[32];
    CHECK_INT(oe_p256_base_mul(g, keys[0]), 0);
    CHECK_HEX(g, 65,
              "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
              "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
    n_minus(n1, 0);
    n1[31]++;
    CHECK_INT(oe_p256_base_mul(pub, n1), 0);
    CHECK_MEM(pub, 65, g, 65);
#endif
}

static psa_key_id_t import(psa_ecc_family_t family, const uint8_t *d, size_t len)
{
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t id = 0;
    psa_set_key_type(&a, PSA_KEY_TYPE_ECC_KEY_PAIR(family));
    psa_set_key_usage_flags(&a, PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH);
    psa_set_key_algorithm(&a, PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_ANY_HASH));
    CHECK_INT(psa_import_key(&a, d, len, &id), PSA_SUCCESS);
    return id;
}

/* TLS 1.3's way in: psa_sign_hash (deterministic) and mbedtls_pk_sign (DER) land in p256.c
 * (on 32-bit targets they stay mbedtls', with the same signatures). */
TEST(p256_psa_uses_our_code)
{
    CHECK_INT(psa_crypto_init(), PSA_SUCCESS);
    uint8_t d[32], h[32], sig[128], ours[64];
    size_t n;
    oe_test_unhex_into(d, 32, "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
    oe_crypto_sha256(h, "sample", 6);
    psa_key_id_t id = import(PSA_ECC_FAMILY_SECP_R1, d, 32);
    unsigned long calls = oe_crypto_psa_p256_calls();
    CHECK_INT(psa_sign_hash(id, PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256), h, 32, sig,
                            sizeof(sig), &n),
              PSA_SUCCESS);
    CHECK_INT(oe_crypto_psa_p256_calls() - calls, OURS);
    oe_test_unhex_into(ours, 32,
                       "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716");
    oe_test_unhex_into(ours + 32, 32,
                       "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8");
    CHECK_MEM(sig, n, ours, 64); /* RFC 6979 A.2.5 */
    CHECK_INT(psa_verify_hash(id, PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256), h, 32, sig, n),
              PSA_SUCCESS);
    /* SHA-384 with a P-256 key is mbedtls' (RFC 6979 with another HMAC). */
    uint8_t h384[48];
    memset(h384, 7, sizeof(h384));
    CHECK_INT(psa_sign_hash(id, PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_384), h384, 48, sig,
                            sizeof(sig), &n),
              PSA_SUCCESS);
    CHECK_INT(oe_crypto_psa_p256_calls() - calls, OURS);
    psa_destroy_key(id);

    /* The legacy pk context the TLS engine holds: DER out, verified by mbedtls. */
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    CHECK_INT(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
    mbedtls_ecp_keypair *kp = mbedtls_pk_ec(pk);
    CHECK_INT(mbedtls_ecp_read_key(MBEDTLS_ECP_DP_SECP256R1, kp, d, 32), 0);
    CHECK_INT(mbedtls_ecp_keypair_calc_public(kp, rng, NULL), 0);
    CHECK_INT(mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, h, 32, sig, sizeof(sig), &n, rng, NULL), 0);
    CHECK_INT(oe_crypto_psa_p256_calls() - calls, 2 * OURS);
    CHECK_INT(mbedtls_pk_verify(&pk, MBEDTLS_MD_SHA256, h, 32, sig, n), 0);
    /* DER: SEQUENCE { INTEGER r, INTEGER s }; r (0xef...) and s (0xf7...) get a 0 byte each. */
    CHECK_INT(n, 2 + 2 + 33 + 2 + 33);
    CHECK_MEM(sig, 5, "\x30\x46\x02\x21\x00", 5);
    CHECK_MEM(sig + 5, 32, ours, 32);
    CHECK_MEM(sig + 37, 3, "\x02\x21\x00", 3);
    CHECK_MEM(sig + 40, 32, ours + 32, 32);
    mbedtls_pk_free(&pk);

    /* P-384 is not ours and still works. */
    uint8_t d384[48];
    memset(d384, 0x11, sizeof(d384));
    id = import(PSA_ECC_FAMILY_SECP_R1, d384, 48);
    CHECK_INT(psa_sign_hash(id, PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_384), h384, 48, sig,
                            sizeof(sig), &n),
              PSA_SUCCESS);
    CHECK_INT(n, 96);
    CHECK_INT(psa_verify_hash(id, PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_384), h384, 48, sig, n),
              PSA_SUCCESS);
    CHECK_INT(oe_crypto_psa_p256_calls() - calls, 2 * OURS);
    psa_destroy_key(id);
}
