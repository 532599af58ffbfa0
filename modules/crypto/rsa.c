/* RSA PKCS#1 v1.5 with SHA-256 on mbedtls (see rsa.h). */
#include "crypto/rsa.h"

#include "crypto/crypto.h"
#include "mbedtls/pk.h"
#include "mbedtls/rsa.h"

#define PEM_MAX 8192

struct oe_crypto_rsa_key {
    mbedtls_pk_context pk;
};

oe_crypto_rsa_key_t *oe_crypto_rsa_generate(unsigned bits)
{
    if (bits < 2048 || bits > 4096)
        return NULL;
    oe_crypto_rsa_key_t *k = oe_calloc(1, sizeof(*k));
    mbedtls_pk_init(&k->pk);
    if (mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) != 0 ||
        mbedtls_rsa_gen_key(mbedtls_pk_rsa(k->pk), oe_crypto_random, NULL, bits, 65537) != 0) {
        oe_crypto_rsa_free(k);
        return NULL;
    }
    return k;
}

oe_crypto_rsa_key_t *oe_crypto_rsa_parse(const uint8_t *text, size_t len)
{
    oe_crypto_rsa_key_t *k = oe_calloc(1, sizeof(*k));
    mbedtls_pk_init(&k->pk);
    /* mbedtls parses PEM from a NUL-terminated buffer. */
    uint8_t *copy = oe_malloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = 0;
    int rc = mbedtls_pk_parse_key(&k->pk, copy, len + 1, NULL, 0, oe_crypto_random, NULL);
    if (rc != 0)
        rc = mbedtls_pk_parse_key(&k->pk, copy, len, NULL, 0, oe_crypto_random, NULL);
    oe_wipe(copy, len + 1);
    free(copy);
    if (rc != 0 || mbedtls_pk_get_type(&k->pk) != MBEDTLS_PK_RSA ||
        mbedtls_pk_get_bitlen(&k->pk) < 2048) {
        oe_crypto_rsa_free(k);
        return NULL;
    }
    return k;
}

int oe_crypto_rsa_write_pem(const oe_crypto_rsa_key_t *k, oe_buf_t *pem)
{
    unsigned char *buf = oe_malloc(PEM_MAX);
    int rc = mbedtls_pk_write_key_pem((mbedtls_pk_context *)&k->pk, buf, PEM_MAX);
    if (rc == 0)
        oe_buf_append(pem, buf, strlen((char *)buf));
    oe_wipe(buf, PEM_MAX);
    free(buf);
    return rc == 0 ? OE_OK : OE_ECRYPTO;
}

static void append_mpi(oe_buf_t *b, const mbedtls_mpi *x)
{
    size_t len = mbedtls_mpi_size(x);
    oe_buf_reserve(b, len);
    if (mbedtls_mpi_write_binary(x, b->base + b->len, len) == 0)
        b->len += len;
}

void oe_crypto_rsa_public(const oe_crypto_rsa_key_t *k, oe_buf_t *n, oe_buf_t *e)
{
    mbedtls_mpi N, E;
    mbedtls_mpi_init(&N);
    mbedtls_mpi_init(&E);
    if (mbedtls_rsa_export(mbedtls_pk_rsa(k->pk), &N, NULL, NULL, NULL, &E) == 0) {
        append_mpi(n, &N);
        append_mpi(e, &E);
    }
    mbedtls_mpi_free(&N);
    mbedtls_mpi_free(&E);
}

int oe_crypto_rsa_sign(const oe_crypto_rsa_key_t *k, const uint8_t *msg, size_t len, uint8_t *sig,
                       size_t cap)
{
    uint8_t h[OE_CRYPTO_SHA256_LEN];
    mbedtls_rsa_context *rsa = mbedtls_pk_rsa(k->pk);
    size_t n = mbedtls_rsa_get_len(rsa);
    if (cap < n)
        return OE_ESPACE;
    oe_crypto_sha256(h, msg, len);
    int rc =
        mbedtls_rsa_pkcs1_sign(rsa, oe_crypto_random, NULL, MBEDTLS_MD_SHA256, sizeof(h), h, sig);
    return rc == 0 ? (int)n : OE_ECRYPTO;
}

int oe_crypto_rsa_verify(const oe_crypto_rsa_key_t *k, const uint8_t *msg, size_t len,
                         const uint8_t *sig, size_t siglen)
{
    uint8_t h[OE_CRYPTO_SHA256_LEN];
    mbedtls_rsa_context *rsa = mbedtls_pk_rsa(k->pk);
    if (siglen != mbedtls_rsa_get_len(rsa))
        return OE_EAUTH;
    oe_crypto_sha256(h, msg, len);
    return mbedtls_rsa_pkcs1_verify(rsa, MBEDTLS_MD_SHA256, sizeof(h), h, sig) == 0 ? 0 : OE_EAUTH;
}

void oe_crypto_rsa_free(oe_crypto_rsa_key_t *k)
{
    if (k == NULL)
        return;
    mbedtls_pk_free(&k->pk); /* zeroes the private values */
    free(k);
}
