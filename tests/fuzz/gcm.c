/* libFuzzer target: odoh-edge's AES-GCM (modules/crypto/gcm.c, MBEDTLS_GCM_ALT), the accelerated
 * paths (VAES where the CPU has it, AES-NI) against the portable one. Layout: byte 0 = key size
 * (bits 0-1: 128/192/256), the IV length (bits 2-7, 0 meaning 12); byte 1 = the AD length; byte
 * 2 = the multipart step (0: one piece); then 32 key bytes, the IV, the AD, and the rest is the
 * data. All paths must give the same ciphertext and tag, one-shot or in pieces, and decrypting
 * must give the input back. */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "mbedtls/gcm.h"

static void run(int portable, int mode, const uint8_t *key, unsigned bits, const uint8_t *iv,
                size_t ivn, const uint8_t *ad, size_t adn, const uint8_t *in, size_t n,
                uint8_t *out, uint8_t tag[16], size_t step)
{
    mbedtls_gcm_context g;
    size_t olen, done = 0;
    oe_crypto_gcm_set_portable(portable);
    mbedtls_gcm_init(&g);
    if (mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, bits) != 0 ||
        mbedtls_gcm_starts(&g, mode, iv, ivn) != 0 || mbedtls_gcm_update_ad(&g, ad, adn) != 0)
        abort();
    if (step == 0)
        step = n + 1;
    for (size_t i = 0; i < n; i += step) {
        size_t k = n - i < step ? n - i : step;
        if (mbedtls_gcm_update(&g, in + i, k, out + done, k, &olen) != 0)
            abort();
        done += olen;
    }
    if (done != n || mbedtls_gcm_finish(&g, NULL, 0, &olen, tag, 16) != 0)
        abort();
    mbedtls_gcm_free(&g);
    oe_crypto_gcm_set_portable(0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned sizes[] = {128, 192, 256, 128};
    static uint8_t a[70000], b[70000], c[70000];
    uint8_t ta[16], tb[16], tc[16];
    if (size < 3 + 32)
        return 0;
    unsigned bits = sizes[data[0] & 3];
    size_t ivn = data[0] >> 2 ? data[0] >> 2 : 12, adn = data[1], step = data[2];
    const uint8_t *key = data + 3, *p = data + 35;
    size_t left = size - 35;
    if (left < ivn + adn || left - ivn - adn > sizeof(a))
        return 0;
    const uint8_t *iv = p, *ad = p + ivn, *in = p + ivn + adn;
    size_t n = left - ivn - adn;

    run(0, MBEDTLS_GCM_ENCRYPT, key, bits, iv, ivn, ad, adn, in, n, a, ta, 0);
    run(1, MBEDTLS_GCM_ENCRYPT, key, bits, iv, ivn, ad, adn, in, n, b, tb, step);
    if (memcmp(a, b, n) != 0 || memcmp(ta, tb, 16) != 0)
        abort();
    run(2, MBEDTLS_GCM_ENCRYPT, key, bits, iv, ivn, ad, adn, in, n, b, tb, step);
    if (memcmp(a, b, n) != 0 || memcmp(ta, tb, 16) != 0)
        abort();
    run(0, MBEDTLS_GCM_DECRYPT, key, bits, iv, ivn, ad, adn, a, n, c, tc, step);
    if (memcmp(c, in, n) != 0 || memcmp(tc, ta, 16) != 0)
        abort();
    return 0;
}
