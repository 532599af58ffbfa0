/* Internal to the crypto module: our own X25519 (x25519.c), on targets with 128-bit products. */
#ifndef OE_CRYPTO_X25519_H
#define OE_CRYPTO_X25519_H

#include <stdint.h>

#if defined(__SIZEOF_INT128__)
#define OE_X25519_OWN 1
/* out = X25519(sk, pk) (RFC 7748 §5: scalar clamped, the point's bit 255 masked). */
void oe_x25519_own(uint8_t out[32], const uint8_t sk[32], const uint8_t pk[32]);
/* out = X25519(sk, 9), a public key: the same result by a fixed-base method, constant time too. */
void oe_x25519_base_own(uint8_t out[32], const uint8_t sk[32]);
#endif

#endif
