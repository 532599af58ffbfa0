/*
 * ct_check: secret-tainting check (ctgrind style) of our X25519, of our ECDSA P-256 signer and of
 * the accelerated AES-GCM, run under valgrind memcheck by tests/integration/17-crypto-ct.sh. The
 * secret inputs (the X25519 scalar; the ECDSA private key, nonce and hash; the AES key, and the
 * plaintext) are marked undefined; memcheck then reports any
 * conditional jump or memory address that depends on them, and the script fails on any report.
 * Outputs are marked defined again before they are used. Without valgrind the marks are no-ops
 * and the program only runs the code.
 *
 *   ct_check           runs both; prints "gcm accelerated" or "gcm portable" (the CPU's path)
 */
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/p256.h"
#include "crypto/x25519.h"
#include "mbedtls/gcm.h"

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define OE_HAVE_VALGRIND 1
#endif
#endif
#ifndef OE_HAVE_VALGRIND
#define VALGRIND_MAKE_MEM_UNDEFINED(p, n) ((void)(p), (void)(n))
#define VALGRIND_MAKE_MEM_DEFINED(p, n) ((void)(p), (void)(n))
#endif

int main(void)
{
    uint8_t sk[32], pk[32], out[32];
    unsigned char key[32], iv[12] = {1}, ad[13] = {2}, buf[1000], tag[16];
    oe_crypto_random(NULL, sk, sizeof(sk));
    oe_crypto_random(NULL, pk, sizeof(pk));
    oe_crypto_random(NULL, key, sizeof(key));
    oe_crypto_random(NULL, buf, sizeof(buf));

    /* X25519: secret scalar; the point too (a peer's key is public, but our own public key is
     * X25519(sk, 9) and the shared secret feeds the next steps: nothing may branch on either). */
    oe_crypto_set_x25519_impl(OE_CRYPTO_X25519_OWN);
    for (int i = 0; i < 3; i++) {
        VALGRIND_MAKE_MEM_UNDEFINED(sk, sizeof(sk));
        VALGRIND_MAKE_MEM_UNDEFINED(pk, sizeof(pk));
        if (oe_crypto_x25519(out, sk, pk) != 0)
            return 1;
        VALGRIND_MAKE_MEM_DEFINED(out, sizeof(out));
        VALGRIND_MAKE_MEM_DEFINED(sk, sizeof(sk));
        memcpy(pk, out, 32);
    }
#if defined(OE_X25519_OWN)
    /* The fixed-base path of public keys: the scalar secret (the table's row index is public). */
    for (int i = 0; i < 3; i++) {
        VALGRIND_MAKE_MEM_UNDEFINED(sk, sizeof(sk));
        oe_x25519_base_own(out, sk);
        VALGRIND_MAKE_MEM_DEFINED(out, sizeof(out));
        VALGRIND_MAKE_MEM_DEFINED(sk, sizeof(sk));
        memcpy(sk, out, 32);
    }
#endif
    printf("x25519 %s\n", oe_crypto_x25519_name());

#if defined(OE_P256_OWN)
    /* ECDSA P-256 once the nonce is chosen (k*G, both inversions, s): private key, nonce and hash
     * secret. RFC 6979's derivation of k before it is HMAC-SHA256 (mbedtls' SHA-256), and its
     * one branch, the rejection of a candidate >= n (probability < 2^-32), is left out. */
    uint8_t d[32], k[32], h[32], sig[64];
    oe_crypto_random(NULL, d, sizeof(d));
    oe_crypto_random(NULL, k, sizeof(k));
    oe_crypto_random(NULL, h, sizeof(h));
    d[0] &= 0x7f, k[0] &= 0x7f; /* below n */
    for (int i = 0; i < 2; i++) {
        VALGRIND_MAKE_MEM_UNDEFINED(d, sizeof(d));
        VALGRIND_MAKE_MEM_UNDEFINED(k, sizeof(k));
        VALGRIND_MAKE_MEM_UNDEFINED(h, sizeof(h));
        uint64_t ok = oe_p256_sign_k(sig, d, h, k);
        VALGRIND_MAKE_MEM_DEFINED(&ok, sizeof(ok));
        VALGRIND_MAKE_MEM_DEFINED(sig, sizeof(sig));
        if (!ok)
            return 1;
        memcpy(k, sig, 32); /* another nonce and hash for the second round */
        memcpy(h, sig + 32, 32);
        k[0] &= 0x7f;
    }
    printf("p256 odoh-edge\n");
#endif

    /* AES-GCM: secret key and plaintext, lengths public; the partial block and the multipart
     * path included (1000 = 62 blocks + 8 bytes). */
    for (unsigned bits = 128; bits <= 256; bits += 128) {
        mbedtls_gcm_context g;
        size_t olen;
        mbedtls_gcm_init(&g);
        VALGRIND_MAKE_MEM_UNDEFINED(key, sizeof(key));
        VALGRIND_MAKE_MEM_UNDEFINED(buf, sizeof(buf));
        if (mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, bits) != 0 ||
            mbedtls_gcm_crypt_and_tag(&g, MBEDTLS_GCM_ENCRYPT, sizeof(buf), iv, sizeof(iv), ad,
                                      sizeof(ad), buf, buf, 16, tag) != 0 ||
            mbedtls_gcm_starts(&g, MBEDTLS_GCM_DECRYPT, iv, sizeof(iv)) != 0 ||
            mbedtls_gcm_update(&g, buf, 333, buf, 333, &olen) != 0 ||
            mbedtls_gcm_update(&g, buf + 333, 667, buf + 333, 667, &olen) != 0 ||
            mbedtls_gcm_finish(&g, NULL, 0, &olen, tag, 16) != 0)
            return 1;
        mbedtls_gcm_free(&g);
        VALGRIND_MAKE_MEM_DEFINED(buf, sizeof(buf));
        VALGRIND_MAKE_MEM_DEFINED(tag, sizeof(tag));
        VALGRIND_MAKE_MEM_DEFINED(key, sizeof(key));
    }
    printf("gcm %s\n", oe_crypto_gcm_name());
    return 0;
}
