/*
 * odoh-edge's mbedtls 3.6 configuration. Only what the project uses is enabled:
 *   - TLS 1.3 and 1.2, server and client, AEAD cipher suites only, SNI, ALPN, session tickets;
 *   - X.509 parsing (certificates, system CA bundle) and writing (cert = auto);
 *   - ECDSA P-256/P-384 and RSA, both directions: TLS 1.3 signs and verifies RSA only with
 *     RSASSA-PSS (RFC 8446 section 4.2.3). MBEDTLS_X509_RSASSA_PSS_SUPPORT is what puts the
 *     rsa_pss_rsae_* entries into mbedtls's default signature-algorithm list (PKCS1_V21 alone
 *     does not), so without it an RSA certificate fails TLS 1.3 on either side; it also parses
 *     certificates signed with PSS;
 *   - HKDF, SHA-256/384/512, AES-GCM, ChaCha20-Poly1305 for HPKE;
 *   - X25519: the formally verified Everest (HACL*) code stays built in (the project's X25519 on
 *     32-bit targets); on 64-bit targets modules/crypto/x25519.c is faster. TLS 1.3 goes through
 *     PSA, whose built-in X25519 is the generic ECP code: the Makefile redirects PSA's X25519 to
 *     modules/crypto at link time (-Wl,--wrap; vendor/README.md), the generic code stays for
 *     every other curve;
 *   - not MBEDTLS_PSA_P256M_DRIVER_ENABLED: p256-m made full TLS handshakes 1.85x slower on
 *     x86_64 (tests/bench/README.md, issue 17).
 * Selected with -DMBEDTLS_CONFIG_FILE='"mbedtls_config.h"' by vendor/build.sh.
 */
#ifndef OE_MBEDTLS_CONFIG_H
#define OE_MBEDTLS_CONFIG_H

/* Platform */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_FS_IO
#define MBEDTLS_DEPRECATED_REMOVED
#define MBEDTLS_ERROR_C
#define MBEDTLS_VERSION_C
#define MBEDTLS_VERSION_FEATURES

/* Worker threads share the PSA key store and the random generator. */
#define MBEDTLS_THREADING_C
#define MBEDTLS_THREADING_PTHREAD

/* Volatile PSA keys live in a growable table: every open TLS connection holds its traffic keys
 * there, and the fixed default (32 slots) fails the handshake after a few connections. */
#define MBEDTLS_PSA_KEY_STORE_DYNAMIC

/* Randomness */
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C

/* Symmetric crypto */
#define MBEDTLS_AES_C
#define MBEDTLS_AESNI_C
#define MBEDTLS_AESCE_C
#define MBEDTLS_GCM_C
/* x86_64: odoh-edge's own AES-GCM (modules/crypto/gcm.c, context in gcm_alt.h): AES-NI with
 * eight blocks in flight and aggregated PCLMULQDQ GHASH, chosen at run time by CPUID. Other
 * targets keep mbedtls' GCM (on aarch64 it uses the crypto extensions itself). */
#if defined(__x86_64__)
#define MBEDTLS_GCM_ALT
#endif
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_CONSTANT_TIME_ALIGNED_ACCESS

/* Hashes and KDFs */
#define MBEDTLS_MD_C
#define MBEDTLS_SHA224_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_SHA1_C /* X.509 path building for older public CA certificates */
#define MBEDTLS_HKDF_C

/* Public key */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDH_VARIANT_EVEREST_ENABLED
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_HMAC_DRBG_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT /* RSA in TLS 1.3: see the top of this file */
#define MBEDTLS_GENPRIME
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C
#define MBEDTLS_PK_PARSE_EC_EXTENDED
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PEM_WRITE_C

/* X.509 */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CREATE_C
#define MBEDTLS_X509_CRT_WRITE_C
#define MBEDTLS_X509_CSR_WRITE_C /* modules/acme: certificate signing requests */
#define MBEDTLS_X509_CRL_PARSE_C

/* PSA (TLS 1.3 is built on it) */
#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_USE_PSA_CRYPTO
/* PSA functions use the caller's buffers as they are: without this, every call copies its input
 * and output into fresh heap buffers (calloc + two copies of each TLS record: 13% of a 1 MiB
 * download's CPU). The copies guard buffers shared across a trust boundary; ours never are.
 * The record layer seals and opens in place, which our GCM (modules/crypto/gcm.c) supports. */
#define MBEDTLS_PSA_ASSUME_EXCLUSIVE_BUFFERS

/* TLS */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_ALPN
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_TICKET_C
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
#define MBEDTLS_SSL_KEYING_MATERIAL_EXPORT

/* Buffer sizes: full 16 KiB records in, full records out. */
#define MBEDTLS_SSL_IN_CONTENT_LEN 16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 16384

#endif
