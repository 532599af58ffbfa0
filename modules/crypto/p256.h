/* Internal to the crypto module: our own ECDSA P-256 signer (p256.c), on 64-bit targets. */
#ifndef OE_CRYPTO_P256_H
#define OE_CRYPTO_P256_H

#include <stdint.h>

#if defined(__SIZEOF_INT128__)
#define OE_P256_OWN 1
/* Deterministic ECDSA (RFC 6979, HMAC-SHA256) of a 32-byte hash: sig = r | s, 32 bytes each,
 * big-endian, byte for byte what mbedtls' deterministic ECDSA gives. d is the private key,
 * big-endian. Returns 0, or -1 if d is not in [1, n-1] (nothing written then). */
int oe_p256_sign(uint8_t sig[64], const uint8_t d[32], const uint8_t hash[32]);
/* The signature with a given nonce k (no RFC 6979): what oe_p256_sign does once k is chosen.
 * Returns an all-ones mask when d and k are in [1, n-1] and r, s are not zero, else 0 (sig is
 * then meaningless). Constant time in d, k and the hash (tests/tools/ct_check.c checks it). */
uint64_t oe_p256_sign_k(uint8_t sig[64], const uint8_t d[32], const uint8_t hash[32],
                        const uint8_t k[32]);
/* out = k*G, uncompressed (0x04 | x | y); for tests. Returns -1 if k is 0 mod n. */
int oe_p256_base_mul(uint8_t out[65], const uint8_t k[32]);
#endif

#endif
