/*
 * HPKE (RFC 9180) base mode on mbedtls: SHA-256 for HMAC/HKDF, GCM and ChaCha20-Poly1305 for the
 * AEADs, Everest (HACL*) for X25519, and the generic ECP code as the benchmark's alternative.
 * This unit is the only one that includes mbedtls crypto headers.
 *
 * HMAC is written here over mbedtls_sha256 rather than taken from mbedtls_md: mbedtls_md_setup
 * allocates, and the labeled HKDF inputs (RFC 9180 §4) are built as lists of parts, streamed into
 * the hash, so no input is ever copied into a buffer that could be too small.
 */
#include "hpke/hpke.h"

#include <stdatomic.h>
#include <unistd.h>

#include "mbedtls/chachapoly.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/ecp.h"
#include "mbedtls/entropy.h"
#include "mbedtls/gcm.h"
#include "mbedtls/sha256.h"

/* Without a native 128-bit integer (32-bit targets), Everest's headers use the verified
 * portable uint128, as mbedtls' own build of the Everest code does. */
#ifndef __SIZEOF_INT128__
#define KRML_VERIFIED_UINT128
#endif
#include "Hacl_Curve25519.h"

_Static_assert(sizeof(mbedtls_sha256_context) <= OE_HPKE_SHA256_STATE_SIZE,
               "oe_hpke_salt_t too small for mbedtls_sha256_context");

#define SHA256_BLOCK 64

/* ---- HMAC-SHA256 (RFC 2104) and HKDF (RFC 5869) ------------------------------------------- */

typedef struct hmac {
    mbedtls_sha256_context inner;
    mbedtls_sha256_context outer;
} hmac_t;

static void hmac_wipe(hmac_t *h)
{
    mbedtls_sha256_free(&h->inner);
    mbedtls_sha256_free(&h->outer);
    oe_wipe(h, sizeof(*h));
}

/* Keys longer than a block are first hashed (RFC 2104 §2); this takes a key of at most 64 bytes.
 * On return h is initialized (so hmac_wipe is safe) even on failure. */
static int hmac_start_block(hmac_t *h, const uint8_t *key, size_t key_len)
{
    uint8_t pad[SHA256_BLOCK];
    int rc = 0;

    mbedtls_sha256_init(&h->inner);
    mbedtls_sha256_init(&h->outer);
    memset(pad, 0x36, sizeof(pad));
    for (size_t i = 0; i < key_len; i++)
        pad[i] ^= key[i];
    rc |= mbedtls_sha256_starts(&h->inner, 0);
    rc |= mbedtls_sha256_update(&h->inner, pad, sizeof(pad));
    for (size_t i = 0; i < sizeof(pad); i++)
        pad[i] ^= 0x36 ^ 0x5c;
    rc |= mbedtls_sha256_starts(&h->outer, 0);
    rc |= mbedtls_sha256_update(&h->outer, pad, sizeof(pad));
    oe_wipe(pad, sizeof(pad));
    return rc ? OE_ECRYPTO : 0;
}

static int hmac_start(hmac_t *h, const uint8_t *key, size_t key_len)
{
    uint8_t digest[32];
    int rc;

    if (key_len <= SHA256_BLOCK)
        return hmac_start_block(h, key, key_len);
    mbedtls_sha256_init(&h->inner);
    mbedtls_sha256_init(&h->outer);
    if (mbedtls_sha256(key, key_len, digest, 0) != 0)
        return OE_ECRYPTO;
    rc = hmac_start_block(h, digest, sizeof(digest));
    oe_wipe(digest, sizeof(digest));
    return rc;
}

static int hmac_update(hmac_t *h, const uint8_t *p, size_t n)
{
    if (n == 0)
        return 0;
    return mbedtls_sha256_update(&h->inner, p, n) ? OE_ECRYPTO : 0;
}

static int hmac_finish(hmac_t *h, uint8_t out[32])
{
    uint8_t inner[32];
    int rc = 0;

    rc |= mbedtls_sha256_finish(&h->inner, inner);
    rc |= mbedtls_sha256_update(&h->outer, inner, sizeof(inner));
    rc |= mbedtls_sha256_finish(&h->outer, out);
    oe_wipe(inner, sizeof(inner));
    return rc ? OE_ECRYPTO : 0;
}

/* RFC 5869 §2.2: PRK = HMAC(salt, IKM); an absent salt is Nh zero bytes, which HMAC pads to the
 * same key as an empty one. */
static int extract_with(hmac_t *h, uint8_t prk[32], const oe_slice_t *ikm, size_t n_ikm)
{
    int rc = 0;
    for (size_t i = 0; i < n_ikm && rc == 0; i++)
        rc = hmac_update(h, ikm[i].base, ikm[i].len);
    if (rc == 0)
        rc = hmac_finish(h, prk);
    hmac_wipe(h);
    return rc;
}

int oe_hpke_hkdf_extract(uint8_t prk[OE_HPKE_NH], oe_slice_t salt, const oe_slice_t *ikm,
                         size_t n_ikm)
{
    hmac_t h;
    int rc = hmac_start(&h, salt.base, salt.len);
    if (rc != 0) {
        hmac_wipe(&h);
        return rc;
    }
    return extract_with(&h, prk, ikm, n_ikm);
}

/* RFC 5869 §2.3: T(i) = HMAC(PRK, T(i-1) | info | i), OKM = first L bytes of T(1) | T(2) ... */
int oe_hpke_hkdf_expand(uint8_t *out, size_t L, const uint8_t prk[OE_HPKE_NH],
                        const oe_slice_t *info, size_t n_info)
{
    hmac_t base, h;
    uint8_t t[32];
    size_t done = 0;
    int rc;

    if (L == 0 || L > 255 * OE_HPKE_NH)
        return OE_EINVAL;
    rc = hmac_start(&base, prk, OE_HPKE_NH);
    for (uint8_t i = 1; rc == 0 && done < L; i++) {
        h = base;
        if (i > 1)
            rc = hmac_update(&h, t, sizeof(t));
        for (size_t k = 0; k < n_info && rc == 0; k++)
            rc = hmac_update(&h, info[k].base, info[k].len);
        if (rc == 0)
            rc = hmac_update(&h, &i, 1);
        if (rc == 0)
            rc = hmac_finish(&h, t);
        hmac_wipe(&h);
        if (rc == 0) {
            size_t n = OE_MIN(L - done, sizeof(t));
            memcpy(out + done, t, n);
            done += n;
        }
    }
    hmac_wipe(&base);
    oe_wipe(t, sizeof(t));
    if (rc != 0)
        oe_wipe(out, L);
    return rc;
}

void oe_hpke_salt_init(oe_hpke_salt_t *s)
{
    memset(s, 0, sizeof(*s));
    mbedtls_sha256_context *sha = (mbedtls_sha256_context *)s->sha;
    mbedtls_sha256_init(sha);
    mbedtls_sha256_starts(sha, 0);
}

void oe_hpke_salt_update(oe_hpke_salt_t *s, const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    if (s->len < sizeof(s->head)) {
        size_t k = OE_MIN(n, sizeof(s->head) - (size_t)s->len);
        memcpy(s->head + s->len, p, k);
    }
    mbedtls_sha256_update((mbedtls_sha256_context *)s->sha, p, n);
    s->len += n;
}

int oe_hpke_hkdf_extract_salt(uint8_t prk[OE_HPKE_NH], const oe_hpke_salt_t *s, oe_slice_t ikm)
{
    mbedtls_sha256_context sha;
    uint8_t digest[32];
    hmac_t h;
    int rc;

    if (s->len <= SHA256_BLOCK) {
        rc = hmac_start_block(&h, s->head, (size_t)s->len);
    } else {
        memcpy(&sha, s->sha, sizeof(sha));
        rc = mbedtls_sha256_finish(&sha, digest) ? OE_ECRYPTO : 0;
        if (rc == 0)
            rc = hmac_start_block(&h, digest, sizeof(digest));
        mbedtls_sha256_free(&sha);
        oe_wipe(&sha, sizeof(sha));
        oe_wipe(digest, sizeof(digest));
    }
    if (rc != 0) {
        hmac_wipe(&h);
        return rc;
    }
    return extract_with(&h, prk, &ikm, 1);
}

void oe_hpke_salt_wipe(oe_hpke_salt_t *s)
{
    mbedtls_sha256_free((mbedtls_sha256_context *)s->sha);
    oe_wipe(s, sizeof(*s));
}

/* ---- Labeled KDF, RFC 9180 §4 ------------------------------------------------------------ */

#define HPKE_V1 "HPKE-v1"
#define LIT(s)  ((oe_slice_t){(const uint8_t *)(s), sizeof(s) - 1})

/* suite_id: "KEM" | I2OSP(kem_id, 2) for the KEM (§4.1), "HPKE" | kem | kdf | aead (§5.1). */
typedef struct suite_id {
    uint8_t b[10];
    size_t len;
} suite_id_t;

static suite_id_t kem_suite_id(void)
{
    suite_id_t s = {{'K', 'E', 'M', 0x00, 0x20}, 5};
    return s;
}

static suite_id_t hpke_suite_id(const oe_hpke_suite_t *suite)
{
    suite_id_t s = {{'H', 'P', 'K', 'E'}, 10};
    oe_put16(s.b + 4, suite->kem);
    oe_put16(s.b + 6, suite->kdf);
    oe_put16(s.b + 8, suite->aead);
    return s;
}

/* LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" | suite_id | label | ikm). */
static int labeled_extract(uint8_t prk[32], const suite_id_t *sid, oe_slice_t salt,
                           const char *label, oe_slice_t ikm)
{
    oe_slice_t parts[] = {LIT(HPKE_V1), OE_SLICE(sid->b, sid->len), OE_SLICE_STR(label), ikm};
    return oe_hpke_hkdf_extract(prk, salt, parts, OE_ARRAY_SIZE(parts));
}

/* LabeledExpand(prk, label, info, L) =
 *     Expand(prk, I2OSP(L, 2) | "HPKE-v1" | suite_id | label | info, L). */
static int labeled_expand(uint8_t *out, size_t L, const suite_id_t *sid, const uint8_t prk[32],
                          const char *label, oe_slice_t info)
{
    uint8_t l2[2];
    if (L > 0xffff)
        return OE_EINVAL;
    oe_put16(l2, (uint16_t)L);
    oe_slice_t parts[] = {OE_SLICE(l2, 2), LIT(HPKE_V1), OE_SLICE(sid->b, sid->len),
                          OE_SLICE_STR(label), info};
    return oe_hpke_hkdf_expand(out, L, prk, parts, OE_ARRAY_SIZE(parts));
}

/* ---- Suites ------------------------------------------------------------------------------ */

int oe_hpke_aead_nk(uint16_t aead)
{
    switch (aead) {
    case OE_HPKE_AEAD_AES128GCM:
        return 16;
    case OE_HPKE_AEAD_AES256GCM:
    case OE_HPKE_AEAD_CHACHA20POLY1305:
        return 32;
    case OE_HPKE_AEAD_EXPORT_ONLY:
        return 0;
    default:
        return OE_EUNSUPPORTED;
    }
}

int oe_hpke_aead_nn(uint16_t aead)
{
    int nk = oe_hpke_aead_nk(aead);
    if (nk < 0)
        return nk;
    return nk == 0 ? 0 : OE_HPKE_NN;
}

int oe_hpke_suite_check(const oe_hpke_suite_t *suite)
{
    if (suite == NULL || suite->kem != OE_HPKE_KEM_X25519_SHA256 ||
        suite->kdf != OE_HPKE_KDF_HKDF_SHA256 || oe_hpke_aead_nk(suite->aead) < 0)
        return OE_EUNSUPPORTED;
    return 0;
}

/* ---- X25519 ------------------------------------------------------------------------------ */

static atomic_int x25519_impl = OE_HPKE_X25519_EVEREST;

void oe_hpke_set_x25519_impl(int impl)
{
    atomic_store_explicit(&x25519_impl, impl, memory_order_relaxed);
}

static void clamp(uint8_t k[32])
{
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
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
    clamp(k);
    rc = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_CURVE25519);
    if (rc == 0)
        rc = mbedtls_mpi_read_binary_le(&d, k, 32);
    if (rc == 0)
        rc = mbedtls_ecp_point_read_binary(&grp, &P, pk, 32);
    if (rc == 0)
        rc = mbedtls_ecp_mul(&grp, &R, &d, &P, oe_hpke_rng_default, NULL);
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

int oe_hpke_x25519(uint8_t out[32], const uint8_t sk[32], const uint8_t pk[32])
{
    uint8_t acc = 0;

    if (atomic_load_explicit(&x25519_impl, memory_order_relaxed) == OE_HPKE_X25519_GENERIC) {
        if (x25519_generic(out, sk, pk) != 0) {
            oe_wipe(out, 32);
            return OE_ECRYPTO;
        }
    } else {
        /* HACL* clamps the scalar and masks the point's top bit (RFC 7748 §5); it takes
         * non-const pointers but writes only out. */
        Hacl_Curve25519_crypto_scalarmult(out, (uint8_t *)sk, (uint8_t *)pk);
    }
    /* RFC 9180 §7.1.4: an all-zero DH output means a small-order point; abort. Constant time. */
    for (int i = 0; i < 32; i++)
        acc |= out[i];
    if (acc == 0)
        return OE_ECRYPTO;
    return 0;
}

static int x25519_base(uint8_t pk[32], const uint8_t sk[32])
{
    static const uint8_t nine[32] = {9};
    return oe_hpke_x25519(pk, sk, nine);
}

/* ---- Key pairs, RFC 9180 §7.1 ------------------------------------------------------------ */

int oe_hpke_derive_keypair(oe_hpke_keypair_t *kp, const uint8_t *ikm, size_t ikm_len)
{
    suite_id_t sid = kem_suite_id();
    uint8_t prk[32];
    int rc;

    if (kp == NULL || (ikm == NULL && ikm_len > 0))
        return OE_EINVAL;
    /* §7.1.3: dkp_prk = LabeledExtract("", "dkp_prk", ikm); sk = LabeledExpand(dkp_prk, "sk",
     * "", Nsk). X25519 takes any 32 bytes as a private key. */
    rc = labeled_extract(prk, &sid, OE_SLICE(NULL, 0), "dkp_prk", OE_SLICE(ikm, ikm_len));
    if (rc == 0)
        rc = labeled_expand(kp->sk, OE_HPKE_NSK, &sid, prk, "sk", OE_SLICE(NULL, 0));
    if (rc == 0)
        rc = x25519_base(kp->pk, kp->sk);
    oe_wipe(prk, sizeof(prk));
    if (rc != 0)
        oe_hpke_keypair_wipe(kp);
    return rc;
}

int oe_hpke_generate_keypair(oe_hpke_keypair_t *kp, oe_hpke_rng_fn rng, void *rng_arg)
{
    uint8_t ikm[OE_HPKE_NSK];
    int rc;

    if (rng == NULL)
        return OE_EINVAL;
    if (rng(rng_arg, ikm, sizeof(ikm)) != 0)
        return OE_ECRYPTO;
    rc = oe_hpke_derive_keypair(kp, ikm, sizeof(ikm));
    oe_wipe(ikm, sizeof(ikm));
    return rc;
}

int oe_hpke_keypair_from_private(oe_hpke_keypair_t *kp, const uint8_t *sk, size_t sk_len)
{
    int rc;

    if (kp == NULL || sk == NULL)
        return OE_EINVAL;
    if (sk_len != OE_HPKE_NSK)
        return OE_EFORMAT;
    memcpy(kp->sk, sk, OE_HPKE_NSK);
    clamp(kp->sk);
    rc = x25519_base(kp->pk, kp->sk);
    if (rc != 0)
        oe_hpke_keypair_wipe(kp);
    return rc;
}

void oe_hpke_serialize_private_key(uint8_t out[OE_HPKE_NSK], const oe_hpke_keypair_t *kp)
{
    memcpy(out, kp->sk, OE_HPKE_NSK);
    clamp(out);
}

int oe_hpke_check_public_key(const uint8_t *pk, size_t len)
{
    if (pk == NULL || len != OE_HPKE_NPK)
        return OE_EFORMAT;
    return 0;
}

void oe_hpke_keypair_wipe(oe_hpke_keypair_t *kp)
{
    oe_wipe(kp, sizeof(*kp));
}

/* ---- DHKEM(X25519, HKDF-SHA256), RFC 9180 §4.1 ------------------------------------------ */

/* ExtractAndExpand(dh, kem_context) with kem_context = enc | pkRm. */
static int extract_and_expand(uint8_t ss[32], const uint8_t dh[32], const uint8_t enc[32],
                              const uint8_t pkR[32])
{
    suite_id_t sid = kem_suite_id();
    uint8_t kem_context[64];
    uint8_t prk[32];
    int rc;

    memcpy(kem_context, enc, 32);
    memcpy(kem_context + 32, pkR, 32);
    rc = labeled_extract(prk, &sid, OE_SLICE(NULL, 0), "eae_prk", OE_SLICE(dh, 32));
    if (rc == 0)
        rc = labeled_expand(ss, OE_HPKE_NSECRET, &sid, prk, "shared_secret",
                            OE_SLICE(kem_context, sizeof(kem_context)));
    oe_wipe(prk, sizeof(prk));
    return rc;
}

static int encap_with(uint8_t ss[32], uint8_t enc[32], const uint8_t *pkR, size_t pkR_len,
                      oe_hpke_keypair_t *eph)
{
    uint8_t dh[32];
    int rc;

    rc = oe_hpke_check_public_key(pkR, pkR_len);
    if (rc == 0)
        rc = oe_hpke_x25519(dh, eph->sk, pkR);
    if (rc == 0) {
        memcpy(enc, eph->pk, OE_HPKE_NENC);
        rc = extract_and_expand(ss, dh, enc, pkR);
    }
    oe_wipe(dh, sizeof(dh));
    oe_hpke_keypair_wipe(eph);
    if (rc != 0)
        oe_wipe(ss, OE_HPKE_NSECRET);
    return rc;
}

int oe_hpke_encap_derand(uint8_t shared_secret[OE_HPKE_NSECRET], uint8_t enc[OE_HPKE_NENC],
                         const uint8_t *pkR, size_t pkR_len, const uint8_t *ikmE, size_t ikmE_len)
{
    oe_hpke_keypair_t eph;
    int rc = oe_hpke_derive_keypair(&eph, ikmE, ikmE_len);
    if (rc != 0)
        return rc;
    return encap_with(shared_secret, enc, pkR, pkR_len, &eph);
}

int oe_hpke_encap(uint8_t shared_secret[OE_HPKE_NSECRET], uint8_t enc[OE_HPKE_NENC],
                  const uint8_t *pkR, size_t pkR_len, oe_hpke_rng_fn rng, void *rng_arg)
{
    oe_hpke_keypair_t eph;
    int rc = oe_hpke_generate_keypair(&eph, rng, rng_arg);
    if (rc != 0)
        return rc;
    return encap_with(shared_secret, enc, pkR, pkR_len, &eph);
}

int oe_hpke_decap(uint8_t shared_secret[OE_HPKE_NSECRET], const uint8_t *enc, size_t enc_len,
                  const oe_hpke_keypair_t *kpR)
{
    uint8_t dh[32];
    int rc;

    if (kpR == NULL)
        return OE_EINVAL;
    if (enc == NULL || enc_len != OE_HPKE_NENC)
        return OE_EFORMAT;
    rc = oe_hpke_x25519(dh, kpR->sk, enc);
    if (rc == 0)
        rc = extract_and_expand(shared_secret, dh, enc, kpR->pk);
    oe_wipe(dh, sizeof(dh));
    if (rc != 0)
        oe_wipe(shared_secret, OE_HPKE_NSECRET);
    return rc;
}

/* ---- Key schedule and contexts, RFC 9180 §5 --------------------------------------------- */

int oe_hpke_key_schedule(oe_hpke_ctx_t *ctx, const oe_hpke_suite_t *suite,
                         const uint8_t shared_secret[OE_HPKE_NSECRET], oe_slice_t info)
{
    uint8_t ksc[1 + 2 * OE_HPKE_NH]; /* key_schedule_context = mode | psk_id_hash | info_hash */
    uint8_t secret[OE_HPKE_NH];
    suite_id_t sid;
    int rc, nk;

    if (ctx == NULL || shared_secret == NULL || (info.base == NULL && info.len > 0))
        return OE_EINVAL;
    rc = oe_hpke_suite_check(suite);
    if (rc != 0)
        return rc;
    nk = oe_hpke_aead_nk(suite->aead);
    sid = hpke_suite_id(suite);
    memset(ctx, 0, sizeof(*ctx));
    ctx->suite = *suite;
    ctx->nk = (uint8_t)nk;

    ksc[0] = OE_HPKE_MODE_BASE;
    rc = labeled_extract(ksc + 1, &sid, OE_SLICE(NULL, 0), "psk_id_hash", OE_SLICE(NULL, 0));
    if (rc == 0)
        rc = labeled_extract(ksc + 1 + OE_HPKE_NH, &sid, OE_SLICE(NULL, 0), "info_hash", info);
    /* secret = LabeledExtract(shared_secret, "secret", psk) with psk = "" in base mode. */
    if (rc == 0)
        rc = labeled_extract(secret, &sid, OE_SLICE(shared_secret, OE_HPKE_NSECRET), "secret",
                             OE_SLICE(NULL, 0));
    if (rc == 0 && nk > 0)
        rc = labeled_expand(ctx->key, (size_t)nk, &sid, secret, "key", OE_SLICE(ksc, sizeof(ksc)));
    if (rc == 0 && nk > 0)
        rc = labeled_expand(ctx->base_nonce, OE_HPKE_NN, &sid, secret, "base_nonce",
                            OE_SLICE(ksc, sizeof(ksc)));
    if (rc == 0)
        rc = labeled_expand(ctx->exporter_secret, OE_HPKE_NH, &sid, secret, "exp",
                            OE_SLICE(ksc, sizeof(ksc)));
    oe_wipe(secret, sizeof(secret));
    if (rc != 0)
        oe_hpke_ctx_wipe(ctx);
    return rc;
}

static int setup_s(oe_hpke_ctx_t *ctx, uint8_t enc[OE_HPKE_NENC], const oe_hpke_suite_t *suite,
                   const uint8_t *pkR, size_t pkR_len, oe_slice_t info, const uint8_t *ikmE,
                   size_t ikmE_len, oe_hpke_rng_fn rng, void *rng_arg)
{
    uint8_t ss[OE_HPKE_NSECRET];
    int rc;

    if (ctx == NULL || enc == NULL)
        return OE_EINVAL;
    rc = oe_hpke_suite_check(suite);
    if (rc != 0)
        return rc;
    if (rng != NULL)
        rc = oe_hpke_encap(ss, enc, pkR, pkR_len, rng, rng_arg);
    else
        rc = oe_hpke_encap_derand(ss, enc, pkR, pkR_len, ikmE, ikmE_len);
    if (rc == 0)
        rc = oe_hpke_key_schedule(ctx, suite, ss, info);
    oe_wipe(ss, sizeof(ss));
    return rc;
}

int oe_hpke_setup_base_s(oe_hpke_ctx_t *ctx, uint8_t enc[OE_HPKE_NENC],
                         const oe_hpke_suite_t *suite, const uint8_t *pkR, size_t pkR_len,
                         oe_slice_t info, oe_hpke_rng_fn rng, void *rng_arg)
{
    if (rng == NULL)
        return OE_EINVAL;
    return setup_s(ctx, enc, suite, pkR, pkR_len, info, NULL, 0, rng, rng_arg);
}

int oe_hpke_setup_base_s_derand(oe_hpke_ctx_t *ctx, uint8_t enc[OE_HPKE_NENC],
                                const oe_hpke_suite_t *suite, const uint8_t *pkR, size_t pkR_len,
                                oe_slice_t info, const uint8_t *ikmE, size_t ikmE_len)
{
    return setup_s(ctx, enc, suite, pkR, pkR_len, info, ikmE, ikmE_len, NULL, NULL);
}

int oe_hpke_setup_base_r(oe_hpke_ctx_t *ctx, const oe_hpke_suite_t *suite, const uint8_t *enc,
                         size_t enc_len, const oe_hpke_keypair_t *kpR, oe_slice_t info)
{
    uint8_t ss[OE_HPKE_NSECRET];
    int rc;

    if (ctx == NULL)
        return OE_EINVAL;
    rc = oe_hpke_suite_check(suite);
    if (rc == 0)
        rc = oe_hpke_decap(ss, enc, enc_len, kpR);
    if (rc == 0)
        rc = oe_hpke_key_schedule(ctx, suite, ss, info);
    oe_wipe(ss, sizeof(ss));
    return rc;
}

/* ---- AEAD -------------------------------------------------------------------------------- */

/* in and out are either the same buffer or disjoint (checked by the callers' contracts). */
static int aead_crypt(int encrypt, uint16_t aead, const uint8_t *key, const uint8_t *nonce,
                      uint8_t *out, oe_slice_t aad, const uint8_t *in, size_t len, uint8_t *tag)
{
    int rc;

    if (aead == OE_HPKE_AEAD_CHACHA20POLY1305) {
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
        int nk = oe_hpke_aead_nk(aead);
        mbedtls_gcm_init(&gcm);
        rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, (unsigned)nk * 8);
        if (rc == 0 && encrypt)
            rc = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, len, nonce, OE_HPKE_NN,
                                           aad.base, aad.len, in, out, OE_HPKE_NT, tag);
        else if (rc == 0)
            rc = mbedtls_gcm_auth_decrypt(&gcm, len, nonce, OE_HPKE_NN, aad.base, aad.len, tag,
                                          OE_HPKE_NT, in, out);
        mbedtls_gcm_free(&gcm);
        if (rc == MBEDTLS_ERR_GCM_AUTH_FAILED)
            return OE_EAUTH;
    }
    return rc == 0 ? 0 : OE_ECRYPTO;
}

/* out_len: what the operation writes to out (Seal: in.len + Nt; Open: in.len - Nt). */
static int aead_args_ok(uint16_t aead, const uint8_t *key, const uint8_t *nonce, uint8_t *out,
                        size_t out_len, oe_slice_t aad, oe_slice_t in)
{
    int nk = oe_hpke_aead_nk(aead);
    if (nk < 0)
        return nk;
    if (nk == 0)
        return OE_EUNSUPPORTED;
    if (key == NULL || nonce == NULL || (out == NULL && in.len > 0) ||
        (aad.base == NULL && aad.len > 0) || (in.base == NULL && in.len > 0))
        return OE_EINVAL;
    if (in.len > (size_t)INT32_MAX - OE_HPKE_NT)
        return OE_EOVERFLOW;
    /* Partial overlap would corrupt the input as it is read. */
    if (out != NULL && in.len > 0 && out != in.base && out < in.base + in.len &&
        in.base < out + out_len)
        return OE_EINVAL;
    return 0;
}

int oe_hpke_aead_seal(uint16_t aead, const uint8_t *key, const uint8_t *nonce, uint8_t *out,
                      size_t cap, oe_slice_t aad, oe_slice_t pt)
{
    int rc = aead_args_ok(aead, key, nonce, out, pt.len + OE_HPKE_NT, aad, pt);
    if (rc != 0)
        return rc;
    if (out == NULL || cap < pt.len + OE_HPKE_NT)
        return OE_ESPACE;
    rc = aead_crypt(1, aead, key, nonce, out, aad, pt.base, pt.len, out + pt.len);
    if (rc != 0) {
        oe_wipe(out, pt.len + OE_HPKE_NT);
        return rc;
    }
    return (int)(pt.len + OE_HPKE_NT);
}

int oe_hpke_aead_open(uint16_t aead, const uint8_t *key, const uint8_t *nonce, uint8_t *out,
                      size_t cap, oe_slice_t aad, oe_slice_t ct)
{
    uint8_t tag[OE_HPKE_NT];
    size_t n;
    int rc =
        aead_args_ok(aead, key, nonce, out, ct.len > OE_HPKE_NT ? ct.len - OE_HPKE_NT : 0, aad, ct);
    if (rc != 0)
        return rc;
    if (ct.len < OE_HPKE_NT)
        return OE_ETRUNC;
    n = ct.len - OE_HPKE_NT;
    if (cap < n || (out == NULL && n > 0))
        return OE_ESPACE;
    /* The tag is copied first: in place, decryption may overwrite nothing past n, but keep the
     * primitive's inputs stable regardless. */
    memcpy(tag, ct.base + n, OE_HPKE_NT);
    rc = aead_crypt(0, aead, key, nonce, out, aad, ct.base, n, tag);
    if (rc != 0) {
        if (n > 0)
            oe_wipe(out, n);
        return rc;
    }
    return (int)n;
}

/* §5.2: nonce = base_nonce XOR I2OSP(seq, Nn). */
static void compute_nonce(uint8_t nonce[OE_HPKE_NN], const oe_hpke_ctx_t *ctx)
{
    memcpy(nonce, ctx->base_nonce, OE_HPKE_NN);
    for (int i = 0; i < 8; i++)
        nonce[OE_HPKE_NN - 1 - i] ^= (uint8_t)(ctx->seq >> (8 * i));
}

static int ctx_ready(const oe_hpke_ctx_t *ctx)
{
    if (ctx == NULL)
        return OE_EINVAL;
    if (ctx->nk == 0)
        return OE_EUNSUPPORTED;
    /* §5.2 IncrementSeq: refuse before the counter would wrap. */
    if (ctx->seq == UINT64_MAX)
        return OE_EOVERFLOW;
    return 0;
}

int oe_hpke_seal(oe_hpke_ctx_t *ctx, uint8_t *out, size_t cap, oe_slice_t aad, oe_slice_t pt)
{
    uint8_t nonce[OE_HPKE_NN];
    int rc = ctx_ready(ctx);
    if (rc != 0)
        return rc;
    compute_nonce(nonce, ctx);
    rc = oe_hpke_aead_seal(ctx->suite.aead, ctx->key, nonce, out, cap, aad, pt);
    if (rc >= 0)
        ctx->seq++;
    return rc;
}

int oe_hpke_open(oe_hpke_ctx_t *ctx, uint8_t *out, size_t cap, oe_slice_t aad, oe_slice_t ct)
{
    uint8_t nonce[OE_HPKE_NN];
    int rc = ctx_ready(ctx);
    if (rc != 0)
        return rc;
    compute_nonce(nonce, ctx);
    rc = oe_hpke_aead_open(ctx->suite.aead, ctx->key, nonce, out, cap, aad, ct);
    if (rc >= 0)
        ctx->seq++;
    return rc;
}

int oe_hpke_export(const oe_hpke_ctx_t *ctx, uint8_t *out, size_t L, oe_slice_t exporter_context)
{
    suite_id_t sid;

    if (ctx == NULL || out == NULL || (exporter_context.base == NULL && exporter_context.len > 0))
        return OE_EINVAL;
    if (L == 0 || L > OE_HPKE_EXPORT_MAX)
        return OE_EINVAL;
    /* §5.3: Export(exporter_context, L) = LabeledExpand(exporter_secret, "sec", ctx, L). */
    sid = hpke_suite_id(&ctx->suite);
    return labeled_expand(out, L, &sid, ctx->exporter_secret, "sec", exporter_context);
}

void oe_hpke_ctx_wipe(oe_hpke_ctx_t *ctx)
{
    if (ctx != NULL)
        oe_wipe(ctx, sizeof(*ctx));
}

/* ---- Default randomness ------------------------------------------------------------------ */

/* One DRBG per thread: no lock on the hot path. The pid check reseeds a forked child, which
 * would otherwise replay its parent's stream. The contexts hold no heap memory, so a thread
 * that exits leaks nothing. */
static _Thread_local struct {
    pid_t pid;
    int seeded;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
} tls_rng;

int oe_hpke_rng_default(void *arg, unsigned char *out, size_t len)
{
    static const char pers[] = "odoh-edge hpke";
    pid_t pid = getpid();

    (void)arg;
    if (!tls_rng.seeded || tls_rng.pid != pid) {
        if (tls_rng.seeded) {
            mbedtls_ctr_drbg_free(&tls_rng.drbg);
            mbedtls_entropy_free(&tls_rng.entropy);
        }
        tls_rng.seeded = 0;
        mbedtls_entropy_init(&tls_rng.entropy);
        mbedtls_ctr_drbg_init(&tls_rng.drbg);
        if (mbedtls_ctr_drbg_seed(&tls_rng.drbg, mbedtls_entropy_func, &tls_rng.entropy,
                                  (const unsigned char *)pers, sizeof(pers) - 1) != 0) {
            mbedtls_ctr_drbg_free(&tls_rng.drbg);
            mbedtls_entropy_free(&tls_rng.entropy);
            return OE_ECRYPTO;
        }
        tls_rng.pid = pid;
        tls_rng.seeded = 1;
    }
    while (len > 0) {
        size_t n = OE_MIN(len, (size_t)MBEDTLS_CTR_DRBG_MAX_REQUEST);
        if (mbedtls_ctr_drbg_random(&tls_rng.drbg, out, n) != 0)
            return OE_ECRYPTO;
        out += n;
        len -= n;
    }
    return 0;
}
