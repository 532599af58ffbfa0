/*
 * The crypto unit: every primitive the project uses, on mbedtls, behind one API. Hashing (SHA-256),
 * HMAC-SHA256, HKDF-SHA256, the AEADs (AES-GCM, ChaCha20-Poly1305), X25519, the random generator
 * and ECDSA P-256 (ecdsa.h); constant-time encodings and comparison are in encode.h. Apart from
 * the TLS engine, no other unit includes mbedtls headers, so an upgrade or a faster primitive
 * (GCM, X25519) plugs in here.
 *
 * Every function returns 0 (or a byte count) on success and a negative OE_E* code on failure;
 * outputs are undefined after a failure and secrets are never left in them or on our stack.
 * Nothing here allocates, except the generic X25519 ladder (mbedtls bignums), ECDSA, and mbedtls'
 * own AES context inside GCM (see README.md).
 */
#ifndef OE_CRYPTO_CRYPTO_H
#define OE_CRYPTO_CRYPTO_H

#include "core/oe.h"

#define OE_CRYPTO_SHA256_LEN   32
#define OE_CRYPTO_SHA256_BLOCK 64

/* ---- randomness ---------------------------------------------------------------------------- */

/* A randomness source: fills out[0..len) and returns 0, or nonzero on failure. The signature is
 * mbedtls' f_rng, so the TLS engine passes oe_crypto_random straight to mbedtls. */
typedef int (*oe_crypto_rng_fn)(void *arg, unsigned char *out, size_t len);

/* The process' one random generator: a CTR-DRBG (AES-256) per thread, seeded from the system
 * entropy source at its first use in a thread and reseeded in a forked child (which would
 * otherwise replay its parent's stream). arg is unused. Safe from any thread, without a lock.
 * Returns 0 or OE_ECRYPTO (no entropy). */
int oe_crypto_random(void *arg, unsigned char *out, size_t len);

/* ---- SHA-256 (FIPS 180-4) ------------------------------------------------------------------- */

/* A hash state without pointers: plain data that may be copied to fork a computation. */
#define OE_CRYPTO_SHA256_STATE_SIZE 128
typedef struct oe_crypto_sha256 {
    _Alignas(16) unsigned char state[OE_CRYPTO_SHA256_STATE_SIZE];
} oe_crypto_sha256_t;

void oe_crypto_sha256_init(oe_crypto_sha256_t *s);
void oe_crypto_sha256_update(oe_crypto_sha256_t *s, const void *p, size_t n);
/* Writes the digest and wipes s. */
void oe_crypto_sha256_final(oe_crypto_sha256_t *s, uint8_t out[OE_CRYPTO_SHA256_LEN]);
void oe_crypto_sha256(uint8_t out[OE_CRYPTO_SHA256_LEN], const void *p, size_t n);

/* ---- HMAC-SHA256 (RFC 2104) --------------------------------------------------------------- */

/* Streaming HMAC over two hash states: no heap (mbedtls_md_setup would allocate). Plain data; a
 * copy of a started state forks the computation (HKDF-Expand uses that). Secret: the final call
 * or oe_crypto_hmac_wipe wipes it. */
typedef struct oe_crypto_hmac {
    oe_crypto_sha256_t inner, outer;
} oe_crypto_hmac_t;

/* key is borrowed for the call; keys longer than a block are hashed first (RFC 2104 §2). */
void oe_crypto_hmac_init(oe_crypto_hmac_t *h, const uint8_t *key, size_t key_len);
void oe_crypto_hmac_update(oe_crypto_hmac_t *h, const void *p, size_t n);
/* Writes the 32-byte MAC and wipes h. */
void oe_crypto_hmac_final(oe_crypto_hmac_t *h, uint8_t out[OE_CRYPTO_SHA256_LEN]);
void oe_crypto_hmac_wipe(oe_crypto_hmac_t *h);
/* One-shot HMAC-SHA256(key, data). */
void oe_crypto_hmac(uint8_t out[OE_CRYPTO_SHA256_LEN], const uint8_t *key, size_t key_len,
                    const void *data, size_t len);

/* ---- HKDF-SHA256 (RFC 5869) --------------------------------------------------------------- */

/* Extract and Expand (§2.2, §2.3) with the input keying material or the info given in parts,
 * concatenated in order, so callers never build them in a buffer. An empty salt is Nh zero bytes
 * (HMAC pads both to the same key). expand: 1 <= L <= 255 * 32, else OE_EINVAL. */
int oe_crypto_hkdf_extract(uint8_t prk[OE_CRYPTO_SHA256_LEN], oe_slice_t salt,
                           const oe_slice_t *ikm, size_t n_ikm);
int oe_crypto_hkdf_expand(uint8_t *out, size_t L, const uint8_t prk[OE_CRYPTO_SHA256_LEN],
                          const oe_slice_t *info, size_t n_info);

/* An HKDF salt absorbed incrementally, so a long salt need not be kept: the first 64 bytes and a
 * hash over everything (HMAC keys longer than a block are hashed, RFC 2104 §2). Plain data; may
 * be copied. Secret when the salt is. */
typedef struct oe_crypto_salt {
    uint64_t len;
    uint8_t head[OE_CRYPTO_SHA256_BLOCK];
    oe_crypto_sha256_t sha;
} oe_crypto_salt_t;
void oe_crypto_salt_init(oe_crypto_salt_t *s);
void oe_crypto_salt_update(oe_crypto_salt_t *s, const uint8_t *p, size_t n);
/* Extract(salt, ikm) with the absorbed salt; s is not modified. */
int oe_crypto_hkdf_extract_salt(uint8_t prk[OE_CRYPTO_SHA256_LEN], const oe_crypto_salt_t *s,
                                oe_slice_t ikm);
void oe_crypto_salt_wipe(oe_crypto_salt_t *s);

/* ---- AEAD ---------------------------------------------------------------------------------- */

/* Algorithms. The numbers are HPKE's AEAD ids (RFC 9180 §7.3), which ODoH configs carry, so
 * those layers pass their ids through unchanged. */
#define OE_CRYPTO_AES128GCM        0x0001
#define OE_CRYPTO_AES256GCM        0x0002
#define OE_CRYPTO_CHACHA20POLY1305 0x0003
#define OE_CRYPTO_AEAD_NN          12 /* nonce length of every algorithm here */
#define OE_CRYPTO_AEAD_NT          16 /* tag length of every algorithm here */
#define OE_CRYPTO_AEAD_NK_MAX      32

/* Key length of an algorithm, or OE_EUNSUPPORTED. */
int oe_crypto_aead_nk(uint16_t alg);

/* One-shot AEAD: key is Nk bytes, nonce 12. seal writes pt.len + 16 bytes (ciphertext, then tag)
 * and returns that count; open writes ct.len - 16 bytes and returns that count. out may equal
 * the input exactly (in place); any other overlap is OE_EINVAL. Errors: OE_EUNSUPPORTED,
 * OE_EINVAL, OE_ESPACE (cap), OE_EOVERFLOW (length), OE_ETRUNC (ct shorter than the tag),
 * OE_EAUTH (authentication failed: out is zeroed), OE_ECRYPTO. */
int oe_crypto_aead_seal(uint16_t alg, const uint8_t *key, const uint8_t *nonce, uint8_t *out,
                        size_t cap, oe_slice_t aad, oe_slice_t pt);
int oe_crypto_aead_open(uint16_t alg, const uint8_t *key, const uint8_t *nonce, uint8_t *out,
                        size_t cap, oe_slice_t aad, oe_slice_t ct);

/* ---- X25519 (RFC 7748 §5) ------------------------------------------------------------------ */

/* out = sk * pk, the scalar clamped and the point's top bit masked as RFC 7748 §5 says. The
 * result is not checked for all zeros (the caller's protocol decides; HPKE does). OE_ECRYPTO
 * only when the generic code rejects the point. */
int oe_crypto_x25519(uint8_t out[32], const uint8_t sk[32], const uint8_t pk[32]);

/* Which code computes X25519: our own (x25519.c, radix 2^51; the default on 64-bit targets, which
 * have 128-bit products; OE_CRYPTO_X25519_OWN falls back on Everest elsewhere), Everest/HACL*
 * (the default elsewhere) or mbedtls' generic ECP ladder (allocates, and also rejects some
 * non-canonical and small-order points). Process-wide; for the benchmark and the tests, which
 * compare them. */
enum { OE_CRYPTO_X25519_EVEREST = 0, OE_CRYPTO_X25519_GENERIC = 1, OE_CRYPTO_X25519_OWN = 2 };
void oe_crypto_set_x25519_impl(int impl);

/* How many X25519 operations mbedtls' PSA (TLS 1.3 key exchange) handed to our code through the
 * link-time wrappers in crypto.c (tests check that they are in place). */
unsigned long oe_crypto_psa_x25519_calls(void);
/* How many ECDSA P-256 signatures mbedtls' PSA (TLS 1.3 CertificateVerify) handed to p256.c (0
 * on targets without it); for the tests. */
unsigned long oe_crypto_psa_p256_calls(void);

/* ---- about the library --------------------------------------------------------------------- */

/* mbedtls' version, "3.6.6 (built with 3.6.6)", and the X25519 code's name, for
 * `odoh-edge version`. */
void oe_crypto_library_version(char *out, size_t cap);
const char *oe_crypto_x25519_name(void);
/* The AES code in use, e.g. "aesni (AES-NI and PCLMULQDQ)" or "portable (...)". */
const char *oe_crypto_aes_name(void);
/* The AES-GCM code in use (gcm.c): "vaes+pclmulqdq (odoh-edge)", "aes-ni+pclmulqdq
 * (odoh-edge)", "portable (odoh-edge)" on an x86_64 CPU without those instructions, "mbedtls" on
 * other targets. */
const char *oe_crypto_gcm_name(void);
/* Tests: keys set after oe_crypto_gcm_set_portable(1) take the portable path, after (2) AES-NI
 * without VAES, after (0) the best the CPU has (x86_64 builds; elsewhere a no-op). */
void oe_crypto_gcm_set_portable(int on);

#endif
