/* ECDSA P-256 on mbedtls' ECP code (see ecdsa.h); signing on p256.c where it exists. */
#include "crypto/ecdsa.h"

#include "crypto/p256.h"

#include "mbedtls/ecdsa.h"
#include "mbedtls/ecp.h"

typedef struct p256 {
    mbedtls_ecp_group grp;
    mbedtls_mpi d, r, s;
    mbedtls_ecp_point Q;
} p256_t;

static int p256_init(p256_t *c)
{
    mbedtls_ecp_group_init(&c->grp);
    mbedtls_mpi_init(&c->d);
    mbedtls_mpi_init(&c->r);
    mbedtls_mpi_init(&c->s);
    mbedtls_ecp_point_init(&c->Q);
    return mbedtls_ecp_group_load(&c->grp, MBEDTLS_ECP_DP_SECP256R1) == 0 ? 0 : OE_ECRYPTO;
}

static void p256_free(p256_t *c)
{
    mbedtls_ecp_point_free(&c->Q);
    mbedtls_mpi_free(&c->s);
    mbedtls_mpi_free(&c->r);
    mbedtls_mpi_free(&c->d); /* mbedtls zeroes a bignum's limbs before freeing them */
    mbedtls_ecp_group_free(&c->grp);
}

static int write_key(oe_crypto_p256_key_t *k, p256_t *c)
{
    size_t olen = 0;
    if (mbedtls_mpi_write_binary(&c->d, k->d, sizeof(k->d)) != 0 ||
        mbedtls_ecp_point_write_binary(&c->grp, &c->Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, k->pub,
                                       sizeof(k->pub)) != 0 ||
        olen != sizeof(k->pub))
        return OE_ECRYPTO;
    return 0;
}

/* Writes the key pair out when rc is 0; frees c; wipes k on any failure. */
static int finish_key(oe_crypto_p256_key_t *k, p256_t *c, int rc)
{
    if (rc == 0)
        rc = write_key(k, c);
    p256_free(c);
    if (rc != 0)
        oe_crypto_p256_key_wipe(k);
    return rc;
}

int oe_crypto_p256_generate(oe_crypto_p256_key_t *k, oe_crypto_rng_fn rng, void *rng_arg)
{
    p256_t c;
    if (k == NULL || rng == NULL)
        return OE_EINVAL;
    int rc = p256_init(&c);
    if (rc == 0 && mbedtls_ecp_gen_keypair(&c.grp, &c.d, &c.Q, rng, rng_arg) != 0)
        rc = OE_ECRYPTO;
    return finish_key(k, &c, rc);
}

int oe_crypto_p256_from_private(oe_crypto_p256_key_t *k, const uint8_t *d, size_t len)
{
    p256_t c;
    if (k == NULL || d == NULL)
        return OE_EINVAL;
    if (len != OE_CRYPTO_P256_SK_LEN)
        return OE_EFORMAT;
    int rc = p256_init(&c);
    if (rc == 0 && (mbedtls_mpi_read_binary(&c.d, d, len) != 0 ||
                    mbedtls_ecp_check_privkey(&c.grp, &c.d) != 0))
        rc = OE_EFORMAT;
    /* Q = d * G; the random generator only blinds the computation. */
    if (rc == 0 && mbedtls_ecp_mul(&c.grp, &c.Q, &c.d, &c.grp.G, oe_crypto_random, NULL) != 0)
        rc = OE_ECRYPTO;
    return finish_key(k, &c, rc);
}

int oe_crypto_p256_sign(const oe_crypto_p256_key_t *k, const uint8_t *msg, size_t len,
                        uint8_t sig[OE_CRYPTO_P256_SIG_LEN])
{
    uint8_t hash[OE_CRYPTO_SHA256_LEN];
    if (k == NULL || sig == NULL || (msg == NULL && len > 0))
        return OE_EINVAL;
    oe_crypto_sha256(hash, msg, len);
#if defined(OE_P256_OWN)
    /* Our signer (p256.c): the same RFC 6979 signature, without mbedtls' bignums. */
    if (oe_p256_sign(sig, k->d, hash) == 0)
        return 0;
    oe_wipe(sig, OE_CRYPTO_P256_SIG_LEN);
    return OE_ECRYPTO;
#else
    p256_t c;
    int rc = p256_init(&c);
    if (rc == 0 && mbedtls_mpi_read_binary(&c.d, k->d, sizeof(k->d)) != 0)
        rc = OE_ECRYPTO;
    if (rc == 0 && mbedtls_ecdsa_sign_det_ext(&c.grp, &c.r, &c.s, &c.d, hash, sizeof(hash),
                                              MBEDTLS_MD_SHA256, oe_crypto_random, NULL) != 0)
        rc = OE_ECRYPTO;
    if (rc == 0 && (mbedtls_mpi_write_binary(&c.r, sig, 32) != 0 ||
                    mbedtls_mpi_write_binary(&c.s, sig + 32, 32) != 0))
        rc = OE_ECRYPTO;
    p256_free(&c);
    if (rc != 0)
        oe_wipe(sig, OE_CRYPTO_P256_SIG_LEN);
    return rc;
#endif
}

int oe_crypto_p256_verify(const uint8_t pub[OE_CRYPTO_P256_PK_LEN], const uint8_t *msg, size_t len,
                          const uint8_t sig[OE_CRYPTO_P256_SIG_LEN])
{
    uint8_t hash[OE_CRYPTO_SHA256_LEN];
    p256_t c;
    if (pub == NULL || sig == NULL || (msg == NULL && len > 0))
        return OE_EINVAL;
    oe_crypto_sha256(hash, msg, len);
    int rc = p256_init(&c);
    if (rc == 0 && (mbedtls_ecp_point_read_binary(&c.grp, &c.Q, pub, OE_CRYPTO_P256_PK_LEN) != 0 ||
                    mbedtls_ecp_check_pubkey(&c.grp, &c.Q) != 0))
        rc = OE_EFORMAT;
    if (rc == 0 && (mbedtls_mpi_read_binary(&c.r, sig, 32) != 0 ||
                    mbedtls_mpi_read_binary(&c.s, sig + 32, 32) != 0))
        rc = OE_ECRYPTO;
    if (rc == 0 && mbedtls_ecdsa_verify(&c.grp, hash, sizeof(hash), &c.Q, &c.r, &c.s) != 0)
        rc = OE_EAUTH;
    p256_free(&c);
    return rc;
}

void oe_crypto_p256_key_wipe(oe_crypto_p256_key_t *k)
{
    if (k != NULL)
        oe_wipe(k, sizeof(*k));
}
