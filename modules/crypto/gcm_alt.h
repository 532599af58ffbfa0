/*
 * odoh-edge's AES-GCM context for MBEDTLS_GCM_ALT (x86_64 builds only, see mbedtls_config.h).
 * mbedtls' gcm.h includes this file in place of its own context; the functions are ours, in
 * modules/crypto/gcm.c: AES-NI with eight blocks in flight and PCLMULQDQ GHASH with one
 * reduction per eight blocks, chosen at run time by CPUID, and a constant-time portable path
 * (mbedtls' AES, bitwise GHASH) for CPUs without those instructions and for AES-192.
 * Copied next to mbedtls' headers by vendor/build.sh.
 */
#ifndef OE_GCM_ALT_H
#define OE_GCM_ALT_H

#include <stdint.h>

#include "mbedtls/aes.h"

typedef struct mbedtls_gcm_context {
    uint64_t MBEDTLS_PRIVATE(rk)[30];         /* AES-NI round keys, 15 x 16 bytes */
    uint64_t MBEDTLS_PRIVATE(hpow)[8][2];     /* H^1..H^8, byte-reversed (accelerated path) */
    uint64_t MBEDTLS_PRIVATE(h)[2];           /* H as two big-endian halves (portable path) */
    uint64_t MBEDTLS_PRIVATE(len);            /* data bytes so far */
    uint64_t MBEDTLS_PRIVATE(add_len);        /* additional data bytes so far */
    mbedtls_aes_context MBEDTLS_PRIVATE(aes); /* portable path */
    unsigned char MBEDTLS_PRIVATE(y)[16];     /* GHASH state; a partial block is XORed in */
    unsigned char MBEDTLS_PRIVATE(ectr0)[16]; /* E(K, J0), for the tag */
    unsigned char MBEDTLS_PRIVATE(ctr)[16];   /* the next counter block */
    unsigned char MBEDTLS_PRIVATE(ks)[16];    /* key stream of the partial data block */
    int MBEDTLS_PRIVATE(rounds);              /* 10 or 14 with AES-NI; 0: portable path */
    unsigned char MBEDTLS_PRIVATE(mode);
    unsigned char MBEDTLS_PRIVATE(wide); /* VAES: two blocks per AES instruction */
} mbedtls_gcm_context;

#endif
