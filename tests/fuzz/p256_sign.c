/* libFuzzer target: our ECDSA P-256 signer (modules/crypto/p256.c) against mbedtls. Layout: 32
 * bytes of private key d, 32 bytes of hash, optionally 32 bytes of nonce k (short inputs are
 * padded with zeros). d outside [1, n-1] must be refused exactly when mbedtls refuses it; otherwise
 * the RFC 6979 signature must be mbedtls' byte for byte, and with a given k, r and s must be what
 * mbedtls' bignums compute: r = x(k*G) mod n, s = k^-1 (h + r d) mod n. */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/p256.h"
#include "mbedtls/bignum.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/ecp.h"

static int rng(void *arg, unsigned char *out, size_t len)
{
    return oe_crypto_random(arg, out, len);
}

#define OK(x)                                                                                      \
    do {                                                                                           \
        if ((x) != 0)                                                                              \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#if defined(OE_P256_OWN)
    uint8_t in[96] = {0}, sig[64], want[64];
    memcpy(in, data, size < sizeof(in) ? size : sizeof(in));
    const uint8_t *d = in, *h = in + 32, *k = in + 64;
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi md, mk, mh, r, s, t;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&md), mbedtls_mpi_init(&mk), mbedtls_mpi_init(&mh);
    mbedtls_mpi_init(&r), mbedtls_mpi_init(&s), mbedtls_mpi_init(&t);
    OK(mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1));
    OK(mbedtls_mpi_read_binary(&md, d, 32));
    int valid = mbedtls_ecp_check_privkey(&grp, &md) == 0;
    int rc = oe_p256_sign(sig, d, h);
    if (rc != (valid ? 0 : -1))
        abort();
    if (valid) {
        OK(mbedtls_ecdsa_sign_det_ext(&grp, &r, &s, &md, h, 32, MBEDTLS_MD_SHA256, rng, NULL));
        OK(mbedtls_mpi_write_binary(&r, want, 32));
        OK(mbedtls_mpi_write_binary(&s, want + 32, 32));
        if (memcmp(sig, want, 64) != 0)
            abort();
    }
    if (size > 64) {
        OK(mbedtls_mpi_read_binary(&mk, k, 32));
        int k_valid = mbedtls_ecp_check_privkey(&grp, &mk) == 0;
        uint64_t ok = oe_p256_sign_k(sig, d, h, k);
        if (valid && k_valid) {
            OK(mbedtls_ecp_mul(&grp, &q, &mk, &grp.G, rng, NULL));
            OK(mbedtls_mpi_mod_mpi(&r, &q.MBEDTLS_PRIVATE(X), &grp.N));
            OK(mbedtls_mpi_read_binary(&mh, h, 32));
            OK(mbedtls_mpi_mul_mpi(&t, &r, &md));
            OK(mbedtls_mpi_add_mpi(&t, &t, &mh));
            OK(mbedtls_mpi_inv_mod(&s, &mk, &grp.N));
            OK(mbedtls_mpi_mul_mpi(&t, &t, &s));
            OK(mbedtls_mpi_mod_mpi(&s, &t, &grp.N));
            int nonzero = mbedtls_mpi_cmp_int(&r, 0) != 0 && mbedtls_mpi_cmp_int(&s, 0) != 0;
            if (ok != (nonzero ? UINT64_MAX : 0))
                abort();
            OK(mbedtls_mpi_write_binary(&r, want, 32));
            OK(mbedtls_mpi_write_binary(&s, want + 32, 32));
            if (nonzero && memcmp(sig, want, 64) != 0)
                abort();
        } else if (ok != 0) {
            abort();
        }
    }
    mbedtls_mpi_free(&t), mbedtls_mpi_free(&s), mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&mh), mbedtls_mpi_free(&mk), mbedtls_mpi_free(&md);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
#else
    (void)data, (void)size;
#endif
    return 0;
}
