/*
 * The crypto unit on mbedtls (see crypto.h). With ecdsa.c, the only place outside the TLS engine
 * that includes mbedtls headers; Everest's X25519 headers are included here only.
 *
 * HMAC is written over mbedtls_sha256 rather than taken from mbedtls_md: mbedtls_md_setup
 * allocates, and a hash state of plain data can be copied to fork a computation (HKDF-Expand
 * starts every block from the same keyed state). mbedtls' software SHA-256 cannot fail (its
 * return codes exist for hardware back ends, which this build does not enable).
 */
#include "crypto/crypto.h"
#include "crypto/p256.h"
#include "crypto/x25519.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>
#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

#include "mbedtls/build_info.h"
#include "mbedtls/chachapoly.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/ecp.h"
#include "mbedtls/entropy.h"
#include "mbedtls/gcm.h"
#include "mbedtls/sha256.h"
#include "mbedtls/version.h"
#include "psa/crypto.h"

/* Without a native 128-bit integer (32-bit targets), Everest's headers use the verified
 * portable uint128, as mbedtls' own build of the Everest code does. */
#ifndef __SIZEOF_INT128__
#define KRML_VERIFIED_UINT128
#endif
#include "Hacl_Curve25519.h"

_Static_assert(sizeof(mbedtls_sha256_context) <= OE_CRYPTO_SHA256_STATE_SIZE,
               "oe_crypto_sha256_t too small for mbedtls_sha256_context");

/* ---- randomness ---------------------------------------------------------------------------- */

/* One DRBG per thread: no lock on the hot path (TLS handshakes, HPKE encapsulation, DNS ids in
 * every worker). A forked child reseeds: a pthread_atfork handler counts forks, and a DRBG seeded
 * under another count is seeded again. (getpid() was the check before: a system call, behind the
 * sandbox's seccomp filter, on every call: five to seven per TLS handshake.) The entropy context
 * holds heap memory (its hash state): a thread-exit destructor frees it, since every reload ends
 * worker threads. */
typedef struct thread_rng {
    unsigned fork_gen;
    int seeded;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
} thread_rng_t;
static _Thread_local thread_rng_t rng;
static pthread_key_t rng_key;
static pthread_once_t rng_key_once = PTHREAD_ONCE_INIT;

static void rng_free(void *p)
{
    thread_rng_t *r = p;
    if (r->seeded) {
        mbedtls_ctr_drbg_free(&r->drbg);
        mbedtls_entropy_free(&r->entropy);
        r->seeded = 0;
    }
}

/* Forks seen: in a child (its only thread is the one that forked) every DRBG's count is stale. */
static atomic_uint fork_gen;

static void rng_forked(void)
{
    atomic_fetch_add_explicit(&fork_gen, 1, memory_order_relaxed);
}

static void rng_key_init(void)
{
    pthread_key_create(&rng_key, rng_free);
    pthread_atfork(NULL, NULL, rng_forked);
}

int oe_crypto_random(void *arg, unsigned char *out, size_t len)
{
    static const char pers[] = "odoh-edge";

    (void)arg;
    /* The handler is registered before the first seeding (pthread_once below): a fork after that
     * always moves the count, and one before it leaves nothing to replay. */
    pthread_once(&rng_key_once, rng_key_init);
    unsigned gen = atomic_load_explicit(&fork_gen, memory_order_relaxed);
    if (!rng.seeded || rng.fork_gen != gen) {
        if (rng.seeded) {
            mbedtls_ctr_drbg_free(&rng.drbg);
            mbedtls_entropy_free(&rng.entropy);
        }
        rng.seeded = 0;
        mbedtls_entropy_init(&rng.entropy);
        mbedtls_ctr_drbg_init(&rng.drbg);
        if (mbedtls_ctr_drbg_seed(&rng.drbg, mbedtls_entropy_func, &rng.entropy,
                                  (const unsigned char *)pers, sizeof(pers) - 1) != 0) {
            mbedtls_ctr_drbg_free(&rng.drbg);
            mbedtls_entropy_free(&rng.entropy);
            return OE_ECRYPTO;
        }
        rng.fork_gen = gen;
        rng.seeded = 1;
        pthread_setspecific(rng_key, &rng);
    }
    while (len > 0) {
        size_t n = OE_MIN(len, (size_t)MBEDTLS_CTR_DRBG_MAX_REQUEST);
        if (mbedtls_ctr_drbg_random(&rng.drbg, out, n) != 0)
            return OE_ECRYPTO;
        out += n;
        len -= n;
    }
    return 0;
}

/* ---- SHA-256 ------------------------------------------------------------------------------- */

static mbedtls_sha256_context *sha(oe_crypto_sha256_t *s)
{
    return (mbedtls_sha256_context *)s->state;
}

void oe_crypto_sha256_init(oe_crypto_sha256_t *s)
{
    memset(s, 0, sizeof(*s));
    mbedtls_sha256_init(sha(s));
    mbedtls_sha256_starts(sha(s), 0);
}

void oe_crypto_sha256_update(oe_crypto_sha256_t *s, const void *p, size_t n)
{
    if (n > 0)
        mbedtls_sha256_update(sha(s), p, n);
}

void oe_crypto_sha256_final(oe_crypto_sha256_t *s, uint8_t out[OE_CRYPTO_SHA256_LEN])
{
    mbedtls_sha256_finish(sha(s), out);
    mbedtls_sha256_free(sha(s));
    oe_wipe(s, sizeof(*s));
}

void oe_crypto_sha256(uint8_t out[OE_CRYPTO_SHA256_LEN], const void *p, size_t n)
{
    oe_crypto_sha256_t s;
    oe_crypto_sha256_init(&s);
    oe_crypto_sha256_update(&s, p, n);
    oe_crypto_sha256_final(&s, out);
}

/* ---- HMAC-SHA256 (RFC 2104) ----------------------------------------------------------------- */

/* Keys of at most a block, padded with zeros. */
static void hmac_init_block(oe_crypto_hmac_t *h, const uint8_t *key, size_t key_len)
{
    uint8_t pad[OE_CRYPTO_SHA256_BLOCK];

    memset(pad, 0x36, sizeof(pad));
    for (size_t i = 0; i < key_len; i++)
        pad[i] ^= key[i];
    oe_crypto_sha256_init(&h->inner);
    oe_crypto_sha256_update(&h->inner, pad, sizeof(pad));
    for (size_t i = 0; i < sizeof(pad); i++)
        pad[i] ^= 0x36 ^ 0x5c;
    oe_crypto_sha256_init(&h->outer);
    oe_crypto_sha256_update(&h->outer, pad, sizeof(pad));
    oe_wipe(pad, sizeof(pad));
}

void oe_crypto_hmac_init(oe_crypto_hmac_t *h, const uint8_t *key, size_t key_len)
{
    uint8_t digest[OE_CRYPTO_SHA256_LEN];

    if (key_len <= OE_CRYPTO_SHA256_BLOCK) {
        hmac_init_block(h, key, key_len);
        return;
    }
    oe_crypto_sha256(digest, key, key_len);
    hmac_init_block(h, digest, sizeof(digest));
    oe_wipe(digest, sizeof(digest));
}

void oe_crypto_hmac_update(oe_crypto_hmac_t *h, const void *p, size_t n)
{
    oe_crypto_sha256_update(&h->inner, p, n);
}

void oe_crypto_hmac_final(oe_crypto_hmac_t *h, uint8_t out[OE_CRYPTO_SHA256_LEN])
{
    uint8_t inner[OE_CRYPTO_SHA256_LEN];

    oe_crypto_sha256_final(&h->inner, inner);
    oe_crypto_sha256_update(&h->outer, inner, sizeof(inner));
    oe_crypto_sha256_final(&h->outer, out);
    oe_wipe(inner, sizeof(inner));
}

void oe_crypto_hmac_wipe(oe_crypto_hmac_t *h)
{
    mbedtls_sha256_free(sha(&h->inner));
    mbedtls_sha256_free(sha(&h->outer));
    oe_wipe(h, sizeof(*h));
}

void oe_crypto_hmac(uint8_t out[OE_CRYPTO_SHA256_LEN], const uint8_t *key, size_t key_len,
                    const void *data, size_t len)
{
    oe_crypto_hmac_t h;
    oe_crypto_hmac_init(&h, key, key_len);
    oe_crypto_hmac_update(&h, data, len);
    oe_crypto_hmac_final(&h, out);
}

/* ---- HKDF-SHA256 (RFC 5869) ----------------------------------------------------------------- */

/* §2.2: PRK = HMAC(salt, IKM) with h keyed by the salt; h is consumed. */
static void extract_with(oe_crypto_hmac_t *h, uint8_t prk[OE_CRYPTO_SHA256_LEN],
                         const oe_slice_t *ikm, size_t n_ikm)
{
    for (size_t i = 0; i < n_ikm; i++)
        oe_crypto_hmac_update(h, ikm[i].base, ikm[i].len);
    oe_crypto_hmac_final(h, prk);
}

int oe_crypto_hkdf_extract(uint8_t prk[OE_CRYPTO_SHA256_LEN], oe_slice_t salt,
                           const oe_slice_t *ikm, size_t n_ikm)
{
    oe_crypto_hmac_t h;

    if (prk == NULL || (salt.base == NULL && salt.len > 0) || (ikm == NULL && n_ikm > 0))
        return OE_EINVAL;
    oe_crypto_hmac_init(&h, salt.base, salt.len);
    extract_with(&h, prk, ikm, n_ikm);
    return 0;
}

/* §2.3: T(i) = HMAC(PRK, T(i-1) | info | i), OKM = the first L bytes of T(1) | T(2) ... */
int oe_crypto_hkdf_expand(uint8_t *out, size_t L, const uint8_t prk[OE_CRYPTO_SHA256_LEN],
                          const oe_slice_t *info, size_t n_info)
{
    oe_crypto_hmac_t base, h;
    uint8_t t[OE_CRYPTO_SHA256_LEN];
    size_t done = 0;

    if (L == 0 || L > 255 * OE_CRYPTO_SHA256_LEN || out == NULL || prk == NULL ||
        (info == NULL && n_info > 0))
        return OE_EINVAL;
    oe_crypto_hmac_init(&base, prk, OE_CRYPTO_SHA256_LEN);
    for (uint8_t i = 1; done < L; i++) {
        h = base;
        if (i > 1)
            oe_crypto_hmac_update(&h, t, sizeof(t));
        for (size_t k = 0; k < n_info; k++)
            oe_crypto_hmac_update(&h, info[k].base, info[k].len);
        oe_crypto_hmac_update(&h, &i, 1);
        oe_crypto_hmac_final(&h, t);
        size_t n = OE_MIN(L - done, sizeof(t));
        memcpy(out + done, t, n);
        done += n;
    }
    oe_crypto_hmac_wipe(&base);
    oe_wipe(t, sizeof(t));
    return 0;
}

void oe_crypto_salt_init(oe_crypto_salt_t *s)
{
    memset(s, 0, sizeof(*s));
    oe_crypto_sha256_init(&s->sha);
}

void oe_crypto_salt_update(oe_crypto_salt_t *s, const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    if (s->len < sizeof(s->head)) {
        size_t k = OE_MIN(n, sizeof(s->head) - (size_t)s->len);
        memcpy(s->head + s->len, p, k);
    }
    oe_crypto_sha256_update(&s->sha, p, n);
    s->len += n;
}

int oe_crypto_hkdf_extract_salt(uint8_t prk[OE_CRYPTO_SHA256_LEN], const oe_crypto_salt_t *s,
                                oe_slice_t ikm)
{
    oe_crypto_hmac_t h;

    if (prk == NULL || s == NULL || (ikm.base == NULL && ikm.len > 0))
        return OE_EINVAL;
    if (s->len <= OE_CRYPTO_SHA256_BLOCK) {
        hmac_init_block(&h, s->head, (size_t)s->len);
    } else {
        oe_crypto_sha256_t copy = s->sha;
        uint8_t digest[OE_CRYPTO_SHA256_LEN];
        oe_crypto_sha256_final(&copy, digest);
        hmac_init_block(&h, digest, sizeof(digest));
        oe_wipe(digest, sizeof(digest));
    }
    extract_with(&h, prk, &ikm, 1);
    return 0;
}

void oe_crypto_salt_wipe(oe_crypto_salt_t *s)
{
    mbedtls_sha256_free(sha(&s->sha));
    oe_wipe(s, sizeof(*s));
}

/* ---- AEAD ----------------------------------------------------------------------------------- */

int oe_crypto_aead_nk(uint16_t alg)
{
    switch (alg) {
    case OE_CRYPTO_AES128GCM:
        return 16;
    case OE_CRYPTO_AES256GCM:
    case OE_CRYPTO_CHACHA20POLY1305:
        return 32;
    default:
        return OE_EUNSUPPORTED;
    }
}

/* in and out are either the same buffer or disjoint (checked by args_ok). */
static int aead_crypt(int encrypt, uint16_t alg, const uint8_t *key, const uint8_t *nonce,
                      uint8_t *out, oe_slice_t aad, const uint8_t *in, size_t len, uint8_t *tag)
{
    int rc;

    if (alg == OE_CRYPTO_CHACHA20POLY1305) {
        mbedtls_chachapoly_context cp;
        mbedtls_chachapoly_init(&cp);
        rc = mbedtls_chachapoly_setkey(&cp, key);
        if (rc == 0 && encrypt)
            rc = mbedtls_chachapoly_encrypt_and_tag(&cp, len, nonce, aad.base, aad.len, in, out,
                                                    tag);
        else if (rc == 0)
            rc = mbedtls_chachapoly_auth_decrypt(&cp, len, nonce, aad.base, aad.len, tag, in, out);
        mbedtls_chachapoly_free(&cp);
        if (rc == MBEDTLS_ERR_CHACHAPOLY_AUTH_FAILED)
            return OE_EAUTH;
    } else {
        mbedtls_gcm_context gcm;
        int nk = oe_crypto_aead_nk(alg);
        mbedtls_gcm_init(&gcm);
        rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, (unsigned)nk * 8);
        if (rc == 0 && encrypt)
            rc = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, len, nonce, OE_CRYPTO_AEAD_NN,
                                           aad.base, aad.len, in, out, OE_CRYPTO_AEAD_NT, tag);
        else if (rc == 0)
            rc = mbedtls_gcm_auth_decrypt(&gcm, len, nonce, OE_CRYPTO_AEAD_NN, aad.base, aad.len,
                                          tag, OE_CRYPTO_AEAD_NT, in, out);
        mbedtls_gcm_free(&gcm);
        if (rc == MBEDTLS_ERR_GCM_AUTH_FAILED)
            return OE_EAUTH;
    }
    return rc == 0 ? 0 : OE_ECRYPTO;
}

/* out_len: what the operation writes to out (Seal: in.len + Nt; Open: in.len - Nt). */
static int args_ok(uint16_t alg, const uint8_t *key, const uint8_t *nonce, uint8_t *out,
                   size_t out_len, oe_slice_t aad, oe_slice_t in)
{
    int nk = oe_crypto_aead_nk(alg);
    if (nk < 0)
        return nk;
    if (key == NULL || nonce == NULL || (out == NULL && in.len > 0) ||
        (aad.base == NULL && aad.len > 0) || (in.base == NULL && in.len > 0))
        return OE_EINVAL;
    if (in.len > (size_t)INT32_MAX - OE_CRYPTO_AEAD_NT)
        return OE_EOVERFLOW;
    /* Partial overlap would corrupt the input as it is read. */
    if (out != NULL && in.len > 0 && out != in.base && out < in.base + in.len &&
        in.base < out + out_len)
        return OE_EINVAL;
    return 0;
}

int oe_crypto_aead_seal(uint16_t alg, const uint8_t *key, const uint8_t *nonce, uint8_t *out,
                        size_t cap, oe_slice_t aad, oe_slice_t pt)
{
    int rc = args_ok(alg, key, nonce, out, pt.len + OE_CRYPTO_AEAD_NT, aad, pt);
    if (rc != 0)
        return rc;
    if (out == NULL || cap < pt.len + OE_CRYPTO_AEAD_NT)
        return OE_ESPACE;
    rc = aead_crypt(1, alg, key, nonce, out, aad, pt.base, pt.len, out + pt.len);
    if (rc != 0) {
        oe_wipe(out, pt.len + OE_CRYPTO_AEAD_NT);
        return rc;
    }
    return (int)(pt.len + OE_CRYPTO_AEAD_NT);
}

int oe_crypto_aead_open(uint16_t alg, const uint8_t *key, const uint8_t *nonce, uint8_t *out,
                        size_t cap, oe_slice_t aad, oe_slice_t ct)
{
    uint8_t tag[OE_CRYPTO_AEAD_NT];
    size_t n;
    int rc = args_ok(alg, key, nonce, out,
                     ct.len >= OE_CRYPTO_AEAD_NT ? ct.len - OE_CRYPTO_AEAD_NT : 0, aad, ct);
    if (rc != 0)
        return rc;
    if (ct.len < OE_CRYPTO_AEAD_NT)
        return OE_ETRUNC;
    n = ct.len - OE_CRYPTO_AEAD_NT;
    if (cap < n || (out == NULL && n > 0))
        return OE_ESPACE;
    /* The tag is copied first: in place, decryption may overwrite nothing past n, but keep the
     * primitive's inputs stable regardless. */
    memcpy(tag, ct.base + n, OE_CRYPTO_AEAD_NT);
    rc = aead_crypt(0, alg, key, nonce, out, aad, ct.base, n, tag);
    if (rc != 0) {
        if (n > 0)
            oe_wipe(out, n);
        return rc;
    }
    return (int)n;
}

/* ---- X25519 --------------------------------------------------------------------------------- */

#if defined(OE_X25519_OWN)
static atomic_int x25519_impl = OE_CRYPTO_X25519_OWN;
#else
static atomic_int x25519_impl = OE_CRYPTO_X25519_EVEREST;
#endif

void oe_crypto_set_x25519_impl(int impl)
{
    atomic_store_explicit(&x25519_impl, impl, memory_order_relaxed);
}

/* mbedtls' generic Montgomery ladder; slower, kept for the benchmark's comparison. It rejects
 * small-order points itself (MBEDTLS_ERR_ECP_INVALID_KEY). */
static int x25519_generic(uint8_t out[32], const uint8_t sk[32], const uint8_t pk[32])
{
    mbedtls_ecp_group grp;
    mbedtls_ecp_point P, R;
    mbedtls_mpi d;
    uint8_t k[32];
    size_t olen = 0;
    int rc;

    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&P);
    mbedtls_ecp_point_init(&R);
    mbedtls_mpi_init(&d);
    memcpy(k, sk, 32);
    k[0] &= 248; /* RFC 7748 §5 clamping */
    k[31] &= 127;
    k[31] |= 64;
    rc = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_CURVE25519);
    if (rc == 0)
        rc = mbedtls_mpi_read_binary_le(&d, k, 32);
    if (rc == 0)
        rc = mbedtls_ecp_point_read_binary(&grp, &P, pk, 32);
    if (rc == 0)
        rc = mbedtls_ecp_mul(&grp, &R, &d, &P, oe_crypto_random, NULL);
    if (rc == 0)
        rc = mbedtls_ecp_point_write_binary(&grp, &R, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, out, 32);
    if (rc == 0 && olen != 32)
        rc = -1;
    oe_wipe(k, sizeof(k));
    mbedtls_mpi_free(&d);
    mbedtls_ecp_point_free(&R);
    mbedtls_ecp_point_free(&P);
    mbedtls_ecp_group_free(&grp);
    return rc == 0 ? 0 : OE_ECRYPTO;
}

int oe_crypto_x25519(uint8_t out[32], const uint8_t sk[32], const uint8_t pk[32])
{
    int impl = atomic_load_explicit(&x25519_impl, memory_order_relaxed);
#if defined(OE_X25519_OWN)
    if (impl == OE_CRYPTO_X25519_OWN) {
        oe_x25519_own(out, sk, pk);
        return 0;
    }
#endif
    if (impl == OE_CRYPTO_X25519_GENERIC) {
        if (x25519_generic(out, sk, pk) != 0) {
            oe_wipe(out, 32);
            return OE_ECRYPTO;
        }
        return 0;
    }
    /* HACL* clamps the scalar and masks the point's top bit (RFC 7748 §5); it takes non-const
     * pointers but writes only out. */
    Hacl_Curve25519_crypto_scalarmult(out, (uint8_t *)sk, (uint8_t *)pk);
    return 0;
}

/* ---- about the library ---------------------------------------------------------------------- */

void oe_crypto_library_version(char *out, size_t cap)
{
    char run[32];
    mbedtls_version_get_string(run);
    snprintf(out, cap, "%s (built with %s)", run, MBEDTLS_VERSION_STRING);
}

/* Which AES (and GCM) code mbedtls runs here: the CPU's instructions where the build carries
 * them and the CPU has them (mbedtls asks the CPU the same way, once, at run time), the portable
 * table code otherwise. */
const char *oe_crypto_aes_name(void)
{
#if defined(MBEDTLS_AESNI_C) && defined(__x86_64__)
    return __builtin_cpu_supports("aes") ? "aesni (AES-NI and PCLMULQDQ)"
                                         : "portable (built with AES-NI, this CPU has none)";
#elif defined(MBEDTLS_AESCE_C) && defined(__aarch64__) && defined(__linux__)
    return (getauxval(AT_HWCAP) & HWCAP_AES) ? "aesce (ARMv8 Crypto Extensions, PMULL)"
                                             : "portable (built with AESCE, this CPU has none)";
#else
    return "portable (this target has no AES instructions)";
#endif
}

const char *oe_crypto_x25519_name(void)
{
#if defined(OE_X25519_OWN)
    if (atomic_load_explicit(&x25519_impl, memory_order_relaxed) == OE_CRYPTO_X25519_OWN)
        return "odoh-edge (radix 2^51)";
#endif
#ifdef MBEDTLS_ECDH_VARIANT_EVEREST_ENABLED
    return "everest (HACL*)";
#else
    return "mbedtls ecp (generic)";
#endif
}

/* ---- X25519 for mbedtls' PSA (TLS 1.3 key exchange) ---------------------------------------- */

/* TLS 1.3 in mbedtls 3.6 does X25519 through PSA, whose built-in code is the generic bignum ECP
 * (Everest serves only the legacy mbedtls_ecdh context): half the CPU of a full handshake, and of
 * a resumed one (PSK-DHE), in issue 17. The Makefile links with
 * -Wl,--wrap=mbedtls_psa_ecp_export_public_key,--wrap=mbedtls_psa_key_agreement_ecdh, so that
 * PSA's calls from psa_crypto.c to its built-in ECP driver (psa_crypto_ecp.c) land here first;
 * an X25519 key pair is served by our X25519 (Everest where a target has none), anything else
 * goes on to mbedtls. No source patch: the two functions are mbedtls' internal driver entry
 * points and are checked by tests/unit/crypto/psa_x25519.c (a mbedtls upgrade that renames them
 * fails the link). */
psa_status_t __real_mbedtls_psa_ecp_export_public_key(const psa_key_attributes_t *attributes,
                                                      const uint8_t *key_buffer,
                                                      size_t key_buffer_size, uint8_t *data,
                                                      size_t data_size, size_t *data_length);
psa_status_t __wrap_mbedtls_psa_ecp_export_public_key(const psa_key_attributes_t *attributes,
                                                      const uint8_t *key_buffer,
                                                      size_t key_buffer_size, uint8_t *data,
                                                      size_t data_size, size_t *data_length);
psa_status_t __real_mbedtls_psa_key_agreement_ecdh(
    const psa_key_attributes_t *attributes, const uint8_t *key_buffer, size_t key_buffer_size,
    psa_algorithm_t alg, const uint8_t *peer_key, size_t peer_key_length, uint8_t *shared_secret,
    size_t shared_secret_size, size_t *shared_secret_length);
psa_status_t __wrap_mbedtls_psa_key_agreement_ecdh(
    const psa_key_attributes_t *attributes, const uint8_t *key_buffer, size_t key_buffer_size,
    psa_algorithm_t alg, const uint8_t *peer_key, size_t peer_key_length, uint8_t *shared_secret,
    size_t shared_secret_size, size_t *shared_secret_length);

static atomic_ulong psa_x25519_calls;

unsigned long oe_crypto_psa_x25519_calls(void)
{
    return atomic_load_explicit(&psa_x25519_calls, memory_order_relaxed);
}

static bool is_x25519_pair(const psa_key_attributes_t *attributes, size_t key_buffer_size)
{
    return psa_get_key_type(attributes) == PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_MONTGOMERY) &&
           psa_get_key_bits(attributes) == 255 && key_buffer_size == 32;
}

static void x25519_fast(uint8_t out[32], const uint8_t sk[32], const uint8_t pk[32])
{
    atomic_fetch_add_explicit(&psa_x25519_calls, 1, memory_order_relaxed);
#if defined(OE_X25519_OWN)
    oe_x25519_own(out, sk, pk);
#else
    Hacl_Curve25519_crypto_scalarmult(out, (uint8_t *)sk, (uint8_t *)pk);
#endif
}

psa_status_t __wrap_mbedtls_psa_ecp_export_public_key(const psa_key_attributes_t *attributes,
                                                      const uint8_t *key_buffer,
                                                      size_t key_buffer_size, uint8_t *data,
                                                      size_t data_size, size_t *data_length)
{
    static const uint8_t base[32] = {9};
    if (!is_x25519_pair(attributes, key_buffer_size))
        return __real_mbedtls_psa_ecp_export_public_key(attributes, key_buffer, key_buffer_size,
                                                        data, data_size, data_length);
    if (data_size < 32)
        return PSA_ERROR_BUFFER_TOO_SMALL;
#if defined(OE_X25519_OWN)
    /* A public key: the fixed-base path (about a third of a ladder; the same result). */
    atomic_fetch_add_explicit(&psa_x25519_calls, 1, memory_order_relaxed);
    (void)base;
    oe_x25519_base_own(data, key_buffer);
#else
    x25519_fast(data, key_buffer, base);
#endif
    *data_length = 32;
    return PSA_SUCCESS;
}

psa_status_t __wrap_mbedtls_psa_key_agreement_ecdh(
    const psa_key_attributes_t *attributes, const uint8_t *key_buffer, size_t key_buffer_size,
    psa_algorithm_t alg, const uint8_t *peer_key, size_t peer_key_length, uint8_t *shared_secret,
    size_t shared_secret_size, size_t *shared_secret_length)
{
    if (alg != PSA_ALG_ECDH || !is_x25519_pair(attributes, key_buffer_size))
        return __real_mbedtls_psa_key_agreement_ecdh(attributes, key_buffer, key_buffer_size, alg,
                                                     peer_key, peer_key_length, shared_secret,
                                                     shared_secret_size, shared_secret_length);
    if (peer_key_length != 32)
        return PSA_ERROR_INVALID_ARGUMENT;
    if (shared_secret_size < 32)
        return PSA_ERROR_BUFFER_TOO_SMALL;
    x25519_fast(shared_secret, key_buffer, peer_key);
    /* A small-order peer point gives all zeros: refused, as mbedtls' ECDH does (RFC 8446 §7.4.2
     * says the result must be checked). */
    uint8_t z = 0;
    for (int i = 0; i < 32; i++)
        z |= shared_secret[i];
    if (z == 0)
        return PSA_ERROR_INVALID_ARGUMENT;
    *shared_secret_length = 32;
    return PSA_SUCCESS;
}

/* ---- ECDSA P-256 signatures for mbedtls' PSA (TLS 1.3 CertificateVerify) ------------------- */

/* mbedtls' TLS signs CertificateVerify with mbedtls_pk_sign_ext; for an EC key (legacy or opaque)
 * pk_wrap.c goes to psa_sign_hash with PSA_ALG_DETERMINISTIC_ECDSA (MBEDTLS_ECDSA_DETERMINISTIC
 * is on), which calls the built-in driver's mbedtls_psa_ecdsa_sign_hash. The Makefile wraps that
 * too: a P-256 key pair signing a SHA-256 hash deterministically is served by p256.c on 64-bit
 * targets (RFC 6979 as mbedtls, so the very same signature, raw r | s; pk_wrap.c makes it DER);
 * every other key, hash or algorithm (randomized ECDSA, P-384, 32-bit targets) goes on to
 * mbedtls. */
psa_status_t __real_mbedtls_psa_ecdsa_sign_hash(const psa_key_attributes_t *attributes,
                                                const uint8_t *key_buffer, size_t key_buffer_size,
                                                psa_algorithm_t alg, const uint8_t *hash,
                                                size_t hash_length, uint8_t *signature,
                                                size_t signature_size, size_t *signature_length);
psa_status_t __wrap_mbedtls_psa_ecdsa_sign_hash(const psa_key_attributes_t *attributes,
                                                const uint8_t *key_buffer, size_t key_buffer_size,
                                                psa_algorithm_t alg, const uint8_t *hash,
                                                size_t hash_length, uint8_t *signature,
                                                size_t signature_size, size_t *signature_length);

static atomic_ulong psa_p256_calls;

unsigned long oe_crypto_psa_p256_calls(void)
{
    return atomic_load_explicit(&psa_p256_calls, memory_order_relaxed);
}

psa_status_t __wrap_mbedtls_psa_ecdsa_sign_hash(const psa_key_attributes_t *attributes,
                                                const uint8_t *key_buffer, size_t key_buffer_size,
                                                psa_algorithm_t alg, const uint8_t *hash,
                                                size_t hash_length, uint8_t *signature,
                                                size_t signature_size, size_t *signature_length)
{
#if defined(OE_P256_OWN)
    if (psa_get_key_type(attributes) == PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1) &&
        psa_get_key_bits(attributes) == 256 && key_buffer_size == 32 &&
        alg == PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256) && hash_length == 32) {
        if (signature_size < 64)
            return PSA_ERROR_BUFFER_TOO_SMALL;
        if (oe_p256_sign(signature, key_buffer, hash) != 0)
            return PSA_ERROR_INVALID_ARGUMENT;
        atomic_fetch_add_explicit(&psa_p256_calls, 1, memory_order_relaxed);
        *signature_length = 64;
        return PSA_SUCCESS;
    }
#endif
    return __real_mbedtls_psa_ecdsa_sign_hash(attributes, key_buffer, key_buffer_size, alg, hash,
                                              hash_length, signature, signature_size,
                                              signature_length);
}
