/*
 * ECDSA P-256 signatures per second, one thread, CPU time: our signer (modules/crypto/p256.c,
 * RFC 6979 nonce included), mbedtls' deterministic ECDSA on the same key (what TLS 1.3 ran
 * before; mbedtls_ecdsa_sign_det_ext, as the PSA driver calls it), and the whole PSA call that
 * CertificateVerify makes (psa_sign_hash, which lands in ours through the link-time wrapper).
 * Output: "name value" lines.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "crypto/p256.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/ecp.h"
#include "psa/crypto.h"

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const uint8_t key[32] = {0x2a, 0x17, 0x33, 0x90, 0x01, 0x42, 0x5e, 0x77, 0x13, 0x08, 0x99,
                                0x61, 0x3c, 0x24, 0x05, 0x6f, 0x71, 0x1d, 0x48, 0x2b, 0x06, 0x5a,
                                0x3e, 0x11, 0x0c, 0x44, 0x29, 0x5b, 0x7a, 0x02, 0x36, 0x19};

static int rng(void *arg, unsigned char *out, size_t len)
{
    return oe_crypto_random(arg, out, len);
}

int main(void)
{
    uint8_t h[32] = {1}, sig[72];
    double t0, t;
    int n;
#if defined(OE_P256_OWN)
    oe_p256_sign(sig, key, h); /* the table, once */
    t0 = cpu_s();
    for (n = 0; (t = cpu_s() - t0) < 1.0; n++) {
        h[0] = (uint8_t)n;
        oe_p256_sign(sig, key, h);
    }
    printf("p256_sign_per_sec_own %.0f\n", n / t);
#endif
    mbedtls_ecp_group grp;
    mbedtls_mpi d, r, s;
    mbedtls_ecp_group_init(&grp);
    mbedtls_mpi_init(&d), mbedtls_mpi_init(&r), mbedtls_mpi_init(&s);
    if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) != 0 ||
        mbedtls_mpi_read_binary(&d, key, sizeof(key)) != 0)
        return 1;
    t0 = cpu_s();
    for (n = 0; (t = cpu_s() - t0) < 1.0; n++) {
        h[0] = (uint8_t)n;
        if (mbedtls_ecdsa_sign_det_ext(&grp, &r, &s, &d, h, 32, MBEDTLS_MD_SHA256, rng, NULL) != 0)
            return 1;
    }
    printf("p256_sign_per_sec_mbedtls %.0f\n", n / t);
    mbedtls_mpi_free(&s), mbedtls_mpi_free(&r), mbedtls_mpi_free(&d);
    mbedtls_ecp_group_free(&grp);

    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t id = 0;
    size_t len;
    psa_set_key_type(&a, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
    psa_set_key_usage_flags(&a, PSA_KEY_USAGE_SIGN_HASH);
    psa_set_key_algorithm(&a, PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256));
    if (psa_crypto_init() != PSA_SUCCESS ||
        psa_import_key(&a, key, sizeof(key), &id) != PSA_SUCCESS)
        return 1;
    t0 = cpu_s();
    for (n = 0; (t = cpu_s() - t0) < 1.0; n++) {
        h[0] = (uint8_t)n;
        if (psa_sign_hash(id, PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256), h, 32, sig, sizeof(sig),
                          &len) != PSA_SUCCESS)
            return 1;
    }
    printf("p256_sign_per_sec_psa %.0f\n", n / t);
    psa_destroy_key(id);
    return 0;
}
