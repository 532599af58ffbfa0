/*
 * RSA with PKCS#1 v1.5 signatures over SHA-256 (RFC 8017 §8.2), for JWS RS256 (RFC 7518 §3.3)
 * as ACME account keys may use. Keys are kept opaque (mbedtls' RSA context) and stored as PEM
 * (PKCS#1 RSAPrivateKey). These functions allocate; they are not for a per-request hot path.
 */
#ifndef OE_CRYPTO_RSA_H
#define OE_CRYPTO_RSA_H

#include "core/oe.h"

typedef struct oe_crypto_rsa_key oe_crypto_rsa_key_t;

/* A fresh key of bits (2048 .. 4096) with e = 65537 from oe_crypto_random. NULL on failure. */
oe_crypto_rsa_key_t *oe_crypto_rsa_generate(unsigned bits);
/* A private key from PEM or DER text (borrowed). NULL unless it is an RSA key of 2048 bits or
 * more. */
oe_crypto_rsa_key_t *oe_crypto_rsa_parse(const uint8_t *text, size_t len);
/* The private key as PEM, appended to pem (secret: the caller wipes it). OE_OK or OE_ECRYPTO. */
int oe_crypto_rsa_write_pem(const oe_crypto_rsa_key_t *k, oe_buf_t *pem);
/* The modulus and the public exponent, big-endian without leading zeros, appended to n and e. */
void oe_crypto_rsa_public(const oe_crypto_rsa_key_t *k, oe_buf_t *n, oe_buf_t *e);
/* sig = RSASSA-PKCS1-v1_5-SIGN(k, SHA-256(msg)); cap >= the modulus length. Returns the
 * signature length or OE_ESPACE / OE_ECRYPTO. */
int oe_crypto_rsa_sign(const oe_crypto_rsa_key_t *k, const uint8_t *msg, size_t len, uint8_t *sig,
                       size_t cap);
/* 0 when sig verifies for msg under k's public key, else OE_EAUTH. */
int oe_crypto_rsa_verify(const oe_crypto_rsa_key_t *k, const uint8_t *msg, size_t len,
                         const uint8_t *sig, size_t siglen);
/* Frees (and wipes) k; NULL is fine. */
void oe_crypto_rsa_free(oe_crypto_rsa_key_t *k);

#endif
