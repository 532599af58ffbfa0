/* libFuzzer target: the fixed-base path of our X25519 public keys (oe_x25519_base_own, signed
 * radix-16 digits over an Edwards table) against our Montgomery ladder with u = 9 and against
 * Everest/HACL*: the first 32 bytes are the scalar (short inputs are padded with zeros), used as
 * given (clamping is the functions' own). */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/x25519.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#if defined(OE_X25519_OWN)
    static const uint8_t nine[32] = {9};
    uint8_t k[32] = {0}, a[32], b[32], c[32];
    memcpy(k, data, size < sizeof(k) ? size : sizeof(k));
    oe_x25519_base_own(a, k);
    oe_x25519_own(b, k, nine);
    oe_crypto_set_x25519_impl(OE_CRYPTO_X25519_EVEREST);
    if (oe_crypto_x25519(c, k, nine) != 0)
        abort();
    if (memcmp(a, b, 32) != 0 || memcmp(a, c, 32) != 0)
        abort();
#else
    (void)data, (void)size;
#endif
    return 0;
}
