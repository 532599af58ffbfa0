/*
 * AES-GCM throughput, one thread: AES-128-GCM and AES-256-GCM seal of 16 KiB (a full TLS record)
 * and of 512 bytes (an ODoH message), with odoh-edge's accelerated path and its portable path
 * (modules/crypto/gcm.c; on targets without MBEDTLS_GCM_ALT both lines are mbedtls' GCM).
 * Rates are MB/s (10^6 bytes) of this thread's CPU time. Output: "name value" lines.
 */
#include <stdio.h>
#include <time.h>

#include "crypto/crypto.h"
#include "mbedtls/gcm.h"

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double rate(unsigned bits, size_t len)
{
    static unsigned char buf[16384];
    static const unsigned char key[32] = {1}, iv[12] = {2}, ad[13] = {3};
    unsigned char tag[16];
    mbedtls_gcm_context g;
    mbedtls_gcm_init(&g);
    if (mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, bits) != 0)
        return 0;
    double t0 = cpu_s(), t;
    size_t bytes = 0;
    do {
        for (int i = 0; i < 64; i++) {
            mbedtls_gcm_crypt_and_tag(&g, MBEDTLS_GCM_ENCRYPT, len, iv, sizeof(iv), ad, sizeof(ad),
                                      buf, buf, 16, tag);
            bytes += len;
        }
        t = cpu_s() - t0;
    } while (t < 0.5);
    mbedtls_gcm_free(&g);
    return (double)bytes / t / 1e6;
}

int main(void)
{
    printf("gcm-impl %s\n", oe_crypto_gcm_name());
    for (int portable = 0; portable <= 1; portable++) {
        const char *p = portable ? "-portable" : "";
        oe_crypto_gcm_set_portable(portable);
        printf("aes128gcm-16k-MBps%s %.0f\n", p, rate(128, 16384));
        printf("aes256gcm-16k-MBps%s %.0f\n", p, rate(256, 16384));
        printf("aes128gcm-512-MBps%s %.0f\n", p, rate(128, 512));
    }
    return 0;
}
