/*
 * ECDSA on P-256 with SHA-256 (FIPS 186-5, SEC 1), for JWS ES256 (RFC 7518 §3.4) as ACME signs
 * its requests: signatures are the raw r | s, 32 bytes each, big-endian, not DER. Signing is
 * deterministic (RFC 6979), so a signature never depends on the random generator's health.
 * These functions allocate (mbedtls bignums); they are not for a per-request hot path.
 */
#ifndef OE_CRYPTO_ECDSA_H
#define OE_CRYPTO_ECDSA_H

#include "core/oe.h"
#include "crypto/crypto.h"

#define OE_CRYPTO_P256_SK_LEN  32 /* the private scalar d, big-endian */
#define OE_CRYPTO_P256_PK_LEN  65 /* 0x04 | X | Y (SEC 1 §2.3.3, uncompressed) */
#define OE_CRYPTO_P256_SIG_LEN 64 /* r | s */

/* A key pair. Secret: wipe with oe_crypto_p256_key_wipe. Plain data; may be copied. */
typedef struct oe_crypto_p256_key {
    uint8_t d[OE_CRYPTO_P256_SK_LEN];
    uint8_t pub[OE_CRYPTO_P256_PK_LEN];
} oe_crypto_p256_key_t;

/* A fresh key pair from rng (oe_crypto_random in production). OE_ECRYPTO if rng fails. */
int oe_crypto_p256_generate(oe_crypto_p256_key_t *k, oe_crypto_rng_fn rng, void *rng_arg);
/* The key pair of a private scalar (borrowed). OE_EFORMAT unless len is 32 and 1 <= d < n. */
int oe_crypto_p256_from_private(oe_crypto_p256_key_t *k, const uint8_t *d, size_t len);
/* sig = ECDSA-SHA256(k, msg) with the nonce of RFC 6979 §3.2. msg is borrowed. */
int oe_crypto_p256_sign(const oe_crypto_p256_key_t *k, const uint8_t *msg, size_t len,
                        uint8_t sig[OE_CRYPTO_P256_SIG_LEN]);
/* 0 if sig is a valid signature of msg under pub; OE_EAUTH if it is not; OE_EFORMAT if pub is
 * not a point on the curve. */
int oe_crypto_p256_verify(const uint8_t pub[OE_CRYPTO_P256_PK_LEN], const uint8_t *msg, size_t len,
                          const uint8_t sig[OE_CRYPTO_P256_SIG_LEN]);
void oe_crypto_p256_key_wipe(oe_crypto_p256_key_t *k);

#endif
